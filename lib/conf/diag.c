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

/* Does the message quote the key ('key')? Then it need not be named again. */
static bool message_quotes(const char *message, const char *key) {
        size_t n = strlen(key);

        for (const char *p = strchr(message, '\''); p; p = strchr(p + 1, '\''))
                if (strncmp(p + 1, key, n) == 0 && p[1 + n] == '\'')
                        return true;
        return false;
}

char *conf_diag_format(const ConfDiag *g) {
        const char *key = g->key && !message_quotes(g->message, g->key) ? g->key : NULL;
        char *s;
        int r;

        if (g->line > 0)
                r = asprintf(&s, "%s:%u: %s%s%s", g->file, g->line, strempty(key), key ? ": " : "",
                             g->message);
        else
                r = asprintf(&s, "%s: %s%s%s", g->file, strempty(key), key ? ": " : "", g->message);
        return r < 0 ? NULL : s;
}

char *conf_diags_join(const ConfDiags *d, const char *separator) {
        _cleanup_free_ char *s = strdup("");

        for (size_t i = 0; s && i < d->n; i++) {
                _cleanup_free_ char *line = conf_diag_format(&d->items[i]);
                char *n;

                if (!line || asprintf(&n, "%s%s%s", s, i > 0 ? separator : "", line) < 0)
                        return NULL;
                free(s);
                s = n;
        }
        return TAKE_PTR(s);
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
