/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), as iSCSI, ext4
 * and etcd's WAL use it. Start with crc = 0 and pass the previous result
 * to continue over more bytes: crc32c(crc32c(0, a, n), b, m) is the CRC
 * of a followed by b.
 */
#ifndef ATOM_RAFT_CRC32C_H
#define ATOM_RAFT_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif /* ATOM_RAFT_CRC32C_H */
