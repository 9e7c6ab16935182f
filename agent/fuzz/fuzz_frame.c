// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: a stream of bytes from a peer, split into frames as the
 * transport does, never makes the decoder read past what it was given.
 */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;

	while (size - pos >= FRAME_HEADER_LEN) {
		struct frame_header h;
		uint64_t id, cluster;
		uint8_t *payload;

		if (frame_header_decode(data + pos, FRAME_MAX_PAYLOAD, &h) < 0)
			break;
		pos += FRAME_HEADER_LEN;
		if (h.payload_len > size - pos)
			break;
		/* An exact copy, so ASan sees any read past the payload. */
		payload = malloc(h.payload_len ? h.payload_len : 1);
		if (!payload)
			break;
		memcpy(payload, data + pos, h.payload_len);
		if (h.type == FRAME_HELLO)
			frame_hello_decode(payload, h.payload_len, &id,
					   &cluster);
		free(payload);
		pos += h.payload_len;
	}
	return 0;
}
