#!/bin/bash
# make style: checkpatch (from linux-source-6.1) --strict on kmod/ and
# uapi/, the same with a userspace ignore list on agent/ and cli/, and
# sparse (C=2) on the module build, mandoc -T lint on the man pages.
# Exit 1 on any finding.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tools=$top/build/tools
cd "$top"

if [ ! -x "$tools/scripts/checkpatch.pl" ]; then
	src=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -1)
	[ -n "$src" ] || { echo "style: linux-source is not installed (make deps)"; exit 1; }
	rm -rf "$tools" && mkdir -p "$tools"
	tar -C "$tools" --strip-components=1 -xf "$src" --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch' || exit 1
fi
cp=$tools/scripts/checkpatch.pl
rc=0

# Print findings only; fail if there were any.
filter() {
	! grep -v '^total: 0 errors, 0 warnings, 0 checks'
}

kfiles=$(find kmod uapi selftests/vm/modules -name '*.[ch]' -not -name '*.mod.c' | sort)
echo "  CHECKPATCH kernel ($(echo "$kfiles" | wc -w) files)"
# shellcheck disable=SC2086
"$cp" --no-tree -f --strict --terse $kfiles | filter || rc=1

# Userspace follows kernel style, but is C11 with libc types and macros
# (no ARRAY_SIZE or __printf), and calls cmocka's CamelCase API.
uignore=PREFER_KERNEL_TYPES,ARRAY_SIZE,PREFER_DEFINED_ATTRIBUTE_MACRO,CAMELCASE
uignore=$uignore,SPDX_LICENSE_TAG,NEW_TYPEDEFS,BIT_MACRO,SPLIT_STRING
uignore=$uignore,MACRO_ARG_PRECEDENCE
ufiles=$(find agent cli selftests/progs -name '*.[ch]' 2>/dev/null | sort)
echo "  CHECKPATCH userspace ($(echo "$ufiles" | wc -w) files)"
# shellcheck disable=SC2086
"$cp" --no-tree -f --strict --terse --ignore "$uignore" $ufiles | filter || rc=1

echo "  MANDOC  man"
mandoc -T lint -W warning man/*.[0-9] || rc=1

echo "  SPARSE  kmod"
out=$(make -s -C "${KDIR:-$(ls -d /usr/src/linux-headers-*-amd64 | sort -V | tail -1)}" \
	M="$top/kmod" C=2 modules 2>&1 | grep -v 'Skipping BTF generation')
if [ -n "$out" ]; then
	echo "$out"
	grep -qE 'warning|error' <<<"$out" && rc=1
fi
[ "$rc" = 0 ] && echo "style: clean"
exit "$rc"
