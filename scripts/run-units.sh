#!/bin/bash
# Run cmocka test binaries, write their TAP to RESULTS/unit.tap and their
# output to RESULTS/unit/<variant>-<name>.log. A failed case, a sanitizer
# report, a leak, a skipped case or a non-zero exit each count as a failure.
set -u
results=$1
shift
mkdir -p "$results/unit"
tap=$results/unit.tap
: >"$tap"
n=0
failed=0

report() { # ok|not-ok name [comment]
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n $2" >>"$tap"
	else
		failed=$((failed + 1))
		echo "not ok $n $2${3:+ # $3}" >>"$tap"
		echo "FAIL: $2${3:+ ($3)}"
	fi
}

export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=24
export LSAN_OPTIONS=exitcode=23

for bin in "$@"; do
	variant=$(basename "$(dirname "$(dirname "$bin")")")
	name=$(basename "$bin")
	log=$results/unit/$variant-$name.log
	"$bin" >"$log" 2>&1
	rc=$?
	cases=0
	bad=0
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"* | "ok "*"# skip"*)
			report not-ok "$variant/$name: ${line#ok * }" skipped
			cases=$((cases + 1)); bad=$((bad + 1)) ;;
		"ok "*)
			report ok "$variant/$name: ${line#ok * }"
			cases=$((cases + 1)) ;;
		"not ok "*)
			report not-ok "$variant/$name: ${line#not ok * }"
			cases=$((cases + 1)); bad=$((bad + 1)) ;;
		esac
	done <"$log"
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log"; then
		report not-ok "$variant/$name" "sanitizer report, see $log"
		bad=$((bad + 1))
	fi
	if [ "$rc" != 0 ] && [ "$bad" = 0 ]; then
		report not-ok "$variant/$name" "exit status $rc, see $log"
	fi
	if [ "$cases" = 0 ]; then
		report not-ok "$variant/$name" "ran no test case, see $log"
	fi
	[ "$rc" = 0 ] && [ "$bad" = 0 ] || tail -n 40 "$log"
done
echo "unit: $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
