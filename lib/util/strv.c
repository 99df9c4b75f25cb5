/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "strv.h"

int strv_push(char ***l, size_t *n, const char *s) {
        char **nl, *c;

        c = strdup(s);
        if (!c)
                return -ENOMEM;
        nl = realloc(*l, sizeof(char *) * (*n + 2));
        if (!nl) {
                free(c);
                return -ENOMEM;
        }
        nl[(*n)++] = c;
        nl[*n] = NULL;
        *l = nl;
        return 0;
}

void strv_free(char **l) {
        if (!l)
                return;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
}

size_t strv_length(char *const *l) {
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}
