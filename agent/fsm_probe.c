// SPDX-License-Identifier: GPL-2.0
/*
 * The probe state machine (see fsm.h).
 *
 * Snapshot: u64 count, u64 hash, FSM_PROBE_MAX / 8 bytes of bitmap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsm.h"
#include "util/bytes.h"

#define BITMAP_LEN (FSM_PROBE_MAX / 8)

struct fsm_probe {
	uint64_t count, hash;
	uint8_t bits[BITMAP_LEN];
};

int fsm_probe_new(struct fsm_probe **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

void fsm_probe_free(struct fsm_probe *p)
{
	free(p);
}

uint64_t fsm_probe_count(const struct fsm_probe *p)
{
	return p->count;
}

uint64_t fsm_probe_hash(const struct fsm_probe *p)
{
	return p->hash;
}

const uint8_t *fsm_probe_bitmap(const struct fsm_probe *p)
{
	return p->bits;
}

static int64_t probe_apply(void *ctx, uint64_t index, const uint8_t *data,
			   uint32_t len)
{
	struct fsm_probe *p = ctx;
	uint64_t id;

	(void)index;
	if (len != 9 || data[0] != FSM_PROBE)
		return -EINVAL;	/* not ours: refused, state unchanged */
	id = get_be64(data + 1);
	p->count++;
	p->hash = (p->hash ^ id) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
	if (id < FSM_PROBE_MAX)
		p->bits[id / 8] |= (uint8_t)(1u << (id % 8));
	return (int64_t)p->count;
}

static int probe_snapshot(void *ctx, uint8_t **ret, uint64_t *len)
{
	struct fsm_probe *p = ctx;
	uint8_t *buf = malloc(16 + BITMAP_LEN);

	if (!buf)
		return -ENOMEM;
	put_be64(buf, p->count);
	put_be64(buf + 8, p->hash);
	memcpy(buf + 16, p->bits, BITMAP_LEN);
	*ret = buf;
	*len = 16 + BITMAP_LEN;
	return 0;
}

static int probe_restore(void *ctx, const uint8_t *data, uint64_t len)
{
	struct fsm_probe *p = ctx;

	if (len != 16 + BITMAP_LEN)
		return -EBADMSG;
	p->count = get_be64(data);
	p->hash = get_be64(data + 8);
	memcpy(p->bits, data + 16, BITMAP_LEN);
	return 0;
}

const struct fsm_ops fsm_probe_ops = {
	.apply = probe_apply,
	.snapshot = probe_snapshot,
	.restore = probe_restore,
};
