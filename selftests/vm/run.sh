#!/bin/bash
# Boot Debian's kernel under QEMU with our initramfs, run the selftests
# inside, bring their TAP back, and judge the run. The run fails if a test
# fails or is skipped, if the VM misses its deadline, or if the kernel
# console shows an oops, a WARN, a KASAN report or a hung task, whatever
# the tests said.
#
# Usage: run.sh [--results DIR] [--test NAME]... [--deadline SECONDS]
#               [--name LABEL] [--timeout SECONDS (per test, for benchmarks)]
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build
vm=$build/vm
results=$build/results
deadline=${ATOM_VM_DEADLINE:-900}
label=selftest
tests=()
timeout_arg=

while [ $# -gt 0 ]; do
	case $1 in
	--results) results=$2; shift 2 ;;
	--test) tests+=("$2"); shift 2 ;;
	--deadline) deadline=$2; shift 2 ;;
	--name) label=$2; shift 2 ;;
	--timeout) timeout_arg=" atomvm.timeout=$2"; shift 2 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

die() {
	echo "vm: $*" >&2
	mkdir -p "$results"
	echo "$label: $*" >"$results/$label.err"
	exit 1
}

kdir=${KDIR:-$(ls -d /usr/src/linux-headers-*-amd64 | sort -V | tail -1)}
kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' \
	"$kdir/include/generated/utsrelease.h" 2>/dev/null)
[ -n "$kver" ] || die "cannot read the kernel release of KDIR=$kdir"
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || die "$kernel is missing: the VM boots the kernel atom.ko was built for (make deps)"

mkdir -p "$vm" "$results"

# kselftest's runner, from the kernel source Debian ships.
"$top/scripts/ksft-fetch.sh" >/dev/null || die "cannot take kselftest's runner from linux-source"

# Test-only modules (the WARN probe), built against the same KDIR.
mkdir -p "$vm/modules"
make -s -C "$kdir" M="$top/selftests/vm/modules" modules >/dev/null ||
	die "cannot build the test modules"
cp "$top"/selftests/vm/modules/*.ko "$vm/modules/"

# The VM runs the test build of atom.ko (ATOM_TEST=y: fault injection and
# a worker delay), built from a copy so that kmod/atom.ko stays the
# production module.
ktest=$vm/kmod-test
rm -rf "$ktest" && mkdir -p "$ktest/kmod" "$ktest/uapi/linux"
cp "$top"/kmod/Kbuild "$top"/kmod/*.[ch] "$ktest/kmod/"
cp "$top"/uapi/linux/*.h "$ktest/uapi/linux/"
make -s -C "$kdir" M="$ktest/kmod" ATOM_TEST=y modules >/dev/null ||
	die "cannot build the test build of atom.ko"

if [ ${#tests[@]} -eq 0 ]; then
	for t in "$top"/selftests/*.sh; do
		b=$(basename "$t")
		case $b in
		lib.sh | lib_*.sh) ;;	# sourced helpers, not tests
		*) tests+=("$b") ;;
		esac
	done
else
	for i in "${!tests[@]}"; do
		t=${tests[$i]}
		[[ $t == *.sh ]] || t=$t.sh
		[ -f "$top/selftests/$t" ] || [ -f "$top/selftests/vm/$t" ] ||
			die "no selftest named ${tests[$i]}"
		tests[$i]=$t
	done
fi

initrd=$vm/initramfs.cpio
"$top/selftests/vm/mkinitramfs.sh" "$kver" "$initrd" ||
	die "cannot build the initramfs"

accel=tcg
cpu=max
if [ -w /dev/kvm ] && [ "${ATOM_VM_KVM:-probe}" != no ]; then
	if [ ! -f "$vm/kvm-probe" ]; then
		# KVM must prove itself with a real boot before it is used.
		rm -f "$vm/probe.out"
		timeout 10 qemu-system-x86_64 -nodefaults -nographic -no-reboot \
			-accel kvm -cpu host -m 256M -kernel "$kernel" \
			-initrd "$initrd" -append "console=ttyS0 panic=-1" \
			-serial null -serial "file:$vm/probe.out" \
			-monitor none >/dev/null 2>&1
		if grep -q ATOM-VM-DONE "$vm/probe.out" 2>/dev/null; then
			echo ok >"$vm/kvm-probe"
		else
			echo no >"$vm/kvm-probe"
		fi
	fi
	if [ "$(cat "$vm/kvm-probe")" = ok ]; then
		accel=kvm
		cpu=host
	fi
fi

console=$results/$label-console.log
out=$results/$label-vm.out
rm -f "$console" "$out"
list=$(IFS=,; echo "${tests[*]}")
echo "vm: booting $kernel ($accel), tests: ${tests[*]}"
start=$(date +%s)
timeout --foreground "$deadline" qemu-system-x86_64 \
	-nodefaults -nographic -no-reboot -monitor none \
	-accel "$accel" -cpu "$cpu" -smp 2 -m 2G \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 loglevel=7 panic=-1 atomvm.tests=$list$timeout_arg" \
	-serial "file:$console" -serial "file:$out" \
	-device virtio-rng-pci
qrc=$?
elapsed=$(($(date +%s) - start))
echo "vm: finished in ${elapsed}s (qemu exit $qrc)"

# Judge: the tests' own verdicts, the deadline, the kernel console.
tap=$results/$label.tap
n=0
: >"$tap"
while IFS= read -r line; do
	n=$((n + 1))
	echo "$line" | sed -E "s/^(not )?ok [0-9]+ /\\1ok $n /" >>"$tap"
done < <(grep -E '^(not )?ok [0-9]+ ' "$out" 2>/dev/null)

verdict() { # ok|fail name [why]
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n $2" >>"$tap"
	else
		echo "not ok $n $2 # $3" >>"$tap"
	fi
}

if [ "$qrc" = 124 ] || ! grep -q ATOM-VM-DONE "$out" 2>/dev/null; then
	verdict fail "vm: tests finished before the deadline" \
		"no end marker (qemu exit $qrc after ${elapsed}s, deadline ${deadline}s)"
else
	verdict ok "vm: tests finished before the deadline"
fi
ran=$(grep -cE '^(not )?ok [0-9]+ selftests' "$out" 2>/dev/null || true)
if [ "${ran:-0}" != "${#tests[@]}" ]; then
	verdict fail "vm: every selftest reported" "${ran:-0} of ${#tests[@]} reported"
fi
bad='BUG:|WARNING: CPU:|KASAN:|Call Trace:|blocked for more than|Kernel panic|Oops:|general protection fault|UBSAN:|kmemleak:.*new suspected|rcu_.*detected stall'
if grep -qE "$bad" "$console" 2>/dev/null; then
	verdict fail "vm: kernel console free of oops, WARN, KASAN and hung tasks" \
		"$(grep -m1 -E "$bad" "$console")"
else
	verdict ok "vm: kernel console free of oops, WARN, KASAN and hung tasks"
fi

# Show the tests' output; show the console when something went wrong.
sed -n '/^# /p;/^ok /p;/^not ok /p' "$out" 2>/dev/null
failed_tests=$(grep -cE '^not ok|^ok .*# SKIP' "$tap" || true)
if [ "$failed_tests" != 0 ]; then
	echo "----- kernel console (last 60 lines of $console) -----"
	tail -n 60 "$console"
	echo "-----"
	grep -E '^not ok|# SKIP' "$tap"
fi
pass=$(grep -cE '^ok ' "$tap" || true)
skip=$(grep -cE '^ok .*# SKIP' "$tap" || true)
echo "$label: $((pass - skip)) passed, $failed_tests failed"
[ "$failed_tests" = 0 ]
