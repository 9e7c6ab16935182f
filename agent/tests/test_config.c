// SPDX-License-Identifier: GPL-2.0
/*
 * atom.yaml: the original Atom's examples parse unchanged; every mistake
 * is refused with the file, the line and the key, and nothing of a bad
 * file is applied.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

#ifndef TEST_DATA
#define TEST_DATA "agent/tests/data"
#endif

static void test_seed_bootstrapper_parses_unchanged(void **state)
{
	struct config cfg;
	char err[256] = "";
	char ip[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(config_load(TEST_DATA "/seed-bootstrapper.yaml", &cfg,
				     err, sizeof(err)), 0);
	assert_string_equal(cfg.name, "node-1");
	assert_true(cfg.bootstrap);
	assert_true(cfg.has_network);
	inet_ntop(AF_INET, &cfg.network, ip, sizeof(ip));
	assert_string_equal(ip, "10.7.0.0");
	assert_int_equal(cfg.prefix, 24);
	assert_int_equal(cfg.wireguard_port, 51820);
	assert_int_equal(cfg.tcp_join_port, 8080);
	assert_int_equal(cfg.raft_port, 7000);
	assert_string_equal(cfg.data_dir, "/var/lib/atom/data");
	assert_string_equal(cfg.socket_path, "/tmp/atom.sock");
	/* Additions keep their defaults. */
	assert_int_equal(cfg.rpc_port, 7001);
	assert_int_equal(cfg.voters, 5);
	assert_int_equal(cfg.mtu, 1420);
	assert_string_equal(cfg.interface, "wg0");
	assert_int_equal(cfg.backend, CONFIG_BACKEND_AUTO);
	assert_true(cfg.heartbeat_ms == 50);
	assert_true(cfg.election_timeout_ms == 300);
}

static void test_seed_follower_parses_unchanged(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	assert_int_equal(config_load(TEST_DATA "/seed-follower.yaml", &cfg,
				     err, sizeof(err)), 0);
	assert_string_equal(cfg.name, "node-2");
	assert_false(cfg.bootstrap);
	assert_false(cfg.has_network);
	assert_string_equal(cfg.join_endpoint, "192.168.1.100:8080");
	assert_string_equal(cfg.join_token, "atom.<id>.<secret>");
	assert_int_equal(cfg.tcp_join_port, 8080);
}

static void test_additions_parse(void **state)
{
	static const char y[] =
		"node: {name: n1, bootstrap: yes,\n"
		"       network_layer: {ip: 127.77.0.0, cidr: 24}}\n"
		"network:\n"
		"  interface: atom0\n"
		"  endpoint: \"[2001:db8::1]:51820\"\n"
		"  mtu: 1380\n"
		"  persistent_keepalive: 0\n"
		"consensus:\n"
		"  voters: 3\n"
		"  voter: never\n"
		"  heartbeat_interval: 100ms\n"
		"  election_timeout: 1s\n"
		"api: {rpc_port: 9001}\n"
		"dataplane: {backend: none, reconcile_interval: 30s}\n"
		"log: {level: debug}\n";
	struct config cfg;
	char err[256] = "";

	(void)state;
	assert_int_equal(config_parse(y, strlen(y), "t.yaml", &cfg, err,
				      sizeof(err)), 0);
	assert_string_equal(cfg.interface, "atom0");
	assert_string_equal(cfg.endpoint, "[2001:db8::1]:51820");
	assert_int_equal(cfg.mtu, 1380);
	assert_true(cfg.keepalive_ms == 0);
	assert_int_equal(cfg.voters, 3);
	assert_int_equal(cfg.voter, CONFIG_VOTER_NEVER);
	assert_true(cfg.heartbeat_ms == 100);
	assert_true(cfg.election_timeout_ms == 1000);
	assert_int_equal(cfg.rpc_port, 9001);
	assert_int_equal(cfg.backend, CONFIG_BACKEND_NONE);
	assert_true(cfg.reconcile_ms == 30000);
}

struct bad_case {
	const char *yaml;
	const char *error;	/* the whole message, file and line first */
};

static const struct bad_case bad_cases[] = {
	{ "node:\n  name: a\n  colour: blue\n",
	  "t.yaml:3: node.colour: unknown key" },
	{ "node:\n  name: a\nnetwork:\n  wireguard_port: 70000\n",
	  "t.yaml:4: network.wireguard_port: 70000 is out of range [1, 65535]" },
	{ "node:\n  name: a\nnetwork:\n  mtu: big\n",
	  "t.yaml:4: network.mtu: 'big' is not a whole number" },
	{ "node:\n  name: a\n  bootstrap: maybe\n",
	  "t.yaml:3: node.bootstrap: 'maybe' is not true or false" },
	{ "node:\n  name: a\n  name: b\n",
	  "t.yaml:3: node.name: given twice (first on line 2)" },
	{ "node:\n  name: \"bad name\"\n",
	  "t.yaml:2: node.name: 'bad name' is not a node name "
	  "(letters, digits, '-', '_', '.'; 1 to 63 characters)" },
	{ "node:\n  name: a\n  bootstrap: true\n  network_layer:\n    ip: 10.7.0.5\n    cidr: 24\n",
	  "t.yaml:5: node.network_layer.ip: "
	  "not the network address of its /24 (did you mean 10.7.0.0?)" },
	{ "node:\n  name: a\n  bootstrap: true\n",
	  "t.yaml:3: node.network_layer: "
	  "missing: the bootstrapper defines the mesh network (ip and cidr)" },
	{ "node:\n  name: a\n  network_layer:\n    ip: 10.7.0.0\n    cidr: 24\n",
	  "t.yaml:4: node.network_layer: only the bootstrapper sets it; "
	  "followers receive the network from the mesh" },
	{ "node:\n  name: a\n  bootstrap: true\n  network_layer:\n    ip: 10.7.0.0\n",
	  "t.yaml:5: node.network_layer: needs both ip and cidr" },
	{ "node:\n  name: a\n  bootstrap: true\n  network_layer:\n    ip: 10.7.0.0\n    cidr: 31\n",
	  "t.yaml:6: node.network_layer.cidr: 31 is out of range [8, 30]" },
	{ "security:\n  private_key_path: /k\n",
	  "t.yaml:1: node.name: missing: every node needs a name" },
	{ "node:\n  name: a\njoin:\n  endpoint: nowhere\n",
	  "t.yaml:4: join.endpoint: 'nowhere' is not HOST:PORT" },
	{ "node:\n  name: a\nconsensus:\n  raft_port: 8080\n",
	  "t.yaml:4: consensus.raft_port: port 8080 is also network.tcp_join_port" },
	{ "node:\n  name: a\nconsensus:\n  heartbeat_interval: 1s\n",
	  "t.yaml:1: consensus.election_timeout: "
	  "must be at least three heartbeat intervals" },
	{ "node:\n  name: a\nconsensus:\n  election_timeout: soon\n",
	  "t.yaml:4: consensus.election_timeout: "
	  "'soon' is not a duration (e.g. 250ms, 10s, 5m)" },
	{ "node:\n  name: a\ndataplane:\n  backend: ebpf\n",
	  "t.yaml:4: dataplane.backend: 'ebpf' is not auto, kernel, netlink or none" },
	{ "node:\n  name: [a, b]\n",
	  "t.yaml:2: node.name: expected a single value" },
	{ "node: 3\n", "t.yaml:1: node: expected a section of keys" },
	{ "- a\n- b\n",
	  "t.yaml:1: expected sections of keys (node:, network:, ...)" },
	{ "", "t.yaml:1: empty configuration" },
	{ "node:\n  name: a\n bad: [\n",
	  "t.yaml:3: YAML syntax error: did not find expected key" },
};

static void test_bad_files_name_file_line_and_key(void **state)
{
	struct config cfg, before;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		memset(&cfg, 0x5a, sizeof(cfg));
		before = cfg;
		err[0] = '\0';
		assert_int_equal(config_parse(c->yaml, strlen(c->yaml),
					      "t.yaml", &cfg, err,
					      sizeof(err)), -EINVAL);
		if (strcmp(err, c->error)) {
			print_error("case %zu:\n  got:  %s\n  want: %s\n", i,
				    err, c->error);
			fail();
		}
		/* Nothing of a bad file is applied. */
		assert_memory_equal(&cfg, &before, sizeof(cfg));
	}
}

static void test_missing_file(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(config_load("/nonexistent/atom.yaml", &cfg, err,
				     sizeof(err)), -ENOENT);
	assert_string_equal(err,
			    "/nonexistent/atom.yaml: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_bootstrapper_parses_unchanged),
		cmocka_unit_test(test_seed_follower_parses_unchanged),
		cmocka_unit_test(test_additions_parse),
		cmocka_unit_test(test_bad_files_name_file_line_and_key),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
