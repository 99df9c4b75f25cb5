/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "json-read.h"

json_object *json_member(json_object *o, const char *key, int *r) {
        json_object *v = NULL;

        if (*r >= 0 && (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v)))
                *r = -EBADMSG;
        return v;
}

int json_string_of(json_object *v, const char **ret) {
        const char *s;

        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        s = json_object_get_string(v);
        if (strlen(s) != (size_t) json_object_get_string_len(v))
                return -EBADMSG;
        *ret = s;
        return 0;
}

int json_u64_of(json_object *v, uint64_t *ret) {
        /* json-c keeps integers above INT64_MAX as uint64 and gives them as INT64_MAX from
         * json_object_get_int64(): it is negative only when the value is. A double (1.0) is
         * not what json_object_new_uint64() makes. */
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                return -EBADMSG;
        *ret = json_object_get_uint64(v);
        return 0;
}

int json_string_dup(json_object *v, char **ret) {
        const char *s;

        if (json_string_of(v, &s) < 0)
                return -EBADMSG;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

void json_member_str(json_object *o, const char *key, char **ret, int *r) {
        json_object *v = json_member(o, key, r);

        if (*r >= 0 && v)
                *r = json_string_dup(v, ret);
}

const char *json_member_name(json_object *o, const char *key, int *r) {
        json_object *v = json_member(o, key, r);
        const char *s = NULL;

        if (*r >= 0)
                *r = json_string_of(v, &s);
        return *r >= 0 ? s : NULL;
}

json_object *json_member_object(json_object *o, const char *key, int *r) {
        json_object *v = json_member(o, key, r);

        if (*r < 0)
                return NULL;
        if (v && !json_object_is_type(v, json_type_object)) {
                *r = -EBADMSG;
                return NULL;
        }
        return v;
}

json_object *json_member_array(json_object *o, const char *key, size_t *ret_n, int *r) {
        json_object *v = json_member(o, key, r);

        if (*r < 0)
                return NULL;
        if (!json_object_is_type(v, json_type_array)) {
                *r = -EBADMSG;
                return NULL;
        }
        *ret_n = json_object_array_length(v);
        return v;
}

void json_member_u64(json_object *o, const char *key, uint64_t *ret, int *r) {
        json_object *v = json_member(o, key, r);

        if (*r >= 0)
                *r = json_u64_of(v, ret);
}

void json_member_uint(json_object *o, const char *key, unsigned *ret, int *r) {
        uint64_t u = 0;

        json_member_u64(o, key, &u, r);
        if (*r < 0)
                return;
        if (u > UINT_MAX)
                *r = -EBADMSG;
        else
                *ret = u;
}

void json_member_int(json_object *o, const char *key, int *ret, int *r) {
        json_object *v = json_member(o, key, r);
        int64_t i;

        if (*r < 0)
                return;
        if (!json_object_is_type(v, json_type_int)) {
                *r = -EBADMSG;
                return;
        }
        i = json_object_get_int64(v); /* a uint64 above INT64_MAX comes as INT64_MAX */
        if (i < INT_MIN || i > INT_MAX)
                *r = -EBADMSG;
        else
                *ret = i;
}

void json_member_bool(json_object *o, const char *key, bool *ret, int *r) {
        json_object *v = json_member(o, key, r);

        if (*r < 0)
                return;
        if (!json_object_is_type(v, json_type_boolean))
                *r = -EBADMSG;
        else
                *ret = json_object_get_boolean(v);
}

json_object *json_string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}
