#!/bin/bash
# Prove the VM verdict: a run whose tests all pass but whose kernel WARNs
# must fail, and fail for that reason. Writes RESULTS/warn-probe.tap.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
results=${1:-$top/build/results}
mkdir -p "$results"
probe=$results/warn-probe-run
rm -rf "$probe"
mkdir -p "$probe"
"$top/selftests/vm/run.sh" --results "$probe" --name probe \
	--test probes/warn_probe >"$probe/output.txt" 2>&1
rc=$?
name="vm harness fails a run whose kernel WARNs though its tests pass"
if [ "$rc" != 0 ] &&
   grep -q '^ok .*warn_probe' "$probe/probe.tap" &&
   grep -q '^not ok .*kernel console free of' "$probe/probe.tap"; then
	echo "ok 1 $name" >"$results/warn-probe.tap"
	echo "warn-probe: ok (the WARN failed the run)"
else
	echo "not ok 1 $name # run.sh exit $rc" >"$results/warn-probe.tap"
	echo "warn-probe: FAILED: the harness did not fail on a WARN"
	cat "$probe/output.txt"
	exit 1
fi
