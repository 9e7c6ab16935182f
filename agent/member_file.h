/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DATA_DIR/member: what a joined node must know before its Raft log is
 * read (its device is set up first): its mesh address and the mesh
 * network ("mesh_ip A.B.C.D", "network N.N.N.N/P"). Written once, when
 * the join is accepted (temporary file, fsync, rename, directory fsync).
 */
#ifndef ATOM_MEMBER_FILE_H
#define ATOM_MEMBER_FILE_H

#include <netinet/in.h>
#include <stdint.h>

/* 0 with *ip, -ENOENT when this node never joined, -EBADMSG if garbled. */
int member_file_load(const char *dir, struct in_addr *ip,
		     struct in_addr *network, uint32_t *prefix);
int member_file_save(const char *dir, struct in_addr ip, struct in_addr network,
		     uint32_t prefix);

#endif /* ATOM_MEMBER_FILE_H */
