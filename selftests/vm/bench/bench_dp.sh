#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench-kmod: not a test. Times one apply of 1000 peers with their
# /32 routes (private key set) through each dataplane path, in a fresh
# namespace of the VM; the "bench:" lines are the result.
set -u
. "$(dirname "$0")/../lib.sh"

ktap_plan 1
netns_new 1
step "bench_dp ran" nsx 1 bench_dp 1000 5
ktap_finish
