#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench (Raft part): three voters on loopback with the none dataplane
# and real fsync. Prints, measured in this run:
#   - commit latency p50/p99 of sequential writes as a client sees them
#     (unix socket round trip included), and its ratio to one fdatasync
#     of a 4 KiB append on the same disk (the floor);
#   - failover: leader lost -> next committed write, TRIALS trials with
#     kill -9 and TRIALS with SIGSTOP, median and max.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
WRITES=${WRITES:-2000}
TRIALS=${TRIALS:-20}
ATOM_BENCH_DIR=$(mktemp -d /var/tmp/atom-bench.XXXXXX)
export TMPDIR=$ATOM_BENCH_DIR
# shellcheck disable=SC1091
. "$top/selftests/lib.sh"
# shellcheck disable=SC1091
. "$top/selftests/lib_agents.sh"
on_exit "rm -rf $ATOM_BENCH_DIR"
AG_LOG_LEVEL=warn

ms() { date +%s%N | cut -b1-13; }

pct() { # file percentile
	sort -n "$1" | awk -v p="$2" '{a[NR]=$1} END {i=int(NR*p/100); if (i<1) i=1; print a[i]}'
}

# The floor: one fdatasync of a 4 KiB append, on the disk the agents use.
floor_us=$(python3 - "$AG" <<'PY'
import os, sys, time
path = os.path.join(sys.argv[1], "floor")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
buf = b"x" * 4096
t = []
for _ in range(500):
    s = time.perf_counter_ns()
    os.write(fd, buf)
    os.fdatasync(fd)
    t.append((time.perf_counter_ns() - s) // 1000)
os.close(fd)
t.sort()
print(t[len(t) // 2])
PY
)

agent_start 1 && wait_leader 10 1 >/dev/null || exit 1
for i in 2 3; do agent_start "$i" && agent_join_voter 1 "$i" || exit 1; done

"$atomrpc" load 1 "$WRITES" "$(agent_sock 1)" >"$AG/acks" || exit 1
awk '{print $3}' "$AG/acks" >"$AG/lat"
p50=$(pct "$AG/lat" 50)
p99=$(pct "$AG/lat" 99)
printf 'commit latency, 3 voters, loopback, fsync: p50 %d us, p99 %d us over %d writes\n' \
	"$p50" "$p99" "$WRITES"
printf 'fdatasync floor (4 KiB append, same disk): p50 %d us; commit p50 / floor = %.2fx\n' \
	"$floor_us" "$(echo "$p50 / $floor_us" | bc -l)"

failover() { # kill|stop
	local how=$1 t l n t0 t1 id=$((WRITES + 1))
	: >"$AG/fo-$how"
	for t in $(seq "$TRIALS"); do
		l=$(wait_leader 10) || return 1
		t0=$(ms)
		if [ "$how" = kill ]; then agent_kill "$l"; else agent_signal "$l" STOP; fi
		until n=$(agent_leader $(seq 3 | grep -vx "$l")) &&
			"$atomrpc" "$(agent_sock "$n")" write "$id" >/dev/null 2>&1; do
			sleep 0.005
		done
		t1=$(ms)
		echo $((t1 - t0)) >>"$AG/fo-$how"
		id=$((id + 1))
		if [ "$how" = kill ]; then agent_start "$l"; else agent_signal "$l" CONT; fi
		wait_for 10 agents_agree "$n" 1 2 3 || return 1
	done
	printf 'failover (%s of the leader -> next committed write): median %d ms, max %d ms over %d trials\n' \
		"$how" "$(pct "$AG/fo-$how" 50)" "$(sort -n "$AG/fo-$how" | tail -1)" "$TRIALS"
}
failover kill && failover stop
