// SPDX-License-Identifier: GPL-2.0
/*
 * raftsim: run the Raft simulator over seeds.
 *
 *   raftsim SEED                 replay one seed, printing every event
 *   raftsim --seeds N [--from S] run N seeds, print a summary line
 *   raftsim --seconds N          run seeds for N seconds (soak)
 *   raftsim --failover N         N seeds of leader crashes on a quiet
 *                                network: median and p99 time from the
 *                                crash to a new leader (default timeouts)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/sim/raftsim.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int run_failover(uint64_t seeds)
{
	static uint32_t all[256 * 1024];
	struct raftsim_stats st;
	struct raftsim_opts o;
	size_t n = 0;

	for (uint64_t seed = 1; seed <= seeds; seed++) {
		raftsim_opts_default(&o, seed);
		o.failover = true;
		o.fault_ms = 20000;
		if (raftsim_run(&o, &st)) {
			printf("raftsim --failover, seed %llu: FAILED (%s)\n",
			       (unsigned long long)seed, st.invariant);
			return 1;
		}
		for (uint32_t i = 0; i < st.n_failover && n < 256 * 1024; i++)
			all[n++] = st.failover_ms[i];
	}
	if (!n) {
		printf("raftsim --failover: no samples\n");
		return 1;
	}
	qsort(all, n, sizeof(*all), cmp_u32);
	printf("raftsim --failover: leader crash to next leader ");
	printf("(heartbeat 50 ms, election 300-600 ms): ");
	printf("%zu samples over %llu seeds: median %u ms, p99 %u ms, max %u ms\n",
	       n, (unsigned long long)seeds, all[n / 2], all[n * 99 / 100],
	       all[n - 1]);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int print_usage(void)
{
	fprintf(stderr, "usage: raftsim SEED | --seeds N [--from S] | --seconds N\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t from = 1, n = 0, seed, events = 0, msgs = 0, elections = 0;
	uint64_t crashes = 0, snaps = 0, torn = 0, mid = 0;
	double secs = 0, t0 = now_s();
	struct raftsim_stats st;
	struct raftsim_opts o;
	uint64_t failed = 0;

	if (argc == 2 && argv[1][0] != '-') {
		raftsim_opts_default(&o, strtoull(argv[1], NULL, 0));
		o.verbose = true;
		o.out = stdout;
		if (raftsim_run(&o, &st)) {
			printf("seed %s: FAILED (%s)\n", argv[1], st.invariant);
			return 1;
		}
		printf("seed %s: ok, %llu events, %llu messages, %llu elections, committed %llu\n",
		       argv[1], (unsigned long long)st.events,
		       (unsigned long long)st.messages,
		       (unsigned long long)st.elections,
		       (unsigned long long)st.committed);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--from") && i + 1 < argc)
			from = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			secs = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--failover") && i + 1 < argc)
			return run_failover(strtoull(argv[++i], NULL, 0));
		else
			return print_usage();
	}
	if (!n && secs <= 0)
		return print_usage();
	for (seed = from; ; seed++) {
		if (n && seed >= from + n)
			break;
		if (!n && now_s() - t0 >= secs)
			break;
		raftsim_opts_default(&o, seed);
		if (raftsim_run(&o, &st))
			failed++;
		events += st.events;
		msgs += st.messages;
		elections += st.elections;
		crashes += st.crashes;
		snaps += st.snapshots_sent;
		torn += st.torn_writes;
		mid += st.mid_save_deaths;
		if (failed)
			break;
	}
	printf("raftsim: %llu seeds from %llu, %llu events, %llu messages, ",
	       (unsigned long long)(seed - from + (failed ? 1 : 0)),
	       (unsigned long long)from, (unsigned long long)events,
	       (unsigned long long)msgs);
	printf("%llu elections, %llu crashes (%llu mid-save, %llu torn writes), ",
	       (unsigned long long)elections, (unsigned long long)crashes,
	       (unsigned long long)mid, (unsigned long long)torn);
	printf("%llu snapshots sent, %.1f s: %s\n", (unsigned long long)snaps,
	       now_s() - t0, failed ? "FAILED" : "ok");
	return failed ? 1 : 0;
}
