/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The simulator's disk model: raft_fileops over memory, one instance per
 * node, with what a crash really loses.
 *
 * Each file has a volatile view (what reads see) and a durable image.
 * pwrite changes the view; fdatasync/fsync copy that file's changes (and
 * its size) to the image. Creates, renames and unlinks change the
 * volatile directory; syncdir makes all of them durable. A crash drops
 * the view: every file becomes its image, except that the last unsynced
 * write of each file may survive whole, not at all, or torn (a prefix of
 * its 512-byte sectors, then in the next sector a prefix of the new bytes
 * followed by garbage), and a random prefix (in order) of the unsynced
 * directory operations survives. Open handles die with the crash.
 *
 * Faults: EIO from a chosen sync (the data it should have written is
 * lost, as Linux marks the pages clean: retrying cannot help); ENOSPC
 * when files would grow beyond a byte budget; bit flips in synced data.
 * All randomness comes from the caller's PRNG.
 *
 * The disk has one directory: opendir accepts any path and every handle
 * names the same files. Use one disk per node.
 */
#ifndef ATOM_SIM_DISK_H
#define ATOM_SIM_DISK_H

#include <stdbool.h>
#include <stdint.h>

#include "raft/fileops.h"

#define SIM_DISK_SECTOR 512u
#define SIM_DISK_NAME_MAX 64u

typedef uint64_t (*sim_rand_fn)(void *arg);

struct sim_disk;

struct sim_disk_stats {
	uint64_t writes;
	uint64_t bytes_written;
	uint64_t syncs;		/* fdatasync, fsync and syncdir */
	uint64_t crashes;
	uint64_t torn;		/* writes torn by a crash */
};

/* The table to pass to raft_store_open, with the disk as its context. */
extern const struct raft_fileops sim_disk_fileops;

struct sim_disk *sim_disk_new(sim_rand_fn rnd, void *rnd_arg);
void sim_disk_free(struct sim_disk *d);

/*
 * Power loss. Close the store first (raft_store_close writes nothing).
 * With tear false, unsynced writes and directory operations are simply
 * lost; with tear true they may survive as described above.
 */
void sim_disk_crash(struct sim_disk *d, bool tear);

/*
 * A crash in the middle of an operation: after `calls` more calls, every
 * call (close aside) fails with -EIO until sim_disk_crash. The store sees
 * a failed write or sync (its fatal hook fires for a sync): treat either
 * as the node's death, then close the store and crash the disk.
 */
void sim_disk_die_after(struct sim_disk *d, unsigned int calls);
bool sim_disk_dead(const struct sim_disk *d);

/* The sync after `after` more successful ones fails with -EIO, once. */
void sim_disk_fail_sync(struct sim_disk *d, unsigned int after);
/* Total size of all files; growing beyond it is -ENOSPC. */
void sim_disk_set_space(struct sim_disk *d, uint64_t bytes);
uint64_t sim_disk_used(const struct sim_disk *d);

/* Flip one bit of a file's durable image (and of its view). */
int sim_disk_flip_bit(struct sim_disk *d, const char *name, uint64_t off,
		      unsigned int bit);
/*
 * Flip a random bit in the written part of a random durable file; name
 * (SIM_DISK_NAME_MAX bytes) and off, if not NULL, say where. -ENOENT if
 * no file holds data.
 */
int sim_disk_flip_random(struct sim_disk *d, char *name, uint64_t *off);

/* The current view of a file: a malloc'd copy (*buf NULL when empty). */
int sim_disk_get(struct sim_disk *d, const char *name, uint8_t **buf,
		 uint64_t *len);
/* Replace a file's view and image with buf (created durably if absent). */
int sim_disk_put(struct sim_disk *d, const char *name, const uint8_t *buf,
		 uint64_t len);
/* Whether name exists in the current view of the directory. */
bool sim_disk_exists(struct sim_disk *d, const char *name);

void sim_disk_get_stats(const struct sim_disk *d, struct sim_disk_stats *st);

#endif /* ATOM_SIM_DISK_H */
