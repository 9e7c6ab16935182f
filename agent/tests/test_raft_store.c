// SPDX-License-Identifier: GPL-2.0
/*
 * Raft's log and snapshot store: what was acknowledged survives reopen,
 * crashes, torn writes and a full disk; a torn tail is dropped; damage to
 * acknowledged data stops start-up with what to do; an fsync error goes
 * to the fatal hook. Most cases run on the simulator's disk model; one
 * runs on the real file system.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "raft/crc32c.h"
#include "raft/store.h"
#include "raft/store_rec.h"
#include "sim/disk.h"

#define MAX_DATA 300

/* splitmix64: the tests' only source of randomness. */
static uint64_t next_rand(void *arg)
{
	uint64_t *s = arg, z;

	*s += 0x9e3779b97f4a7c15ull;
	z = *s;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd(uint64_t *seed, uint64_t n)
{
	return n ? next_rand(seed) % n : 0;
}

/* ---- A model of what the store must hold ---- */

struct xent {
	uint64_t index;
	uint64_t term;
	uint8_t type;
	uint32_t len;
	uint64_t salt;
};

struct model {
	struct raft_hardstate hs;
	uint64_t snap_index;
	uint64_t snap_term;
	struct xent *e;		/* after snap_index */
	size_t n;
};

static void gen_data(uint64_t index, uint64_t term, uint64_t salt,
		     uint8_t *out, uint32_t len)
{
	uint64_t s = index * 1000003 ^ term * 7919 ^ salt;
	uint32_t i;

	for (i = 0; i < len; i++)
		out[i] = (uint8_t)next_rand(&s);
}

static uint64_t model_last(const struct model *m)
{
	return m->snap_index + m->n;
}

static void model_copy(struct model *dst, const struct model *src)
{
	*dst = *src;
	dst->e = malloc((src->n + 1) * sizeof(*dst->e));
	assert_non_null(dst->e);
	if (src->n)
		memcpy(dst->e, src->e, src->n * sizeof(*dst->e));
}

static void model_free(struct model *m)
{
	free(m->e);
	memset(m, 0, sizeof(*m));
}

/* Append (or replace from ents[0].index) in the model. */
static void model_save(struct model *m, const struct raft_hardstate *hs,
		       const struct xent *ents, size_t n)
{
	size_t keep;

	if (hs)
		m->hs = *hs;
	if (!n)
		return;
	keep = ents[0].index - m->snap_index - 1;
	m->e = realloc(m->e, (keep + n + 1) * sizeof(*m->e));
	assert_non_null(m->e);
	memcpy(m->e + keep, ents, n * sizeof(*ents));
	m->n = keep + n;
}

static uint64_t model_term(const struct model *m, uint64_t index)
{
	if (index == m->snap_index)
		return m->snap_term;
	if (index <= m->snap_index || index > model_last(m))
		return 0;
	return m->e[index - m->snap_index - 1].term;
}

static void model_snapshot(struct model *m, uint64_t index, uint64_t term)
{
	size_t drop;

	if (index == m->snap_index)
		return;
	if (model_term(m, index) == term) {
		drop = index - m->snap_index;
		memmove(m->e, m->e + drop, (m->n - drop) * sizeof(*m->e));
		m->n -= drop;
	} else {
		m->n = 0;
	}
	m->snap_index = index;
	m->snap_term = term;
}

static bool state_matches(const struct raft_store_state *st,
			  const struct model *m)
{
	uint8_t buf[MAX_DATA];
	size_t i;

	if (st->hs.term != m->hs.term || st->hs.vote != m->hs.vote ||
	    st->hs.commit != m->hs.commit || st->snap.index != m->snap_index ||
	    st->snap.term != m->snap_term || st->n_ents != m->n)
		return false;
	if (m->snap_index) {
		gen_data(m->snap_index, m->snap_term, 77, buf, 40);
		if (st->snap.data_len != 40 || memcmp(st->snap.data, buf, 40) ||
		    st->snap.conf_len != 3 || memcmp(st->snap.conf, "cfg", 3))
			return false;
	}
	for (i = 0; i < m->n; i++) {
		const struct raft_entry *e = &st->ents[i];
		const struct xent *w = &m->e[i];

		if (e->index != w->index || e->term != w->term ||
		    e->type != w->type || e->len != w->len)
			return false;
		gen_data(w->index, w->term, w->salt, buf, w->len);
		if (w->len && memcmp(e->data, buf, w->len))
			return false;
	}
	return true;
}

/* ---- Driving the store from model entries ---- */

static int save(struct raft_store *s, const struct raft_hardstate *hs,
		const struct xent *ents, size_t n)
{
	struct raft_entry e[16];
	uint8_t data[16][MAX_DATA];
	size_t i;

	assert_true(n <= 16);
	for (i = 0; i < n; i++) {
		e[i].index = ents[i].index;
		e[i].term = ents[i].term;
		e[i].type = ents[i].type;
		e[i].len = ents[i].len;
		e[i].data = data[i];
		gen_data(ents[i].index, ents[i].term, ents[i].salt, data[i],
			 ents[i].len);
	}
	return raft_store_save(s, hs, e, n);
}

static int snapshot(struct raft_store *s, uint64_t index, uint64_t term,
		    uint64_t keep)
{
	uint8_t data[40], conf[3] = { 'c', 'f', 'g' };
	struct raft_snapshot snap = {
		.index = index, .term = term, .conf_len = 3, .conf = conf,
		.data_len = sizeof(data), .data = data,
	};

	gen_data(index, term, 77, data, sizeof(data));
	return raft_store_snapshot(s, &snap, keep);
}

static struct xent xent(uint64_t index, uint64_t term, uint32_t len,
			uint64_t salt)
{
	return (struct xent){ index, term,
		salt % 5 ? RAFT_ENTRY_NORMAL : RAFT_ENTRY_CONF, len, salt };
}

/* ---- Fixture: one disk, one store ---- */

struct fix {
	uint64_t seed;
	struct sim_disk *d;
	const struct raft_fileops *fo;
	void *ctx;
	struct raft_store *s;
	struct raft_store_state st;
	uint64_t seg_size;
	int fatal_calls;
	int fatal_err;
	char err[512];
};

static void on_fatal(void *arg, const char *what, int err)
{
	struct fix *f = arg;

	(void)what;
	f->fatal_calls++;
	f->fatal_err = err;
}

static int fix_open(struct fix *f)
{
	int ret;

	raft_store_state_free(&f->st);
	ret = raft_store_open(&f->s, f->fo, f->ctx, "/raft", &f->st, f->err,
			      sizeof(f->err));
	if (ret < 0)
		return ret;
	raft_store_set_fatal(f->s, on_fatal, f);
	assert_int_equal(raft_store_set_segment_size(f->s, f->seg_size), 0);
	return 0;
}

static void fix_close(struct fix *f)
{
	raft_store_close(f->s);
	f->s = NULL;
}

static void fix_reopen(struct fix *f)
{
	fix_close(f);
	assert_int_equal(fix_open(f), 0);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	f->seed = 42;
	f->d = sim_disk_new(next_rand, &f->seed);
	f->fo = &sim_disk_fileops;
	f->ctx = f->d;
	f->seg_size = 1024;
	assert_int_equal(fix_open(f), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	fix_close(f);
	raft_store_state_free(&f->st);
	sim_disk_free(f->d);
	free(f);
	return 0;
}

/* The names of the segment files, oldest first (names[i] 64 bytes). */
static size_t list_prefix(struct fix *f, const char *prefix,
			  char names[][SIM_DISK_NAME_MAX], size_t max);

struct list_arg {
	const char *prefix;
	char (*names)[SIM_DISK_NAME_MAX];
	size_t n, max;
};

static int list_cb(void *arg, const char *name)
{
	struct list_arg *a = arg;

	if (!strncmp(name, a->prefix, strlen(a->prefix)) && a->n < a->max)
		strcpy(a->names[a->n++], name);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static size_t list_prefix(struct fix *f, const char *prefix,
			  char names[][SIM_DISK_NAME_MAX], size_t max)
{
	struct list_arg a = { prefix, names, 0, max };
	int dir = f->fo->opendir(f->ctx, "/raft");

	assert_true(dir >= 0);
	assert_int_equal(f->fo->list(f->ctx, dir, list_cb, &a), 0);
	f->fo->closedir(f->ctx, dir);
	qsort(names, a.n, SIM_DISK_NAME_MAX, cmp_name);
	return a.n;
}

/* ---- Tests ---- */

/* RFC 3720 B.4 and the common check value. */
static void test_crc32c_standard_vectors(void **state)
{
	uint8_t buf[48];
	int i;

	(void)state;
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283);
	memset(buf, 0, 32);
	assert_int_equal(crc32c(0, buf, 32), 0x8a9136aa);
	memset(buf, 0xff, 32);
	assert_int_equal(crc32c(0, buf, 32), 0x62a8ab43);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(crc32c(0, buf, 32), 0x46dd794e);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	assert_int_equal(crc32c(0, buf, 32), 0x113fdb5c);
	/* Chaining: the CRC of a then b is the CRC of ab. */
	assert_int_equal(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xe3069283);
	assert_int_equal(crc32c(0, NULL, 0), 0);
}

static void test_fresh_store_is_empty(void **state)
{
	struct raft_hardstate hs = { .term = 2, .vote = 1, .commit = 10 };
	struct fix *f = *state;
	char names[4][SIM_DISK_NAME_MAX];
	struct model m = { 0 };

	assert_int_equal(f->st.hs.term, 0);
	assert_int_equal(f->st.snap.index, 0);
	assert_int_equal(f->st.n_ents, 0);
	assert_int_equal(raft_store_last_index(f->s), 0);
	/* The first save creates the first segment. */
	assert_int_equal(list_prefix(f, "seg-", names, 4), 0);
	fix_reopen(f);
	assert_int_equal(f->st.n_ents, 0);
	assert_int_equal(list_prefix(f, "seg-", names, 4), 0);
	/* A new member's first durable act may be a leader's snapshot. */
	assert_int_equal(snapshot(f->s, 10, 2, 0), 0);
	model_snapshot(&m, 10, 2);
	assert_int_equal(save(f->s, &hs, NULL, 0), 0);
	model_save(&m, &hs, NULL, 0);
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	assert_int_equal(raft_store_last_index(f->s), 10);
	model_free(&m);
}

static void test_save_then_reopen_round_trips(void **state)
{
	struct raft_hardstate hs = { .term = 3, .vote = 2, .commit = 1 };
	struct xent e[5] = {
		xent(1, 1, 0, 1), xent(2, 1, 17, 2), xent(3, 2, MAX_DATA, 3),
		xent(4, 3, 1, 4), xent(5, 3, 64, 5),
	};
	struct model m = { 0 };
	struct fix *f = *state;

	assert_int_equal(save(f->s, &hs, e, 2), 0);
	model_save(&m, &hs, e, 2);
	assert_int_equal(save(f->s, NULL, e + 2, 3), 0);
	model_save(&m, NULL, e + 2, 3);
	hs.commit = 4;
	assert_int_equal(save(f->s, &hs, NULL, 0), 0);
	model_save(&m, &hs, NULL, 0);
	assert_int_equal(raft_store_last_index(f->s), 5);
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	assert_int_equal(f->st.ents[4].type, RAFT_ENTRY_CONF);
	/* Appending after a reopen continues the same log. */
	e[0] = xent(6, 4, 9, 6);
	assert_int_equal(save(f->s, NULL, e, 1), 0);
	model_save(&m, NULL, e, 1);
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	model_free(&m);
}

static void test_conflicting_tail_is_replaced(void **state)
{
	struct model m = { 0 };
	struct fix *f = *state;
	struct xent e[10];
	int i;

	for (i = 0; i < 10; i++)
		e[i] = xent(i + 1, 1, 20, i);
	assert_int_equal(save(f->s, NULL, e, 10), 0);
	model_save(&m, NULL, e, 10);
	/* A new leader's entries from 6 on: 9 and 10 must go. */
	for (i = 0; i < 3; i++)
		e[i] = xent(i + 6, 2, 30, 100 + i);
	assert_int_equal(save(f->s, NULL, e, 3), 0);
	model_save(&m, NULL, e, 3);
	assert_int_equal(raft_store_last_index(f->s), 8);
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	assert_int_equal(f->st.n_ents, 8);
	assert_int_equal(f->st.ents[5].term, 2);
	/* Replacing the whole log from index 1 works too. */
	e[0] = xent(1, 3, 5, 200);
	assert_int_equal(save(f->s, NULL, e, 1), 0);
	model_save(&m, NULL, e, 1);
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	assert_int_equal(f->st.n_ents, 1);
	model_free(&m);
}

static void test_bad_saves_are_refused(void **state)
{
	struct fix *f = *state;
	struct raft_entry big = { .index = 1, .term = 1,
				  .type = RAFT_ENTRY_NORMAL,
				  .len = RAFT_MAX_ENTRY + 1 };
	struct xent e[2] = { xent(1, 1, 3, 1), xent(3, 1, 3, 2) };

	assert_int_equal(save(f->s, NULL, e + 1, 1), -EINVAL);	/* gap */
	assert_int_equal(save(f->s, NULL, e, 2), -EINVAL);	/* not contiguous */
	big.data = calloc(1, big.len);
	assert_int_equal(raft_store_save(f->s, NULL, &big, 1), -E2BIG);
	free(big.data);
	big.len = 4;
	big.data = NULL;
	assert_int_equal(raft_store_save(f->s, NULL, &big, 1), -EINVAL);
	assert_int_equal(save(f->s, NULL, e, 1), 0);
	assert_int_equal(snapshot(f->s, 1, 1, 0), 0);
	assert_int_equal(save(f->s, NULL, e, 1), -EINVAL);	/* <= snapshot */
	assert_int_equal(snapshot(f->s, 1, 2, 0), -EINVAL);	/* other term */
	fix_reopen(f);
	assert_int_equal(f->st.snap.index, 1);
	assert_int_equal(f->st.n_ents, 0);
}

static void test_segments_roll_and_replay_in_order(void **state)
{
	char names[64][SIM_DISK_NAME_MAX];
	struct model m = { 0 };
	struct fix *f = *state;
	struct raft_hardstate hs = { 0 };
	struct xent e;
	int i;

	for (i = 1; i <= 60; i++) {
		e = xent(i, 1 + i / 20, 100, i);
		hs.commit = i - 1;
		assert_int_equal(save(f->s, &hs, &e, 1), 0);
		model_save(&m, &hs, &e, 1);
	}
	/* 60 records of ~140 bytes in 1 KiB segments. */
	assert_true(list_prefix(f, "seg-", names, 64) >= 8);
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	/* An entry larger than a whole segment gets a segment of its own. */
	f->seg_size = 512;
	fix_reopen(f);
	e = xent(61, 5, MAX_DATA, 61);
	assert_int_equal(save(f->s, NULL, &e, 1), 0);
	model_save(&m, NULL, &e, 1);
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	model_free(&m);
}

static void test_snapshot_compacts_and_survives_reopen(void **state)
{
	char names[64][SIM_DISK_NAME_MAX], snaps[4][SIM_DISK_NAME_MAX];
	struct model m = { 0 };
	struct fix *f = *state;
	size_t before, after;
	struct xent e;
	int i;

	for (i = 1; i <= 100; i++) {
		e = xent(i, 1, 100, i);
		assert_int_equal(save(f->s, NULL, &e, 1), 0);
		model_save(&m, NULL, &e, 1);
	}
	before = list_prefix(f, "seg-", names, 64);
	assert_int_equal(snapshot(f->s, 80, 1, 10), 0);
	model_snapshot(&m, 80, 1);
	after = list_prefix(f, "seg-", names, 64);
	assert_true(after < before);
	assert_int_equal(list_prefix(f, "snap-", snaps, 4), 1);
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	assert_int_equal(f->st.ents[0].index, 81);
	/* A second snapshot replaces the first once it is durable. */
	assert_int_equal(snapshot(f->s, 95, 1, 0), 0);
	model_snapshot(&m, 95, 1);
	assert_int_equal(list_prefix(f, "snap-", snaps, 4), 1);
	assert_non_null(strstr(snaps[0], "000000000000005f.snap"));
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	/* Only the segments holding 95..100 and the marker are left. */
	assert_true(list_prefix(f, "seg-", names, 64) <= 3);
	/* Same snapshot again: nothing changes. */
	assert_int_equal(snapshot(f->s, 95, 1, 0), 0);
	assert_int_equal(snapshot(f->s, 90, 1, 0), -EINVAL);
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	model_free(&m);
}

static void test_installed_snapshot_ahead_resets_the_log(void **state)
{
	struct model m = { 0 };
	struct fix *f = *state;
	struct xent e[5];
	int i;

	for (i = 0; i < 5; i++)
		e[i] = xent(i + 1, 1, 10, i);
	assert_int_equal(save(f->s, NULL, e, 5), 0);
	model_save(&m, NULL, e, 5);
	/* From a leader, far ahead of this log. */
	assert_int_equal(snapshot(f->s, 50, 3, 0), 0);
	model_snapshot(&m, 50, 3);
	assert_int_equal(raft_store_last_index(f->s), 50);
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	assert_int_equal(f->st.n_ents, 0);
	for (i = 0; i < 5; i++)
		e[i] = xent(i + 51, 3, 10, i);
	assert_int_equal(save(f->s, NULL, e, 5), 0);
	model_save(&m, NULL, e, 5);
	/* Inside the log but with another term at its index: reset too. */
	assert_int_equal(snapshot(f->s, 53, 4, 0), 0);
	model_snapshot(&m, 53, 4);
	assert_int_equal(raft_store_last_index(f->s), 53);
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	assert_int_equal(f->st.n_ents, 0);
	/* Inside the log with a matching term: the later entries stay. */
	for (i = 0; i < 5; i++)
		e[i] = xent(i + 54, 4, 10, i);
	assert_int_equal(save(f->s, NULL, e, 5), 0);
	model_save(&m, NULL, e, 5);
	assert_int_equal(snapshot(f->s, 55, 4, 0), 0);
	model_snapshot(&m, 55, 4);
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	assert_int_equal(f->st.n_ents, 3);
	model_free(&m);
}

/* ---- The disk model itself ---- */

static void test_disk_model_loses_what_was_not_synced(void **state)
{
	const struct raft_fileops *fo = &sim_disk_fileops;
	uint64_t seed = 7, len, size;
	struct sim_disk *d = sim_disk_new(next_rand, &seed);
	uint8_t *buf, blk[2048];
	int dir, fd, i, torn = 0, whole = 0, lost = 0;

	(void)state;
	dir = fo->opendir(d, "/x");
	fd = fo->open(d, dir, "a", RAFT_FO_RDWR | RAFT_FO_CREATE);
	assert_true(fd >= 0);
	assert_int_equal(fo->open(d, dir, "a", RAFT_FO_CREATE), -EEXIST);
	assert_int_equal(fo->pwrite(d, fd, "synced", 6, 0), 0);
	assert_int_equal(fo->fdatasync(d, fd), 0);
	assert_int_equal(fo->pwrite(d, fd, "lost", 4, 6), 0);
	/* Data synced, directory not: without tearing the create is lost. */
	sim_disk_crash(d, false);
	assert_false(sim_disk_exists(d, "a"));
	assert_int_equal(fo->close(d, fd), -EBADF);

	fd = fo->open(d, dir, "a", RAFT_FO_RDWR | RAFT_FO_CREATE);
	assert_int_equal(fo->pwrite(d, fd, "synced", 6, 0), 0);
	assert_int_equal(fo->fdatasync(d, fd), 0);
	assert_int_equal(fo->syncdir(d, dir), 0);
	assert_int_equal(fo->pwrite(d, fd, "lost", 4, 6), 0);
	assert_int_equal(fo->fallocate(d, fd, 0, 4096), 0);
	assert_int_equal(fo->rename(d, dir, "a", "b"), 0);
	sim_disk_crash(d, false);
	assert_int_equal(sim_disk_get(d, "a", &buf, &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "synced", 6);
	free(buf);
	assert_false(sim_disk_exists(d, "b"));

	/* Renames become durable with the directory sync. */
	assert_int_equal(fo->rename(d, dir, "a", "b"), 0);
	assert_int_equal(fo->syncdir(d, dir), 0);
	sim_disk_crash(d, true);
	assert_true(sim_disk_exists(d, "b"));
	assert_false(sim_disk_exists(d, "a"));

	/* A torn write: sectors in order, never bytes outside the write. */
	for (i = 0; i < 200; i++) {
		fd = fo->open(d, dir, "b", RAFT_FO_RDWR);
		memset(blk, 0xab, sizeof(blk));
		assert_int_equal(fo->pwrite(d, fd, blk, sizeof(blk), 100), 0);
		sim_disk_crash(d, true);
		assert_int_equal(sim_disk_get(d, "b", &buf, &len), 0);
		assert_memory_equal(buf, "synced", 6);
		if (len == 6) {
			lost++;
		} else if (len == 100 + sizeof(blk) &&
			   !memcmp(buf + 100, blk, sizeof(blk))) {
			whole++;
		} else {
			torn++;
			assert_true(len > 100 && len <= 100 + sizeof(blk));
			/* New data in every sector before the torn (last) one. */
			size = (len - 1) & ~(uint64_t)(SIM_DISK_SECTOR - 1);
			if (size > 100)
				assert_memory_equal(buf + 100, blk, size - 100);
		}
		free(buf);
		assert_int_equal(sim_disk_put(d, "b", (const uint8_t *)"synced", 6), 0);
	}
	assert_true(lost > 20 && whole > 20 && torn > 20);

	/* ENOSPC beyond the budget, nothing written. */
	sim_disk_set_space(d, sim_disk_used(d) + 10);
	fd = fo->open(d, dir, "b", RAFT_FO_RDWR);
	assert_int_equal(fo->pwrite(d, fd, blk, 11, 6), -ENOSPC);
	assert_int_equal(fo->fallocate(d, fd, 0, 17), -ENOSPC);
	assert_int_equal(fo->pwrite(d, fd, blk, 10, 6), 0);
	assert_int_equal(fo->size(d, fd, &size), 0);
	assert_int_equal(size, 16);

	/* EIO from a sync: its data is lost, not retried into the image. */
	sim_disk_fail_sync(d, 0);
	assert_int_equal(fo->fdatasync(d, fd), -EIO);
	assert_int_equal(fo->fdatasync(d, fd), 0);
	sim_disk_crash(d, true);
	assert_int_equal(sim_disk_get(d, "b", &buf, &len), 0);
	/* The later sync persisted the size only: zeros, as on ext4. */
	assert_int_equal(len, 16);
	assert_memory_equal(buf, "synced\0\0\0\0\0\0\0\0\0\0", 16);
	free(buf);
	fo->closedir(d, dir);
	sim_disk_free(d);
}

/* ---- Torn tails and corruption, byte by byte ---- */

/* End of the records that parse from the start of a segment image. */
static uint64_t records_end(const uint8_t *buf, uint64_t len,
			    uint64_t *last_start)
{
	uint64_t off = 0;
	struct srec r;

	while (off < len && !srec_get(buf + off, len - off, &r)) {
		if (last_start)
			*last_start = off;
		off += r.size;
	}
	return off;
}

static void one_segment(struct fix *f, char *name)
{
	char names[4][SIM_DISK_NAME_MAX];

	assert_int_equal(list_prefix(f, "seg-", names, 4), 1);
	strcpy(name, names[0]);
}

static void save_batches(struct fix *f, struct model *m, int from, int n)
{
	struct raft_hardstate hs = { .term = 1, .vote = 1 };
	struct xent e[3];
	int i, k;

	for (i = from; i < from + n; i++) {
		for (k = 0; k < 3; k++)
			e[k] = xent(3 * i + k + 1, 1, (uint32_t)(i * 7 + k) % 50,
				    (uint64_t)i * 3 + k);
		hs.commit = 3 * i;
		assert_int_equal(save(f->s, &hs, e, 3), 0);
		model_save(m, &hs, e, 3);
	}
}

static void test_torn_last_batch_is_dropped_at_every_offset(void **state)
{
	struct model a = { 0 }, ab = { 0 }, ac = { 0 }, abc = { 0 };
	const struct model *want;
	uint64_t len, a_end, b_end, k, i, hi;
	struct fix *f = *state;
	char seg[SIM_DISK_NAME_MAX];
	uint8_t *img, *cut;
	struct xent c;
	int variant;

	f->seg_size = 64 << 10;
	fix_reopen(f);
	save_batches(f, &a, 0, 3);
	one_segment(f, seg);
	assert_int_equal(sim_disk_get(f->d, seg, &img, &len), 0);
	a_end = records_end(img, len, NULL);
	free(img);
	model_copy(&ab, &a);
	save_batches(f, &ab, 3, 1);
	assert_int_equal(sim_disk_get(f->d, seg, &img, &len), 0);
	b_end = records_end(img, len, NULL);
	assert_true(b_end > a_end + 3 * SREC_HDR);
	fix_close(f);
	cut = malloc(len);
	model_copy(&ac, &a);
	c = xent(a.n + 1, 2, 33, 999);
	model_save(&ac, NULL, &c, 1);
	model_copy(&abc, &ab);
	model_save(&abc, NULL, &c, 1);

	for (k = a_end; k <= b_end; k++) {
		for (variant = 0; variant < 2; variant++) {
			/* The write stopped at k: zeros, or garbage to the sector end. */
			memcpy(cut, img, len);
			memset(cut + k, 0, b_end - k);
			hi = (k / SIM_DISK_SECTOR + 1) * SIM_DISK_SECTOR;
			for (i = k; variant && i < hi && i < b_end; i++)
				cut[i] = (uint8_t)next_rand(&f->seed);
			assert_int_equal(sim_disk_put(f->d, seg, cut, len), 0);
			if (fix_open(f) < 0)
				fail_msg("cut at %llu (variant %d): %s",
					 (unsigned long long)k, variant, f->err);
			/* Past the first COMMIT copy the batch is complete. */
			want = k >= b_end - 40 ? &ab : &a;
			if (!state_matches(&f->st, want))
				fail_msg("cut at %llu (variant %d): wrong state",
					 (unsigned long long)k, variant);
			/* The repaired store goes on where the log ended. */
			assert_int_equal(save(f->s, NULL, &c, 1), 0);
			fix_reopen(f);
			want = k >= b_end - 40 ? &abc : &ac;
			if (!state_matches(&f->st, want))
				fail_msg("cut at %llu: append after repair lost",
					 (unsigned long long)k);
			fix_close(f);
		}
	}
	free(cut);
	free(img);
	model_free(&a);
	model_free(&ab);
	model_free(&ac);
	model_free(&abc);
	assert_int_equal(fix_open(f), 0);
}

static void expect_refusal(struct fix *f, uint64_t off)
{
	int ret = fix_open(f);

	if (ret == 0) {
		fix_close(f);
		fail_msg("corrupt byte %llu accepted", (unsigned long long)off);
	}
	if (ret != -EUCLEAN)
		fail_msg("corrupt byte %llu: %d (%s)", (unsigned long long)off,
			 ret, f->err);
	if (!strstr(f->err, "corrupt") || !strstr(f->err, "remove /raft") ||
	    !strstr(f->err, "fresh member"))
		fail_msg("unhelpful message: %s", f->err);
}

/* The kind of the record holding byte k of a segment image. */
static uint8_t kind_at(const uint8_t *img, uint64_t len, uint64_t k)
{
	uint64_t off = 0;
	struct srec r;

	while (off < len && !srec_get(img + off, len - off, &r)) {
		if (k < off + r.size)
			return r.kind;
		off += r.size;
	}
	return 0;
}

/*
 * Every byte of a record the log acknowledged, flipped: refused, except in
 * a COMMIT, which is written twice; the other copy keeps the batch whole.
 */
static void flip_every_byte(struct fix *f, const char *seg,
			    const struct model *m)
{
	uint64_t len, end, k;
	uint8_t *img, *bad;

	assert_int_equal(sim_disk_get(f->d, seg, &img, &len), 0);
	end = records_end(img, len, NULL);
	bad = malloc(len);
	for (k = 0; k < end; k++) {
		memcpy(bad, img, len);
		bad[k] ^= (uint8_t)(1u << (k % 8));
		assert_int_equal(sim_disk_put(f->d, seg, bad, len), 0);
		if (kind_at(img, len, k) != SREC_COMMIT) {
			expect_refusal(f, k);
			continue;
		}
		if (fix_open(f) < 0)
			fail_msg("flip in a COMMIT copy at %llu: %s",
				 (unsigned long long)k, f->err);
		assert_true(state_matches(&f->st, m));
		fix_close(f);
	}
	/* Intact again: it opens. */
	assert_int_equal(sim_disk_put(f->d, seg, img, len), 0);
	assert_int_equal(fix_open(f), 0);
	assert_true(state_matches(&f->st, m));
	free(bad);
	free(img);
}

static void test_corrupt_acknowledged_byte_refuses_start(void **state)
{
	char seg[SIM_DISK_NAME_MAX];
	struct model m = { 0 };
	struct fix *f = *state;

	f->seg_size = 64 << 10;
	fix_reopen(f);
	save_batches(f, &m, 0, 3);
	one_segment(f, seg);
	fix_close(f);
	flip_every_byte(f, seg, &m);
	model_free(&m);
}

static void test_flipped_last_commit_copy_is_restored(void **state)
{
	uint64_t len, end, last = 0;
	char seg[SIM_DISK_NAME_MAX];
	struct model m = { 0 };
	struct fix *f = *state;
	uint8_t *img, *img2;

	save_batches(f, &m, 0, 2);
	one_segment(f, seg);
	fix_close(f);
	assert_int_equal(sim_disk_get(f->d, seg, &img, &len), 0);
	end = records_end(img, len, &last);
	/* Damage the first copy of the last COMMIT, then only the second. */
	img[last - 40 + 3] ^= 0x10;
	assert_int_equal(sim_disk_put(f->d, seg, img, len), 0);
	assert_int_equal(fix_open(f), 0);
	assert_true(state_matches(&f->st, &m));
	fix_close(f);
	img[last - 40 + 3] ^= 0x10;
	img[end - 5] ^= 0x10;
	assert_int_equal(sim_disk_put(f->d, seg, img, len), 0);
	assert_int_equal(fix_open(f), 0);
	assert_true(state_matches(&f->st, &m));
	fix_close(f);
	/* Restored: the file is as written. */
	img[end - 5] ^= 0x10;
	assert_int_equal(sim_disk_get(f->d, seg, &img2, &len), 0);
	assert_memory_equal(img, img2, len);
	free(img);
	free(img2);
	model_free(&m);
}

static void test_corrupt_sealed_segment_refuses_start(void **state)
{
	char names[8][SIM_DISK_NAME_MAX];
	struct model m = { 0 };
	struct fix *f = *state;

	f->seg_size = 1024;
	fix_reopen(f);
	save_batches(f, &m, 0, 12);
	assert_true(list_prefix(f, "seg-", names, 8) >= 3);
	fix_close(f);
	flip_every_byte(f, names[0], &m);
	model_free(&m);
}

static void test_corrupt_or_missing_snapshot_refuses_start(void **state)
{
	char snaps[2][SIM_DISK_NAME_MAX];
	struct model m = { 0 };
	struct fix *f = *state;
	uint64_t len, k;
	uint8_t *img;

	save_batches(f, &m, 0, 4);
	assert_int_equal(snapshot(f->s, 10, 1, 0), 0);
	assert_int_equal(list_prefix(f, "snap-", snaps, 2), 1);
	fix_close(f);
	assert_int_equal(sim_disk_get(f->d, snaps[0], &img, &len), 0);
	for (k = 0; k < len; k += 3) {
		img[k] ^= 4;
		assert_int_equal(sim_disk_put(f->d, snaps[0], img, len), 0);
		expect_refusal(f, k);
		img[k] ^= 4;
	}
	/* Truncated. */
	assert_int_equal(sim_disk_put(f->d, snaps[0], img, len - 1), 0);
	expect_refusal(f, len);
	free(img);
	model_free(&m);
}

static void test_newer_format_is_refused_as_such(void **state)
{
	struct fix *f = *state;
	struct model m = { 0 };
	char seg[SIM_DISK_NAME_MAX];
	uint64_t len, off;
	struct srec r;
	uint32_t crc;
	uint8_t *img;

	save_batches(f, &m, 0, 1);
	one_segment(f, seg);
	fix_close(f);
	assert_int_equal(sim_disk_get(f->d, seg, &img, &len), 0);
	/* Rewrite the header batch as format 2, CRCs and all. */
	srec_le32(img + SREC_HDR, SREC_VERSION + 1);
	off = srec_size(SREC_SEGMENT_LEN);
	srec_le32(img + off - 4, crc32c(0, img, off - 4));
	for (off = 0, crc = 0;; off += r.size) {
		assert_int_equal(srec_get(img + off, len - off, &r), 0);
		if (r.kind == SREC_COMMIT)
			break;
		crc = crc32c(crc, img + off + r.size - 4, 4);
	}
	srec_le32(img + off + SREC_HDR, crc);
	srec_le32(img + off + r.size - 4, crc32c(0, img + off, r.size - 4));
	assert_int_equal(sim_disk_put(f->d, seg, img, len), 0);
	assert_int_equal(fix_open(f), -EPROTONOSUPPORT);
	assert_non_null(strstr(f->err, "format 2"));
	free(img);
	model_free(&m);
}

/* ---- Crashes at random points ---- */

/* One random operation: its effect on a copy of the model, and ret. */
static int random_op(struct fix *f, uint64_t *seed, const struct model *m,
		     struct model *after)
{
	uint64_t last = model_last(m), idx, term, r = rnd(seed, 100);
	struct raft_hardstate hs = m->hs;
	struct xent e[6];
	bool with_hs;
	size_t n, i;

	model_copy(after, m);
	term = m->hs.term ? m->hs.term : 1;
	if (r < 10) {
		hs.term++;
		hs.vote = rnd(seed, 5);
		model_save(after, &hs, NULL, 0);
		return save(f->s, &hs, NULL, 0);
	}
	if (r < 80 || last == m->snap_index) {
		/* Append, or (a quarter of the time) replace a tail. */
		idx = last + 1;
		if (rnd(seed, 4) == 0 && last > m->snap_index)
			idx = m->snap_index + 1 + rnd(seed, last - m->snap_index);
		n = 1 + rnd(seed, 6);
		for (i = 0; i < n; i++)
			e[i] = xent(idx + i, term, (uint32_t)rnd(seed, MAX_DATA + 1),
				    next_rand(seed));
		hs.commit = idx - 1;
		with_hs = rnd(seed, 2);
		model_save(after, with_hs ? &hs : NULL, e, n);
		return save(f->s, with_hs ? &hs : NULL, e, n);
	}
	if (r < 93) {
		/* A local snapshot somewhere in the log. */
		idx = m->snap_index + 1 + rnd(seed, last - m->snap_index);
		term = model_term(m, idx);
		model_snapshot(after, idx, term);
		return snapshot(f->s, idx, term, rnd(seed, 20));
	}
	/* Installed from a leader, ahead of the log, in a newer term. */
	idx = last + 1 + rnd(seed, 20);
	hs.term++;
	model_snapshot(after, idx, hs.term);
	return snapshot(f->s, idx, hs.term, 0);
}

struct crash_stats {
	unsigned long steps, crashes, mid_op, took_after, fatal, enospc;
	unsigned long open_failed;
	struct sim_disk_stats disk;
};

static void crash_seed(uint64_t seed0, unsigned int steps,
		       struct crash_stats *cs)
{
	struct sim_disk_stats ds;
	struct model m = { 0 }, after;
	uint64_t seed = seed0, dseed = seed0 ^ 0xd15c;
	struct fix f = { 0 };
	unsigned int i, crashes = 0;
	bool full;
	int ret;

	f.d = sim_disk_new(next_rand, &dseed);
	f.fo = &sim_disk_fileops;
	f.ctx = f.d;
	f.seg_size = 512 + rnd(&seed, 4096);
	assert_int_equal(fix_open(&f), 0);
	for (i = 0; i < steps; i++) {
		/* Faults: power going, a failing fsync, a nearly full disk. */
		if (!rnd(&seed, 8))
			sim_disk_die_after(f.d, (unsigned int)rnd(&seed, 40));
		if (!rnd(&seed, 40))
			sim_disk_fail_sync(f.d, (unsigned int)rnd(&seed, 4));
		if (!rnd(&seed, 10))
			sim_disk_set_space(f.d, sim_disk_used(f.d) +
					   rnd(&seed, 3000));
		else if (!rnd(&seed, 5))
			sim_disk_set_space(f.d, UINT64_MAX);
		ret = random_op(&f, &seed, &m, &after);
		if (getenv("RAFT_STORE_TRACE"))
			fprintf(stderr, "step %u: ret %d last %llu snap %llu "
				"dead %d fatal %d used %llu\n",
				i, ret, (unsigned long long)model_last(&after),
				(unsigned long long)after.snap_index,
				sim_disk_dead(f.d), f.fatal_calls,
				(unsigned long long)sim_disk_used(f.d));
		full = ret == -ENOSPC && !sim_disk_dead(f.d) && !f.fatal_calls;
		if (!ret || full) {
			/* Done, or refused with nothing changed. */
			if (full) {
				cs->enospc++;
				model_free(&after);
			} else {
				model_free(&m);
				m = after;
			}
			memset(&after, 0, sizeof(after));
			if (rnd(&seed, 12))
				continue;
			ret = 0;
		} else if (!sim_disk_dead(f.d) && !f.fatal_calls) {
			fail_msg("seed %llu step %u: %d without a fault",
				 (unsigned long long)seed0, i, ret);
		}
		/* Power loss now (mid-operation if the layer died). */
		crashes++;
		cs->mid_op += ret != 0;
		cs->fatal += f.fatal_calls > 0;
		f.fatal_calls = 0;
		fix_close(&f);
		sim_disk_crash(f.d, true);
		/* Sometimes the power goes again during recovery. */
		while (!rnd(&seed, 4)) {
			sim_disk_die_after(f.d, (unsigned int)rnd(&seed, 30));
			if (!rnd(&seed, 3))
				sim_disk_fail_sync(f.d, 0);
			if (!fix_open(&f)) {
				fix_close(&f);
				sim_disk_crash(f.d, true);
				continue;
			}
			if (!sim_disk_dead(f.d) && !strstr(f.err, "Input/output error"))
				fail_msg("seed %llu step %u: open failed without a fault: %s",
					 (unsigned long long)seed0, i, f.err);
			cs->open_failed++;
			sim_disk_crash(f.d, true);
		}
		if (fix_open(&f) < 0)
			fail_msg("seed %llu step %u: %s", (unsigned long long)seed0,
				 i, f.err);
		if (state_matches(&f.st, &m)) {
			model_free(&after);
			continue;
		}
		if (ret && state_matches(&f.st, &after)) {
			cs->took_after++;
			model_free(&m);
			m = after;
			continue;
		}
		fail_msg("seed %llu step %u: acknowledged data lost "
			 "(ret %d, last %llu, got %zu entries, snap %llu)",
			 (unsigned long long)seed0, i, ret,
			 (unsigned long long)model_last(&m), f.st.n_ents,
			 (unsigned long long)f.st.snap.index);
	}
	assert_true(crashes > 0);
	cs->steps += steps;
	cs->crashes += crashes;
	sim_disk_get_stats(f.d, &ds);
	cs->disk.torn += ds.torn;
	cs->disk.syncs += ds.syncs;
	fix_close(&f);
	raft_store_state_free(&f.st);
	sim_disk_free(f.d);
	model_free(&m);
}

static void test_crash_at_random_points_keeps_acknowledged(void **state)
{
	const char *env = getenv("RAFT_STORE_SEEDS");
	const char *one = getenv("RAFT_STORE_SEED");
	const char *len = getenv("RAFT_STORE_STEPS");
	unsigned int steps = len ? (unsigned int)strtoul(len, NULL, 0) : 60;
	uint64_t n = env ? strtoull(env, NULL, 0) : 300, s;
	struct crash_stats cs = { 0 };

	(void)state;
	if (one) {
		/* Replay one seed. */
		crash_seed(strtoull(one, NULL, 0), steps, &cs);
		return;
	}
	for (s = 1; s <= n; s++)
		crash_seed(s, steps, &cs);
	print_message("%llu seeds, %lu steps, %lu crashes (%lu mid-operation, "
		      "%lu of those kept the operation, %lu after an fsync "
		      "error), %lu ENOSPC refusals, %lu recoveries cut short, "
		      "%llu torn writes, %llu syncs\n",
		      (unsigned long long)n, cs.steps, cs.crashes, cs.mid_op,
		      cs.took_after, cs.fatal, cs.enospc, cs.open_failed,
		      (unsigned long long)cs.disk.torn,
		      (unsigned long long)cs.disk.syncs);
	/* The seeds must exercise what they claim to. */
	assert_true(cs.mid_op > n / 2);
	assert_true(cs.disk.torn > n / 4);
	assert_true(cs.fatal > n / 10);
	assert_true(cs.enospc > n / 2);
	assert_true(cs.open_failed > n / 10);
}

/*
 * A bit flipped in synced data is refused, or lands where it changes
 * nothing acknowledged (a COMMIT copy, preallocated space): never a
 * silent loss.
 */
static void test_bit_flips_in_synced_data(void **state)
{
	unsigned long refused = 0, harmless = 0;
	struct model m = { 0 }, after;
	char name[SIM_DISK_NAME_MAX];
	uint64_t s0, seed, dseed, off;
	struct fix f = { 0 };
	int i, ret;

	(void)state;
	for (s0 = 1; s0 <= 200; s0++) {
		seed = s0;
		dseed = s0 * 31;
		f.d = sim_disk_new(next_rand, &dseed);
		f.fo = &sim_disk_fileops;
		f.ctx = f.d;
		f.seg_size = 512 + rnd(&seed, 2048);
		assert_int_equal(fix_open(&f), 0);
		for (i = 0; i < 30; i++) {
			assert_int_equal(random_op(&f, &seed, &m, &after), 0);
			model_free(&m);
			m = after;
		}
		fix_close(&f);
		assert_int_equal(sim_disk_flip_random(f.d, name, &off), 0);
		ret = fix_open(&f);
		if (ret == -EUCLEAN)
			refused++;
		else if (!ret && state_matches(&f.st, &m))
			harmless++;
		else
			fail_msg("seed %llu: flip in %s at %llu: %d %s",
				 (unsigned long long)s0, name,
				 (unsigned long long)off, ret, f.err);
		fix_close(&f);
		raft_store_state_free(&f.st);
		sim_disk_free(f.d);
		model_free(&m);
	}
	print_message("200 flips: %lu refused, %lu harmless\n", refused,
		      harmless);
	assert_true(refused > 100);
}

/* Without tearing, a crash right after save() returned loses nothing. */
static void test_crash_after_save_loses_nothing(void **state)
{
	struct model m = { 0 };
	struct fix *f = *state;
	int i;

	for (i = 0; i < 10; i++) {
		save_batches(f, &m, i, 1);
		fix_close(f);
		sim_disk_crash(f->d, false);
		assert_int_equal(fix_open(f), 0);
		assert_true(state_matches(&f->st, &m));
	}
	assert_int_equal(snapshot(f->s, 20, 1, 0), 0);
	model_snapshot(&m, 20, 1);
	fix_close(f);
	sim_disk_crash(f->d, false);
	assert_int_equal(fix_open(f), 0);
	assert_true(state_matches(&f->st, &m));
	model_free(&m);
}

/* ---- Full disk and failing fsync ---- */

static void test_enospc_refuses_and_leaves_store_usable(void **state)
{
	char names[64][SIM_DISK_NAME_MAX];
	struct model m = { 0 };
	struct fix *f = *state;
	struct raft_hardstate hs = { .term = 9 };
	struct xent e;
	int i, ret = 0;

	sim_disk_set_space(f->d, sim_disk_used(f->d) + 2048);
	for (i = 1; i <= 100 && !ret; i++) {
		e = xent(i, 1, 200, i);
		ret = save(f->s, NULL, &e, 1);
		if (!ret)
			model_save(&m, NULL, &e, 1);
	}
	assert_int_equal(ret, -ENOSPC);
	assert_int_equal(f->fatal_calls, 0);
	/* Not a byte to spare: still refusing, snapshots too; nothing changed. */
	sim_disk_set_space(f->d, sim_disk_used(f->d));
	assert_int_equal(save(f->s, NULL, &e, 1), -ENOSPC);
	assert_int_equal(snapshot(f->s, 2, 1, 0), -ENOSPC);
	assert_int_equal(list_prefix(f, "snap-", names, 64), 0);
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	assert_int_equal(list_prefix(f, "snap-", names, 64), 0);
	/* Space again: appends go on from where the acked log ended. */
	sim_disk_set_space(f->d, UINT64_MAX);
	assert_int_equal(save(f->s, &hs, &e, 1), 0);
	model_save(&m, &hs, &e, 1);
	assert_int_equal(snapshot(f->s, 2, 1, 0), 0);
	model_snapshot(&m, 2, 1);
	fix_reopen(f);
	assert_true(state_matches(&f->st, &m));
	model_free(&m);
}

static void test_fsync_error_calls_fatal_hook(void **state)
{
	struct model m = { 0 };
	struct fix *f = *state;
	struct xent e = xent(5, 1, 10, 5);

	save_batches(f, &m, 0, 1);
	sim_disk_fail_sync(f->d, 0);
	e = xent(4, 1, 10, 4);
	assert_int_equal(save(f->s, NULL, &e, 1), -EIO);
	assert_int_equal(f->fatal_calls, 1);
	assert_int_equal(f->fatal_err, -EIO);
	/* Failed for good: no retry can be trusted after fsyncgate. */
	assert_int_equal(save(f->s, NULL, &e, 1), -EIO);
	assert_int_equal(snapshot(f->s, 1, 1, 0), -EIO);
	assert_int_equal(f->fatal_calls, 1);
	/* The restart recovers what was acknowledged. */
	fix_close(f);
	sim_disk_crash(f->d, true);
	assert_int_equal(fix_open(f), 0);
	assert_true(state_matches(&f->st, &m));
	/* A failing directory fsync (segment roll) is fatal too. */
	f->fatal_calls = 0;
	sim_disk_fail_sync(f->d, 1);
	assert_int_equal(snapshot(f->s, 2, 1, 0), -EIO);
	assert_int_equal(f->fatal_calls, 1);
	model_free(&m);
}

static void test_fsync_error_aborts_by_default(void **state)
{
	struct fix *f = *state;
	struct xent e = xent(1, 1, 10, 1);
	pid_t pid;
	int status;

	raft_store_set_fatal(f->s, NULL, NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		sim_disk_fail_sync(f->d, 0);
		save(f->s, NULL, &e, 1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* ---- Leftovers ---- */

static void test_tmp_files_and_orphan_snapshots_are_removed(void **state)
{
	char names[8][SIM_DISK_NAME_MAX];
	struct model m = { 0 };
	struct fix *f = *state;

	save_batches(f, &m, 0, 2);
	assert_int_equal(snapshot(f->s, 3, 1, 0), 0);
	model_snapshot(&m, 3, 1);
	fix_close(f);
	/* A crash mid-snapshot: its tmp file, and one renamed but unmarked. */
	assert_int_equal(sim_disk_put(f->d, "snap-0000000000000001-0000000000000005.tmp",
				      (const uint8_t *)"x", 1), 0);
	assert_int_equal(sim_disk_put(f->d, "snap-0000000000000001-0000000000000005.snap",
				      (const uint8_t *)"y", 1), 0);
	assert_int_equal(sim_disk_put(f->d, "unrelated", (const uint8_t *)"z", 1), 0);
	assert_int_equal(fix_open(f), 0);
	assert_true(state_matches(&f->st, &m));
	assert_int_equal(list_prefix(f, "snap-", names, 8), 1);
	assert_non_null(strstr(names[0], "0000000000000003.snap"));
	assert_true(sim_disk_exists(f->d, "unrelated"));
	model_free(&m);
}

/* ---- The real file system ---- */

static void test_posix_backend_round_trips(void **state)
{
	char dir[64] = "/tmp/atom-raft-store-XXXXXX", path[128], cmd[160];
	struct model m = { 0 };
	struct fix f = { 0 };
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/raft", dir);
	f.fo = &raft_fileops_posix;
	f.seg_size = 4096;
	assert_int_equal(raft_store_open(&f.s, f.fo, NULL, path, &f.st, f.err,
					 sizeof(f.err)), 0);
	raft_store_set_segment_size(f.s, f.seg_size);
	save_batches(&f, &m, 0, 30);
	assert_int_equal(snapshot(f.s, 40, 1, 5), 0);
	model_snapshot(&m, 40, 1);
	save_batches(&f, &m, 30, 2);
	raft_store_close(f.s);
	snprintf(cmd, sizeof(cmd), "%s/junk.tmp", path);
	fp = fopen(cmd, "w");
	assert_non_null(fp);
	fclose(fp);
	raft_store_state_free(&f.st);
	assert_int_equal(raft_store_open(&f.s, f.fo, NULL, path, &f.st, f.err,
					 sizeof(f.err)), 0);
	assert_true(state_matches(&f.st, &m));
	assert_int_equal(access(cmd, F_OK), -1);
	raft_store_close(f.s);
	raft_store_state_free(&f.st);
	model_free(&m);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_standard_vectors),
		cmocka_unit_test(test_disk_model_loses_what_was_not_synced),
		T(test_fresh_store_is_empty),
		T(test_save_then_reopen_round_trips),
		T(test_conflicting_tail_is_replaced),
		T(test_bad_saves_are_refused),
		T(test_segments_roll_and_replay_in_order),
		T(test_snapshot_compacts_and_survives_reopen),
		T(test_installed_snapshot_ahead_resets_the_log),
		T(test_torn_last_batch_is_dropped_at_every_offset),
		T(test_corrupt_acknowledged_byte_refuses_start),
		T(test_flipped_last_commit_copy_is_restored),
		T(test_corrupt_sealed_segment_refuses_start),
		T(test_corrupt_or_missing_snapshot_refuses_start),
		T(test_newer_format_is_refused_as_such),
		cmocka_unit_test(test_crash_at_random_points_keeps_acknowledged),
		cmocka_unit_test(test_bit_flips_in_synced_data),
		T(test_crash_after_save_loses_nothing),
		T(test_enospc_refuses_and_leaves_store_usable),
		T(test_fsync_error_calls_fatal_hook),
		T(test_fsync_error_aborts_by_default),
		T(test_tmp_files_and_orphan_snapshots_are_removed),
		cmocka_unit_test(test_posix_backend_round_trips),
	};

	return cmocka_run_group_tests_name("raft_store", tests, NULL, NULL);
}
