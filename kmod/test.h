/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ATOM_TEST_H
#define _ATOM_TEST_H

#include <linux/types.h>

/*
 * Fault injection for the VM selftests, compiled in only when the module
 * is built with ATOM_TEST=y. The production atom.ko has none of it.
 */
#ifdef ATOM_TEST
int atom_test_fail(u32 phase, u32 item);
void atom_test_delay(void);
#else
static inline int atom_test_fail(u32 phase, u32 item)
{
	return 0;
}

static inline void atom_test_delay(void)
{
}
#endif

#endif /* _ATOM_TEST_H */
