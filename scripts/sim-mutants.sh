#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prove that the Raft simulator can fail: each mutant build (a known
# consensus or storage bug switched on by a test-only define) must be
# caught within the seed budget. Prints the invariant that caught each.
#
# usage: sim-mutants.sh BUILD_DIR MUTANT...
set -u

build=$1
shift
budget=${SIM_MUTANT_SEEDS:-60000}
missed=0

for m in "$@"; do
	out=$("$build/mutant/$m/raftsim" --seeds "$budget" 2>&1)
	if [ $? -eq 0 ]; then
		echo "not caught: $m survived $budget seeds"
		missed=$((missed + 1))
		continue
	fi
	inv=$(sed -n "s/^# raftsim seed \([0-9]*\): invariant '\([^']*\)'.*/seed \1: \2/p" <<<"$out" | head -1)
	printf 'caught: %-20s %s\n' "$m" "$inv"
done
if [ "$missed" -ne 0 ]; then
	echo "sim-mutants: $missed mutant(s) not caught"
	exit 1
fi
echo "sim-mutants: all $# mutants caught"
