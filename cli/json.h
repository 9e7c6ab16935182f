/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal JSON writer for the CLI's -j output: objects and arrays,
 * strings escaped per RFC 8259.
 */
#ifndef ATOM_CLI_JSON_H
#define ATOM_CLI_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 8

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
/* key is NULL inside arrays and at the top level. */
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_str(struct json *j, const char *key, const char *v);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* Write s as a JSON string literal, quotes included. */
void json_write_string(FILE *f, const char *s);

#endif /* ATOM_CLI_JSON_H */
