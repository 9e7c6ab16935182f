#!/bin/bash
# make check: build, unit tests (plain and ASan+UBSan), the Raft
# simulator (seeds, sanitizers, mutants), a short fuzzing pass, host integration tests, VM selftests, the VM harness's own WARN
# probe and style; then one summary line. Every phase runs even when an
# earlier one failed, so one run shows everything.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
results=$top/build/results
make="make --no-print-directory -C $top"
rm -rf "$results"
mkdir -p "$results"

phase() { # name command...
	local name=$1 start rc
	shift
	echo "=== $name"
	start=$(date +%s)
	"$@"
	rc=$?
	echo "=== $name: exit $rc, $(($(date +%s) - start))s"
	return $rc
}

style_tap() {
	if scripts/style.sh; then
		echo "ok 1 style: checkpatch --strict and sparse are clean" >"$results/style.tap"
	else
		echo "not ok 1 style: checkpatch --strict and sparse are clean" >"$results/style.tap"
	fi
}

cd "$top" || exit 1
start=$(date +%s)
if phase build $make all unit-build progs fuzzers sim-build build/san/atom; then
	phase unit $make unit
	phase sim scripts/run-sim.sh "$results" build
	phase fuzz scripts/run-fuzz.sh "$results" "${ATOM_CHECK_FUZZ_S:-15}" \
		build/fuzz/fuzz_*
	phase host scripts/run-host.sh "$results"
	phase selftest $make selftest
	phase warn-probe selftests/vm/warn-probe.sh "$results"
else
	echo "build failed" >"$results/build.err"
fi
phase style style_tap
echo "=== total: $(($(date +%s) - start))s"
scripts/summary.sh "$results"
