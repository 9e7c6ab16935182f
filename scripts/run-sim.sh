#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Raft simulator in make check: SIM_SEEDS seeds on the plain build, a
# tenth of them under ASan+UBSan, and the mutant builds, each of which
# must be caught. Writes RESULTS/sim.tap.
#
# usage: run-sim.sh RESULTS_DIR BUILD_DIR
set -u
results=$1
build=$2
seeds=${SIM_SEEDS:-5000}
tap=$results/sim.tap
n=0

result() { # ok|not-ok description log
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n $2" >>"$tap"
	else
		echo "not ok $n $2" >>"$tap"
		sed 's/^/# /' "$3" | tail -120 >>"$tap"
	fi
}

: >"$tap"
log=$results/sim-plain.log
if "$build/plain/raftsim" --seeds "$seeds" >"$log" 2>&1; then
	result ok "raftsim: $(tail -1 "$log")" "$log"
else
	result not-ok "raftsim: $seeds seeds" "$log"
fi
cat "$log" | tail -1
log=$results/sim-san.log
if "$build/san/raftsim" --seeds $((seeds / 10)) --from 100000 >"$log" 2>&1; then
	result ok "raftsim under ASan+UBSan: $(tail -1 "$log")" "$log"
else
	result not-ok "raftsim under ASan+UBSan: $((seeds / 10)) seeds" "$log"
fi
cat "$log" | tail -1
log=$results/sim-mutants.log
# shellcheck disable=SC2046
if scripts/sim-mutants.sh "$build" $(make -s --no-print-directory print-mutants) \
	>"$log" 2>&1; then
	result ok "sim-mutants: every known Raft bug is caught" "$log"
else
	result not-ok "sim-mutants: every known Raft bug is caught" "$log"
fi
cat "$log"
grep -q '^not ok' "$tap" && exit 1
exit 0
