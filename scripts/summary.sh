#!/bin/bash
# Count every top-level TAP result in RESULTS/*.tap and print the closing
# line "N passed, N failed". A phase that could not run leaves RESULTS/*.err
# and counts as one failure. Exit 1 if anything failed.
set -u
results=$1
pass=0
fail=0
for f in "$results"/*.tap; do
	[ -e "$f" ] || continue
	p=$(grep -cE '^ok [0-9]+' "$f" | head -1)
	s=$(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$f" | head -1)
	x=$(grep -cE '^not ok [0-9]+' "$f" | head -1)
	pass=$((pass + p - s))
	fail=$((fail + x + s))
done
for f in "$results"/*.err; do
	[ -e "$f" ] || continue
	echo "error: $(cat "$f")"
	fail=$((fail + 1))
done
if [ $((pass + fail)) = 0 ]; then
	echo "no test ran"
	fail=1
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
