/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raft's durable log and snapshot store, written against raft_fileops.
 *
 * One directory holds append-only segments (seg-<seq>-<first>.log, each
 * preallocated, starting with a header batch that repeats the hard state
 * and the snapshot marker) and snapshots (snap-<term>-<index>.snap).
 * Every save is one batch of CRC32C-framed records closed by a commit
 * record, then fdatasync: when a call returns 0 the data is durable.
 * A conflicting tail is never truncated in place: the new entries are
 * appended and replay keeps the last writer, as etcd's WAL does.
 *
 * Recovery drops a torn tail after the last complete batch and refuses to
 * start (with an operator-facing reason) when a bad record is followed by
 * a synced batch or sits in a sealed segment, i.e. when acknowledged data
 * is damaged. Each batch ends in two copies of its COMMIT record, so a
 * flip in the last one (which nothing synced follows) is not mistaken for
 * a torn write; recovery restores the damaged copy.
 * An fsync/fdatasync error calls the fatal hook (default abort(): after a
 * failed fsync the page cache can no longer be trusted).
 *
 * The store does not lock the directory: the caller holds it (datadir.h).
 * Not thread-safe; one store per directory.
 */
#ifndef ATOM_RAFT_STORE_H
#define ATOM_RAFT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "raft/fileops.h"
#include "raft/types.h"

/* Default segment size; segments roll when the next batch does not fit. */
#define RAFT_STORE_SEGMENT_SIZE (1u << 20)
/* Smallest roll size raft_store_set_segment_size accepts. */
#define RAFT_STORE_SEGMENT_MIN 512u
/* Largest segment file recovery reads (a batch may exceed the roll). */
#define RAFT_STORE_SEGMENT_MAX (256u << 20)
/* Largest batch one save may write (encoded); larger: -E2BIG, split it. */
#define RAFT_STORE_BATCH_MAX (RAFT_STORE_SEGMENT_MAX - (1u << 20))

struct raft_store;

struct raft_store_state {
	struct raft_hardstate hs;
	struct raft_snapshot snap;	/* index 0: none */
	struct raft_entry *ents;	/* after snap.index, contiguous */
	size_t n_ents;
};

/*
 * Called on an fsync/fdatasync error (or on a failure that leaves the
 * store unable to say what is on disk). If it returns, the store is
 * failed: every later call returns -EIO.
 */
typedef void (*raft_store_fatal_fn)(void *arg, const char *what, int err);

/*
 * Open (or create) the store in dir and recover it into *st. On refusal
 * (-EUCLEAN for corruption of acknowledged data, or another negative
 * errno), err holds an operator-facing reason. Free *st with
 * raft_store_state_free, also after an error. A failed fsync while
 * opening fails the open (nothing has been acknowledged yet) rather than
 * calling the fatal hook: the caller must not retry in-process.
 */
int raft_store_open(struct raft_store **ret, const struct raft_fileops *fo,
		    void *fo_ctx, const char *dir, struct raft_store_state *st,
		    char *err, size_t errlen);

/*
 * Durably append: the hard state (NULL: unchanged) and n entries. If
 * ents[0].index <= last index, the entries from there on are replaced
 * (a follower's conflict). ents[0].index must be > the snapshot index
 * and <= last index + 1, the entries contiguous: else -EINVAL. A batch
 * over RAFT_STORE_BATCH_MAX encoded bytes: -E2BIG.
 * -ENOSPC (or another error before the sync) changes nothing.
 */
int raft_store_save(struct raft_store *s, const struct raft_hardstate *hs,
		    const struct raft_entry *ents, size_t n);

/*
 * Durably store snap (tmp file, fsync, rename, directory fsync, then a
 * marker in the log), drop the previous snapshot, and delete segments
 * wholly below snap->index - keep_trailing. If the log holds snap->index
 * with snap->term, the entries after it stay; otherwise (a snapshot
 * installed from a leader, possibly ahead of the log) the log restarts
 * after snap->index. The current snapshot again: only the compaction.
 * An older one, or the same index with another term: -EINVAL. An error
 * after the marker is durable (a fatal directory fsync) leaves the new
 * snapshot in force on disk; the store is failed then anyway.
 */
int raft_store_snapshot(struct raft_store *s, const struct raft_snapshot *snap,
			uint64_t keep_trailing);

/* Closes files; writes nothing. NULL is fine. */
void raft_store_close(struct raft_store *s);

void raft_store_state_free(struct raft_store_state *st);

/* Replace the fatal hook (fn NULL: back to abort()). */
void raft_store_set_fatal(struct raft_store *s, raft_store_fatal_fn fn,
			  void *arg);

/* Roll size for segments created from now on; tests make it tiny. */
int raft_store_set_segment_size(struct raft_store *s, uint64_t bytes);

/* The last index in the log (the snapshot index if the log is empty). */
uint64_t raft_store_last_index(const struct raft_store *s);

#endif /* ATOM_RAFT_STORE_H */
