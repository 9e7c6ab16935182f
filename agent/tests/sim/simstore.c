// SPDX-License-Identifier: GPL-2.0
/*
 * Durable state for simulated nodes (see simstore.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/store.h"
#include "tests/sim/disk.h"
#include "tests/sim/simstore.h"

#define KEEP_TRAILING 4

struct simstore {
	uint64_t id;
	bool use_store;
	struct sim_disk *disk;
	struct raft_store *store;
	struct raft_store_state rec;	/* recovered, until recover_done */
	bool fatal;			/* the store's fatal hook fired */
	/* A save that failed: it may have reached the disk, or part of it. */
	bool pend;
	struct raft_hardstate pend_hs;
	uint64_t pend_from;		/* first index it replaced; 0: none */
	struct raft_entry *pend_ents;
	size_t pend_n;
	struct raft_hardstate hs;
	struct raft_snapshot snap;
	struct raft_entry *ents;	/* after snap.index */
	size_t n, cap;
};

static void pend_clear(struct simstore *st);
static void pend_set(struct simstore *st, const struct raft_ready *rd);

static void *xmemdup(const void *p, uint64_t len)
{
	void *q = malloc(len + 1);

	if (!q)
		abort();
	if (len)
		memcpy(q, p, len);
	return q;
}

void simstore_new(struct simstore **ret, bool use_store, uint64_t id,
		  uint64_t (*rnd)(void *), void *rnd_arg)
{
	struct simstore *st = calloc(1, sizeof(*st));

	if (!st)
		abort();
	st->id = id;
	st->use_store = use_store;
	if (use_store) {
		st->disk = sim_disk_new(rnd, rnd_arg);
		if (!st->disk)
			abort();
	}
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
	raft_store_close(st->store);
	raft_store_state_free(&st->rec);
	sim_disk_free(st->disk);
	pend_clear(st);
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
		if (k)
			memmove(st->ents, st->ents + k,
				(st->n - k) * sizeof(*st->ents));
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
	int err;

	/* As the agent (node.c): a commit-only change is not synced. */
	if (!rd->n_ents && !rd->snap && rd->hs.term == st->hs.term &&
	    rd->hs.vote == st->hs.vote)
		return 0;
	if (st->store) {
		if (st->fatal)
			return -EIO;
		pend_set(st, rd);
		if (rd->snap) {
			err = raft_store_snapshot(st->store, rd->snap,
						  KEEP_TRAILING);
			if (err)
				return err;
		}
		if (rd->hs_changed || rd->n_ents) {
			err = raft_store_save(st->store, &rd->hs, rd->ents,
					      rd->n_ents);
			if (err)
				return err;
		}
	}
	pend_clear(st);
	/* The save went through: a death armed for it is off. */
	if (st->disk)
		sim_disk_die_after(st->disk, UINT_MAX);
	if (rd->snap)
		shadow_snapshot(st, rd->snap);
	st->hs = rd->hs;
	shadow_append(st, rd->ents, rd->n_ents);
	return 0;
}

void simstore_crash(struct simstore *st, uint64_t seed)
{
	if (!st->store)
		return;
	raft_store_close(st->store);
	st->store = NULL;
	st->fatal = false;
	sim_disk_crash(st->disk, seed & 1);
}

static void pend_clear(struct simstore *st)
{
	for (size_t i = 0; i < st->pend_n; i++)
		free(st->pend_ents[i].data);
	free(st->pend_ents);
	st->pend_ents = NULL;
	st->pend_n = 0;
	st->pend_from = 0;
	st->pend = false;
}

static void pend_set(struct simstore *st, const struct raft_ready *rd)
{
	pend_clear(st);
	st->pend = true;
	st->pend_hs = rd->hs_changed ? rd->hs : st->hs;
	if (!rd->n_ents)
		return;
	st->pend_from = rd->ents[0].index;
	st->pend_ents = calloc(rd->n_ents, sizeof(*st->pend_ents));
	if (!st->pend_ents)
		abort();
	for (size_t i = 0; i < rd->n_ents; i++) {
		st->pend_ents[i] = rd->ents[i];
		st->pend_ents[i].data = xmemdup(rd->ents[i].data, rd->ents[i].len);
	}
	st->pend_n = rd->n_ents;
}

static bool same_entry(const struct raft_entry *a, const struct raft_entry *b)
{
	return a->index == b->index && a->term == b->term &&
	       a->type == b->type && a->len == b->len &&
	       (!a->len || !memcmp(a->data, b->data, a->len));
}

static void on_fatal(void *arg, const char *what, int err)
{
	struct simstore *st = arg;

	(void)what;
	(void)err;
	st->fatal = true;	/* the node dies; the caller crashes it */
}

uint64_t simstore_torn(const struct simstore *st)
{
	struct sim_disk_stats ds;

	if (!st->disk)
		return 0;
	sim_disk_get_stats(st->disk, &ds);
	return ds.torn;
}

void simstore_die_after(struct simstore *st, unsigned int calls)
{
	if (st->disk)
		sim_disk_die_after(st->disk, calls);
}

/*
 * What the store recovered must hold everything it acknowledged; a save
 * that died may have left more (never acknowledged, so never relied on).
 */
static const struct raft_entry *rec_entry(const struct raft_store_state *r,
					  uint64_t index)
{
	if (!r->n_ents || index < r->ents[0].index ||
	    index > r->ents[r->n_ents - 1].index)
		return NULL;
	return &r->ents[index - r->ents[0].index];
}

static int compare(struct simstore *st, char *err, size_t errlen)
{
	const struct raft_store_state *r = &st->rec;
	bool pend_hs = st->pend && r->hs.term == st->pend_hs.term &&
		       r->hs.vote == st->pend_hs.vote;

	if (!pend_hs && (r->hs.term < st->hs.term ||
			 (r->hs.term == st->hs.term && st->hs.vote &&
			  r->hs.vote != st->hs.vote)))
		goto bad;
	if (r->snap.index < st->snap.index)
		goto bad;
	/* Everything acknowledged below what the failed save replaced. */
	for (size_t i = 0; i < st->n; i++) {
		const struct raft_entry *b = &st->ents[i], *a;

		if (b->index <= r->snap.index)
			continue;
		if (st->pend_from && b->index >= st->pend_from)
			break;
		a = rec_entry(r, b->index);
		if (!a || !same_entry(a, b))
			goto bad;
	}
	/* From there on: the acknowledged tail, or the failed save's. */
	for (size_t i = 0; st->pend_from && i < r->n_ents; i++) {
		const struct raft_entry *a = &r->ents[i];
		uint64_t k = a->index - st->pend_from;

		if (a->index < st->pend_from)
			continue;
		if (k < st->pend_n && same_entry(a, &st->pend_ents[k]))
			continue;
		if (simstore_shadow_term_at(st, a->index) == a->term)
			continue;
		goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen,
		 "recovered term %llu vote %llu snap %llu/%llu, %zu entries; acknowledged term %llu vote %llu snap %llu/%llu, %zu entries",
		 (unsigned long long)r->hs.term, (unsigned long long)r->hs.vote,
		 (unsigned long long)r->snap.index,
		 (unsigned long long)r->snap.term, r->n_ents,
		 (unsigned long long)st->hs.term, (unsigned long long)st->hs.vote,
		 (unsigned long long)st->snap.index,
		 (unsigned long long)st->snap.term, st->n);
	return -EUCLEAN;
}

/* The recovered state is the new baseline of what is durable. */
static void rebase(struct simstore *st)
{
	const struct raft_store_state *r = &st->rec;

	st->hs = r->hs;
	if (r->snap.index)
		shadow_snapshot(st, &r->snap);
	truncate_from(st, 0);
	shadow_append(st, r->ents, r->n_ents);
	pend_clear(st);
}

int simstore_recover(struct simstore *st, struct raft_init *init, char *err,
		     size_t errlen)
{
	int rc;

	memset(init, 0, sizeof(*init));
	if (st->use_store) {
		raft_store_close(st->store);
		st->store = NULL;
		raft_store_state_free(&st->rec);
		rc = raft_store_open(&st->store, &sim_disk_fileops, st->disk,
				     "data", &st->rec, err, errlen);
		if (rc)
			return rc;
		raft_store_set_segment_size(st->store, 4096);
		raft_store_set_fatal(st->store, on_fatal, st);
		rc = compare(st, err, errlen);
		if (rc)
			return rc;
		rebase(st);
		init->hs = st->rec.hs;
		init->snap = st->rec.snap.index ? &st->rec.snap : NULL;
		init->ents = st->rec.ents;
		init->n_ents = st->rec.n_ents;
		return 0;
	}
	init->hs = st->hs;
	init->snap = st->snap.index ? &st->snap : NULL;
	init->ents = st->ents;
	init->n_ents = st->n;
	return 0;
}

void simstore_recover_done(struct simstore *st, struct raft_init *init)
{
	raft_store_state_free(&st->rec);
	memset(&st->rec, 0, sizeof(st->rec));
	memset(init, 0, sizeof(*init));
}
