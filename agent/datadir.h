/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's data directory: created 0700 when missing, held open (for
 * directory fsync) and locked, so that two agents never share one.
 */
#ifndef ATOM_DATADIR_H
#define ATOM_DATADIR_H

/*
 * Create (parents too) and lock path. Returns an O_DIRECTORY fd holding
 * an exclusive flock, or -EWOULDBLOCK when another process holds it.
 */
int datadir_open(const char *path);

/* Remove the directory and everything in it (an evicted node's data). */
int datadir_wipe(const char *path);

#endif /* ATOM_DATADIR_H */
