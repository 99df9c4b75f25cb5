/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "util/macro.h"
#include "util/str-index.h"

int str_index_add(StrIndex *x, const char *key, size_t i, size_t j) {
        if (!key)
                return 0;
        if (x->n == x->allocated) {
                size_t a = MAX(x->allocated * 2, (size_t) 16);
                StrIndexEntry *e = reallocarray(x->entries, a, sizeof(StrIndexEntry));
                if (!e)
                        return -ENOMEM;
                x->entries = e;
                x->allocated = a;
        }
        x->entries[x->n++] = (StrIndexEntry) { .key = key, .i = i, .j = j };
        return 0;
}

static int entry_cmp(const void *a, const void *b) {
        const StrIndexEntry *x = a, *y = b;
        int c = strcmp(x->key, y->key);

        if (c != 0)
                return c;
        if (x->i != y->i)
                return x->i < y->i ? -1 : 1;
        return x->j < y->j ? -1 : x->j > y->j;
}

void str_index_sort(StrIndex *x) {
        if (x->n > 1)
                qsort(x->entries, x->n, sizeof(StrIndexEntry), entry_cmp);
}

void str_index_done(StrIndex *x) {
        free(x->entries);
        *x = (StrIndex) {};
}

const StrIndexEntry *str_index_find(const StrIndex *x, const char *key) {
        size_t lo = 0, hi = x->n;

        if (!key)
                return NULL;
        /* the lower bound: the first entry whose key is not below */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(x->entries[mid].key, key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < x->n && streq(x->entries[lo].key, key) ? &x->entries[lo] : NULL;
}

const StrIndexEntry *str_index_next(const StrIndex *x, const StrIndexEntry *e) {
        if (!e || e + 1 >= x->entries + x->n || !streq(e[1].key, e->key))
                return NULL;
        return e + 1;
}
