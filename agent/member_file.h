/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DATA_DIR/member: what a joined node must know before its Raft log is
 * read, its mesh address ("mesh_ip A.B.C.D"). Written once, when the
 * join is accepted (temporary file, fsync, rename, directory fsync).
 */
#ifndef ATOM_MEMBER_FILE_H
#define ATOM_MEMBER_FILE_H

#include <netinet/in.h>

/* 0 with *ip, -ENOENT when this node never joined, -EBADMSG if garbled. */
int member_file_load(const char *dir, struct in_addr *ip);
int member_file_save(const char *dir, struct in_addr ip);

#endif /* ATOM_MEMBER_FILE_H */
