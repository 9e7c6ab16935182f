// SPDX-License-Identifier: GPL-2.0
/*
 * The log store's start-up: list the directory, delete *.tmp, replay the
 * segments in order, drop a torn tail (after the last complete batch of
 * the last segment), refuse to start on damage to acknowledged data, load
 * the snapshot the log points at and delete the others.
 *
 * The rule that separates a torn write from corruption: a bad record is
 * torn only if nothing synced can follow it. A valid COMMIT anywhere after
 * it, or the record sitting in a sealed (not the last) segment, proves
 * that a later fdatasync returned, hence that the bad bytes had been
 * acknowledged.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/crc32c.h"
#include "raft/store_impl.h"
#include "raft/store_rec.h"

struct name_list {
	char **v;
	size_t n;
	size_t cap;
};

struct seg_file {
	uint64_t seq;
	uint64_t first;
	const char *name;
};

struct replay {
	struct raft_hardstate hs;
	uint64_t snap_index;
	uint64_t snap_term;
	struct raft_entry *ents;	/* contiguous from ents[0].index */
	size_t n;
	size_t cap;
	uint64_t max_index;		/* of the segment being read */
};

/* What reading one segment found. */
struct seg_scan {
	uint64_t size;
	uint64_t commit_end;	/* end of the last complete batch */
	bool torn;		/* bytes after commit_end to clear */
	uint64_t fix_to;	/* the last batch's damaged COMMIT copy, or 0 */
	uint64_t fix_from;	/* its good copy */
};

static int refuse(struct raft_store *s, char *err, size_t errlen,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int refuse(struct raft_store *s, char *err, size_t errlen,
		  const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = (size_t)snprintf(err, errlen, "raft log in %s is corrupt: ",
			     s->dirpath);
	if (n < errlen) {
		va_start(ap, fmt);
		n += (size_t)vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	if (n < errlen)
		snprintf(err + n, errlen - n,
			 ". Data this node acknowledged is damaged, so it must not rejoin with it: stop the agent, remove %s and join the mesh again as a fresh member",
			 s->dirpath);
	return -EUCLEAN;
}

static int collect(void *arg, const char *name)
{
	struct name_list *l = arg;
	char **v;

	if (l->n == l->cap) {
		v = realloc(l->v, (l->cap * 2 + 16) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = l->cap * 2 + 16;
	}
	l->v[l->n] = strdup(name);
	if (!l->v[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

static void free_names(struct name_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static bool hex16(const char *p, uint64_t *v)
{
	int i, d;

	*v = 0;
	for (i = 0; i < 16; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else
			return false;
		*v = *v << 4 | (uint64_t)d;
	}
	return true;
}

/* Parse "<prefix><16 hex>-<16 hex><suffix>" exactly. */
static bool parse_pair(const char *name, const char *prefix,
		       const char *suffix, uint64_t *a, uint64_t *b)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);

	if (strlen(name) != pl + 33 + sl || strncmp(name, prefix, pl) ||
	    strcmp(name + pl + 33, suffix) || name[pl + 16] != '-')
		return false;
	return hex16(name + pl, a) && hex16(name + pl + 17, b);
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n >= k && !strcmp(name + n - k, suffix);
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg_file *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int read_all(struct raft_store *s, const char *name, uint64_t max,
		    uint8_t **buf, uint64_t *size)
{
	ssize_t got;
	int fd, ret;

	*buf = NULL;
	fd = s->fo->open(s->ctx, s->dir, name, 0);
	if (fd < 0)
		return fd;
	ret = s->fo->size(s->ctx, fd, size);
	if (!ret && *size > max)
		ret = -EFBIG;
	if (!ret) {
		*buf = malloc(*size ? *size : 1);
		if (!*buf)
			ret = -ENOMEM;
	}
	if (!ret) {
		got = s->fo->pread(s->ctx, fd, *buf, *size, 0);
		if (got < 0)
			ret = (int)got;
		else if ((uint64_t)got != *size)
			ret = -EIO;
	}
	s->fo->close(s->ctx, fd);
	if (ret < 0) {
		free(*buf);
		*buf = NULL;
	}
	return ret;
}

static void drop_from(struct replay *rp, size_t k)
{
	while (rp->n > k)
		free(rp->ents[--rp->n].data);
}

static int push_entry(struct replay *rp, const struct srec *r)
{
	struct raft_entry *e;

	if (rp->n == rp->cap) {
		e = realloc(rp->ents, (rp->cap * 2 + 64) * sizeof(*e));
		if (!e)
			return -ENOMEM;
		rp->ents = e;
		rp->cap = rp->cap * 2 + 64;
	}
	e = &rp->ents[rp->n];
	e->index = r->index;
	e->term = r->term;
	e->type = r->etype;
	e->len = r->len;
	e->data = NULL;
	if (r->len) {
		e->data = malloc(r->len);
		if (!e->data)
			return -ENOMEM;
		memcpy(e->data, r->payload, r->len);
	}
	rp->n++;
	return 0;
}

/* Drop entries up to index (all of them with reset). */
static void drop_upto(struct replay *rp, uint64_t index, bool reset)
{
	size_t k = 0, i;

	if (reset) {
		drop_from(rp, 0);
		return;
	}
	while (k < rp->n && rp->ents[k].index <= index)
		free(rp->ents[k++].data);
	for (i = k; i < rp->n; i++)
		rp->ents[i - k] = rp->ents[i];
	rp->n -= k;
}

/* Apply one committed record; a positive 1 means it breaks a rule. */
static int apply(struct replay *rp, const struct srec *r, const char **why)
{
	const uint8_t *p = r->payload;
	uint64_t base, last;
	uint32_t flags;

	switch (r->kind) {
	case SREC_HARDSTATE:
		rp->hs.term = srec_get64(p);
		rp->hs.vote = srec_get64(p + 8);
		rp->hs.commit = srec_get64(p + 16);
		return 0;
	case SREC_MARKER:
		flags = srec_get32(p);
		if (r->index < rp->snap_index || (flags & ~SREC_MARKER_RESET)) {
			*why = "a snapshot marker goes backwards";
			return 1;
		}
		drop_upto(rp, r->index, flags & SREC_MARKER_RESET);
		rp->snap_index = r->index;
		rp->snap_term = r->term;
		return 0;
	case SREC_ENTRY:
		if (r->index > rp->max_index)
			rp->max_index = r->index;
		if (r->index <= rp->snap_index)
			return 0;
		if (rp->n) {
			base = rp->ents[0].index;
			last = base + rp->n - 1;
			if (r->index > last + 1) {
				*why = "a gap between entries";
				return 1;
			}
			drop_from(rp, r->index < base ? 0 : r->index - base);
		}
		return push_entry(rp, r);
	}
	return 0;
}

/* Offset of a valid COMMIT record at or after from, or -1. */
static int64_t find_commit(const uint8_t *buf, uint64_t size, uint64_t from)
{
	struct srec r;
	uint64_t off;

	for (off = (from + 7) & ~(uint64_t)7; off + SREC_HDR <= size;
	     off += 8) {
		if (srec_get32(buf + off) != (SREC_MAGIC | SREC_COMMIT))
			continue;
		if (!srec_get(buf + off, size - off, &r))
			return (int64_t)off;
	}
	return -1;
}

/*
 * A segment whose creation a crash cut short: no complete header batch
 * and no COMMIT anywhere, so nothing in it was ever synced. 1 if so.
 */
static int torn_creation(struct raft_store *s, const char *name)
{
	uint64_t size, off = 0;
	bool hdr = false;
	struct srec r;
	uint8_t *buf;
	int ret;

	ret = read_all(s, name, RAFT_STORE_SEGMENT_MAX, &buf, &size);
	if (ret < 0)
		return ret == -EFBIG ? 0 : ret;
	if (!srec_get(buf, size, &r) && r.kind == SREC_SEGMENT) {
		off = r.size;
		while (!srec_get(buf + off, size - off, &r) &&
		       r.kind != SREC_SEGMENT) {
			off += r.size;
			if (r.kind == SREC_COMMIT) {
				hdr = true;
				break;
			}
		}
	}
	ret = hdr ? 0 : find_commit(buf, size, 0) < 0;
	free(buf);
	return ret;
}

/* A COMMIT at off closing n_rec records whose CRCs hash to bcrc. */
static bool commit_ok(const uint8_t *buf, uint64_t size, uint64_t off,
		      uint32_t bcrc, uint32_t n_rec)
{
	struct srec r;

	return off < size && !srec_get(buf + off, size - off, &r) &&
	       r.kind == SREC_COMMIT && srec_get32(r.payload) == bcrc &&
	       srec_get32(r.payload + 4) == n_rec;
}

static int replay_seg(struct raft_store *s, struct replay *rp,
		      const struct seg_file *f, bool last, struct seg_scan *sc,
		      char *err, size_t errlen)
{
	uint64_t off = 0, batch = 0, stop, i;
	const char *why = NULL;
	uint64_t cs = srec_size(SREC_COMMIT_LEN);
	uint32_t n_rec = 0, bcrc = 0;
	bool zero, is_hdr, c1, c2;
	struct srec r, q;
	int64_t proof;
	uint8_t *buf;
	int ret;

	memset(sc, 0, sizeof(*sc));
	rp->max_index = 0;
	ret = read_all(s, f->name, RAFT_STORE_SEGMENT_MAX, &buf, &sc->size);
	if (ret == -EFBIG)
		return refuse(s, err, errlen, "%s is larger than %u bytes",
			      f->name, RAFT_STORE_SEGMENT_MAX);
	if (ret < 0) {
		snprintf(err, errlen, "cannot read %s/%s: %s", s->dirpath,
			 f->name, strerror(-ret));
		return ret;
	}
	for (;;) {
		ret = srec_get(buf + off, sc->size - off, &r);
		if (!ret && r.kind != SREC_COMMIT) {
			/* A header first, and only first. */
			is_hdr = r.kind == SREC_SEGMENT;
			if (!off != is_hdr) {
				ret = -EBADMSG;
				break;
			}
			n_rec++;
			bcrc = crc32c(bcrc, buf + off + r.size - 4, 4);
			off += r.size;
			continue;
		}
		/* The batch ends in two copies of its COMMIT: one will do. */
		c1 = n_rec && commit_ok(buf, sc->size, off, bcrc, n_rec);
		c2 = n_rec && commit_ok(buf, sc->size, off + cs, bcrc, n_rec);
		if (!c1 && !c2) {
			if (!ret)
				ret = -EBADMSG;
			break;
		}
		for (i = batch; i < off; i += q.size) {
			srec_get(buf + i, sc->size - i, &q);
			if (q.kind == SREC_SEGMENT &&
			    srec_get32(q.payload) != SREC_VERSION) {
				snprintf(err, errlen,
					 "%s/%s has log format %u; this agent reads format %u: run the agent that wrote it (or a newer one)",
					 s->dirpath, f->name,
					 srec_get32(q.payload), SREC_VERSION);
				ret = -EPROTONOSUPPORT;
			} else if (q.kind == SREC_SEGMENT &&
				   (q.index != f->first ||
				    srec_get64(q.payload + 8) != f->seq)) {
				why = "its header does not match its name";
				ret = 1;
			} else {
				ret = apply(rp, &q, &why);
			}
			if (ret)
				break;
		}
		if (ret < 0)
			goto out;
		if (ret) {
			ret = refuse(s, err, errlen, "%s at offset %" PRIu64 " of %s",
				     why, i, f->name);
			goto out;
		}
		/* A damaged copy in the last batch is rewritten at start. */
		sc->fix_to = c1 && c2 ? 0 : c1 ? off + cs : off;
		sc->fix_from = c1 ? off : off + cs;
		off += 2 * cs;
		sc->commit_end = off;
		batch = off;
		n_rec = 0;
		bcrc = 0;
	}
	stop = off;
	zero = ret == -ENODATA;
	proof = find_commit(buf, sc->size, stop + 1);
	ret = 0;
	if (proof >= 0)
		ret = refuse(s, err, errlen,
			     "bad record at offset %" PRIu64 " of %s, "
			     "followed by a synced batch at offset %" PRId64,
			     stop, f->name, proof);
	else if (!sc->commit_end)
		ret = refuse(s, err, errlen, "%s has no valid header",
			     f->name);
	else if (!last && (stop != sc->commit_end || !zero))
		ret = refuse(s, err, errlen,
			     "bad record at offset %" PRIu64 " of sealed segment %s",
			     stop, f->name);
	for (i = sc->commit_end; !ret && last && i < sc->size; i++)
		if (buf[i]) {
			sc->torn = true;
			break;
		}
out:
	free(buf);
	return ret;
}

static int load_snapshot(struct raft_store *s, struct raft_store_state *st,
			 char *err, size_t errlen)
{
	uint64_t size, conf_len, data_len;
	char name[STORE_NAME_MAX];
	uint8_t *buf;
	int ret;

	store_snap_name(name, s->snap_term, s->snap_index, false);
	ret = read_all(s, name, SNAP_HDR + (uint64_t)RAFT_MAX_SNAPSHOT +
		       SNAP_TRAILER, &buf, &size);
	if (ret == -ENOENT || ret == -EFBIG)
		return refuse(s, err, errlen, "the log's snapshot %s is %s",
			      name, ret == -ENOENT ? "missing" : "too large");
	if (ret < 0) {
		snprintf(err, errlen, "cannot read %s/%s: %s", s->dirpath,
			 name, strerror(-ret));
		return ret;
	}
	ret = -EBADMSG;
	if (size < SNAP_HDR + SNAP_TRAILER || srec_get32(buf) != SNAP_MAGIC ||
	    srec_get32(buf + 4) != SNAP_VERSION ||
	    srec_get64(buf + 8) != s->snap_index ||
	    srec_get64(buf + 16) != s->snap_term)
		goto out;
	conf_len = srec_get32(buf + 24);
	data_len = srec_get64(buf + 32);
	if (conf_len > RAFT_MAX_SNAPSHOT || data_len > RAFT_MAX_SNAPSHOT ||
	    SNAP_HDR + conf_len + data_len + SNAP_TRAILER != size ||
	    srec_get32(buf + size - 8) != crc32c(0, buf, size - 8) ||
	    srec_get32(buf + size - 4) != SNAP_MAGIC)
		goto out;
	st->snap.index = s->snap_index;
	st->snap.term = s->snap_term;
	st->snap.conf_len = (uint32_t)conf_len;
	st->snap.data_len = data_len;
	ret = -ENOMEM;
	if (conf_len) {
		st->snap.conf = malloc(conf_len);
		if (!st->snap.conf)
			goto out;
		memcpy(st->snap.conf, buf + SNAP_HDR, conf_len);
	}
	if (data_len) {
		st->snap.data = malloc(data_len);
		if (!st->snap.data)
			goto out;
		memcpy(st->snap.data, buf + SNAP_HDR + conf_len, data_len);
	}
	ret = 0;
out:
	free(buf);
	if (ret == -EBADMSG)
		return refuse(s, err, errlen, "the log's snapshot %s does not verify",
			      name);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory loading %s", name);
	return ret;
}

/* Make the last segment the active one, clearing a torn tail. */
static int open_active(struct raft_store *s, const struct seg_file *f,
		       const struct seg_scan *sc, char *err, size_t errlen)
{
	uint64_t size = sc->size;
	int ret;

	s->fd = s->fo->open(s->ctx, s->dir, f->name, RAFT_FO_RDWR);
	if (s->fd < 0) {
		ret = s->fd;
		goto err;
	}
	if (sc->fix_to) {
		uint8_t copy[SREC_HDR + 16];
		ssize_t n;

		/* One copy of the last COMMIT is damaged: restore it. */
		n = s->fo->pread(s->ctx, s->fd, copy, sizeof(copy), sc->fix_from);
		ret = n == (ssize_t)sizeof(copy) ? 0 : n < 0 ? (int)n : -EIO;
		if (!ret)
			ret = s->fo->pwrite(s->ctx, s->fd, copy, sizeof(copy),
					    sc->fix_to);
		if (ret < 0)
			goto err;
	}
	if (sc->torn) {
		/*
		 * The batch after commit_end never returned from save():
		 * cut it, and preallocate again (zeros read as the end).
		 */
		ret = s->fo->ftruncate(s->ctx, s->fd, sc->commit_end);
		if (ret < 0)
			goto err;
		size = sc->commit_end;
		if (sc->size > size &&
		    !s->fo->fallocate(s->ctx, s->fd, size, sc->size - size))
			size = sc->size;
	}
	if (sc->torn || sc->fix_to) {
		ret = store_sync_file(s, s->fd, "fdatasync of a repaired segment");
		if (ret < 0)
			goto err;
	}
	s->tail = sc->commit_end;
	s->alloc = size;
	return 0;
err:
	snprintf(err, errlen, "cannot repair %s/%s: %s", s->dirpath, f->name,
		 strerror(-ret));
	return ret;
}

static int export_state(struct raft_store *s, struct replay *rp,
			struct raft_store_state *st, char *err, size_t errlen)
{
	int ret;

	if (rp->n && rp->ents[0].index != rp->snap_index + 1)
		return refuse(s, err, errlen,
			      "the log starts at index %" PRIu64
			      " but the snapshot ends at %" PRIu64,
			      rp->ents[0].index, rp->snap_index);
	ret = store_set_terms(s, rp->ents, rp->n);
	if (ret < 0)
		return ret;
	s->hs = rp->hs;
	s->snap_index = rp->snap_index;
	s->snap_term = rp->snap_term;
	st->hs = rp->hs;
	st->ents = rp->ents;
	st->n_ents = rp->n;
	rp->ents = NULL;
	rp->n = 0;
	return 0;
}

static int replay_all(struct raft_store *s, struct seg_file *segs, size_t n,
		      struct raft_store_state *st, char *err, size_t errlen)
{
	struct replay rp = { 0 };
	struct seg_scan sc = { 0 };
	int ret = 0;
	size_t i;

	/*
	 * Drop trailing segments whose creation never completed (failed
	 * rolls leave one behind when a crash revives its unlink), so that
	 * the last real segment is judged as the last: its tail may be torn.
	 */
	while (n) {
		ret = torn_creation(s, segs[n - 1].name);
		if (!ret)
			break;
		if (ret > 0) {
			ret = s->fo->unlink(s->ctx, s->dir, segs[n - 1].name);
			if (!ret)
				ret = store_sync_dir(s, "fsync of the log directory");
		}
		if (ret < 0) {
			snprintf(err, errlen, "cannot drop %s/%s: %s", s->dirpath,
				 segs[n - 1].name, strerror(-ret));
			goto out;
		}
		n--;
	}
	for (i = 0; i < n; i++) {
		if (i && segs[i].seq == segs[i - 1].seq) {
			ret = refuse(s, err, errlen, "two segments numbered %" PRIu64,
				     segs[i].seq);
			goto out;
		}
		ret = replay_seg(s, &rp, &segs[i], i + 1 == n, &sc, err,
				 errlen);
		if (ret < 0)
			goto out;
		ret = store_push_seg(s, segs[i].seq, segs[i].first,
				     rp.max_index);
		if (ret < 0)
			goto out;
	}
	ret = export_state(s, &rp, st, err, errlen);
	if (ret < 0)
		goto out;
	if (n)
		ret = open_active(s, &segs[n - 1], &sc, err, errlen);
out:
	drop_from(&rp, 0);
	free(rp.ents);
	if (ret == -ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory reading the raft log");
	return ret;
}

int store_recover(struct raft_store *s, struct raft_store_state *st,
		  char *err, size_t errlen)
{
	struct name_list names = { 0 };
	struct seg_file *segs = NULL;
	uint64_t a, b, seq, first;
	char cur[STORE_NAME_MAX];
	size_t i, n = 0;
	bool sync = false;
	int ret;

	ret = s->fo->list(s->ctx, s->dir, collect, &names);
	if (ret < 0) {
		snprintf(err, errlen, "cannot list %s: %s", s->dirpath,
			 strerror(-ret));
		goto out;
	}
	segs = calloc(names.n + 1, sizeof(*segs));
	if (!segs) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < names.n; i++) {
		if (parse_pair(names.v[i], "seg-", ".log", &seq, &first)) {
			segs[n++] = (struct seg_file){ seq, first, names.v[i] };
		} else if (has_suffix(names.v[i], ".tmp")) {
			ret = s->fo->unlink(s->ctx, s->dir, names.v[i]);
			if (ret < 0 && ret != -ENOENT) {
				snprintf(err, errlen, "cannot remove %s/%s: %s",
					 s->dirpath, names.v[i], strerror(-ret));
				goto out;
			}
			sync = true;
		}
	}
	qsort(segs, n, sizeof(*segs), cmp_seg);
	ret = replay_all(s, segs, n, st, err, errlen);
	if (ret < 0)
		goto out;
	if (s->snap_index) {
		ret = load_snapshot(s, st, err, errlen);
		if (ret < 0)
			goto out;
	}
	/* Older snapshots, and any the log never pointed at. */
	store_snap_name(cur, s->snap_term, s->snap_index, false);
	for (i = 0; i < names.n; i++) {
		if (!parse_pair(names.v[i], "snap-", ".snap", &a, &b) ||
		    (s->snap_index && !strcmp(names.v[i], cur)))
			continue;
		ret = s->fo->unlink(s->ctx, s->dir, names.v[i]);
		if (ret < 0 && ret != -ENOENT) {
			snprintf(err, errlen, "cannot remove %s/%s: %s",
				 s->dirpath, names.v[i], strerror(-ret));
			goto out;
		}
		sync = true;
	}
	/* With no segment, the first save creates one. */
	ret = sync ? store_sync_dir(s, "fsync of the log directory") : 0;
	if (ret < 0 && !err[0])
		snprintf(err, errlen, "cannot start the raft log in %s: %s",
			 s->dirpath, strerror(-ret));
out:
	free(segs);
	free_names(&names);
	return ret;
}
