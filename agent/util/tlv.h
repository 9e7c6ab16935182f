/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A bounded type-length-value codec for atom's own wire formats (RPC,
 * join frames): u16 type, u32 length (big endian), value. Nests are a
 * TLV whose value is a TLV sequence. Pure code, no I/O.
 *
 * The writer's errors are sticky: check tlv_writer_error() once at the
 * end. The reader refuses any attribute that runs past its buffer.
 */
#ifndef ATOM_UTIL_TLV_H
#define ATOM_UTIL_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLV_HDR_LEN 6

struct tlv_writer {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t max;	/* never grows beyond this */
	int err;	/* first error, 0 if none */
};

/* A writer growing up to max bytes. Free with tlv_writer_release. */
void tlv_writer_init(struct tlv_writer *w, size_t max);
void tlv_writer_release(struct tlv_writer *w);
int tlv_writer_error(const struct tlv_writer *w);

void tlv_put(struct tlv_writer *w, uint16_t type, const void *val,
	     size_t len);
void tlv_put_u32(struct tlv_writer *w, uint16_t type, uint32_t v);
void tlv_put_u64(struct tlv_writer *w, uint16_t type, uint64_t v);
void tlv_put_str(struct tlv_writer *w, uint16_t type, const char *s);
/* Append attributes encoded elsewhere (another writer's buffer). */
void tlv_put_raw(struct tlv_writer *w, const void *attrs, size_t len);
/* Returns the offset to pass to tlv_nest_end. */
size_t tlv_nest_begin(struct tlv_writer *w, uint16_t type);
void tlv_nest_end(struct tlv_writer *w, size_t start);

struct tlv {
	uint16_t type;
	uint32_t len;
	const uint8_t *val;
};

struct tlv_reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;
};

void tlv_reader_init(struct tlv_reader *r, const void *buf, size_t len);
/* 1 with the next attribute, 0 at the end, -EPROTO if malformed. */
int tlv_next(struct tlv_reader *r, struct tlv *ret);
/* A reader over a nest's value. */
void tlv_reader_nest(struct tlv_reader *r, const struct tlv *nest);

int tlv_u32(const struct tlv *a, uint32_t *ret);
int tlv_u64(const struct tlv *a, uint64_t *ret);
/* Copy a string value (no NUL inside) into buf[size]: -EPROTO/-E2BIG. */
int tlv_str(const struct tlv *a, char *buf, size_t size);

#endif /* ATOM_UTIL_TLV_H */
