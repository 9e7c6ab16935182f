/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A deterministic simulator for the Raft core: N nodes in one process on
 * one seeded PRNG, simulated time, a lossy reordering network with
 * partitions, crashes and restarts through the log store, and a workload
 * of proposals, membership changes, transfers, snapshots and reads. Every
 * event is followed by the safety checks; after the fault phase comes a
 * liveness phase. A failure names the invariant, the seed and the trace.
 */
#ifndef ATOM_TESTS_SIM_RAFTSIM_H
#define ATOM_TESTS_SIM_RAFTSIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct raftsim_opts {
	uint64_t seed;
	uint32_t fault_ms;	/* simulated length of the fault phase */
	uint32_t nodes;		/* founding voters */
	bool verbose;		/* print every event */
	bool use_store;		/* persist through the real store + disk */
	bool failover;		/* quiet network, leader killed every 2 s */
	FILE *out;		/* where failures (and the trace) go */
};

struct raftsim_stats {
	uint64_t events;
	uint64_t messages;
	uint64_t elections;	/* leaders elected */
	uint64_t crashes;
	uint64_t committed;	/* highest committed index */
	uint64_t snapshots_sent;
	uint64_t torn_writes;	/* writes a crash tore */
	uint64_t mid_save_deaths;
	/* Leader crash to next leader, in ms, one sample per crash. */
	uint32_t failover_ms[256];
	uint32_t n_failover;
	char invariant[64];	/* the one that failed; empty if none */
};

void raftsim_opts_default(struct raftsim_opts *o, uint64_t seed);
/* 0: every check held; -1: a check failed (stats->invariant says which). */
int raftsim_run(const struct raftsim_opts *o, struct raftsim_stats *stats);

#endif /* ATOM_TESTS_SIM_RAFTSIM_H */
