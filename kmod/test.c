// SPDX-License-Identifier: GPL-2.0
/*
 * atom.ko, test build only: fail one step of a batch, or hold the worker,
 * set through /sys/module/atom/parameters/.
 */

#include <linux/delay.h>
#include <linux/module.h>

#include <linux/atom.h>

#include "test.h"

static uint test_fail_phase;
module_param(test_fail_phase, uint, 0644);
MODULE_PARM_DESC(test_fail_phase, "fail this enum atom_phase (0: off)");

static uint test_fail_item;
module_param(test_fail_item, uint, 0644);
MODULE_PARM_DESC(test_fail_item, "at this item of the batch");

static uint test_delay_ms;
module_param(test_delay_ms, uint, 0644);
MODULE_PARM_DESC(test_delay_ms, "hold every job this long mid-way");

int atom_test_fail(u32 phase, u32 item)
{
	if (READ_ONCE(test_fail_phase) == phase &&
	    READ_ONCE(test_fail_item) == item)
		return -EIO;
	return 0;
}

void atom_test_delay(void)
{
	uint ms = READ_ONCE(test_delay_ms);

	if (ms)
		msleep(ms);
}
