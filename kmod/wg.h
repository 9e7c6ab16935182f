/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ATOM_WG_H
#define _ATOM_WG_H

#include "nlsock.h"
#include "peer.h"

/* What a peer message carries besides the key. */
enum {
	ATOM_WG_ENDPOINT = 1U << 0,
	ATOM_WG_KEEPALIVE = 1U << 1,
	ATOM_WG_ADDR = 1U << 2,		/* replace allowed-ips by the /32 */
	ATOM_WG_REMOVE = 1U << 3,
};

/* A WG_CMD_SET_DEVICE sequence, split into messages of ~32 KiB. */
struct atom_wg {
	struct atom_nlsock *s;
	u16 family;
	int ifindex;
	struct sk_buff *skb;
	struct nlattr *peers;
	u32 first_tag;		/* tag of the first peer of this message */
	u32 fail_tag;		/* of the message WireGuard refused */
};

int atom_wg_family(struct atom_nlsock *s, u16 *family);
int atom_wg_peer(struct atom_wg *w, const struct atom_peer_cfg *cfg,
		 u32 what, u32 tag);
int atom_wg_flush(struct atom_wg *w);
void atom_wg_discard(struct atom_wg *w);
int atom_wg_read(struct atom_nlsock *s, u16 family, struct atom_dev *d);

#endif /* _ATOM_WG_H */
