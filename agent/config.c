// SPDX-License-Identifier: GPL-2.0
/*
 * atom.yaml parsing. A table describes every key: its path, its type and
 * its limits; the document is walked once and every key not in the table,
 * every value of the wrong type or out of range is an error that names
 * the file, the line and the key.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"
#include "log.h"
#include "util/duration.h"

enum key_type {
	T_STR,		/* any text up to size - 1 bytes */
	T_NAME,		/* a node name */
	T_IFNAME,	/* a network interface name */
	T_BOOL,
	T_UINT,		/* u32 within [min, max] */
	T_DURATION,	/* u64 ms within [min, max] */
	T_IPV4,
	T_HOSTPORT,	/* host:port */
	T_VOTER,
	T_BACKEND,
	T_LOGLEVEL,
};

struct key {
	const char *path;
	enum key_type type;
	size_t offset;
	size_t size;
	uint64_t min, max;
};

#define sizeof_field(t, m) sizeof(((t *)0)->m)
#define OFF(f) offsetof(struct config, f)
#define SZ(f) sizeof_field(struct config, f)

static const struct key keys[] = {
	{ "node.name", T_NAME, OFF(name), SZ(name), 0, 0 },
	{ "node.bootstrap", T_BOOL, OFF(bootstrap), SZ(bootstrap), 0, 0 },
	{ "node.mesh_ip", T_IPV4, OFF(mesh_ip), SZ(mesh_ip), 0, 0 },
	{ "node.network_layer.ip", T_IPV4, OFF(network), SZ(network), 0, 0 },
	{ "node.network_layer.cidr", T_UINT, OFF(prefix), SZ(prefix), 8, 30 },
	{ "join.endpoint", T_HOSTPORT, OFF(join_endpoint), SZ(join_endpoint), 0, 0 },
	{ "security.private_key_path", T_STR, OFF(private_key_path), SZ(private_key_path), 0, 0 },
	{ "security.join_token", T_STR, OFF(join_token), SZ(join_token), 0, 0 },
	{ "network.wireguard_port", T_UINT, OFF(wireguard_port), SZ(wireguard_port), 1, 65535 },
	{ "network.tcp_join_port", T_UINT, OFF(tcp_join_port), SZ(tcp_join_port), 1, 65535 },
	{ "network.interface", T_IFNAME, OFF(interface), SZ(interface), 0, 0 },
	{ "network.endpoint", T_HOSTPORT, OFF(endpoint), SZ(endpoint), 0, 0 },
	{ "network.mtu", T_UINT, OFF(mtu), SZ(mtu), 1280, 9000 },
	{ "network.persistent_keepalive", T_DURATION, OFF(keepalive_ms), SZ(keepalive_ms),
	  0, 65535000 },
	{ "consensus.raft_port", T_UINT, OFF(raft_port), SZ(raft_port), 1, 65535 },
	{ "consensus.data_dir", T_STR, OFF(data_dir), SZ(data_dir), 0, 0 },
	{ "consensus.voters", T_UINT, OFF(voters), SZ(voters), 1, 15 },
	{ "consensus.voter", T_VOTER, OFF(voter), SZ(voter), 0, 0 },
	{ "consensus.heartbeat_interval", T_DURATION, OFF(heartbeat_ms), SZ(heartbeat_ms),
	  10, 10000 },
	{ "consensus.election_timeout", T_DURATION,
	  OFF(election_timeout_ms), SZ(election_timeout_ms), 50, 600000 },
	{ "api.socket_path", T_STR, OFF(socket_path), SZ(socket_path), 0, 0 },
	{ "api.rpc_port", T_UINT, OFF(rpc_port), SZ(rpc_port), 1, 65535 },
	{ "dataplane.backend", T_BACKEND, OFF(backend), SZ(backend), 0, 0 },
	{ "dataplane.reconcile_interval", T_DURATION, OFF(reconcile_ms), SZ(reconcile_ms),
	  1000, 86400000 },
	{ "log.level", T_LOGLEVEL, OFF(log_level), SZ(log_level), 0, 0 },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const backend_names[] = {
	[CONFIG_BACKEND_AUTO] = "auto",
	[CONFIG_BACKEND_KERNEL] = "kernel",
	[CONFIG_BACKEND_NETLINK] = "netlink",
	[CONFIG_BACKEND_NONE] = "none",
};

static const char *const voter_names[] = {
	[CONFIG_VOTER_AUTO] = "auto",
	[CONFIG_VOTER_NEVER] = "never",
};

const char *config_backend_name(enum config_backend b)
{
	return b < sizeof(backend_names) / sizeof(backend_names[0]) ?
	       backend_names[b] : "?";
}

unsigned int config_key_count(void)
{
	return N_KEYS;
}

const char *config_key_path(unsigned int i)
{
	return i < N_KEYS ? keys[i].path : NULL;
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->private_key_path, "/etc/atom/private.key");
	cfg->wireguard_port = 51820;
	cfg->tcp_join_port = 8080;
	strcpy(cfg->interface, "wg0");
	cfg->mtu = 1420;
	cfg->keepalive_ms = 25000;
	cfg->raft_port = 7000;
	strcpy(cfg->data_dir, "/var/lib/atom/data");
	cfg->voters = 5;
	cfg->voter = CONFIG_VOTER_AUTO;
	cfg->heartbeat_ms = 50;
	cfg->election_timeout_ms = 300;
	strcpy(cfg->socket_path, "/run/atom/atom.sock");
	cfg->rpc_port = 7001;
	cfg->backend = CONFIG_BACKEND_AUTO;
	cfg->reconcile_ms = 10000;
	cfg->log_level = LOG_INFO;
}

struct parse {
	const char *filename;
	struct config *cfg;
	char *err;
	size_t errlen;
	bool seen[N_KEYS];
	unsigned int lines[N_KEYS];
};

__attribute__((format(printf, 4, 5)))
static int fail(struct parse *p, unsigned long line, const char *key,
		const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = (size_t)snprintf(p->err, p->errlen, "%s:%lu: %s%s", p->filename,
			     line, key ? key : "", key ? ": " : "");
	if (n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_name(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > CONFIG_NAME_MAX || s[0] == '-' || s[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return false;
	}
	return true;
}

static bool is_hostport(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;

	if (!colon || colon == s)
		return false;
	if (s[0] == '[' && colon[-1] != ']')
		return false;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	return !errno && *end == '\0' && colon[1] && port >= 1 &&
	       port <= 65535 && isdigit((unsigned char)colon[1]);
}

static int enum_lookup(const char *const *names, size_t n, const char *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], v))
			return (int)i;
	return -1;
}

static int parse_uint(const char *v, uint64_t *ret)
{
	char *end;

	if (!isdigit((unsigned char)v[0]))
		return -EINVAL;
	errno = 0;
	*ret = strtoull(v, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

static int set_value(struct parse *p, const struct key *k, const char *v,
		     unsigned long line)
{
	void *field = (char *)p->cfg + k->offset;
	uint64_t u;
	int i;

	switch (k->type) {
	case T_STR:
	case T_HOSTPORT:
	case T_NAME:
	case T_IFNAME:
		if (strlen(v) >= k->size)
			return fail(p, line, k->path,
				    "longer than %zu characters", k->size - 1);
		if (k->type == T_NAME && !is_name(v))
			return fail(p, line, k->path,
				    "'%s' is not a node name (letters, digits, '-', '_', '.'; 1 to %d characters)",
				    v, CONFIG_NAME_MAX);
		if (k->type == T_IFNAME && (!*v || strchr(v, '/') ||
					    strchr(v, ' ') || strchr(v, ':')))
			return fail(p, line, k->path,
				    "'%s' is not an interface name", v);
		if (k->type == T_HOSTPORT && *v && !is_hostport(v))
			return fail(p, line, k->path,
				    "'%s' is not HOST:PORT", v);
		strcpy(field, v);
		return 0;
	case T_BOOL:
		if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
		    !strcasecmp(v, "on"))
			*(bool *)field = true;
		else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
			 !strcasecmp(v, "off"))
			*(bool *)field = false;
		else
			return fail(p, line, k->path,
				    "'%s' is not true or false", v);
		return 0;
	case T_UINT:
		if (parse_uint(v, &u) < 0)
			return fail(p, line, k->path,
				    "'%s' is not a whole number", v);
		if (u < k->min || u > k->max)
			return fail(p, line, k->path,
				    "%llu is out of range [%llu, %llu]",
				    (unsigned long long)u,
				    (unsigned long long)k->min,
				    (unsigned long long)k->max);
		*(uint32_t *)field = (uint32_t)u;
		return 0;
	case T_DURATION:
		if (duration_parse(v, &u) < 0)
			return fail(p, line, k->path,
				    "'%s' is not a duration (e.g. 250ms, 10s, 5m)",
				    v);
		if (u < k->min || u > k->max)
			return fail(p, line, k->path,
				    "'%s' is out of range [%llums, %llums]", v,
				    (unsigned long long)k->min,
				    (unsigned long long)k->max);
		*(uint64_t *)field = u;
		return 0;
	case T_IPV4:
		if (!v[0] && !strcmp(k->path, "node.mesh_ip"))
			return 0;	/* empty: assigned by the mesh */
		if (inet_pton(AF_INET, v, field) != 1)
			return fail(p, line, k->path,
				    "'%s' is not an IPv4 address", v);
		return 0;
	case T_VOTER:
		i = enum_lookup(voter_names, 2, v);
		if (i < 0)
			return fail(p, line, k->path,
				    "'%s' is not auto or never", v);
		*(enum config_voter *)field = (enum config_voter)i;
		return 0;
	case T_BACKEND:
		i = enum_lookup(backend_names, 4, v);
		if (i < 0)
			return fail(p, line, k->path,
				    "'%s' is not auto, kernel, netlink or none",
				    v);
		*(enum config_backend *)field = (enum config_backend)i;
		return 0;
	case T_LOGLEVEL: {
		enum log_level level;

		if (log_level_parse(v, &level) < 0)
			return fail(p, line, k->path,
				    "'%s' is not err, warn, info or debug", v);
		*(int *)field = (int)level;
		return 0;
	}
	}
	return fail(p, line, k->path, "internal error: unknown key type");
}

/* Is path a section, i.e. a prefix of some key followed by a dot? */
static bool is_section(const char *path)
{
	size_t n = strlen(path), i;

	for (i = 0; i < N_KEYS; i++)
		if (!strncmp(keys[i].path, path, n) && keys[i].path[n] == '.')
			return true;
	return false;
}

static int walk(struct parse *p, yaml_document_t *doc, yaml_node_t *map,
		const char *prefix)
{
	yaml_node_pair_t *pair;

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(doc, pair->key);
		yaml_node_t *vn = yaml_document_get_node(doc, pair->value);
		unsigned long line = kn->start_mark.line + 1;
		char path[128];
		size_t i;
		int ret;

		if (kn->type != YAML_SCALAR_NODE)
			return fail(p, line, prefix[0] ? prefix : NULL,
				    "a key must be a plain name");
		if ((size_t)snprintf(path, sizeof(path), "%s%s%s", prefix,
				     prefix[0] ? "." : "",
				     (char *)kn->data.scalar.value) >=
		    sizeof(path))
			return fail(p, line, NULL, "key too long");
		if (is_section(path)) {
			if (vn->type == YAML_SCALAR_NODE &&
			    !vn->data.scalar.length)
				continue;	/* "join:" with nothing below */
			if (vn->type != YAML_MAPPING_NODE)
				return fail(p, line, path,
					    "expected a section of keys");
			ret = walk(p, doc, vn, path);
			if (ret < 0)
				return ret;
			continue;
		}
		for (i = 0; i < N_KEYS; i++)
			if (!strcmp(keys[i].path, path))
				break;
		if (i == N_KEYS)
			return fail(p, line, path, "unknown key");
		if (p->seen[i])
			return fail(p, line, path,
				    "given twice (first on line %u)",
				    p->lines[i]);
		p->seen[i] = true;
		p->lines[i] = (unsigned int)line;
		if (vn->type != YAML_SCALAR_NODE)
			return fail(p, line, path, "expected a single value");
		ret = set_value(p, &keys[i], (char *)vn->data.scalar.value,
				line);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static unsigned long line_of(struct parse *p, const char *path)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (!strcmp(keys[i].path, path))
			return p->seen[i] ? p->lines[i] : 0;
	return 0;
}

static bool seen(struct parse *p, const char *path)
{
	return line_of(p, path) != 0;
}

/* The line to blame for a clash of two keys: the later one given. */
static unsigned long port_line(struct parse *p, const char *a, const char *b)
{
	unsigned long la = line_of(p, a), lb = line_of(p, b);

	return (la > lb ? la : lb) ?: 1;
}

/* Rules that tie keys together. */
static int check(struct parse *p)
{
	struct config *cfg = p->cfg;
	bool has_ip = seen(p, "node.network_layer.ip");
	bool has_cidr = seen(p, "node.network_layer.cidr");
	const struct {
		const char *name;
		uint32_t port;
	} tcp[] = {
		{ "network.tcp_join_port", cfg->tcp_join_port },
		{ "consensus.raft_port", cfg->raft_port },
		{ "api.rpc_port", cfg->rpc_port },
	};
	size_t i, j;

	if (!seen(p, "node.name"))
		return fail(p, 1, "node.name", "missing: every node needs a name");
	if (has_ip != has_cidr)
		return fail(p, line_of(p, has_ip ? "node.network_layer.ip" :
					      "node.network_layer.cidr"),
			    "node.network_layer",
			    "needs both ip and cidr");
	cfg->has_network = has_ip;
	if (cfg->bootstrap && !cfg->has_network)
		return fail(p, line_of(p, "node.bootstrap"), "node.network_layer",
			    "missing: the bootstrapper defines the mesh network (ip and cidr)");
	if (!cfg->bootstrap && cfg->has_network)
		return fail(p, line_of(p, "node.network_layer.ip"),
			    "node.network_layer",
			    "only the bootstrapper sets it; followers receive the network from the mesh");
	if (cfg->has_network) {
		uint32_t ip = ntohl(cfg->network.s_addr);
		uint32_t mask = cfg->prefix ? ~0u << (32 - cfg->prefix) : 0;

		if (ip & ~mask) {
			char want[INET_ADDRSTRLEN];
			struct in_addr n = { htonl(ip & mask) };

			inet_ntop(AF_INET, &n, want, sizeof(want));
			return fail(p, line_of(p, "node.network_layer.ip"),
				    "node.network_layer.ip",
				    "not the network address of its /%u (did you mean %s?)",
				    cfg->prefix, want);
		}
		if (cfg->mesh_ip.s_addr) {
			uint32_t m = ntohl(cfg->mesh_ip.s_addr);

			if ((m & mask) != ip || m == ip || m == (ip | ~mask))
				return fail(p, line_of(p, "node.mesh_ip"),
					    "node.mesh_ip",
					    "not a host address of the mesh network");
		}
	}
	if (!cfg->private_key_path[0] || !cfg->data_dir[0] ||
	    !cfg->socket_path[0])
		return fail(p, 1, NULL,
			    "security.private_key_path, consensus.data_dir and api.socket_path must not be empty");
	for (i = 0; i < 3; i++)
		for (j = i + 1; j < 3; j++)
			if (tcp[i].port == tcp[j].port)
				return fail(p, port_line(p, tcp[i].name,
							 tcp[j].name),
					    tcp[j].name,
					    "port %u is also %s", tcp[j].port,
					    tcp[i].name);
	if (cfg->election_timeout_ms < 3 * cfg->heartbeat_ms)
		return fail(p, line_of(p, "consensus.election_timeout") ?: 1,
			    "consensus.election_timeout",
			    "must be at least three heartbeat intervals");
	return 0;
}

int config_parse(const char *text, size_t len, const char *filename,
		 struct config *cfg, char *err, size_t errlen)
{
	struct parse p = { .filename = filename, .err = err,
			   .errlen = errlen };
	struct config tmp;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int ret;

	config_defaults(&tmp);
	p.cfg = &tmp;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     len);
	if (!yaml_parser_load(&parser, &doc)) {
		ret = fail(&p, parser.problem_mark.line + 1, NULL,
			   "YAML syntax error: %s",
			   parser.problem ? parser.problem : "unknown");
		yaml_parser_delete(&parser);
		return ret;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root)
		ret = fail(&p, 1, NULL, "empty configuration");
	else if (root->type != YAML_MAPPING_NODE)
		ret = fail(&p, root->start_mark.line + 1, NULL,
			   "expected sections of keys (node:, network:, ...)");
	else
		ret = walk(&p, &doc, root, "");
	if (!ret)
		ret = check(&p);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (!ret)
		*cfg = tmp;
	/* The token is a secret: never leave a copy behind. */
	explicit_bzero(tmp.join_token, sizeof(tmp.join_token));
	return ret;
}

int config_load(const char *path, struct config *cfg, char *err,
		size_t errlen)
{
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while ((n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len)) > 0) {
		len += (size_t)n;
		if (len > CONFIG_FILE_MAX)
			break;
	}
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	} else if (len > CONFIG_FILE_MAX) {
		ret = -EFBIG;
		snprintf(err, errlen, "%s: larger than %u bytes", path,
			 CONFIG_FILE_MAX);
	} else {
		ret = config_parse(buf, len, path, cfg, err, errlen);
	}
	explicit_bzero(buf, len);
	free(buf);
	return ret;
}
