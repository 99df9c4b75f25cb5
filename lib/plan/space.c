/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "plan/space.h"
#include "util/macro.h"

int space_init(Space *s, uint64_t size) {
        *s = (Space) {};
        if (size == 0)
                return 0;
        s->ext = malloc(sizeof(Extent));
        if (!s->ext)
                return -ENOMEM;
        s->ext[s->n++] = (Extent) { 0, size };
        return 0;
}

void space_done(Space *s) {
        s->ext = mfree(s->ext);
        s->n = 0;
}

/* Room for one more extent at index i, which then holds a copy of the one after it. */
static int space_split(Space *s, size_t i) {
        Extent *n = realloc(s->ext, sizeof(Extent) * (s->n + 1));

        if (!n)
                return -ENOMEM;
        s->ext = n;
        memmove(&s->ext[i + 1], &s->ext[i], sizeof(Extent) * (s->n - i));
        s->n++;
        return 0;
}

int space_reserve(Space *s, uint64_t off, uint64_t size) {
        /* a range that runs past 2^64 is used to the end of everything */
        uint64_t end = off + size >= off ? off + size : UINT64_MAX;

        for (size_t i = 0; i < s->n;) {
                Extent *e = &s->ext[i];

                if (end <= e->start || off >= e->end) /* disjoint */
                        i++;
                else if (off <= e->start && end >= e->end) { /* all of it */
                        memmove(e, e + 1, sizeof(Extent) * (s->n - i - 1));
                        s->n--;
                } else if (off <= e->start) { /* its head */
                        e->start = end;
                        i++;
                } else if (end >= e->end) { /* its tail */
                        e->end = off;
                        i++;
                } else { /* its middle: two extents remain */
                        if (space_split(s, i) < 0)
                                return -ENOMEM;
                        s->ext[i].end = off;
                        s->ext[i + 1].start = end;
                        i += 2;
                }
        }
        return 0;
}

int space_take(Space *s, uint64_t off, uint64_t size) {
        for (size_t i = 0; i < s->n; i++)
                if (off >= s->ext[i].start && off <= s->ext[i].end && size <= s->ext[i].end - off)
                        return space_reserve(s, off, size);
        return -ENOSPC;
}

uint64_t extent_aligned(const Extent *e, uint64_t align, uint64_t *ret_start) {
        uint64_t st = round_up_u64(e->start, align), en = round_down_u64(e->end, align);

        if (ret_start)
                *ret_start = st;
        return en > st ? en - st : 0;
}

/* As scan_allocate() in drivers/nvdimm/namespace_devs.c: space_valid() aligns each free
 * range's start up and its end down to align/ways (in DPA terms, which is align in region
 * offsets) and a new allocation must fit whole in one range. */
bool space_first_fit(const Space *s, uint64_t size, uint64_t align, uint64_t *ret) {
        for (size_t i = 0; i < s->n; i++) {
                uint64_t st;
                if (extent_aligned(&s->ext[i], align, &st) >= size) {
                        *ret = st;
                        return true;
                }
        }
        return false;
}

uint64_t space_largest(const Space *s, uint64_t align) {
        uint64_t best = 0;

        for (size_t i = 0; i < s->n; i++)
                best = MAX(best, extent_aligned(&s->ext[i], align, NULL));
        return best;
}

uint64_t space_aligned_total(const Space *s, uint64_t align) {
        uint64_t t = 0;

        for (size_t i = 0; i < s->n; i++)
                t += extent_aligned(&s->ext[i], align, NULL);
        return t;
}

uint64_t space_total(const Space *s) {
        return space_aligned_total(s, 1);
}
