#!/bin/bash
# Run each libFuzzer harness for SECONDS over its corpus (agent/fuzz/
# corpus/<name>, read only; new inputs go to build/fuzz/corpus/<name>).
# A crash, a leak, a sanitizer report or a timeout fails; the input is
# kept in build/fuzz/artifacts/. Writes RESULTS/fuzz.tap.
#
# Usage: run-fuzz.sh RESULTS SECONDS FUZZER...
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
results=$1
secs=$2
shift 2
mkdir -p "$results/fuzz" "$top/build/fuzz/artifacts"
tap=$results/fuzz.tap
: >"$tap"
n=0
failed=0
for f in "$@"; do
	name=$(basename "$f")
	name=${name#fuzz_}
	n=$((n + 1))
	seeds=$top/agent/fuzz/corpus/$name
	work=$top/build/fuzz/corpus/$name
	log=$results/fuzz/$name.log
	mkdir -p "$work" "$seeds"
	"$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$top/build/fuzz/artifacts/$name-" \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" = 0 ]; then
		echo "ok $n fuzz: $name (${secs}s, ${execs:-?} inputs, no crash)" >>"$tap"
	else
		failed=$((failed + 1))
		echo "not ok $n fuzz: $name # exit $rc, see $log" >>"$tap"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
	fi
done
cat "$tap"
[ "$failed" = 0 ]
