# SPDX-License-Identifier: GPL-2.0
#
# atom: build, test and style entry points. `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := all

# Kernel build directory: the running kernel's if it has one, else the
# newest installed Debian amd64 headers (the case on hosts that cannot load
# modules, where the VM boots the matching /boot/vmlinuz).
# Expanded when used, so that headers `make deps` just installed are seen.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64))))

B := build
CC ?= gcc
PKGS := libmnl libsodium yaml-0.1
CSTD := -std=gnu11
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla
CPPFLAGS := -D_GNU_SOURCE -Iagent -Icli -Iuapi -DTEST_DATA=\"$(CURDIR)/agent/tests/data\"
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) -MMD -MP
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -O1 -g
LDLIBS := -lmnl -lsodium -lyaml
TEST_LDLIBS := -lcmocka $(LDLIBS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Everything under agent/ and cli/ except the tests and cli/main.c goes into
# one library, so the unit tests link exactly what the binary runs.
LIB_SRCS := $(sort $(shell find agent cli -name '*.c' -not -path '*/tests/*' \
	-not -path '*/fuzz/*' -not -path cli/main.c 2>/dev/null))
TEST_SRCS := $(sort $(wildcard agent/tests/test_*.c))
TEST_SUPPORT := $(sort $(wildcard agent/tests/fakes/*.c agent/tests/sim/*.c))
PROG_SRCS := $(sort $(wildcard selftests/progs/*.c))
FUZZ_SRCS := $(sort $(wildcard agent/fuzz/fuzz_*.c))

# $(call objs,variant,sources)
objs = $(patsubst %.c,$(B)/$(1)/obj/%.o,$(2))

LIB_OBJS := $(call objs,plain,$(LIB_SRCS))
LIB_OBJS_SAN := $(call objs,san,$(LIB_SRCS))
SUPPORT_OBJS := $(call objs,plain,$(TEST_SUPPORT))
SUPPORT_OBJS_SAN := $(call objs,san,$(TEST_SUPPORT))
TESTS := $(patsubst agent/tests/%.c,$(B)/plain/tests/%,$(TEST_SRCS))
TESTS_SAN := $(patsubst agent/tests/%.c,$(B)/san/tests/%,$(TEST_SRCS))
PROGS := $(patsubst selftests/progs/%.c,$(B)/selftests/%,$(PROG_SRCS))
FUZZERS := $(patsubst agent/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRCS))
LIB_OBJS_FUZZ := $(call objs,fuzz,$(LIB_SRCS))

# libFuzzer harnesses: clang, ASan+UBSan, every parser of outside bytes.
FUZZ_CC := clang
FUZZ_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -g -O1
FUZZ_S ?= 60

.PHONY: all help deps atom kmod progs fuzzers fuzz hosttest unit-build check check-long unit selftest \
	selftest-warn-probe style clean sim sim-mutants soak sim-build print-mutants bench bench-kmod

all: atom kmod ## build the atom binary and kmod/atom.ko

help: ## list the targets
	@echo "atom make targets:"
	@grep -hE '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | \
		sed -E 's/^([^:]*):.*## (.*)/  \1\t\2/' | expand -t 22
	@echo "Variables: KDIR=<kernel build dir> T=<selftest name> V=1 (verbose)"

deps: ## install the Debian packages the build, tests and VM need
	$(Q)scripts/deps.sh

atom: $(B)/atom ## build the atom binary (cli + agent)

$(B)/atom: $(call objs,plain,cli/main.c) $(B)/plain/libatom.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The agent under ASan+UBSan: the host tests run it (ATOM=build/san/atom).
$(B)/san/atom: $(call objs,san,cli/main.c) $(B)/san/libatom.a
	@echo "  LD-SAN  $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(B)/plain/libatom.a: $(LIB_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/san/libatom.a: $(LIB_OBJS_SAN)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/plain/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(B)/san/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC-SAN  $<"
	$(Q)$(CC) $(CPPFLAGS) $(CSTD) $(WARN) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

$(B)/plain/tests/%: $(B)/plain/obj/agent/tests/%.o $(SUPPORT_OBJS) $(B)/plain/libatom.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(TEST_LDLIBS)

$(B)/san/tests/%: $(B)/san/obj/agent/tests/%.o $(SUPPORT_OBJS_SAN) $(B)/san/libatom.a
	@mkdir -p $(@D)
	@echo "  LD-SAN  $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(TEST_LDLIBS)

$(B)/selftests/%: $(B)/plain/obj/selftests/progs/%.o $(B)/plain/libatom.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC-FUZZ $<"
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(CSTD) $(WARN) $(FUZZ_FLAGS) \
		-fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(B)/fuzz/libatom.a: $(LIB_OBJS_FUZZ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/fuzz/%: $(B)/fuzz/obj/agent/fuzz/%.o $(B)/fuzz/libatom.a
	@echo "  LD-FUZZ $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# The Raft simulator, and its builds with known bugs switched on.
RAFT_SRCS := $(sort $(wildcard agent/raft/*.c))
MUTANTS := COMMIT_OLD_TERM VOTE_NOT_PERSISTED VOTE_IN_LEASE DOUBLE_CONF \
	CONF_BEFORE_TERM_COMMIT FOLLOWER_COMMIT SNAPSHOT_TERM ACK_BEFORE_PERSIST \
	VOTE_ANY_LOG SKIP_FSYNC
SIM_SEEDS ?= 2000
SECONDS ?= 60

$(B)/plain/raftsim: $(B)/plain/obj/agent/tests/raftsim.o $(SUPPORT_OBJS) $(B)/plain/libatom.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(TEST_LDLIBS)

$(B)/san/raftsim: $(B)/san/obj/agent/tests/raftsim.o $(SUPPORT_OBJS_SAN) $(B)/san/libatom.a
	@echo "  LD-SAN  $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(TEST_LDLIBS)

$(B)/mutant/%/raftsim: agent/tests/raftsim.c $(RAFT_SRCS) $(TEST_SUPPORT) $(B)/plain/libatom.a
	@mkdir -p $(@D)
	@echo "  LD-MUT  $@"
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -DMUTANT_$* -o $@ agent/tests/raftsim.c \
		$(RAFT_SRCS) $(TEST_SUPPORT) $(B)/plain/libatom.a $(TEST_LDLIBS)

# The agent with its log store's syncs switched off: raft_fsync.sh proves
# that its check fails on such a build.
$(B)/mutant/SKIP_FSYNC/atom: cli/main.c agent/raft/store.c $(B)/plain/libatom.a
	@mkdir -p $(@D)
	@echo "  LD-MUT  $@"
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -DMUTANT_SKIP_FSYNC -o $@ cli/main.c \
		agent/raft/store.c $(B)/plain/libatom.a $(LDLIBS)

bench: deps all progs ## benchmarks: Raft commit latency and failover on loopback
	$(Q)scripts/bench-raft.sh

sim: $(B)/plain/raftsim ## replay one simulator seed with its trace (SEED=n), or SIM_SEEDS seeds
	$(Q)$(if $(SEED),$(B)/plain/raftsim $(SEED),$(B)/plain/raftsim --seeds $(SIM_SEEDS))

sim-mutants: $(patsubst %,$(B)/mutant/%/raftsim,$(MUTANTS)) ## prove the simulator catches each known Raft bug
	$(Q)scripts/sim-mutants.sh $(B) $(MUTANTS)

sim-build: $(B)/plain/raftsim $(B)/san/raftsim $(patsubst %,$(B)/mutant/%/raftsim,$(MUTANTS)) \
	$(B)/mutant/SKIP_FSYNC/atom

print-mutants:
	@echo $(MUTANTS)

soak: $(B)/plain/raftsim ## run simulator seeds for SECONDS (default 60)
	$(Q)$(B)/plain/raftsim --seconds $(SECONDS) --from $$(date +%s)

fuzzers: $(FUZZERS)

fuzz: deps fuzzers ## run every fuzzer for FUZZ_S seconds (default 60)
	$(Q)scripts/run-fuzz.sh $(B)/results $(FUZZ_S) $(FUZZERS)

kmod: ## build kmod/atom.ko against KDIR
	$(Q)$(MAKE) -C kmod KDIR=$(KDIR)

unit-build: $(TESTS) $(TESTS_SAN)

unit: deps unit-build ## run the cmocka unit tests, plain and under ASan+UBSan
	$(Q)scripts/run-units.sh $(B)/results $(TESTS) $(TESTS_SAN)

progs: $(PROGS)

hosttest: deps all progs $(B)/mutant/SKIP_FSYNC/atom $(B)/san/atom ## run the host integration tests (T=name for one)
	$(Q)scripts/run-host.sh $(B)/results $(T)

demo: deps all progs ## run a three-node mesh in the VM and show what an operator types and sees
	$(Q)mkdir -p $(B)/results; KDIR=$(KDIR) selftests/vm/run.sh --results $(B)/results --name demo \
		--test demo/mesh_demo.sh >$(B)/results/demo-run.log 2>&1; rc=$$?; \
	sed -n 's/^# //p' $(B)/results/demo-vm.out | \
		grep -vE '^(\[\+\]|TAP version|1\.\.|selftests:|kernel |ATOM-VM-DONE|[0-9]+ passed)'; \
	[ $$rc = 0 ] && echo "demo: the mesh works" || { tail -5 $(B)/results/demo-run.log; exit 1; }

selftest: deps all progs ## run the VM selftests (T=name for one)
	$(Q)KDIR=$(KDIR) selftests/vm/run.sh --results $(B)/results $(if $(T),--test $(T))

bench-kmod: deps all progs ## time 1000 peers+routes: atom.ko, the netlink backend, the floor (VM)
	$(Q)set -o pipefail; KDIR=$(KDIR) selftests/vm/run.sh --results $(B)/results --name bench-kmod \
		--deadline 1800 --timeout 1700 --test bench/bench_dp | tee $(B)/results/bench-kmod.txt | \
		grep -E '^# bench:|passed|failed' | sed 's/^# //'

selftest-warn-probe: deps all progs ## prove that a kernel WARN fails a VM run
	$(Q)KDIR=$(KDIR) selftests/vm/warn-probe.sh $(B)/results

check: deps ## the fast suite (CI): units, VM selftests, style; one summary line
	$(Q)scripts/check.sh

check-long: deps ## check with what does not fit CI's time (longer fuzzing, 100000 simulator seeds)
	$(Q)ATOM_CHECK_FUZZ_S=$(or $(FUZZ_LONG_S),300) SIM_SEEDS=$(or $(SIM_LONG_SEEDS),100000) \
		scripts/check.sh

style: deps ## checkpatch on kmod/uapi (strict) and agent/cli, sparse on kmod
	$(Q)KDIR=$(KDIR) scripts/style.sh

clean: ## remove build output
	$(Q)rm -rf $(B)
	$(Q)$(MAKE) -C kmod KDIR=$(KDIR) clean >/dev/null

-include $(shell find $(B) -name '*.d' 2>/dev/null)
.SECONDARY:
