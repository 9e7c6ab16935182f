/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Membership configurations and single-server changes (pure).
 */
#ifndef ATOM_RAFT_CONF_H
#define ATOM_RAFT_CONF_H

#include "raft/raft.h"

struct raft_conf_change {
	enum raft_conf_op op;
	uint64_t id;
	struct raft_conf conf;	/* BOOTSTRAP only */
};

int raft_conf_find(const struct raft_conf *c, uint64_t id);
uint32_t raft_conf_voters(const struct raft_conf *c);
/* 0 if op on id is a valid change of c, else why not. */
int raft_conf_check(const struct raft_conf *c, enum raft_conf_op op,
		    uint64_t id);
int raft_conf_apply(struct raft_conf *c, const struct raft_conf_change *cc);
int raft_conf_change_encode(const struct raft_conf_change *cc, uint8_t **ret,
			    uint32_t *len);
int raft_conf_change_decode(const uint8_t *p, uint32_t len,
			    struct raft_conf_change *cc);

#endif /* ATOM_RAFT_CONF_H */
