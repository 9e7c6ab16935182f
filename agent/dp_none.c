// SPDX-License-Identifier: GPL-2.0
/*
 * The none dataplane: for control-plane tests with every agent of a mesh
 * on one host. It installs nothing, but keeps exactly the peer set a real
 * device would hold, so tests can compare it with the mesh state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane.h"

struct none {
	struct dp_peer *peers;
	size_t n, cap;
	bool up;
};

static struct dp_peer *find(struct none *s, const uint8_t *key)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!memcmp(s->peers[i].key, key, DP_KEY_LEN))
			return &s->peers[i];
	return NULL;
}

static int none_setup(struct dataplane *dp, const struct dp_device *dev)
{
	struct none *s = dp->priv;

	(void)dev;
	s->up = true;
	return 0;
}

static void remove_peer(struct none *s, struct dp_peer *p)
{
	*p = s->peers[--s->n];
}

static int upsert(struct none *s, const struct dp_peer *peer)
{
	struct dp_peer *p = find(s, peer->key);
	size_t i;

	/* An address belongs to one peer: WireGuard would move it silently. */
	for (i = 0; i < s->n; i++)
		if (s->peers[i].ip.s_addr == peer->ip.s_addr &&
		    &s->peers[i] != p)
			return -EEXIST;
	if (!p) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 16;
			struct dp_peer *np = realloc(s->peers,
						     cap * sizeof(*np));

			if (!np)
				return -ENOMEM;
			s->peers = np;
			s->cap = cap;
		}
		p = &s->peers[s->n++];
		*p = *peer;
		return 0;
	}
	/* An unchanged endpoint keeps what roaming learned. */
	p->ip = peer->ip;
	p->keepalive_s = peer->keepalive_s;
	if (peer->endpoint.ss_family)
		p->endpoint = peer->endpoint;
	return 0;
}

static int none_apply(struct dataplane *dp, const struct dp_change *changes,
		      size_t n, uint64_t index)
{
	struct none *s = dp->priv;
	int ret = 0, err;
	size_t i;

	for (i = 0; i < n; i++) {
		struct dp_peer *p;

		if (changes[i].op != DP_REMOVE)
			continue;
		p = find(s, changes[i].peer.key);
		if (p)
			remove_peer(s, p);
	}
	for (i = 0; i < n; i++) {
		if (changes[i].op != DP_UPSERT)
			continue;
		err = upsert(s, &changes[i].peer);
		if (err == -ENOMEM)
			return err;
		if (err && !ret)
			ret = err;	/* drift: the rest still goes in */
	}
	dp->applied_index = index;
	return ret;
}

static int none_replace(struct dataplane *dp, const struct dp_peer *peers,
			size_t n, uint64_t index)
{
	struct none *s = dp->priv;
	struct dp_change *c;
	size_t i, k = 0;
	int ret;

	c = calloc(s->n + n + 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (!memcmp(peers[j].key, s->peers[i].key, DP_KEY_LEN))
				break;
		if (j == n) {
			c[k].op = DP_REMOVE;
			c[k++].peer = s->peers[i];
		}
	}
	for (i = 0; i < n; i++) {
		c[k].op = DP_UPSERT;
		c[k++].peer = peers[i];
	}
	ret = none_apply(dp, c, k, index);
	free(c);
	return ret;
}

static int none_list(struct dataplane *dp, struct dp_peer_state **ret,
		     size_t *ret_n)
{
	struct none *s = dp->priv;
	struct dp_peer_state *out;
	size_t i;

	out = calloc(s->n + 1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (i = 0; i < s->n; i++)
		out[i].peer = s->peers[i];
	*ret = out;
	*ret_n = s->n;
	return 0;
}

static void none_close(struct dataplane *dp, bool down)
{
	struct none *s = dp->priv;

	(void)down;
	if (!s)
		return;
	free(s->peers);
	free(s);
	dp->priv = NULL;
}

static const struct dp_ops none_ops = {
	.name = "none",
	.setup = none_setup,
	.apply = none_apply,
	.replace = none_replace,
	.list = none_list,
	.close = none_close,
};

int dp_none_open(struct dataplane *dp)
{
	memset(dp, 0, sizeof(*dp));
	dp->priv = calloc(1, sizeof(struct none));
	if (!dp->priv)
		return -ENOMEM;
	dp->ops = &none_ops;
	return 0;
}
