#!/bin/busybox sh
# PID 1 of the test VM. Runs the selftests named on the kernel command line
# (atomvm.tests=a.sh,b.sh) with kselftest's runner, writes their TAP to the
# second serial port (ttyS1, a file on the host), then powers off. Kernel
# messages go to ttyS0; the host judges both.
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mkdir -p /dev/pts /dev/shm /run/netns
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# A deadlock must show within the run, not after CI's deadline.
echo 10 >/proc/sys/kernel/hung_task_timeout_secs
echo -1 >/proc/sys/kernel/hung_task_warnings
ip link set lo up
hostname atom-vm

tests=
for arg in $(cat /proc/cmdline); do
	case $arg in
	atomvm.tests=*) tests=$(echo "${arg#atomvm.tests=}" | tr , ' ') ;;
	atomvm.timeout=*) echo "timeout=${arg#atomvm.timeout=}" >/selftests/settings ;;
	esac
done

out=/dev/ttyS1
{
	echo "# kernel $(uname -r), $(nproc) cpus"
	if [ -n "$tests" ]; then
		cd /selftests
		export BASE_DIR=/
		. /selftests/kselftest/runner.sh
		run_many $tests
	fi
	echo "# ATOM-VM-DONE"
} >"$out" 2>&1

sync
echo "atom-vm: tests finished, powering off"
reboot -f
