// SPDX-License-Identifier: GPL-2.0
/*
 * Durable state for simulated nodes (see simstore.h).
 */
#include <stdlib.h>
#include <string.h>

#include "tests/sim/simstore.h"

struct simstore {
	uint64_t id;
	bool use_store;
	struct raft_hardstate hs;
	struct raft_snapshot snap;
	struct raft_entry *ents;	/* after snap.index */
	size_t n, cap;
};

static void *xmemdup(const void *p, uint64_t len)
{
	void *q = malloc(len + 1);

	if (!q)
		abort();
	if (len)
		memcpy(q, p, len);
	return q;
}

void simstore_new(struct simstore **ret, bool use_store, uint64_t id)
{
	struct simstore *st = calloc(1, sizeof(*st));

	if (!st)
		abort();
	st->id = id;
	st->use_store = use_store;
	*ret = st;
}

static void truncate_from(struct simstore *st, uint64_t index)
{
	while (st->n && st->ents[st->n - 1].index >= index) {
		free(st->ents[st->n - 1].data);
		st->n--;
	}
}

void simstore_free(struct simstore *st)
{
	if (!st)
		return;
	truncate_from(st, 0);
	free(st->ents);
	free(st->snap.conf);
	free(st->snap.data);
	free(st);
}

uint64_t simstore_shadow_term_at(const struct simstore *st, uint64_t index)
{
	if (index == st->snap.index)
		return st->snap.term;
	if (!st->n || index <= st->snap.index ||
	    index > st->ents[st->n - 1].index)
		return 0;
	return st->ents[index - st->ents[0].index].term;
}

const struct raft_hardstate *simstore_shadow_hs(const struct simstore *st)
{
	return &st->hs;
}

uint64_t simstore_shadow_snap_index(const struct simstore *st)
{
	return st->snap.index;
}

uint64_t simstore_snapshot_fsm(const struct simstore *st, uint64_t *hash)
{
	uint64_t index = 0;

	*hash = 0;
	if (!st->snap.index || st->snap.data_len < 16)
		return 0;
	memcpy(&index, st->snap.data, 8);
	memcpy(hash, st->snap.data + 8, 8);
	return index;
}

static void shadow_snapshot(struct simstore *st, const struct raft_snapshot *s)
{
	uint64_t t = simstore_shadow_term_at(st, s->index);
	size_t k = 0;

	if (t == s->term && t) {
		/* Keep the entries after it. */
		while (k < st->n && st->ents[k].index <= s->index)
			free(st->ents[k++].data);
		memmove(st->ents, st->ents + k, (st->n - k) * sizeof(*st->ents));
		st->n -= k;
	} else {
		truncate_from(st, 0);
	}
	free(st->snap.conf);
	free(st->snap.data);
	st->snap = *s;
	st->snap.conf = xmemdup(s->conf, s->conf_len);
	st->snap.data = xmemdup(s->data, s->data_len);
}

static void shadow_append(struct simstore *st, const struct raft_entry *e,
			  size_t n)
{
	if (!n)
		return;
	truncate_from(st, e[0].index);
	if (st->n + n > st->cap) {
		st->cap = (st->n + n) * 2;
		st->ents = realloc(st->ents, st->cap * sizeof(*st->ents));
		if (!st->ents)
			abort();
	}
	for (size_t i = 0; i < n; i++) {
		st->ents[st->n] = e[i];
		st->ents[st->n].data = xmemdup(e[i].data, e[i].len);
		st->n++;
	}
}

int simstore_persist(struct simstore *st, const struct raft_ready *rd)
{
	if (rd->snap)
		shadow_snapshot(st, rd->snap);
	if (rd->hs_changed)
		st->hs = rd->hs;
	shadow_append(st, rd->ents, rd->n_ents);
	return 0;
}

void simstore_crash(struct simstore *st, uint64_t seed)
{
	(void)st;
	(void)seed;
}

int simstore_recover(struct simstore *st, struct raft_init *init, char *err,
		     size_t errlen)
{
	(void)err;
	(void)errlen;
	memset(init, 0, sizeof(*init));
	init->hs = st->hs;
	init->snap = st->snap.index ? &st->snap : NULL;
	init->ents = st->ents;
	init->n_ents = st->n;
	return 0;
}

void simstore_recover_done(struct simstore *st, struct raft_init *init)
{
	(void)st;
	memset(init, 0, sizeof(*init));
}
