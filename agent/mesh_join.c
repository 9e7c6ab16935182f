// SPDX-License-Identifier: GPL-2.0
/* placeholder until the join plane's sockets land */
#include <errno.h>

#include "agent.h"
#include "log.h"

int mesh_join_listen(struct agent *a)
{
	(void)a;
	return 0;
}

int mesh_join_start(struct agent *a, const char *token,
		    int (*start)(struct agent *a))
{
	(void)a;
	(void)token;
	(void)start;
	log_err("joining is not wired yet");
	return -EOPNOTSUPP;
}

void mesh_join_probe_evicted(struct agent *a)
{
	(void)a;
}

void mesh_join_close(struct agent *a)
{
	(void)a;
}
