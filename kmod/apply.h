/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ATOM_APPLY_H
#define _ATOM_APPLY_H

#include "work.h"

int atom_apply_check(struct atom_dev *d, const struct atom_item *items,
		     u32 n, bool replace, u32 *bad, const char **why);
void atom_apply_run(struct atom_job *job, struct atom_net *an,
		    struct atom_result *res);

#endif /* _ATOM_APPLY_H */
