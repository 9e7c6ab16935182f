// SPDX-License-Identifier: GPL-2.0
/*
 * The agent process: configuration, data directory, management socket,
 * signals, and the loop that runs everything.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "version.h"
#include "config.h"
#include "daemon.h"
#include "datadir.h"
#include "keyfile.h"
#include "log.h"
#include "loop.h"
#include "mgmt.h"
#include "rpc.h"

struct agent {
	struct config cfg;
	struct loop *loop;
	struct mgmt *mgmt;
	int datadir_fd;
	uint8_t private_key[WG_KEY_LEN];
	char public_key[WG_KEY_B64_LEN + 1];
	bool stopping;
};

static void stop(struct agent *a, const char *why)
{
	if (a->stopping)
		return;
	a->stopping = true;
	log_info("stopping: %s", why);
	loop_stop(a->loop);
}

static void on_signal(struct loop *loop, int signo, void *arg)
{
	(void)loop;
	stop(arg, signo == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void status_reply(struct agent *a, struct mgmt_call *call)
{
	struct tlv_writer *w = mgmt_call_writer(call);

	tlv_put_str(w, RPC_A_NAME, a->cfg.name);
	tlv_put_str(w, RPC_A_MESH_IP, "");
	tlv_put_str(w, RPC_A_RAFT_ROLE, "none");
	tlv_put_str(w, RPC_A_LEADER, "");
	tlv_put_u64(w, RPC_A_TERM, 0);
	tlv_put_u64(w, RPC_A_COMMIT, 0);
	tlv_put_u64(w, RPC_A_APPLIED, 0);
	tlv_put_str(w, RPC_A_BACKEND, config_backend_name(a->cfg.backend));
	tlv_put_str(w, RPC_A_PUBLIC_KEY, a->public_key);
	tlv_put_str(w, RPC_A_VERSION, ATOM_VERSION);
	tlv_put_u32(w, RPC_A_PID, (uint32_t)getpid());
	mgmt_reply(call, 0, NULL);
}

static void on_request(void *ctx, struct mgmt_call *call, uint32_t op,
		       const uint8_t *attrs, size_t len)
{
	struct agent *a = ctx;

	(void)attrs;
	(void)len;
	switch (op) {
	case RPC_OP_STATUS:
		status_reply(a, call);
		return;
	case RPC_OP_STOP:
		mgmt_reply(call, 0, NULL);
		stop(a, "atom daemon stop");
		return;
	default:
		mgmt_reply(call, -EOPNOTSUPP, "this agent does not know that request");
	}
}

int daemon_run(const struct daemon_opts *opts)
{
	static const int signals[] = { SIGTERM, SIGINT };
	struct agent a = { .datadir_fd = -1 };
	char err[512];
	int ret, status = 1;

	if (!opts->config_path) {
		fprintf(stderr, "atom: daemon needs -c FILE\n");
		return 2;
	}
	ret = config_load(opts->config_path, &a.cfg, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "atom: %s\n", err);
		return 1;
	}
	if (opts->log_level >= 0)
		a.cfg.log_level = opts->log_level;
	log_set_level((enum log_level)a.cfg.log_level);
	if (opts->socket_path)
		snprintf(a.cfg.socket_path, sizeof(a.cfg.socket_path), "%s",
			 opts->socket_path);
	signal(SIGPIPE, SIG_IGN);

	a.datadir_fd = datadir_open(a.cfg.data_dir);
	if (a.datadir_fd < 0) {
		if (a.datadir_fd == -EWOULDBLOCK)
			log_err("data dir %s is in use by another atom agent",
				a.cfg.data_dir);
		else
			log_err("cannot open data dir %s: %s", a.cfg.data_dir,
				strerror(-a.datadir_fd));
		return 1;
	}
	ret = keyfile_load_or_create(a.cfg.private_key_path, a.private_key,
				     err, sizeof(err));
	if (ret < 0) {
		log_err("%s", err);
		goto out;
	}
	{
		uint8_t pub[WG_KEY_LEN];

		wg_key_public(a.private_key, pub);
		wg_key_to_base64(pub, a.public_key);
	}
	ret = loop_new(&a.loop);
	if (ret < 0) {
		log_err("cannot create the event loop: %s", strerror(-ret));
		goto out;
	}
	ret = loop_signals(a.loop, signals, 2, on_signal, &a);
	if (ret < 0) {
		log_err("cannot take signals: %s", strerror(-ret));
		goto out;
	}
	ret = mgmt_open(a.loop, a.cfg.socket_path, on_request, &a, &a.mgmt);
	if (ret < 0) {
		if (ret == -EADDRINUSE)
			log_err("an agent already answers on %s",
				a.cfg.socket_path);
		else
			log_err("cannot listen on %s: %s", a.cfg.socket_path,
				strerror(-ret));
		goto out;
	}
	log_info("node %s: agent %s started (pid %d), management socket %s",
		 a.cfg.name, ATOM_VERSION, (int)getpid(), a.cfg.socket_path);
	ret = loop_run(a.loop);
	if (ret < 0) {
		log_err("event loop failed: %s", strerror(-ret));
		goto out;
	}
	log_info("node %s: agent stopped", a.cfg.name);
	status = 0;
out:
	mgmt_close(a.mgmt);
	loop_free(a.loop);
	close(a.datadir_fd);
	explicit_bzero(a.cfg.join_token, sizeof(a.cfg.join_token));
	explicit_bzero(a.private_key, sizeof(a.private_key));
	return status;
}
