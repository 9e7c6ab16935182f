// SPDX-License-Identifier: GPL-2.0
/*
 * Membership configurations: their encoding (in conf entries and in
 * snapshots) and the single-server changes applied to them.
 *
 * conf blob:  u8 version, u32 n, n x { u64 id, u8 role }
 * conf entry: u8 op, u64 id, then for BOOTSTRAP a conf blob.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "raft/conf.h"
#include "util/bytes.h"

#define CONF_VERSION 1
#define MEMBER_LEN 9

void raft_conf_free(struct raft_conf *c)
{
	if (!c)
		return;
	free(c->members);
	c->members = NULL;
	c->n = 0;
}

int raft_conf_copy(struct raft_conf *dst, const struct raft_conf *src)
{
	struct raft_member *m = NULL;

	if (src->n) {
		m = malloc(src->n * sizeof(*m));
		if (!m)
			return -ENOMEM;
		memcpy(m, src->members, src->n * sizeof(*m));
	}
	free(dst->members);
	dst->members = m;
	dst->n = src->n;
	return 0;
}

int raft_conf_find(const struct raft_conf *c, uint64_t id)
{
	uint32_t i;

	for (i = 0; i < c->n; i++)
		if (c->members[i].id == id)
			return (int)i;
	return -1;
}

uint32_t raft_conf_voters(const struct raft_conf *c)
{
	uint32_t i, n = 0;

	for (i = 0; i < c->n; i++)
		n += c->members[i].role == RAFT_VOTER;
	return n;
}

int raft_conf_encode(const struct raft_conf *c, uint8_t **ret, uint32_t *len)
{
	uint32_t n = 5 + c->n * MEMBER_LEN, i;
	uint8_t *p;

	if (c->n > RAFT_MAX_MEMBERS)
		return -E2BIG;
	p = malloc(n);
	if (!p)
		return -ENOMEM;
	p[0] = CONF_VERSION;
	put_be32(p + 1, c->n);
	for (i = 0; i < c->n; i++) {
		put_be64(p + 5 + i * MEMBER_LEN, c->members[i].id);
		p[5 + i * MEMBER_LEN + 8] = c->members[i].role;
	}
	*ret = p;
	*len = n;
	return 0;
}

int raft_conf_decode(const uint8_t *p, uint32_t len, struct raft_conf *c)
{
	struct raft_member *m = NULL;
	uint32_t n, i;

	if (len < 5 || p[0] != CONF_VERSION)
		return -EBADMSG;
	n = get_be32(p + 1);
	if (n > RAFT_MAX_MEMBERS || len != 5 + n * MEMBER_LEN)
		return -EBADMSG;
	if (n) {
		m = calloc(n, sizeof(*m));
		if (!m)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		m[i].id = get_be64(p + 5 + i * MEMBER_LEN);
		m[i].role = p[5 + i * MEMBER_LEN + 8];
		if (m[i].id == 0 || (m[i].role != RAFT_VOTER &&
				     m[i].role != RAFT_LEARNER))
			goto bad;
		for (uint32_t j = 0; j < i; j++)
			if (m[j].id == m[i].id)
				goto bad;
	}
	free(c->members);
	c->members = m;
	c->n = n;
	return 0;
bad:
	free(m);
	return -EBADMSG;
}

int raft_conf_change_encode(const struct raft_conf_change *cc, uint8_t **ret,
			    uint32_t *len)
{
	uint8_t *blob = NULL, *p;
	uint32_t blen = 0;
	int err;

	if (cc->op == RAFT_CONF_BOOTSTRAP) {
		err = raft_conf_encode(&cc->conf, &blob, &blen);
		if (err)
			return err;
	}
	p = malloc(9 + blen);
	if (!p) {
		free(blob);
		return -ENOMEM;
	}
	p[0] = (uint8_t)cc->op;
	put_be64(p + 1, cc->id);
	if (blen)
		memcpy(p + 9, blob, blen);
	free(blob);
	*ret = p;
	*len = 9 + blen;
	return 0;
}

int raft_conf_change_decode(const uint8_t *p, uint32_t len,
			    struct raft_conf_change *cc)
{
	memset(cc, 0, sizeof(*cc));
	if (len < 9 || p[0] < RAFT_CONF_BOOTSTRAP || p[0] > RAFT_CONF_REMOVE)
		return -EBADMSG;
	cc->op = p[0];
	cc->id = get_be64(p + 1);
	if (cc->op == RAFT_CONF_BOOTSTRAP)
		return raft_conf_decode(p + 9, len - 9, &cc->conf);
	if (len != 9 || cc->id == 0)
		return -EBADMSG;
	return 0;
}

int raft_conf_check(const struct raft_conf *c, enum raft_conf_op op,
		    uint64_t id)
{
	int i = raft_conf_find(c, id);

	switch (op) {
	case RAFT_CONF_ADD_LEARNER:
		if (i >= 0)
			return -EEXIST;
		return c->n < RAFT_MAX_MEMBERS ? 0 : -E2BIG;
	case RAFT_CONF_PROMOTE:
		if (i < 0)
			return -ENOENT;
		return c->members[i].role == RAFT_LEARNER ? 0 : -EALREADY;
	case RAFT_CONF_DEMOTE:
	case RAFT_CONF_REMOVE:
		if (i < 0)
			return -ENOENT;
		if (op == RAFT_CONF_DEMOTE && c->members[i].role != RAFT_VOTER)
			return -EALREADY;
		/* Never leave the cluster without a voter. */
		if (c->members[i].role == RAFT_VOTER && raft_conf_voters(c) == 1)
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

int raft_conf_apply(struct raft_conf *c, const struct raft_conf_change *cc)
{
	struct raft_member *m;
	int i, err;

	if (cc->op == RAFT_CONF_BOOTSTRAP)
		return raft_conf_copy(c, &cc->conf);
	err = raft_conf_check(c, cc->op, cc->id);
	if (err)
		return err;
	i = raft_conf_find(c, cc->id);
	switch (cc->op) {
	case RAFT_CONF_ADD_LEARNER:
		m = realloc(c->members, (c->n + 1) * sizeof(*m));
		if (!m)
			return -ENOMEM;
		m[c->n].id = cc->id;
		m[c->n].role = RAFT_LEARNER;
		c->members = m;
		c->n++;
		break;
	case RAFT_CONF_PROMOTE:
		c->members[i].role = RAFT_VOTER;
		break;
	case RAFT_CONF_DEMOTE:
		c->members[i].role = RAFT_LEARNER;
		break;
	case RAFT_CONF_REMOVE:
		c->members[i] = c->members[c->n - 1];
		c->n--;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}
