/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A sorted array of (key, i, j): the positions of the elements of some array (or array of
 * arrays) by a string key, found in O(log n). Entries with equal keys stay in (i, j) order,
 * so the first one found is the first a linear scan would have found. The keys are
 * borrowed: the index is valid as long as the strings it was built from. */

typedef struct StrIndexEntry {
        const char *key;
        size_t i, j;
} StrIndexEntry;

typedef struct StrIndex {
        StrIndexEntry *entries;
        size_t n, allocated;
} StrIndex;

/* Add one entry (a NULL key is not indexed): -ENOMEM when memory runs out. */
int str_index_add(StrIndex *x, const char *key, size_t i, size_t j);
/* Sort what was added: lookups need it. */
void str_index_sort(StrIndex *x);
void str_index_done(StrIndex *x);

/* The first entry with this key, NULL if none; the ones after it with the same key are the
 * next entries (str_index_next()). */
const StrIndexEntry *str_index_find(const StrIndex *x, const char *key);
const StrIndexEntry *str_index_next(const StrIndex *x, const StrIndexEntry *e);
