// SPDX-License-Identifier: GPL-2.0
/*
 * Planning a batch against the record: refusals first, then the steps in
 * the order that keeps traffic for a mesh address inside the tunnel or
 * dropped (fail closed): peers out, routes in, peers in, routes out. The
 * record, not a dump, is the truth here, so a one-peer batch costs the
 * same on a device of a thousand peers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_plan.h"
#include "keyfile.h"

static const char *const phase_name[DP_PHASES] = {
	[DP_PEER_REMOVE] = "peer removal",
	[DP_ROUTE_ADD] = "route addition",
	[DP_PEER_SET] = "peer set",
	[DP_ROUTE_DEL] = "route removal",
};

static const char *key_str(const uint8_t *key, char out[WG_KEY_B64_LEN + 1])
{
	wg_key_to_base64(key, out);
	return out;
}

ssize_t dp_record_find(const struct dp_record *r, const uint8_t *key)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!memcmp(r->peers[i].key, key, DP_KEY_LEN))
			return (ssize_t)i;
	return -1;
}

static ssize_t find_route(const struct dp_record *r, struct in_addr ip)
{
	size_t i;

	for (i = 0; i < r->n_routes; i++)
		if (r->routes[i].s_addr == ip.s_addr)
			return (ssize_t)i;
	return -1;
}

void dp_record_free(struct dp_record *r)
{
	free(r->peers);
	free(r->routes);
	memset(r, 0, sizeof(*r));
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t cap2 = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return 0;
	while (cap2 < need)
		cap2 *= 2;
	np = realloc(*p, cap2 * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = cap2;
	return 0;
}

static bool same_endpoint(const struct sockaddr_storage *a,
			  const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       !memcmp(&a6->sin6_addr, &b6->sin6_addr, 16);
	return true;
}

const uint8_t *dp_step_key(const struct dp_step *s)
{
	return s->phase == DP_PEER_REMOVE || s->phase == DP_ROUTE_DEL ?
	       s->old.key : s->new.key;
}

void dp_step_describe(const struct dp_step *s, char *out, size_t len)
{
	char key[WG_KEY_B64_LEN + 1], ip[INET_ADDRSTRLEN];
	const struct dp_peer *p = s->phase == DP_PEER_REMOVE ? &s->old : &s->new;

	if (s->phase == DP_ROUTE_ADD || s->phase == DP_ROUTE_DEL) {
		inet_ntop(AF_INET, &s->ip, ip, sizeof(ip));
		snprintf(out, len, "%s of %s/32 (peer %s)",
			 phase_name[s->phase], ip,
			 key_str(dp_step_key(s), key));
		return;
	}
	inet_ntop(AF_INET, &p->ip, ip, sizeof(ip));
	snprintf(out, len, "%s of peer %s (%s)", phase_name[s->phase],
		 key_str(p->key, key), ip);
}

static int add_step(struct dp_plan *p, const struct dp_step *s)
{
	int ret = grow((void **)&p->steps, &p->cap, p->n + 1,
		       sizeof(*p->steps));

	if (ret)
		return ret;
	p->steps[p->n++] = *s;
	return 0;
}

void dp_plan_free(struct dp_plan *p)
{
	free(p->steps);
	memset(p, 0, sizeof(*p));
}

/* An address and the peer it belongs to, sorted by address. */
struct ipkey {
	struct in_addr ip;	/* first: cmp_ip compares in_addrs */
	uint8_t key[DP_KEY_LEN];
	size_t item;		/* want: the change that wants it */
};

static int cmp_ip(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct in_addr *)a)->s_addr);
	uint32_t y = ntohl(((const struct in_addr *)b)->s_addr);

	return x < y ? -1 : x > y;
}

/*
 * Check a batch against the record and turn it into steps, phase by phase.
 * Nothing is touched; a refusal says why in err.
 */
int dp_plan_batch(const struct dp_record *r, const struct dp_change *c,
		  size_t n, struct dp_plan *p, char *err, size_t errlen,
		  size_t *bad)
{
	const struct ipkey *owner;
	char key[WG_KEY_B64_LEN + 1], ip[INET_ADDRSTRLEN];
	struct ipkey *touched = NULL, *want = NULL;
	size_t i, j, n_touched = 0, n_want = 0;
	ssize_t *idx = NULL;
	uint8_t *gone = NULL;	/* record peers removed or updated */
	int ret = -ENOMEM;

	idx = calloc(n + 1, sizeof(*idx));
	gone = calloc(r->n + 1, 1);
	touched = calloc(2 * n + 1, sizeof(*touched));
	want = calloc(n + 1, sizeof(*want));
	*bad = n;
	if (!idx || !gone || !touched || !want)
		goto out;
	ret = -EINVAL;
	for (i = 0; i < n; i++) {
		const struct dp_peer *q = &c[i].peer;

		*bad = i;

		if (c[i].op != DP_UPSERT && c[i].op != DP_REMOVE) {
			snprintf(err, errlen,
				 "refused: item %zu has an unknown operation",
				 i);
			goto out;
		}
		for (j = 0; j < i; j++)
			if (c[j].op == c[i].op &&
			    !memcmp(c[j].peer.key, q->key, DP_KEY_LEN)) {
				snprintf(err, errlen,
					 "refused: peer %s appears twice",
					 key_str(q->key, key));
				goto out;
			}
		idx[i] = dp_record_find(r, q->key);
		if (c[i].op == DP_REMOVE) {
			if (idx[i] < 0) {
				snprintf(err, errlen,
					 "refused: removal of unknown peer %s",
					 key_str(q->key, key));
				ret = -ENOENT;
				goto out;
			}
			gone[idx[i]] = 1;
			continue;
		}
		if (!memcmp(q->key, r->own_key, DP_KEY_LEN)) {
			snprintf(err, errlen,
				 "refused: peer %s has the device's own key",
				 key_str(q->key, key));
			goto out;
		}
		if (!q->ip.s_addr) {
			snprintf(err, errlen,
				 "refused: peer %s has no address",
				 key_str(q->key, key));
			goto out;
		}
		if (idx[i] >= 0)
			gone[idx[i]] = 1;
		want[n_want].ip = q->ip;
		want[n_want].item = i;
		memcpy(want[n_want++].key, q->key, DP_KEY_LEN);
	}
	*bad = n;
	/* An address belongs to one peer after the batch. */
	qsort(want, n_want, sizeof(*want), cmp_ip);
	for (i = 1; i < n_want; i++)
		if (want[i].ip.s_addr == want[i - 1].ip.s_addr)
			break;
	if (n_want && i < n_want) {
		*bad = want[i].item > want[i - 1].item ? want[i].item :
		       want[i - 1].item;
		inet_ntop(AF_INET, &want[i].ip, ip, sizeof(ip));
		snprintf(err, errlen,
			 "refused: %s is given to two peers", ip);
		ret = -EEXIST;
		goto out;
	}
	for (i = 0; i < r->n; i++) {
		if (gone[i] || !r->peers[i].ip.s_addr)
			continue;
		owner = bsearch(&r->peers[i].ip, want, n_want, sizeof(*want),
				cmp_ip);
		if (!owner)
			continue;
		*bad = owner->item;
		inet_ntop(AF_INET, &r->peers[i].ip, ip, sizeof(ip));
		snprintf(err, errlen,
			 "refused: %s belongs to peer %s", ip,
			 key_str(r->peers[i].key, key));
		ret = -EEXIST;
		goto out;
	}

	/* Removals, unless the same batch puts the peer back. */
	for (i = 0; i < n; i++) {
		struct dp_step s = { .phase = DP_PEER_REMOVE };

		if (c[i].op != DP_REMOVE)
			continue;
		for (j = 0; j < n; j++)
			if (c[j].op == DP_UPSERT &&
			    !memcmp(c[j].peer.key, c[i].peer.key, DP_KEY_LEN))
				break;
		touched[n_touched].ip = r->peers[idx[i]].ip;
		memcpy(touched[n_touched++].key, c[i].peer.key, DP_KEY_LEN);
		if (j < n)
			continue;
		s.old = r->peers[idx[i]];
		s.has_old = true;
		ret = add_step(p, &s);
		if (ret)
			goto out;
	}
	/* Routes first: every address wanted and not routed yet. */
	for (i = 0; i < n_want; i++) {
		struct dp_step s = { .phase = DP_ROUTE_ADD, .ip = want[i].ip };

		memcpy(s.new.key, want[i].key, DP_KEY_LEN);
		touched[n_touched++] = want[i];
		if (find_route(r, want[i].ip) >= 0)
			continue;
		ret = add_step(p, &s);
		if (ret)
			goto out;
	}
	for (i = 0; i < n; i++) {
		const struct dp_peer *q = &c[i].peer;
		struct dp_step s = { .phase = DP_PEER_SET, .new = *q };

		if (c[i].op != DP_UPSERT)
			continue;
		s.new_endpoint = q->endpoint.ss_family != 0;
		if (idx[i] >= 0) {
			s.has_old = true;
			s.old = r->peers[idx[i]];
			touched[n_touched].ip = s.old.ip;
			memcpy(touched[n_touched++].key, q->key, DP_KEY_LEN);
			/* An unchanged endpoint keeps what roaming learned. */
			if (!q->endpoint.ss_family ||
			    same_endpoint(&q->endpoint, &s.old.endpoint)) {
				s.new_endpoint = false;
				s.new.endpoint = s.old.endpoint;
			}
			if (!s.new_endpoint && s.old.ip.s_addr == q->ip.s_addr &&
			    s.old.keepalive_s == q->keepalive_s)
				continue;
		}
		ret = add_step(p, &s);
		if (ret)
			goto out;
	}
	/* Routes last: every address touched that nobody wants any more. */
	qsort(touched, n_touched, sizeof(*touched), cmp_ip);
	for (i = 0; i < n_touched; i++) {
		struct dp_step s = { .phase = DP_ROUTE_DEL,
				     .ip = touched[i].ip };

		if ((i && touched[i].ip.s_addr == touched[i - 1].ip.s_addr) ||
		    !touched[i].ip.s_addr ||
		    bsearch(&touched[i], want, n_want, sizeof(*want), cmp_ip) ||
		    find_route(r, touched[i].ip) < 0)
			continue;
		memcpy(s.old.key, touched[i].key, DP_KEY_LEN);
		ret = add_step(p, &s);
		if (ret)
			goto out;
	}
	ret = 0;
	*bad = n;
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(idx);
	free(gone);
	free(touched);
	free(want);
	return ret;
}

int dp_replace_changes(const struct dp_record *r, const struct dp_peer *peers,
		       size_t n, struct dp_change **ret, size_t *ret_n)
{
	struct dp_change *c;
	size_t i, j, k = 0;

	c = calloc(r->n + n + 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (i = 0; i < r->n; i++) {
		for (j = 0; j < n; j++)
			if (!memcmp(peers[j].key, r->peers[i].key, DP_KEY_LEN))
				break;
		if (j < n)
			continue;
		c[k].op = DP_REMOVE;
		c[k++].peer = r->peers[i];
	}
	for (i = 0; i < n; i++) {
		c[k].op = DP_UPSERT;
		c[k++].peer = peers[i];
	}
	*ret = c;
	*ret_n = k;
	return 0;
}

int dp_plan_replace(const struct dp_record *r, const struct dp_peer *peers,
		    size_t n, struct dp_plan *p, char *err, size_t errlen)
{
	struct dp_change *c;
	size_t k, bad;
	int ret;

	ret = dp_replace_changes(r, peers, n, &c, &k);
	if (ret) {
		snprintf(err, errlen, "out of memory");
		return ret;
	}
	ret = dp_plan_batch(r, c, k, p, err, errlen, &bad);
	free(c);
	return ret;
}

int dp_record_reserve(struct dp_record *r, const struct dp_plan *p)
{
	size_t i, peers = 0, routes = 0;
	int ret;

	for (i = 0; i < p->n; i++) {
		peers += p->steps[i].phase == DP_PEER_SET &&
			 !p->steps[i].has_old;
		routes += p->steps[i].phase == DP_ROUTE_ADD;
	}
	ret = grow((void **)&r->peers, &r->cap, r->n + peers,
		   sizeof(*r->peers));
	if (!ret)
		ret = grow((void **)&r->routes, &r->routes_cap,
			   r->n_routes + routes, sizeof(*r->routes));
	return ret;
}

void dp_record_commit(struct dp_record *r, const struct dp_plan *p)
{
	size_t i;
	ssize_t k;

	for (i = 0; i < p->n; i++) {
		const struct dp_step *s = &p->steps[i];

		switch (s->phase) {
		case DP_PEER_REMOVE:
			k = dp_record_find(r, s->old.key);
			if (k >= 0)
				r->peers[k] = r->peers[--r->n];
			break;
		case DP_PEER_SET:
			k = dp_record_find(r, s->new.key);
			if (k < 0)
				k = (ssize_t)r->n++;
			r->peers[k] = s->new;
			break;
		case DP_ROUTE_ADD:
			r->routes[r->n_routes++] = s->ip;
			break;
		default:
			k = find_route(r, s->ip);
			if (k >= 0)
				r->routes[k] = r->routes[--r->n_routes];
			break;
		}
	}
}
