/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Readers of a JSON object's members, and the few helpers both sides share, for what the
 * daemon and its worker say to each other (state-json.c, daemon/job-json.c). Strict: both sides are the same build, so a message
 * with a member missing or of another type is one neither made, and it is refused whole.
 *
 * Each takes the error so far in *r: it does nothing when *r < 0, and sets -EBADMSG (key
 * missing, wrong type, out of range, a string with a NUL in it) or -ENOMEM. A run of reads
 * is checked once at its end; the struct's done function frees what was read before an
 * error. */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

/* the member, NULL for JSON null */
json_object *json_member(json_object *o, const char *key, int *r);
/* a string or null (NULL), copied */
void json_member_str(json_object *o, const char *key, char **ret, int *r);
/* a string, not null; owned by o */
const char *json_member_name(json_object *o, const char *key, int *r);
/* an object or null (NULL) */
json_object *json_member_object(json_object *o, const char *key, int *r);
/* an array, not null; its length in *ret_n */
json_object *json_member_array(json_object *o, const char *key, size_t *ret_n, int *r);
void json_member_u64(json_object *o, const char *key, uint64_t *ret, int *r);
void json_member_uint(json_object *o, const char *key, unsigned *ret, int *r);
void json_member_int(json_object *o, const char *key, int *ret, int *r);
void json_member_bool(json_object *o, const char *key, bool *ret, int *r);

/* a JSON string, or null for NULL (json_object_object_add() takes either) */
json_object *json_string_or_null(const char *s);

/* _cleanup_(json_object_putp) */
static inline void json_object_putp(json_object **o) {
        json_object_put(*o); /* NULL is a no-op */
}

/* 0 or -EBADMSG: v is a string without a NUL in it (a C string would stop at one), or
 * an integer >= 0 */
int json_string_of(json_object *v, const char **ret);
int json_u64_of(json_object *v, uint64_t *ret);
/* a copy of json_string_of()'s string: 0, -EBADMSG or -ENOMEM */
int json_string_dup(json_object *v, char **ret);
