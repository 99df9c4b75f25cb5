/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The human tables of pmemnsctl and pmemnsd --plan, with libsmartcols: columns sized to
 * their content, never cut to a terminal's width (a script reads the same lines as a
 * person), no header with --no-legend and a sentence instead of a bare header when there
 * is nothing to list. */

#include <stdbool.h>
#include <stdio.h>

#include <libsmartcols.h>

/* A table with these column names, NULL-terminated; a name starting with '>' is a
 * right-aligned (number) column, the '>' not shown. NULL when out of memory. */
struct libscols_table *table_new(const char *const *columns);

/* One row: as many cells as columns, copied; NULL or "" is written "-". */
int table_add_row(struct libscols_table *t, const char *const *cells);

/* The table on f; legend: with its header, and "empty" (a sentence) instead of the table
 * when it has no rows. Takes t. */
int table_print(struct libscols_table *t, FILE *f, bool legend, const char *empty);

static inline void table_unrefp(struct libscols_table **t) {
        if (*t)
                scols_unref_table(*t);
}
