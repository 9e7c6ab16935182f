#!/bin/bash
# Build the VM's initramfs from Debian packages and this tree:
#   busybox-static, bash, iproute2, wireguard-tools, kmod, coreutils' timeout
#   and their shared libraries; the WireGuard, veth, bridge and netem modules
#   of the kernel the VM boots, atom.ko and test modules (depmod'ed, so that
#   genetlink autoloads atom by family name); build/atom and the selftests
#   with kselftest's runner.sh taken from linux-source-6.1.
#
# Usage: mkinitramfs.sh KVER OUTPUT.cpio
set -euo pipefail

kver=$1
out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build
root=$build/vm/root
moddir=/lib/modules/$kver

die() { echo "mkinitramfs: $*" >&2; exit 1; }

[ -d "$moddir/kernel" ] || die "no modules for $kver in $moddir (linux-image-amd64)"
[ -f "$top/kmod/atom.ko" ] || die "kmod/atom.ko is not built"
[ -x "$build/atom" ] || die "build/atom is not built"

rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib64,etc,proc,sys,dev,tmp,run,var,root}
mkdir -p "$root/lib/x86_64-linux-gnu" "$root$moddir/extra"
ln -s /run "$root/var/run"

cp /bin/busybox "$root/bin/busybox"
for tool in /bin/bash /sbin/ip /bin/ss /usr/sbin/genl /sbin/bridge /sbin/tc \
	    /usr/bin/wg /usr/bin/timeout /bin/kmod /usr/bin/strace /usr/bin/jq; do
	[ -x "$tool" ] || die "missing $tool (make deps)"
	cp "$tool" "$root/usr/sbin/"
done
for t in modprobe insmod rmmod lsmod modinfo depmod; do
	ln -s /usr/sbin/kmod "$root/sbin/$t"
done
# kselftest's runner calls /usr/bin/timeout; the kernel calls /sbin/modprobe.
ln -s /usr/sbin/timeout "$root/usr/bin/timeout"
ln -s /usr/sbin/bash "$root/bin/bash"

# Our binaries.
cp "$build/atom" "$root/usr/sbin/atom"
for prog in "$build"/selftests/*; do
	[ -x "$prog" ] && cp "$prog" "$root/usr/sbin/"
done

# Shared libraries of every dynamic binary we ship.
for bin in "$root"/usr/sbin/*; do
	[ -L "$bin" ] && continue
	ldd "$bin" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib/{print $1}'
done | sort -u | while read -r lib; do
	cp -L "$lib" "$root/lib/x86_64-linux-gnu/"
done
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"

# Kernel modules: what the tests need, with their dependencies.
for m in wireguard veth bridge sch_netem tcp_diag; do
	modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | sort -u | while read -r ko; do
	rel=${ko#/lib/modules/"$kver"/}
	mkdir -p "$root$moddir/$(dirname "$rel")"
	cp "$ko" "$root$moddir/$rel"
done
# The test build of atom.ko when run.sh made one, else the production one.
atomko=$build/vm/kmod-test/kmod/atom.ko
[ -f "$atomko" ] || atomko=$top/kmod/atom.ko
cp "$atomko" "$root$moddir/extra/"
for ko in "$build"/vm/modules/*.ko; do
	[ -e "$ko" ] && cp "$ko" "$root$moddir/extra/"
done
cp "$moddir"/modules.builtin "$moddir"/modules.builtin.modinfo \
   "$moddir"/modules.order "$root$moddir/"
depmod -b "$root" "$kver"

# Tests: kselftest's runner, our library and scripts.
mkdir -p "$root/selftests/kselftest" "$root/selftests/probes"
cp "$build/ksft/kselftest/runner.sh" "$root/selftests/kselftest/"
cp "$top"/selftests/*.sh "$root/selftests/"
cp "$top"/selftests/settings "$root/selftests/"
cp "$top"/selftests/vm/probes/*.sh "$root/selftests/probes/"
cp "$top"/selftests/settings "$root/selftests/probes/"
mkdir -p "$root/selftests/demo"
cp "$top"/selftests/vm/demo/*.sh "$root/selftests/demo/"
mkdir -p "$root/selftests/bench"
cp "$top"/selftests/vm/bench/* "$root/selftests/bench/"
cp "$top/selftests/vm/init.sh" "$root/init"
chmod +x "$root/init" "$root"/selftests/*.sh "$root"/selftests/probes/*.sh

echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh" >>"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
echo "nogroup:x:65534:" >>"$root/etc/group"
printf '127.0.0.1 localhost\n' >"$root/etc/hosts"

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$out"
