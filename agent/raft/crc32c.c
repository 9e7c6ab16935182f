// SPDX-License-Identifier: GPL-2.0
/*
 * Table-driven CRC-32C, one byte per step: the log's records are small
 * and the table (built on first use, 1 KiB) keeps this portable.
 */
#include "raft/crc32c.h"

#define CRC32C_POLY 0x82f63b78u

static uint32_t table[256];
static int table_ready;

static void build_table(void)
{
	uint32_t c, i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		table[i] = c;
	}
	table_ready = 1;
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (!table_ready)
		build_table();
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
