/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ATOM_UTIL_DURATION_H
#define ATOM_UTIL_DURATION_H

#include <stdint.h>

/* The longest duration accepted anywhere: 100 years, in milliseconds. */
#define DURATION_MAX_MS (100ULL * 365 * 24 * 3600 * 1000)

/*
 * Parse a duration such as "250ms", "90s", "10m", "24h", "7d" or "1h30m"
 * into milliseconds. Units are required; 0 is accepted as "0" alone.
 * Returns 0, -EINVAL for bad syntax or -ERANGE above DURATION_MAX_MS.
 */
int duration_parse(const char *s, uint64_t *ret_ms);

/* Format ms the way duration_parse reads it ("1h30m", "250ms", "0s"). */
int duration_format(uint64_t ms, char *buf, unsigned long len);

#endif /* ATOM_UTIL_DURATION_H */
