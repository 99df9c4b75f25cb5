/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "conf/conf-internal.h"
#include "util/macro.h"

bool conf_diags_full(const ConfDiags *d) {
        return d->n > CONF_DIAGS_MAX;
}

int conf_diag_add(ConfDiags *d, const char *file, unsigned line, const char *key,
                  const char *format, ...) {
        ConfDiag *n;
        va_list ap;
        char *msg;
        int r;

        if (conf_diags_full(d))
                return 0;
        if (d->n == CONF_DIAGS_MAX) {
                /* one more line that says where we stopped, then nothing */
                key = NULL;
                r = asprintf(&msg, "too many problems; stopped reading after %u", CONF_DIAGS_MAX);
        } else {
                va_start(ap, format);
                r = vasprintf(&msg, format, ap);
                va_end(ap);
        }
        if (r < 0)
                return -ENOMEM;

        n = realloc(d->items, sizeof(ConfDiag) * (d->n + 1));
        if (!n) {
                free(msg);
                return -ENOMEM;
        }
        d->items = n;
        d->items[d->n++] = (ConfDiag) {
                .file = strdup(strempty(file)),
                .line = line,
                .key = strdup_or_null(key),
                .message = msg,
        };
        return 0;
}

void conf_diags_done(ConfDiags *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->items[i].file);
                free(d->items[i].key);
                free(d->items[i].message);
        }
        d->items = mfree(d->items);
        d->n = 0;
}

char *conf_join(const char *const *names, size_t n) {
        size_t len = 1;
        char *s;

        for (size_t i = 0; i < n; i++)
                len += strlen(names[i]) + 2;
        s = malloc(len);
        if (!s)
                return NULL;
        s[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        strcat(s, ", ");
                strcat(s, names[i]);
        }
        return s;
}
