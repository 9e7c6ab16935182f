// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: TLV from a peer, walked with nests to a bounded depth and
 * every accessor tried on every attribute, stays within its buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/tlv.h"

static void walk(struct tlv_reader *r, int depth)
{
	struct tlv a;
	uint32_t u32;
	uint64_t u64;
	char s[64];

	while (tlv_next(r, &a) == 1) {
		tlv_u32(&a, &u32);
		tlv_u64(&a, &u64);
		tlv_str(&a, s, sizeof(s));
		if (depth < 4 && (a.type & 1)) {
			struct tlv_reader n;

			tlv_reader_nest(&n, &a);
			walk(&n, depth + 1);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct tlv_reader r;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	tlv_reader_init(&r, copy, size);
	walk(&r, 0);
	free(copy);
	return 0;
}
