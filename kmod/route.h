/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ATOM_ROUTE_H
#define _ATOM_ROUTE_H

#include "nlsock.h"
#include "peer.h"

int atom_route(struct atom_nlsock *s, int ifindex, __be32 addr, bool add);
int atom_route_read(struct atom_nlsock *s, struct atom_dev *d);

#endif /* _ATOM_ROUTE_H */
