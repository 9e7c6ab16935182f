// SPDX-License-Identifier: GPL-2.0
/*
 * The log store's write path: batches appended to the active segment and
 * synced, segment rolls, snapshots and compaction. Start-up is in
 * store_recover.c, the record framing in store_rec.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/crc32c.h"
#include "raft/store_impl.h"
#include "raft/store_rec.h"

void store_seg_name(char *buf, uint64_t seq, uint64_t first)
{
	snprintf(buf, STORE_NAME_MAX, "seg-%016" PRIx64 "-%016" PRIx64 ".log",
		 seq, first);
}

void store_snap_name(char *buf, uint64_t term, uint64_t index, bool tmp)
{
	snprintf(buf, STORE_NAME_MAX, "snap-%016" PRIx64 "-%016" PRIx64 ".%s",
		 term, index, tmp ? "tmp" : "snap");
}

int store_fatal(struct raft_store *s, const char *what, int err)
{
	s->failed = true;
	/* Nothing was acknowledged from this process yet: just fail. */
	if (s->opening)
		return err < 0 ? err : -EIO;
	if (!s->fatal)
		abort();
	s->fatal(s->fatal_arg, what, err);
	return err < 0 ? err : -EIO;
}

/*
 * fsyncgate: after a failed fsync the kernel may have dropped the dirty
 * pages, so a retry can "succeed" with the data lost. Never retry.
 */
int store_sync_file(struct raft_store *s, int fd, const char *what)
{
	int ret = 0;

#ifdef MUTANT_SKIP_FSYNC
	(void)fd;	/* test-only bug: the simulator must catch it */
#else
	ret = s->fo->fdatasync(s->ctx, fd);
#endif
	return ret < 0 ? store_fatal(s, what, ret) : 0;
}

int store_sync_dir(struct raft_store *s, const char *what)
{
	int ret = 0;

#ifndef MUTANT_SKIP_FSYNC
	ret = s->fo->syncdir(s->ctx, s->dir);
#endif
	return ret < 0 ? store_fatal(s, what, ret) : 0;
}

int store_push_seg(struct raft_store *s, uint64_t seq, uint64_t first,
		   uint64_t max_index)
{
	struct seg *n;

	if (s->n_segs == s->cap_segs) {
		n = realloc(s->segs, (s->cap_segs * 2 + 4) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->segs = n;
		s->cap_segs = s->cap_segs * 2 + 4;
	}
	s->segs[s->n_segs++] = (struct seg){ seq, first, max_index };
	return 0;
}

static int reserve_terms(struct raft_store *s, size_t n)
{
	uint64_t *t;
	size_t cap;

	if (n <= s->cap_terms)
		return 0;
	cap = s->cap_terms * 2 > n ? s->cap_terms * 2 : n + 16;
	t = realloc(s->terms, cap * sizeof(*t));
	if (!t)
		return -ENOMEM;
	s->terms = t;
	s->cap_terms = cap;
	return 0;
}

int store_set_terms(struct raft_store *s, const struct raft_entry *ents,
		    size_t n)
{
	size_t i;
	int ret;

	ret = reserve_terms(s, n);
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++)
		s->terms[i] = ents[i].term;
	s->n_terms = n;
	return 0;
}

uint64_t raft_store_last_index(const struct raft_store *s)
{
	return s->snap_index + s->n_terms;
}

/* Term of index in the log, 0 if the log does not hold it. */
static uint64_t term_at(const struct raft_store *s, uint64_t index)
{
	if (index <= s->snap_index || index > raft_store_last_index(s))
		return 0;
	return s->terms[index - s->snap_index - 1];
}

static int buf_reserve(struct raft_store *s, size_t more)
{
	size_t cap = s->cap ? s->cap : 4096;
	uint8_t *b;

	while (cap < s->len + more)
		cap *= 2;
	if (cap == s->cap)
		return 0;
	b = realloc(s->buf, cap);
	if (!b)
		return -ENOMEM;
	s->buf = b;
	s->cap = cap;
	return 0;
}

static int put_rec(struct raft_store *s, uint8_t kind, uint8_t etype,
		   uint64_t index, uint64_t term, const void *payload,
		   uint32_t len)
{
	int ret = buf_reserve(s, srec_size(len));

	if (ret < 0)
		return ret;
	s->len += srec_put(s->buf + s->len, kind, etype, index, term, payload,
			   len);
	s->batch_crc = crc32c(s->batch_crc, s->buf + s->len - 4, 4);
	s->n_rec++;
	return 0;
}

static int put_hardstate(struct raft_store *s, const struct raft_hardstate *hs)
{
	uint8_t p[SREC_HARDSTATE_LEN];

	srec_le64(p, hs->term);
	srec_le64(p + 8, hs->vote);
	srec_le64(p + 16, hs->commit);
	return put_rec(s, SREC_HARDSTATE, 0, 0, 0, p, sizeof(p));
}

static int put_marker(struct raft_store *s, uint64_t index, uint64_t term,
		      uint32_t flags)
{
	uint8_t p[SREC_MARKER_LEN] = { 0 };

	srec_le32(p, flags);
	return put_rec(s, SREC_MARKER, 0, index, term, p, sizeof(p));
}

/*
 * Close the batch in s->buf with its COMMIT record, twice: a bit flip in
 * one copy of the last batch's COMMIT would otherwise look like a torn
 * write and drop an acknowledged batch.
 */
static int put_commit(struct raft_store *s)
{
	uint8_t p[SREC_COMMIT_LEN];

	int ret;

	srec_le32(p, s->batch_crc);
	srec_le32(p + 4, s->n_rec);
	ret = put_rec(s, SREC_COMMIT, 0, 0, 0, p, sizeof(p));
	return ret ? ret : put_rec(s, SREC_COMMIT, 0, 0, 0, p, sizeof(p));
}

static void batch_reset(struct raft_store *s)
{
	s->len = 0;
	s->n_rec = 0;
	s->batch_crc = 0;
}

/*
 * Overwrite what a failed write may have left at the tail, so that no
 * stale record outlives the segment being sealed (recovery would read a
 * bad record in a sealed segment as corruption).
 */
static int clear_dirty(struct raft_store *s)
{
	uint64_t n = s->dirty_end - s->tail;
	uint8_t *z;
	int ret;

	if (s->dirty_end <= s->tail)
		return 0;
	z = calloc(1, n);
	if (!z)
		return -ENOMEM;
	ret = s->fo->pwrite(s->ctx, s->fd, z, n, s->tail);
	free(z);
	if (ret < 0)
		return ret;
	ret = store_sync_file(s, s->fd, "fdatasync of a log segment");
	if (ret < 0)
		return ret;
	s->dirty_end = 0;
	return 0;
}

int store_roll(struct raft_store *s, uint64_t first, size_t need)
{
	uint64_t seq = s->n_segs ? s->segs[s->n_segs - 1].seq + 1 : 1;
	uint8_t hdr[SREC_SEGMENT_LEN] = { 0 };
	char name[STORE_NAME_MAX];
	uint64_t size;
	uint32_t saved_n = s->n_rec, saved_crc = s->batch_crc;
	size_t saved_len = s->len;
	size_t hlen;
	int fd, ret;

	if (s->fd >= 0) {
		ret = clear_dirty(s);
		if (ret < 0)
			return ret;
	}
	/* Never two segments with one number: recovery refuses that. */
	if (s->stray[0]) {
		ret = s->fo->unlink(s->ctx, s->dir, s->stray);
		if (ret < 0 && ret != -ENOENT)
			return ret;
		s->stray[0] = '\0';
	}
	/* The header batch goes after the caller's batch in s->buf. */
	s->n_rec = 0;
	s->batch_crc = 0;
	srec_le32(hdr, SREC_VERSION);
	srec_le64(hdr + 8, seq);
	ret = put_rec(s, SREC_SEGMENT, 0, first, 0, hdr, sizeof(hdr));
	if (!ret)
		ret = put_hardstate(s, &s->hs);
	if (!ret)
		ret = put_marker(s, s->snap_index, s->snap_term, 0);
	if (!ret)
		ret = put_commit(s);
	hlen = s->len - saved_len;
	s->len = saved_len;
	s->n_rec = saved_n;
	s->batch_crc = saved_crc;
	if (ret < 0)
		return ret;
	size = s->seg_size > hlen + need ? s->seg_size : hlen + need;
	size = (size + 511) & ~(uint64_t)511;

	/* Room in the list first: past the directory fsync it is in use. */
	ret = store_push_seg(s, seq, first, 0);
	if (ret < 0)
		return ret;
	store_seg_name(name, seq, first);
	fd = s->fo->open(s->ctx, s->dir, name, RAFT_FO_RDWR | RAFT_FO_CREATE);
	if (fd < 0) {
		s->n_segs--;
		return fd;
	}
	ret = s->fo->fallocate(s->ctx, fd, 0, size);
	if (!ret)
		ret = s->fo->pwrite(s->ctx, fd, s->buf + saved_len, hlen, 0);
	if (ret < 0) {
		/* Nothing refers to it yet; recovery drops a leftover. */
		s->n_segs--;
		s->fo->close(s->ctx, fd);
		if (s->fo->unlink(s->ctx, s->dir, name) < 0)
			memcpy(s->stray, name, sizeof(s->stray));
		return ret;
	}
	ret = store_sync_file(s, fd, "fdatasync of a new log segment");
	if (!ret)
		ret = store_sync_dir(s, "fsync of the log directory");
	if (ret < 0) {
		/* Failed for good (fatal); keep the list as the disk may be. */
		s->fo->close(s->ctx, fd);
		return ret;
	}
	if (s->fd >= 0)
		s->fo->close(s->ctx, s->fd);
	s->fd = fd;
	s->tail = hlen;
	s->alloc = size;
	s->dirty_end = 0;
	return 0;
}

/* Append s->buf (records, then its COMMIT) durably. */
static int write_batch(struct raft_store *s, uint64_t first)
{
	uint64_t wlen;
	int ret;

	ret = put_commit(s);
	if (ret < 0)
		return ret;
	/* Recovery must be able to read the segment back. */
	if (s->len > RAFT_STORE_BATCH_MAX)
		return -E2BIG;
	if (s->fd < 0 || s->tail + s->len > s->alloc) {
		ret = store_roll(s, first, s->len);
		if (ret < 0)
			return ret;
	}
	/* Zero what a failed write left beyond this batch, in one write. */
	wlen = s->len;
	if (s->dirty_end > s->tail + wlen) {
		ret = buf_reserve(s, s->dirty_end - s->tail - wlen);
		if (ret < 0)
			return ret;
		memset(s->buf + wlen, 0, s->dirty_end - s->tail - wlen);
		wlen = s->dirty_end - s->tail;
	}
	ret = s->fo->pwrite(s->ctx, s->fd, s->buf, wlen, s->tail);
	if (ret < 0) {
		if (s->tail + wlen > s->dirty_end)
			s->dirty_end = s->tail + wlen;
		return ret;
	}
	ret = store_sync_file(s, s->fd, "fdatasync of the raft log");
	if (ret < 0)
		return ret;
	s->tail += s->len;
	s->dirty_end = 0;
	return 0;
}

static int check_entries(const struct raft_store *s,
			 const struct raft_entry *ents, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	if (ents[0].index <= s->snap_index ||
	    ents[0].index > raft_store_last_index(s) + 1)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (ents[i].index != ents[0].index + i)
			return -EINVAL;
		if (ents[i].type != RAFT_ENTRY_NORMAL &&
		    ents[i].type != RAFT_ENTRY_CONF)
			return -EINVAL;
		if (ents[i].len > RAFT_MAX_ENTRY)
			return -E2BIG;
		if (ents[i].len && !ents[i].data)
			return -EINVAL;
	}
	return 0;
}

int raft_store_save(struct raft_store *s, const struct raft_hardstate *hs,
		    const struct raft_entry *ents, size_t n)
{
	uint64_t first = raft_store_last_index(s) + 1, last;
	struct seg *seg;
	size_t keep = 0, i;
	int ret;

	if (s->failed)
		return -EIO;
	if (!hs && !n)
		return 0;
	ret = check_entries(s, ents, n);
	if (ret < 0)
		return ret;
	if (n) {
		first = ents[0].index;
		keep = first - s->snap_index - 1;
		ret = reserve_terms(s, keep + n);
		if (ret < 0)
			return ret;
	}
	batch_reset(s);
	if (hs)
		ret = put_hardstate(s, hs);
	for (i = 0; !ret && i < n; i++)
		ret = put_rec(s, SREC_ENTRY, ents[i].type, ents[i].index,
			      ents[i].term, ents[i].data, ents[i].len);
	if (!ret)
		ret = write_batch(s, first);
	if (ret < 0)
		return ret;

	if (hs)
		s->hs = *hs;
	if (n) {
		for (i = 0; i < n; i++)
			s->terms[keep + i] = ents[i].term;
		s->n_terms = keep + n;
		last = ents[n - 1].index;
		seg = &s->segs[s->n_segs - 1];
		if (last > seg->max_index)
			seg->max_index = last;
	}
	return 0;
}

static int write_snap_file(struct raft_store *s, const struct raft_snapshot *snap)
{
	uint64_t off, data_off = SNAP_HDR + (uint64_t)snap->conf_len;
	char tmp[STORE_NAME_MAX], name[STORE_NAME_MAX];
	uint8_t hdr[SNAP_HDR] = { 0 }, trl[SNAP_TRAILER];
	uint32_t crc;
	int fd, ret;

	store_snap_name(tmp, snap->term, snap->index, true);
	store_snap_name(name, snap->term, snap->index, false);
	srec_le32(hdr, SNAP_MAGIC);
	srec_le32(hdr + 4, SNAP_VERSION);
	srec_le64(hdr + 8, snap->index);
	srec_le64(hdr + 16, snap->term);
	srec_le32(hdr + 24, snap->conf_len);
	srec_le64(hdr + 32, snap->data_len);
	crc = crc32c(0, hdr, sizeof(hdr));
	crc = crc32c(crc, snap->conf, snap->conf_len);
	crc = crc32c(crc, snap->data, snap->data_len);
	srec_le32(trl, crc);
	srec_le32(trl + 4, SNAP_MAGIC);
	off = data_off + snap->data_len;

	fd = s->fo->open(s->ctx, s->dir, tmp, RAFT_FO_RDWR | RAFT_FO_CREATE);
	if (fd == -EEXIST) {
		s->fo->unlink(s->ctx, s->dir, tmp);
		fd = s->fo->open(s->ctx, s->dir, tmp,
				 RAFT_FO_RDWR | RAFT_FO_CREATE);
	}
	if (fd < 0)
		return fd;
	ret = s->fo->fallocate(s->ctx, fd, 0, off + SNAP_TRAILER);
	if (!ret)
		ret = s->fo->pwrite(s->ctx, fd, hdr, sizeof(hdr), 0);
	if (!ret && snap->conf_len)
		ret = s->fo->pwrite(s->ctx, fd, snap->conf, snap->conf_len,
				    SNAP_HDR);
	if (!ret && snap->data_len)
		ret = s->fo->pwrite(s->ctx, fd, snap->data, snap->data_len,
				    data_off);
	if (!ret)
		ret = s->fo->pwrite(s->ctx, fd, trl, sizeof(trl), off);
	if (ret < 0) {
		s->fo->close(s->ctx, fd);
		s->fo->unlink(s->ctx, s->dir, tmp);
		return ret;
	}
	ret = store_sync_file(s, fd, "fdatasync of a snapshot");
	s->fo->close(s->ctx, fd);
	if (ret < 0)
		return ret;
	ret = s->fo->rename(s->ctx, s->dir, tmp, name);
	if (ret < 0) {
		s->fo->unlink(s->ctx, s->dir, tmp);
		return ret;
	}
	return store_sync_dir(s, "fsync of the log directory");
}

/*
 * Delete the oldest segments while all they hold is below cutoff. The
 * snapshot is in force already: a failed unlink only leaves a segment
 * for the next compaction (a failed directory fsync is still fatal).
 */
static int compact(struct raft_store *s, uint64_t cutoff)
{
	char name[STORE_NAME_MAX];
	size_t n = 0;
	int ret = 0;

	while (n + 1 < s->n_segs && s->segs[n].max_index < cutoff) {
		store_seg_name(name, s->segs[n].seq, s->segs[n].first);
		ret = s->fo->unlink(s->ctx, s->dir, name);
		if (ret < 0 && ret != -ENOENT) {
			ret = 0;
			break;
		}
		/* One at a time, so a crash leaves a prefix deleted. */
		ret = store_sync_dir(s, "fsync of the log directory");
		if (ret < 0)
			break;
		n++;
	}
	memmove(s->segs, s->segs + n, (s->n_segs - n) * sizeof(*s->segs));
	s->n_segs -= n;
	return ret;
}

int raft_store_snapshot(struct raft_store *s, const struct raft_snapshot *snap,
			uint64_t keep_trailing)
{
	uint64_t old_index = s->snap_index, old_term = s->snap_term, drop;
	char name[STORE_NAME_MAX];
	bool keep;
	int ret;

	if (s->failed)
		return -EIO;
	if (!snap->index || snap->index < s->snap_index ||
	    (snap->conf_len && !snap->conf) ||
	    (snap->data_len && !snap->data))
		return -EINVAL;
	if (snap->data_len > RAFT_MAX_SNAPSHOT ||
	    snap->conf_len > RAFT_MAX_SNAPSHOT - snap->data_len)
		return -E2BIG;
	if (snap->index == s->snap_index && snap->term != s->snap_term)
		return -EINVAL;
	if (snap->index != s->snap_index) {
		keep = term_at(s, snap->index) == snap->term;
		ret = write_snap_file(s, snap);
		if (ret < 0)
			return ret;
		batch_reset(s);
		ret = put_marker(s, snap->index, snap->term,
				 keep ? 0 : SREC_MARKER_RESET);
		if (!ret)
			ret = write_batch(s, raft_store_last_index(s) + 1);
		if (ret < 0) {
			if (!s->failed) {
				/* Not in force: recovery would delete it too. */
				store_snap_name(name, snap->term, snap->index,
						false);
				s->fo->unlink(s->ctx, s->dir, name);
			}
			return ret;
		}
		if (keep) {
			drop = snap->index - s->snap_index;
			memmove(s->terms, s->terms + drop,
				(s->n_terms - drop) * sizeof(*s->terms));
			s->n_terms -= drop;
		} else {
			s->n_terms = 0;
		}
		s->snap_index = snap->index;
		s->snap_term = snap->term;
		if (old_index) {
			store_snap_name(name, old_term, old_index, false);
			s->fo->unlink(s->ctx, s->dir, name);
		}
	}
	return compact(s, snap->index > keep_trailing ?
			  snap->index - keep_trailing : 0);
}

void raft_store_set_fatal(struct raft_store *s, raft_store_fatal_fn fn,
			  void *arg)
{
	s->fatal = fn;
	s->fatal_arg = arg;
}

int raft_store_set_segment_size(struct raft_store *s, uint64_t bytes)
{
	if (bytes < RAFT_STORE_SEGMENT_MIN || bytes > RAFT_STORE_SEGMENT_MAX)
		return -EINVAL;
	s->seg_size = bytes;
	return 0;
}

void raft_store_close(struct raft_store *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		s->fo->close(s->ctx, s->fd);
	if (s->dir >= 0)
		s->fo->closedir(s->ctx, s->dir);
	free(s->dirpath);
	free(s->segs);
	free(s->terms);
	free(s->buf);
	free(s);
}

void raft_store_state_free(struct raft_store_state *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->n_ents; i++)
		free(st->ents[i].data);
	free(st->ents);
	free(st->snap.conf);
	free(st->snap.data);
	memset(st, 0, sizeof(*st));
}

int raft_store_open(struct raft_store **ret, const struct raft_fileops *fo,
		    void *fo_ctx, const char *dir, struct raft_store_state *st,
		    char *err, size_t errlen)
{
	struct raft_store *s;
	int r;

	*ret = NULL;
	memset(st, 0, sizeof(*st));
	if (errlen)
		err[0] = '\0';
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fo = fo;
	s->ctx = fo_ctx;
	s->fd = -1;
	s->seg_size = RAFT_STORE_SEGMENT_SIZE;
	s->dirpath = strdup(dir);
	s->dir = fo->opendir(fo_ctx, dir);
	if (!s->dirpath || s->dir < 0) {
		r = s->dirpath ? s->dir : -ENOMEM;
		snprintf(err, errlen, "cannot open the raft directory %s: %s",
			 dir, strerror(-r));
		goto err_close;
	}
	s->opening = true;
	r = store_recover(s, st, err, errlen);
	s->opening = false;
	if (r < 0)
		goto err_close;
	*ret = s;
	return 0;

err_close:
	raft_store_close(s);
	return r;
}
