/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Enum <-> string through a table indexed by the enum (systemd's string-table.h): one
 * table per enum, the functions generated. */

#include <errno.h>
#include <string.h>

static inline int string_table_lookup(const char *const *table, int n, const char *s) {
        if (!s)
                return -EINVAL;
        for (int i = 0; i < n; i++)
                if (table[i] && strcmp(table[i], s) == 0)
                        return i;
        return -EINVAL;
}

#define DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, max)                   \
        const char *name##_to_string(type v) {                                  \
                return ((int) v >= 0 && (int) v < (max)) ? name##_table[v] : NULL; \
        }

#define DEFINE_STRING_TABLE_LOOKUP(name, type, max)                             \
        DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, max)                   \
        type name##_from_string(const char *s) {                                \
                return (type) string_table_lookup(name##_table, (max), s);      \
        }
