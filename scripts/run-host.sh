#!/bin/bash
# Run the host integration tests (selftests/host/*.sh: agents on
# 127.0.0.0/8 with the none dataplane, the CLI) with kselftest's runner.
# Writes RESULTS/host.tap (one result per script) and RESULTS/host.out.
#
# Usage: run-host.sh RESULTS [NAME...]
set -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
results=$(realpath -m "$1")
shift
mkdir -p "$results"
ksft=$("$top/scripts/ksft-fetch.sh") || { echo "host: no kselftest runner" >"$results/host.err"; exit 1; }

tests=()
if [ $# -eq 0 ]; then
	for t in "$top"/selftests/host/*.sh; do
		tests+=("$(basename "$t")")
	done
else
	for t in "$@"; do
		[[ $t == *.sh ]] || t=$t.sh
		[ -f "$top/selftests/host/$t" ] || {
			echo "host: no host test named $t" | tee "$results/host.err"
			exit 1
		}
		tests+=("$t")
	done
fi

export BASE_DIR=${ksft%/kselftest}
export ATOM=$top/build/atom ATOM_SAN=$top/build/san/atom
cd "$top/selftests/host" || exit 1
# shellcheck disable=SC1091
. "$ksft/runner.sh"
kselftest_default_timeout=${ATOM_HOST_TIMEOUT:-300}
run_many "${tests[@]}" | tee "$results/host.out"
grep -E '^(not )?ok [0-9]+ ' "$results/host.out" >"$results/host.tap"
pass=$(grep -cE '^ok ' "$results/host.tap")
skip=$(grep -cE '^ok .*# SKIP' "$results/host.tap")
fail=$(grep -cE '^not ok ' "$results/host.tap")
echo "host: $((pass - skip)) passed, $((fail + skip)) failed"
[ $((fail + skip)) = 0 ]
