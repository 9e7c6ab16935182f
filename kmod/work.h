/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ATOM_WORK_H
#define _ATOM_WORK_H

#include <linux/mutex.h>
#include <linux/workqueue.h>

#include "peer.h"

struct net;
struct netlink_ext_ack;

/* The outcome of a job, announced and kept for GET. */
struct atom_result {
	u64 job;
	u32 cmd;
	u64 index;
	int err;
	u32 item;
	u32 phase;
	int undo_err;
	char msg[ATOM_MSG_LEN];
};

/* One item of a batch, as the doit parsed it. */
struct atom_item {
	u32 op;
	struct atom_peer_cfg cfg;
};

struct atom_job {
	struct work_struct work;
	struct net *net;	/* held until the job is done */
	u64 id;
	u32 cmd;
	u64 index;
	u64 expect;
	bool has_expect;
	int ifindex;		/* BIND */
	char ifname[IFNAMSIZ];	/* BIND */
	u32 n;
	struct atom_item items[];
};

/* Per namespace. lock is never held across a netlink request. */
struct atom_net {
	struct mutex lock;	/* guards everything below */
	struct atom_dev *dev;	/* the record; NULL: never bound */
	bool gone;		/* the bound device was unregistered */
	u64 applied;
	u32 pending;
	u32 gen;		/* bumped on every change, for dumps */
	bool has_last;
	struct atom_result last;
};

struct atom_net *atom_net(struct net *net);
struct atom_job *atom_job_alloc(u32 n);
void atom_job_free(struct atom_job *job);
int atom_job_queue(struct atom_job *job, struct net *net, u64 *id,
		   struct netlink_ext_ack *extack);
int atom_work_init(void);
void atom_work_stop(void);
void atom_work_uninit(void);

#endif /* _ATOM_WORK_H */
