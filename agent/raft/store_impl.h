/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals shared by store.c (the write path) and store_recover.c
 * (start-up): the store object, file names, the fatal path.
 */
#ifndef ATOM_RAFT_STORE_IMPL_H
#define ATOM_RAFT_STORE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/store.h"

#define STORE_NAME_MAX 64

/* Snapshot file: header, conf, data, then crc32c of all before and magic. */
#define SNAP_MAGIC	0x50414e53u	/* "SNAP" */
#define SNAP_VERSION	1u
#define SNAP_HDR	40u
#define SNAP_TRAILER	8u

struct seg {
	uint64_t seq;
	uint64_t first;		/* informational: next index when created */
	uint64_t max_index;	/* highest entry index written in it, or 0 */
};

struct raft_store {
	const struct raft_fileops *fo;
	void *ctx;
	int dir;
	char *dirpath;

	struct seg *segs;	/* oldest first; the last is the active one */
	size_t n_segs;
	size_t cap_segs;
	int fd;			/* the active segment, -1 if none */
	uint64_t tail;		/* where the next batch goes */
	uint64_t alloc;		/* allocated (preallocated) size of it */
	uint64_t dirty_end;	/* [tail, dirty_end) may hold a failed write */
	uint64_t seg_size;
	/* A half-created segment whose unlink failed: remove before a roll. */
	char stray[STORE_NAME_MAX];

	struct raft_hardstate hs;
	uint64_t snap_index;
	uint64_t snap_term;
	uint64_t *terms;	/* terms of snap_index + 1 ... */
	size_t n_terms;
	size_t cap_terms;

	raft_store_fatal_fn fatal;
	void *fatal_arg;
	bool failed;
	bool opening;		/* a failed sync fails the open instead */

	uint8_t *buf;		/* batch being encoded */
	size_t len;
	size_t cap;
	uint32_t n_rec;
	uint32_t batch_crc;	/* over the records' own CRCs, in order */
};

void store_seg_name(char *buf, uint64_t seq, uint64_t first);
void store_snap_name(char *buf, uint64_t term, uint64_t index, bool tmp);

/* The fatal path: marks the store failed, calls the hook; returns err. */
int store_fatal(struct raft_store *s, const char *what, int err);
int store_sync_file(struct raft_store *s, int fd, const char *what);
int store_sync_dir(struct raft_store *s, const char *what);

int store_push_seg(struct raft_store *s, uint64_t seq, uint64_t first,
		   uint64_t max_index);
int store_set_terms(struct raft_store *s, const struct raft_entry *ents,
		    size_t n);
/* Create segment seq + 1 with room for need more bytes; make it active. */
int store_roll(struct raft_store *s, uint64_t first, size_t need);

/* Start-up: list, replay, repair, load the snapshot (store_recover.c). */
int store_recover(struct raft_store *s, struct raft_store_state *st,
		  char *err, size_t errlen);

#endif /* ATOM_RAFT_STORE_IMPL_H */
