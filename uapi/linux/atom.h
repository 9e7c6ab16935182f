/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * atom: the generic netlink family that installs mesh peers and their /32
 * routes on the namespace's WireGuard device.
 *
 * This is the only header shared by atom.ko and the agent. Only append
 * commands and attributes; never renumber.
 */
#ifndef _UAPI_LINUX_ATOM_H
#define _UAPI_LINUX_ATOM_H

#define ATOM_GENL_NAME		"atom"
#define ATOM_GENL_VERSION	1

enum atom_cmd {
	ATOM_CMD_UNSPEC,

	__ATOM_CMD_MAX
};

#define ATOM_CMD_MAX (__ATOM_CMD_MAX - 1)

#endif /* _UAPI_LINUX_ATOM_H */
