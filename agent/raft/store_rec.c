// SPDX-License-Identifier: GPL-2.0
/*
 * Record framing for the log store: encode, and decode with a bound on
 * every length read from disk.
 */
#include <errno.h>
#include <string.h>

#include "raft/crc32c.h"
#include "raft/store_rec.h"
#include "raft/types.h"

void srec_le32(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void srec_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t srec_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint64_t srec_get64(const uint8_t *p)
{
	return (uint64_t)srec_get32(p) | (uint64_t)srec_get32(p + 4) << 32;
}

size_t srec_size(uint32_t len)
{
	return ((size_t)SREC_HDR + len + 4 + 7) & ~(size_t)7;
}

size_t srec_put(uint8_t *buf, uint8_t kind, uint8_t etype, uint64_t index,
		uint64_t term, const void *payload, uint32_t len)
{
	size_t size = srec_size(len);

	memset(buf, 0, size);
	srec_le32(buf, SREC_MAGIC | (uint32_t)etype << 8 | kind);
	srec_le32(buf + 4, len);
	srec_le64(buf + 8, index);
	srec_le64(buf + 16, term);
	if (len)
		memcpy(buf + SREC_HDR, payload, len);
	srec_le32(buf + size - 4, crc32c(0, buf, size - 4));
	return size;
}

/* The exact payload length of a kind, or the bound for entries. */
static int len_ok(uint8_t kind, uint32_t len)
{
	switch (kind) {
	case SREC_SEGMENT:
		return len == SREC_SEGMENT_LEN;
	case SREC_HARDSTATE:
		return len == SREC_HARDSTATE_LEN;
	case SREC_ENTRY:
		return len <= RAFT_MAX_ENTRY;
	case SREC_MARKER:
		return len == SREC_MARKER_LEN;
	case SREC_COMMIT:
		return len == SREC_COMMIT_LEN;
	}
	return 0;
}

int srec_get(const uint8_t *buf, size_t avail, struct srec *r)
{
	static const uint8_t zero[SREC_HDR];
	uint32_t type;
	size_t size;

	if (avail < SREC_HDR)
		return memcmp(buf, zero, avail) ? -EBADMSG : -ENODATA;
	if (!memcmp(buf, zero, SREC_HDR))
		return -ENODATA;
	type = srec_get32(buf);
	if ((type & 0xffff0000u) != SREC_MAGIC)
		return -EBADMSG;
	r->kind = type & 0xff;
	r->etype = (type >> 8) & 0xff;
	r->len = srec_get32(buf + 4);
	if (!len_ok(r->kind, r->len))
		return -EBADMSG;
	if (r->kind == SREC_ENTRY ? r->etype != RAFT_ENTRY_NORMAL &&
	    r->etype != RAFT_ENTRY_CONF : r->etype != 0)
		return -EBADMSG;
	size = srec_size(r->len);
	if (size > avail)
		return -EBADMSG;
	if (srec_get32(buf + size - 4) != crc32c(0, buf, size - 4))
		return -EBADMSG;
	r->index = srec_get64(buf + 8);
	r->term = srec_get64(buf + 16);
	r->payload = buf + SREC_HDR;
	r->size = size;
	return 0;
}
