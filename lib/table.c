/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <locale.h>
#include <stdlib.h>

#include "table.h"
#include "util/macro.h"
#include "util/utf8.h"

/* libsmartcols measures cells with the C library's multibyte functions, and by default
 * "encodes" what it takes for unprintable: every non-ASCII byte in the C locale, and a
 * backslash before an x, which would turn the \xNN that pmemnsd writes for invalid bytes
 * into \x5cxNN. So the cells are escaped here, by the project's one rule (util/utf8.h:
 * invalid bytes and control characters as \xNN), and printed as they are, measured in a
 * UTF-8 character type (C.UTF-8, which needs no locale files). Where there is none, the
 * non-ASCII bytes are written as \xNN too: libsmartcols 2.38 does not finish printing
 * raw non-ASCII text in the C locale. */
static bool utf8_ctype(void) {
        static int cached = -1;

        if (cached < 0)
                cached = MB_CUR_MAX > 1 || setlocale(LC_CTYPE, "C.UTF-8") || setlocale(LC_CTYPE, "C.utf8");
        return cached;
}

static char *cell_text(const char *s) {
        char *e = utf8_escape(isempty(s) ? "-" : s, UTF8_ESCAPE_CONTROL), *a;
        size_t n = 0;

        if (!e || utf8_ctype())
                return e;
        for (const char *p = e; *p; p++)
                n += (unsigned char) *p >= 0x80 ? 4 : 1;
        a = malloc(n + 1);
        if (a) {
                char *q = a;
                for (const unsigned char *p = (const unsigned char *) e; *p; p++)
                        q += *p >= 0x80 ? sprintf(q, "\\x%02x", *p) : sprintf(q, "%c", *p);
                *q = '\0';
        }
        free(e);
        return a;
}

struct libscols_table *table_new(const char *const *columns) {
        struct libscols_table *t = scols_new_table();

        if (!t)
                return NULL;
        /* never a terminal's table: no truncation or wrapping to its width, no colours */
        (void) scols_table_set_termforce(t, SCOLS_TERMFORCE_NEVER);
        (void) scols_table_enable_noencoding(t, true); /* cell_text() escaped them */
        (void) utf8_ctype();
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
                char *c = cell_text(cells[i]);
                int r = c ? scols_line_refer_data(l, i, c) : -ENOMEM; /* the line frees it */
                if (r < 0) {
                        free(c);
                        return r;
                }
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
