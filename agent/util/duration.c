// SPDX-License-Identifier: GPL-2.0
/*
 * Durations as operators write them: "90s", "24h", "1h30m", "7d".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/duration.h"

struct unit {
	const char *name;
	uint64_t ms;
};

/* Longest names first so "ms" is not read as "m" followed by "s". */
static const struct unit units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 3600 * 1000 },
	{ "d", 24 * 3600 * 1000 },
};

#define N_UNITS (sizeof(units) / sizeof(units[0]))

static const struct unit *match_unit(const char *s, size_t *ret_len)
{
	size_t i;

	for (i = 0; i < N_UNITS; i++) {
		size_t n = strlen(units[i].name);

		if (!strncmp(s, units[i].name, n)) {
			*ret_len = n;
			return &units[i];
		}
	}
	return NULL;
}

int duration_parse(const char *s, uint64_t *ret_ms)
{
	uint64_t total = 0;
	size_t last = N_UNITS;

	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "0")) {
		*ret_ms = 0;
		return 0;
	}
	while (*s) {
		const struct unit *u;
		uint64_t n = 0;
		size_t ulen, idx;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		while (*s >= '0' && *s <= '9') {
			n = n * 10 + (uint64_t)(*s++ - '0');
			if (n > DURATION_MAX_MS)
				return -ERANGE;
		}
		u = match_unit(s, &ulen);
		if (!u)
			return -EINVAL;
		/* Each unit once, largest first: "1h30m", never "30m1h". */
		idx = (size_t)(u - units);
		if (idx >= last)
			return -EINVAL;
		last = idx;
		if (n > DURATION_MAX_MS / u->ms)
			return -ERANGE;
		total += n * u->ms;
		if (total > DURATION_MAX_MS)
			return -ERANGE;
		s += ulen;
	}
	*ret_ms = total;
	return 0;
}

int duration_format(uint64_t ms, char *buf, unsigned long len)
{
	unsigned long off = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	buf[0] = '\0';
	if (ms == 0)
		return snprintf(buf, len, "0s") < (int)len ? 0 : -ENOSPC;
	for (i = N_UNITS; i-- > 0;) {
		uint64_t n = ms / units[i].ms;
		int w;

		if (!n)
			continue;
		ms -= n * units[i].ms;
		w = snprintf(buf + off, len - off, "%llu%s",
			     (unsigned long long)n, units[i].name);
		if (w < 0 || (unsigned long)w >= len - off)
			return -ENOSPC;
		off += (unsigned long)w;
	}
	return 0;
}
