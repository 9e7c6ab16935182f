/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atom.yaml: every key of the original Atom plus atom's additions, parsed
 * with libyaml and checked. An error names the file, the line and the key.
 */
#ifndef ATOM_CONFIG_H
#define ATOM_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_NAME_MAX		63
#define CONFIG_PATH_MAX		4096
#define CONFIG_STR_MAX		255
#define CONFIG_SOCKET_MAX	107	/* sun_path less the NUL */
#define CONFIG_FILE_MAX		(1u << 20)

enum config_voter { CONFIG_VOTER_AUTO, CONFIG_VOTER_NEVER };

enum config_backend {
	CONFIG_BACKEND_AUTO,
	CONFIG_BACKEND_KERNEL,
	CONFIG_BACKEND_NETLINK,
	CONFIG_BACKEND_NONE,
};

struct config {
	/* node */
	char name[CONFIG_NAME_MAX + 1];
	bool bootstrap;
	struct in_addr mesh_ip;		/* node.mesh_ip; 0.0.0.0: assigned */
	bool has_network;		/* node.network_layer given */
	struct in_addr network;		/* node.network_layer.ip */
	uint32_t prefix;		/* node.network_layer.cidr */
	/* join */
	char join_endpoint[CONFIG_STR_MAX + 1];
	/* security */
	char private_key_path[CONFIG_PATH_MAX];
	char join_token[CONFIG_STR_MAX + 1];
	/* network */
	uint32_t wireguard_port;
	uint32_t tcp_join_port;
	char interface[16];
	char endpoint[CONFIG_STR_MAX + 1];
	uint32_t mtu;
	uint64_t keepalive_ms;
	/* consensus */
	uint32_t raft_port;
	char data_dir[CONFIG_PATH_MAX];
	uint32_t voters;
	enum config_voter voter;
	uint64_t heartbeat_ms;
	uint64_t election_timeout_ms;
	/* api */
	char socket_path[CONFIG_SOCKET_MAX + 1];
	uint32_t rpc_port;
	/* dataplane */
	enum config_backend backend;
	uint64_t reconcile_ms;
	/* log */
	int log_level;			/* enum log_level */
};

void config_defaults(struct config *cfg);

/*
 * Parse YAML text. On error returns -EINVAL (or -ENOMEM) and writes
 * "FILE:LINE: KEY: reason" into err.
 */
int config_parse(const char *text, size_t len, const char *filename,
		 struct config *cfg, char *err, size_t errlen);

/* Read and parse a file (at most CONFIG_FILE_MAX bytes). */
int config_load(const char *path, struct config *cfg, char *err,
		size_t errlen);

const char *config_backend_name(enum config_backend b);

/* The keys config_parse knows, as dotted paths ("node.name"). */
unsigned int config_key_count(void);
const char *config_key_path(unsigned int i);

#endif /* ATOM_CONFIG_H */
