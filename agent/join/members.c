// SPDX-License-Identifier: GPL-2.0
/*
 * The member list codec (see members.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "join/members.h"
#include "mesh/cmd.h"
#include "mesh/wire.h"

/* name(1+63) ip(4) key(32) endpoint(1+16+2) wg_port(2) */
#define PEER_MAX_LEN (1 + MESH_NAME_MAX + 4 + MESH_KEY_LEN + 19 + 2)

int join_members_encode(const struct join_peer *p, size_t n, uint8_t **ret,
			size_t *ret_len)
{
	struct mw w = { 0 };
	size_t i, nl;

	if (n > JOIN_PEERS_MAX)
		return -EINVAL;
	w.cap = 3 + n * PEER_MAX_LEN;
	w.buf = malloc(w.cap);
	if (!w.buf)
		return -ENOMEM;
	mw_u8(&w, JOIN_MEMBERS_VERSION);
	mw_u16(&w, (uint16_t)n);
	for (i = 0; i < n; i++) {
		nl = strnlen(p[i].name, sizeof(p[i].name));
		if (!mesh_name_valid(p[i].name, nl) ||
		    (p[i].endpoint.family && !mesh_endpoint_valid(&p[i].endpoint))) {
			free(w.buf);
			return -EINVAL;
		}
		mw_u8(&w, (uint8_t)nl);
		mw_bytes(&w, p[i].name, nl);
		mw_u32(&w, p[i].ip);
		mw_bytes(&w, p[i].key, MESH_KEY_LEN);
		mesh_endpoint_put(&w, &p[i].endpoint);
		mw_u16(&w, p[i].wg_port);
	}
	if (w.err) {
		free(w.buf);
		return w.err;
	}
	*ret = w.buf;
	*ret_len = w.len;
	return 0;
}

int join_members_decode(const uint8_t *buf, size_t len, struct join_peer **ret,
			size_t *ret_n)
{
	struct mr r = { .buf = buf, .len = len };
	struct join_peer *p;
	size_t i, n, nl;

	if (mr_u8(&r) != JOIN_MEMBERS_VERSION || r.err)
		return -EBADMSG;
	n = mr_u16(&r);
	if (r.err || n > JOIN_PEERS_MAX || n > len / (4 + MESH_KEY_LEN))
		return -EBADMSG;
	p = calloc(n ?: 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (i = 0; i < n && !r.err; i++) {
		nl = mr_u8(&r);
		if (!nl || nl > MESH_NAME_MAX) {
			r.err = -EBADMSG;
			break;
		}
		mr_bytes(&r, p[i].name, nl);
		if (!r.err && !mesh_name_valid(p[i].name, nl))
			r.err = -EBADMSG;
		p[i].ip = mr_u32(&r);
		mr_bytes(&r, p[i].key, MESH_KEY_LEN);
		mesh_endpoint_get(&r, &p[i].endpoint);
		p[i].wg_port = mr_u16(&r);
	}
	if (r.err || r.off != len) {
		free(p);
		return -EBADMSG;
	}
	*ret = p;
	*ret_n = n;
	return 0;
}
