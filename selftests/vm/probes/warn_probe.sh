#!/bin/bash
# Harness probe, never part of the normal suite: loads a module that WARNs
# and reports success, so the host must fail the run on the console alone.
set -eu
modprobe atom_warn_probe
echo "ok 1 loaded atom_warn_probe"
exit 0
