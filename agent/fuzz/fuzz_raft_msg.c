// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: Raft messages and membership payloads from a peer never make
 * the decoders read past what they were given, and whatever decodes
 * encodes back to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "raft/conf.h"
#include "raft/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct raft_conf_change cc;
	struct raft_msg m;
	uint8_t *copy, *again;
	size_t len;

	/* An exact copy, so ASan sees any read past the end. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (raft_msg_decode(copy, size, &m) == 0) {
		if (raft_msg_encode(&m, &again, &len) == 0) {
			if (len != size || memcmp(again, copy, size))
				abort();
			free(again);
		}
		raft_msg_release(&m);
	}
	if (size <= UINT32_MAX &&
	    raft_conf_change_decode(copy, (uint32_t)size, &cc) == 0)
		raft_conf_free(&cc.conf);
	free(copy);
	return 0;
}
