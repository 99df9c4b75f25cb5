/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "table.h"
#include "util/macro.h"

struct libscols_table *table_new(const char *const *columns) {
        struct libscols_table *t = scols_new_table();

        if (!t)
                return NULL;
        /* never a terminal's table: no truncation or wrapping to its width, no colours */
        (void) scols_table_set_termforce(t, SCOLS_TERMFORCE_NEVER);
        for (const char *const *c = columns; *c; c++) {
                bool right = (*c)[0] == '>';
                if (!scols_table_new_column(t, *c + right, 0, right ? SCOLS_FL_RIGHT : 0)) {
                        scols_unref_table(t);
                        return NULL;
                }
        }
        return t;
}

int table_add_row(struct libscols_table *t, const char *const *cells) {
        struct libscols_line *l = scols_table_new_line(t, NULL);
        size_t n = scols_table_get_ncols(t);

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                int r = scols_line_set_data(l, i, isempty(cells[i]) ? "-" : cells[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int table_print(struct libscols_table *t, FILE *f, bool legend, const char *empty) {
        int r = 0;

        if (scols_table_get_nlines(t) == 0) {
                if (legend && empty)
                        fprintf(f, "%s\n", empty);
        } else {
                (void) scols_table_enable_noheadings(t, !legend);
                (void) scols_table_set_stream(t, f);
                r = scols_print_table(t);
        }
        scols_unref_table(t);
        return r;
}
