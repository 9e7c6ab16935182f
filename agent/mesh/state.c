// SPDX-License-Identifier: GPL-2.0
/*
 * The mesh state: allocation, lookups, the address allocator, and the
 * state as dataplane peers (see state.h).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/state.h"

int mesh_state_new(struct mesh_state **ret)
{
	*ret = calloc(1, sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	mesh_state_reset(*ret);
	return 0;
}

void mesh_state_free(struct mesh_state *s)
{
	free(s);
}

void mesh_state_reset(struct mesh_state *s)
{
	memset(s, 0, sizeof(*s));
	s->feature = MESH_FEATURE_BASE;
}

bool mesh_name_valid(const char *name, size_t len)
{
	size_t i;

	if (len < 1 || len > MESH_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

bool mesh_endpoint_valid(const struct mesh_endpoint *ep)
{
	switch (ep->family) {
	case 0:
		return ep->port == 0;
	case AF_INET:
	case AF_INET6:
		return ep->port != 0;
	default:
		return false;
	}
}

struct mesh_node *mesh_node_by_name(const struct mesh_state *s,
				    const char *name)
{
	uint32_t i;

	for (i = 0; i < s->n_nodes; i++)
		if (!strcmp(s->nodes[i].name, name))
			return (struct mesh_node *)&s->nodes[i];
	return NULL;
}

struct mesh_node *mesh_node_by_key(const struct mesh_state *s,
				   const uint8_t *key)
{
	uint32_t i;

	for (i = 0; i < s->n_nodes; i++)
		if (!memcmp(s->nodes[i].key, key, MESH_KEY_LEN))
			return (struct mesh_node *)&s->nodes[i];
	return NULL;
}

struct mesh_node *mesh_node_by_ip(const struct mesh_state *s, uint32_t ip)
{
	uint32_t lo = 0, hi = s->n_nodes;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->nodes[mid].ip == ip)
			return (struct mesh_node *)&s->nodes[mid];
		if (s->nodes[mid].ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct mesh_token *mesh_token_by_id(const struct mesh_state *s,
				    const uint8_t *id)
{
	uint32_t i;

	for (i = 0; i < s->n_tokens; i++)
		if (!memcmp(s->tokens[i].id, id, MESH_TOKEN_ID_LEN))
			return (struct mesh_token *)&s->tokens[i];
	return NULL;
}

bool mesh_tombstoned(const struct mesh_state *s, const uint8_t *key)
{
	uint32_t i;

	for (i = 0; i < s->n_tombs; i++)
		if (!memcmp(s->tombs[i], key, MESH_KEY_LEN))
			return true;
	return false;
}

const struct mesh_result *mesh_dedup_find(const struct mesh_state *s,
					  uint64_t client, uint64_t seq)
{
	uint32_t i;

	for (i = 0; i < s->n_dedup; i++) {
		const struct mesh_dedup *d;

		d = &s->dedup[(s->dedup_head + i) % MESH_DEDUP_MAX];
		if (d->client == client && d->seq == seq)
			return &d->result;
	}
	return NULL;
}

void mesh_dedup_add(struct mesh_state *s, uint64_t client, uint64_t seq,
		    const struct mesh_result *r)
{
	struct mesh_dedup *d;

	if (s->n_dedup == MESH_DEDUP_MAX) {	/* forget the oldest */
		s->dedup_head = (s->dedup_head + 1) % MESH_DEDUP_MAX;
		s->n_dedup--;
	}
	d = &s->dedup[(s->dedup_head + s->n_dedup) % MESH_DEDUP_MAX];
	memset(d, 0, sizeof(*d));
	d->client = client;
	d->seq = seq;
	d->result = *r;
	s->n_dedup++;
}

int mesh_ip_lowest_free(const struct mesh_state *s, uint32_t *ret)
{
	uint32_t hosts = (1u << (32 - s->prefix)) - 1; /* broadcast offset */
	uint32_t cand = s->network + 1, i;

	/* nodes are sorted by ip: walk them alongside the candidates */
	for (i = 0; i < s->n_nodes && cand - s->network < hosts; i++) {
		if (s->nodes[i].ip > cand)
			break;
		if (s->nodes[i].ip == cand)
			cand++;
	}
	if (cand - s->network >= hosts)
		return MESH_E_NO_ADDRESS;
	*ret = cand;
	return 0;
}

int mesh_node_insert(struct mesh_state *s, const struct mesh_node *n)
{
	uint32_t i;

	if (s->n_nodes >= MESH_NODES_MAX)
		return MESH_E_FULL;
	for (i = 0; i < s->n_nodes && s->nodes[i].ip < n->ip; i++)
		;
	if (i < s->n_nodes && s->nodes[i].ip == n->ip)
		return MESH_E_INVALID;
	memmove(&s->nodes[i + 1], &s->nodes[i],
		(s->n_nodes - i) * sizeof(s->nodes[0]));
	s->nodes[i] = *n;
	s->n_nodes++;
	return 0;
}

void mesh_node_delete(struct mesh_state *s, struct mesh_node *n)
{
	uint32_t i = (uint32_t)(n - s->nodes);

	memmove(&s->nodes[i], &s->nodes[i + 1],
		(s->n_nodes - i - 1) * sizeof(s->nodes[0]));
	s->n_nodes--;
	memset(&s->nodes[s->n_nodes], 0, sizeof(s->nodes[0]));
}

void mesh_node_peer(const struct mesh_node *n, struct dp_peer *ret)
{
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->key, n->key, DP_KEY_LEN);
	ret->ip.s_addr = htonl(n->ip);
	ret->keepalive_s = MESH_KEEPALIVE_S;
	if (n->endpoint.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ret->endpoint;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, n->endpoint.addr, 4);
		sin->sin_port = htons(n->endpoint.port);
	} else if (n->endpoint.family == AF_INET6) {
		struct sockaddr_in6 *sin6 =
			(struct sockaddr_in6 *)&ret->endpoint;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, n->endpoint.addr, 16);
		sin6->sin6_port = htons(n->endpoint.port);
	}
}

int mesh_state_peers(const struct mesh_state *s, struct dp_peer *out,
		     size_t *ret_n)
{
	uint32_t i;

	for (i = 0; i < s->n_nodes; i++)
		mesh_node_peer(&s->nodes[i], &out[i]);
	*ret_n = s->n_nodes;
	return 0;
}

static bool node_same_peer(const struct mesh_node *a,
			   const struct mesh_node *b)
{
	return a->ip == b->ip &&
	       a->endpoint.family == b->endpoint.family &&
	       a->endpoint.port == b->endpoint.port &&
	       !memcmp(a->endpoint.addr, b->endpoint.addr,
		       sizeof(a->endpoint.addr));
}

int mesh_state_diff(const struct mesh_state *a, const struct mesh_state *b,
		    struct dp_change *out, size_t *ret_n)
{
	size_t n = 0;
	uint32_t i;

	for (i = 0; i < a->n_nodes; i++) {
		const struct mesh_node *o = &a->nodes[i];
		const struct mesh_node *k = mesh_node_by_key(b, o->key);

		/* a key that moved to another ip is removed, then re-added */
		if (!k || k->ip != o->ip) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].op = DP_REMOVE;
			mesh_node_peer(o, &out[n].peer);
			n++;
		}
	}
	for (i = 0; i < b->n_nodes; i++) {
		const struct mesh_node *nw = &b->nodes[i];
		const struct mesh_node *o = mesh_node_by_key(a, nw->key);

		if (o && node_same_peer(o, nw))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].op = DP_UPSERT;
		mesh_node_peer(nw, &out[n].peer);
		n++;
	}
	*ret_n = n;
	return 0;
}
