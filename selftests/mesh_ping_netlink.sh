#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The mesh_ping scenario with the netlink backend and atom.ko unloaded:
# hosts without the module get the same mesh from userspace.
set -u
modprobe -r atom 2>/dev/null
if lsmod | grep -q '^atom '; then
	echo "# atom.ko is still loaded"
	exit 1
fi
MESH_BACKEND=netlink
export MESH_BACKEND
. "$(dirname "$0")/mesh_ping.sh"
