// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: atom.yaml from an untrusted editor never crashes the parser.
 */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512];

	config_parse((const char *)data, size, "fuzz.yaml", &cfg, err,
		     sizeof(err));
	return 0;
}
