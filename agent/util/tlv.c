// SPDX-License-Identifier: GPL-2.0
/*
 * The TLV codec.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "util/tlv.h"

void tlv_writer_init(struct tlv_writer *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
}

void tlv_writer_release(struct tlv_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

int tlv_writer_error(const struct tlv_writer *w)
{
	return w->err;
}

static uint8_t *reserve(struct tlv_writer *w, size_t n)
{
	size_t cap;
	uint8_t *b;

	if (w->err)
		return NULL;
	if (n > w->max || w->len > w->max - n) {
		w->err = -EMSGSIZE;
		return NULL;
	}
	if (w->len + n > w->cap) {
		cap = w->cap ? w->cap : 256;
		while (cap < w->len + n)
			cap *= 2;
		if (cap > w->max)
			cap = w->max;
		b = realloc(w->buf, cap);
		if (!b) {
			w->err = -ENOMEM;
			return NULL;
		}
		w->buf = b;
		w->cap = cap;
	}
	b = w->buf + w->len;
	w->len += n;
	return b;
}

void tlv_put(struct tlv_writer *w, uint16_t type, const void *val,
	     size_t len)
{
	uint8_t *p;

	if (len > UINT32_MAX) {
		w->err = w->err ?: -EMSGSIZE;
		return;
	}
	p = reserve(w, TLV_HDR_LEN + len);
	if (!p)
		return;
	put_be16(p, type);
	put_be32(p + 2, (uint32_t)len);
	if (len)
		memcpy(p + TLV_HDR_LEN, val, len);
}

void tlv_put_u32(struct tlv_writer *w, uint16_t type, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	tlv_put(w, type, b, sizeof(b));
}

void tlv_put_u64(struct tlv_writer *w, uint16_t type, uint64_t v)
{
	uint8_t b[8];

	put_be64(b, v);
	tlv_put(w, type, b, sizeof(b));
}

void tlv_put_str(struct tlv_writer *w, uint16_t type, const char *s)
{
	tlv_put(w, type, s, strlen(s));
}

void tlv_put_raw(struct tlv_writer *w, const void *attrs, size_t len)
{
	uint8_t *p = reserve(w, len);

	if (p && len)
		memcpy(p, attrs, len);
}

size_t tlv_nest_begin(struct tlv_writer *w, uint16_t type)
{
	size_t start = w->len;
	uint8_t *p = reserve(w, TLV_HDR_LEN);

	if (p)
		put_be16(p, type);
	return start;
}

void tlv_nest_end(struct tlv_writer *w, size_t start)
{
	if (w->err)
		return;
	put_be32(w->buf + start + 2, (uint32_t)(w->len - start - TLV_HDR_LEN));
}

void tlv_reader_init(struct tlv_reader *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
}

int tlv_next(struct tlv_reader *r, struct tlv *ret)
{
	uint32_t len;

	if (r->pos == r->len)
		return 0;
	if (r->len - r->pos < TLV_HDR_LEN)
		return -EPROTO;
	len = get_be32(r->buf + r->pos + 2);
	if (len > r->len - r->pos - TLV_HDR_LEN)
		return -EPROTO;
	ret->type = get_be16(r->buf + r->pos);
	ret->len = len;
	ret->val = r->buf + r->pos + TLV_HDR_LEN;
	r->pos += TLV_HDR_LEN + len;
	return 1;
}

void tlv_reader_nest(struct tlv_reader *r, const struct tlv *nest)
{
	tlv_reader_init(r, nest->val, nest->len);
}

int tlv_u32(const struct tlv *a, uint32_t *ret)
{
	if (a->len != 4)
		return -EPROTO;
	*ret = get_be32(a->val);
	return 0;
}

int tlv_u64(const struct tlv *a, uint64_t *ret)
{
	if (a->len != 8)
		return -EPROTO;
	*ret = get_be64(a->val);
	return 0;
}

int tlv_str(const struct tlv *a, char *buf, size_t size)
{
	if (memchr(a->val, '\0', a->len))
		return -EPROTO;
	if (a->len >= size)
		return -E2BIG;
	memcpy(buf, a->val, a->len);
	buf[a->len] = '\0';
	return 0;
}
