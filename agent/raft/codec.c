// SPDX-License-Identifier: GPL-2.0
/*
 * The Raft message codec. One fixed layout, big-endian:
 *
 *   u8 version, u8 type, u8 flags (reject, transfer, heartbeat), u8 zero,
 *   u64 from, to, term, index, log_term, commit, hint, seq, sent_ms,
 *   u32 rtt_ms, u32 n_ents,
 *   n_ents x { u64 term, u64 index, u8 type, u32 len, len bytes },
 *   u64 snap_index, snap_term, offset, total, u32 chunk_len, chunk bytes.
 *
 * Decoding checks every length against the buffer and the named limits,
 * the entries' contiguity after index, and that nothing trails.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "raft/msg.h"
#include "util/bytes.h"

#define FLAG_REJECT 0x1
#define FLAG_TRANSFER 0x2
#define FLAG_HEARTBEAT 0x4
#define FLAGS_ALL (FLAG_REJECT | FLAG_TRANSFER | FLAG_HEARTBEAT)

#define HDR_LEN (4 + 9 * 8 + 4 + 4)
#define ENT_HDR_LEN (8 + 8 + 1 + 4)
#define SNAP_HDR_LEN (4 * 8 + 4)

static const char *const type_names[] = {
	[RAFT_MSG_PREVOTE] = "prevote",
	[RAFT_MSG_PREVOTE_RESP] = "prevote-resp",
	[RAFT_MSG_VOTE] = "vote",
	[RAFT_MSG_VOTE_RESP] = "vote-resp",
	[RAFT_MSG_APPEND] = "append",
	[RAFT_MSG_APPEND_RESP] = "append-resp",
	[RAFT_MSG_SNAPSHOT] = "snapshot",
	[RAFT_MSG_SNAPSHOT_RESP] = "snapshot-resp",
	[RAFT_MSG_TIMEOUT_NOW] = "timeout-now",
};

const char *raft_msg_type_name(uint8_t type)
{
	if (type == 0 || type > RAFT_MSG_TYPE_MAX)
		return "unknown";
	return type_names[type];
}

int raft_msg_encode(const struct raft_msg *m, uint8_t **ret, size_t *len)
{
	size_t n = HDR_LEN + SNAP_HDR_LEN + m->chunk_len;
	uint8_t *buf, *p;
	uint32_t i;

	if (m->type == 0 || m->type > RAFT_MSG_TYPE_MAX ||
	    m->n_ents > RAFT_MSG_MAX_ENTRIES ||
	    m->chunk_len > RAFT_MSG_MAX_CHUNK)
		return -EINVAL;
	for (i = 0; i < m->n_ents; i++) {
		if (m->ents[i].len > RAFT_MAX_ENTRY)
			return -E2BIG;
		n += ENT_HDR_LEN + m->ents[i].len;
	}
	if (n > RAFT_MSG_MAX_BYTES)
		return -E2BIG;
	buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	p = buf;
	p[0] = RAFT_CODEC_VERSION;
	p[1] = m->type;
	p[2] = (m->reject ? FLAG_REJECT : 0) | (m->transfer ? FLAG_TRANSFER : 0) |
	       (m->heartbeat ? FLAG_HEARTBEAT : 0);
	p[3] = 0;
	p += 4;
	put_be64(p, m->from);
	put_be64(p + 8, m->to);
	put_be64(p + 16, m->term);
	put_be64(p + 24, m->index);
	put_be64(p + 32, m->log_term);
	put_be64(p + 40, m->commit);
	put_be64(p + 48, m->hint);
	put_be64(p + 56, m->seq);
	put_be64(p + 64, m->sent_ms);
	put_be32(p + 72, m->rtt_ms);
	put_be32(p + 76, m->n_ents);
	p += 80;
	for (i = 0; i < m->n_ents; i++) {
		const struct raft_entry *e = &m->ents[i];

		put_be64(p, e->term);
		put_be64(p + 8, e->index);
		p[16] = e->type;
		put_be32(p + 17, e->len);
		p += ENT_HDR_LEN;
		if (e->len)
			memcpy(p, e->data, e->len);
		p += e->len;
	}
	put_be64(p, m->snap_index);
	put_be64(p + 8, m->snap_term);
	put_be64(p + 16, m->offset);
	put_be64(p + 24, m->total);
	put_be32(p + 32, m->chunk_len);
	p += SNAP_HDR_LEN;
	if (m->chunk_len)
		memcpy(p, m->chunk, m->chunk_len);
	*ret = buf;
	*len = n;
	return 0;
}

void raft_msg_release(struct raft_msg *m)
{
	uint32_t i;

	if (!m)
		return;
	for (i = 0; i < m->n_ents && m->ents; i++)
		free(m->ents[i].data);
	free(m->ents);
	free(m->chunk);
	m->ents = NULL;
	m->chunk = NULL;
	m->n_ents = 0;
	m->chunk_len = 0;
}

static int decode_entries(const uint8_t **pp, size_t *left,
			  struct raft_msg *m)
{
	const uint8_t *p = *pp;
	uint32_t i;

	m->ents = calloc(m->n_ents, sizeof(*m->ents));
	if (!m->ents)
		return -ENOMEM;
	for (i = 0; i < m->n_ents; i++) {
		struct raft_entry *e = &m->ents[i];

		if (*left < ENT_HDR_LEN)
			return -EBADMSG;
		e->term = get_be64(p);
		e->index = get_be64(p + 8);
		e->type = p[16];
		e->len = get_be32(p + 17);
		p += ENT_HDR_LEN;
		*left -= ENT_HDR_LEN;
		if (e->type != RAFT_ENTRY_NORMAL && e->type != RAFT_ENTRY_CONF)
			return -EBADMSG;
		if (e->len > RAFT_MAX_ENTRY || e->len > *left)
			return -EBADMSG;
		if (e->index != m->index + 1 + i || e->term > m->term ||
		    e->term < m->log_term)
			return -EBADMSG;
		if (e->len) {
			e->data = malloc(e->len);
			if (!e->data)
				return -ENOMEM;
			memcpy(e->data, p, e->len);
		}
		p += e->len;
		*left -= e->len;
	}
	*pp = p;
	return 0;
}

int raft_msg_decode(const uint8_t *p, size_t len, struct raft_msg *m)
{
	size_t left = len;
	int err;

	memset(m, 0, sizeof(*m));
	if (len < HDR_LEN + SNAP_HDR_LEN || len > RAFT_MSG_MAX_BYTES)
		return -EBADMSG;
	if (p[0] != RAFT_CODEC_VERSION)
		return -EPROTONOSUPPORT;
	if (p[1] == 0 || p[1] > RAFT_MSG_TYPE_MAX || (p[2] & ~FLAGS_ALL) ||
	    p[3])
		return -EBADMSG;
	m->type = p[1];
	m->reject = p[2] & FLAG_REJECT;
	m->transfer = p[2] & FLAG_TRANSFER;
	m->heartbeat = p[2] & FLAG_HEARTBEAT;
	p += 4;
	m->from = get_be64(p);
	m->to = get_be64(p + 8);
	m->term = get_be64(p + 16);
	m->index = get_be64(p + 24);
	m->log_term = get_be64(p + 32);
	m->commit = get_be64(p + 40);
	m->hint = get_be64(p + 48);
	m->seq = get_be64(p + 56);
	m->sent_ms = get_be64(p + 64);
	m->rtt_ms = get_be32(p + 72);
	m->n_ents = get_be32(p + 76);
	p += 80;
	left -= HDR_LEN;
	if (m->from == 0 || m->to == 0 || m->from == m->to)
		return -EBADMSG;
	if (m->n_ents > RAFT_MSG_MAX_ENTRIES ||
	    (m->n_ents && m->type != RAFT_MSG_APPEND) ||
	    m->index > UINT64_MAX - RAFT_MSG_MAX_ENTRIES - 1) {
		m->n_ents = 0;
		return -EBADMSG;
	}
	if (m->n_ents) {
		err = decode_entries(&p, &left, m);
		if (err)
			goto fail;
	}
	err = -EBADMSG;
	if (left < SNAP_HDR_LEN)
		goto fail;
	m->snap_index = get_be64(p);
	m->snap_term = get_be64(p + 8);
	m->offset = get_be64(p + 16);
	m->total = get_be64(p + 24);
	m->chunk_len = get_be32(p + 32);
	p += SNAP_HDR_LEN;
	left -= SNAP_HDR_LEN;
	if (m->chunk_len != left || m->chunk_len > RAFT_MSG_MAX_CHUNK)
		goto fail_chunk;
	/* Only chunks carry bytes; only chunks and their answers offsets. */
	if (m->type != RAFT_MSG_SNAPSHOT && (m->chunk_len || m->total))
		goto fail_chunk;
	if (m->offset && m->type != RAFT_MSG_SNAPSHOT &&
	    m->type != RAFT_MSG_SNAPSHOT_RESP)
		goto fail_chunk;
	if (m->type == RAFT_MSG_SNAPSHOT &&
	    (m->total > RAFT_MAX_SNAPSHOT || m->offset > m->total ||
	     m->chunk_len > m->total - m->offset || m->snap_index == 0))
		goto fail_chunk;
	if (m->chunk_len) {
		m->chunk = malloc(m->chunk_len);
		if (!m->chunk) {
			err = -ENOMEM;
			goto fail_chunk;
		}
		memcpy(m->chunk, p, m->chunk_len);
	}
	return 0;
fail_chunk:
	m->chunk_len = 0;
fail:
	raft_msg_release(m);
	return err;
}
