// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: any duration string parses or is refused, and what parses
 * formats back to the same value.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[64];
	uint64_t ms, back;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (duration_parse(s, &ms) == 0) {
		if (duration_format(ms, buf, sizeof(buf)) != 0 ||
		    duration_parse(buf, &back) != 0 || back != ms)
			abort();
	}
	free(s);
	return 0;
}
