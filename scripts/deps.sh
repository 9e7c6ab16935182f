#!/bin/sh
# Install every Debian package that atom's build, tests, VM and benchmarks
# need. Idempotent and silent when everything is present.
set -eu

PKGS="
build-essential pkg-config
libmnl-dev libsodium-dev libyaml-dev libcmocka-dev clang libclang-rt-14-dev
linux-headers-amd64 linux-image-amd64 linux-source-6.1
kmod sparse perl xz-utils
qemu-system-x86 busybox-static bash coreutils cpio gzip
iproute2 wireguard-tools strace iptables socat mandoc bash-completion jq
"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
if [ "$(id -u)" != 0 ]; then
	echo "deps: must run as root to install packages" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
