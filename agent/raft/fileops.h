/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file layer Raft's log store is written against: a context pointer
 * and a table of functions, so that the store runs on the real file
 * system (fileops_posix.c) or on the simulator's disk model
 * (tests/sim/disk.c), which can lose unsynced writes, tear the last one,
 * forget unsynced creates and renames, and fail on purpose.
 *
 * Every function returns 0 (or a count or a handle, >= 0) on success and
 * a negative errno on failure. Names are plain file names inside the one
 * directory handle that opendir returned: no slashes.
 */
#ifndef ATOM_RAFT_FILEOPS_H
#define ATOM_RAFT_FILEOPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Flags for open. Without RAFT_FO_RDWR the file is opened read-only. */
#define RAFT_FO_RDWR	0x1
/* Create the file, failing with -EEXIST if it is there (O_CREAT|O_EXCL). */
#define RAFT_FO_CREATE	0x2

/* Called once per directory entry (not "." or ".."); nonzero stops. */
typedef int (*raft_fo_list_cb)(void *arg, const char *name);

struct raft_fileops {
	/* Open a directory (created 0700 if missing, not its parents). */
	int (*opendir)(void *ctx, const char *path);
	int (*closedir)(void *ctx, int dir);
	/* Make creates, renames and unlinks in dir durable. */
	int (*syncdir)(void *ctx, int dir);
	int (*list)(void *ctx, int dir, raft_fo_list_cb cb, void *arg);
	int (*rename)(void *ctx, int dir, const char *from, const char *to);
	int (*unlink)(void *ctx, int dir, const char *name);

	/* Open a file in dir (created 0600); an fd. */
	int (*open)(void *ctx, int dir, const char *name, int flags);
	int (*close)(void *ctx, int fd);
	/* Bytes read: fewer than len only at the end of the file. */
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t len, uint64_t off);
	/* All len bytes, or an error (short writes are retried inside). */
	int (*pwrite)(void *ctx, int fd, const void *buf, size_t len,
		      uint64_t off);
	/* Make the file's data (and its size) durable. */
	int (*fdatasync)(void *ctx, int fd);
	/* fdatasync plus the rest of the file's metadata. */
	int (*fsync)(void *ctx, int fd);
	/*
	 * Reserve [off, off + len) so that writing there cannot fail with
	 * ENOSPC; extends the file with zeros (mode 0 of fallocate(2)).
	 */
	int (*fallocate)(void *ctx, int fd, uint64_t off, uint64_t len);
	int (*ftruncate)(void *ctx, int fd, uint64_t len);
	int (*size)(void *ctx, int fd, uint64_t *size);
};

/* The real file system; its context pointer is unused (pass NULL). */
extern const struct raft_fileops raft_fileops_posix;

#endif /* ATOM_RAFT_FILEOPS_H */
