// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the member list a joiner decodes from its acceptance never
 * makes the decoder read past what it was given, and whatever decodes
 * encodes back to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "join/members.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct join_peer *p;
	uint8_t *copy, *again;
	size_t n, len;

	copy = malloc(size ? size : 1);	/* exact: ASan sees overreads */
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (!join_members_decode(copy, size, &p, &n)) {
		if (join_members_encode(p, n, &again, &len) ||
		    len != size || memcmp(again, copy, size))
			abort();
		free(again);
		free(p);
	}
	free(copy);
	return 0;
}
