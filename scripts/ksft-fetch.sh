#!/bin/bash
# Take kselftest's runner (runner.sh, prefix.pl) from Debian's
# linux-source into build/ksft/kselftest/, once. Prints that directory.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$top/build/ksft
if [ ! -s "$dest/kselftest/runner.sh" ]; then
	src=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -1)
	[ -n "$src" ] || { echo "linux-source is not installed (make deps)" >&2; exit 1; }
	rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
	tar -C "$dest.tmp" --strip-components=4 -xf "$src" --wildcards \
		'*/tools/testing/selftests/kselftest/runner.sh' \
		'*/tools/testing/selftests/kselftest/prefix.pl'
	rm -rf "$dest" && mv "$dest.tmp" "$dest"
fi
echo "$dest/kselftest"
