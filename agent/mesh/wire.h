/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounded big-endian reader and writer for the mesh codecs. An error is
 * sticky: once a read runs past the end or a write past the capacity,
 * every later call does nothing and the error is reported at the end.
 */
#ifndef ATOM_MESH_WIRE_H
#define ATOM_MESH_WIRE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/bytes.h"

struct mw {
	uint8_t *buf;
	size_t len, cap;
	int err;
};

struct mr {
	const uint8_t *buf;
	size_t len, off;
	int err;
};

static inline uint8_t *mw_room(struct mw *w, size_t n)
{
	uint8_t *p;

	if (w->err)
		return NULL;
	if (n > w->cap - w->len) {
		w->err = -EMSGSIZE;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

static inline void mw_bytes(struct mw *w, const void *v, size_t n)
{
	uint8_t *p = mw_room(w, n);

	if (p && n)
		memcpy(p, v, n);
}

static inline void mw_u8(struct mw *w, uint8_t v)
{
	mw_bytes(w, &v, 1);
}

static inline void mw_u16(struct mw *w, uint16_t v)
{
	uint8_t *p = mw_room(w, 2);

	if (p)
		put_be16(p, v);
}

static inline void mw_u32(struct mw *w, uint32_t v)
{
	uint8_t *p = mw_room(w, 4);

	if (p)
		put_be32(p, v);
}

static inline void mw_u64(struct mw *w, uint64_t v)
{
	uint8_t *p = mw_room(w, 8);

	if (p)
		put_be64(p, v);
}

static inline const uint8_t *mr_take(struct mr *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->off) {
		r->err = -EBADMSG;
		return NULL;
	}
	p = r->buf + r->off;
	r->off += n;
	return p;
}

static inline void mr_bytes(struct mr *r, void *v, size_t n)
{
	const uint8_t *p = mr_take(r, n);

	if (p)
		memcpy(v, p, n);
	else
		memset(v, 0, n);
}

static inline uint8_t mr_u8(struct mr *r)
{
	const uint8_t *p = mr_take(r, 1);

	return p ? p[0] : 0;
}

static inline uint16_t mr_u16(struct mr *r)
{
	const uint8_t *p = mr_take(r, 2);

	return p ? get_be16(p) : 0;
}

static inline uint32_t mr_u32(struct mr *r)
{
	const uint8_t *p = mr_take(r, 4);

	return p ? get_be32(p) : 0;
}

static inline uint64_t mr_u64(struct mr *r)
{
	const uint8_t *p = mr_take(r, 8);

	return p ? get_be64(p) : 0;
}

/* A malformed field: the whole message is refused. */
static inline void mr_fail(struct mr *r)
{
	if (!r->err)
		r->err = -EBADMSG;
}

/* The end: every byte consumed, nothing refused. */
static inline int mr_end(struct mr *r)
{
	if (!r->err && r->off != r->len)
		r->err = -EBADMSG;
	return r->err;
}

#endif /* ATOM_MESH_WIRE_H */
