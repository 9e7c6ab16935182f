// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: emits a kernel WARN on load, so the VM harness can prove that
 * a WARN fails the run even when every test says "ok".
 */
#include <linux/module.h>

static int __init warn_probe_init(void)
{
	WARN(1, "atom_warn_probe: deliberate WARN to test the VM harness\n");
	return 0;
}

static void __exit warn_probe_exit(void)
{
}

module_init(warn_probe_init);
module_exit(warn_probe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("atom VM harness test: WARN on load");
