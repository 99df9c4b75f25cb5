/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "plan/space.h"
#include "tests.h"
#include "util/macro.h"

/* The free extents as "start-end start-end ..." in MiB, for one readable check. */
static const char *extents(const Space *s) {
        static char buf[256];
        size_t o = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < s->n && o < sizeof(buf); i++)
                o += (size_t) snprintf(buf + o, sizeof(buf) - o, "%s%" PRIu64 "-%" PRIu64, i ? " " : "",
                                       s->ext[i].start / MiB, s->ext[i].end / MiB);
        return buf;
}

TEST(empty_region_has_no_free_space) {
        Space s;
        uint64_t off = 7;

        CHECK_INT(space_init(&s, 0), 0);
        CHECK_U64(s.n, 0);
        CHECK_U64(space_total(&s), 0);
        CHECK_U64(space_largest(&s, 2 * MiB), 0);
        CHECK(!space_first_fit(&s, 2 * MiB, 2 * MiB, &off));
        CHECK_U64(off, 7);
        CHECK_INT(space_take(&s, 0, 2 * MiB), -ENOSPC);
        space_done(&s);
}

TEST(region_without_namespaces_is_one_extent) {
        Space s;
        uint64_t off;

        CHECK_INT(space_init(&s, 1024 * MiB), 0);
        CHECK_STR(extents(&s), "0-1024");
        CHECK(space_first_fit(&s, 1024 * MiB, 2 * MiB, &off));
        CHECK_U64(off, 0);
        CHECK(!space_first_fit(&s, 1024 * MiB + 1, 2 * MiB, &off));
        space_done(&s);
        CHECK(s.ext == NULL);
}

TEST(namespaces_leave_gaps_in_address_order) {
        Space s;

        CHECK_INT(space_init(&s, 1024 * MiB), 0);
        CHECK_INT(space_reserve(&s, 100 * MiB, 100 * MiB), 0);
        CHECK_INT(space_reserve(&s, 300 * MiB, 200 * MiB), 0);
        CHECK_STR(extents(&s), "0-100 200-300 500-1024");
        CHECK_U64(space_total(&s), 724 * MiB);
        CHECK_U64(space_largest(&s, 2 * MiB), 524 * MiB);
        space_done(&s);
}

TEST(namespaces_at_both_ends_and_back_to_back) {
        Space s;

        CHECK_INT(space_init(&s, 1024 * MiB), 0);
        CHECK_INT(space_reserve(&s, 0, 64 * MiB), 0);
        CHECK_INT(space_reserve(&s, 64 * MiB, 64 * MiB), 0);
        CHECK_INT(space_reserve(&s, 1000 * MiB, 24 * MiB), 0);
        CHECK_STR(extents(&s), "128-1000");
        space_done(&s);
}

TEST(namespace_reaching_the_region_end_leaves_no_tail) {
        Space s;

        CHECK_INT(space_init(&s, 1024 * MiB), 0);
        CHECK_INT(space_reserve(&s, 512 * MiB, 512 * MiB), 0);
        CHECK_STR(extents(&s), "0-512");
        /* past the end, even to 2^64, is clipped */
        CHECK_INT(space_reserve(&s, 500 * MiB, UINT64_MAX), 0);
        CHECK_STR(extents(&s), "0-500");
        space_done(&s);
}

TEST(whole_region_used_leaves_nothing) {
        Space s;
        uint64_t off;

        CHECK_INT(space_init(&s, 1024 * MiB), 0);
        CHECK_INT(space_reserve(&s, 0, 1024 * MiB), 0);
        CHECK_U64(s.n, 0);
        CHECK(!space_first_fit(&s, 4096, 4096, &off));
        space_done(&s);
}

/* RegionState sorts namespaces by start, but the allocator does not depend on it. */
TEST(unsorted_and_overlapping_ranges_are_accepted) {
        Space s;

        CHECK_INT(space_init(&s, 1024 * MiB), 0);
        CHECK_INT(space_reserve(&s, 600 * MiB, 100 * MiB), 0);
        CHECK_INT(space_reserve(&s, 100 * MiB, 100 * MiB), 0);
        CHECK_INT(space_reserve(&s, 150 * MiB, 100 * MiB), 0); /* overlaps the one before */
        CHECK_INT(space_reserve(&s, 620 * MiB, 10 * MiB), 0);  /* inside one already used */
        CHECK_STR(extents(&s), "0-100 250-600 700-1024");
        CHECK_INT(space_reserve(&s, 50 * MiB, 700 * MiB), 0);  /* spans three extents */
        CHECK_STR(extents(&s), "0-50 750-1024");
        space_done(&s);
}

TEST(first_fit_takes_the_lowest_gap_that_fits) {
        Space s;
        uint64_t off;

        CHECK_INT(space_init(&s, 1024 * MiB), 0);
        CHECK_INT(space_reserve(&s, 32 * MiB, 100 * MiB), 0);  /* gap 0-32 */
        CHECK_INT(space_reserve(&s, 196 * MiB, 100 * MiB), 0); /* gap 132-196 */
        CHECK(space_first_fit(&s, 16 * MiB, 2 * MiB, &off));
        CHECK_U64(off, 0);
        CHECK(space_first_fit(&s, 64 * MiB, 2 * MiB, &off));
        CHECK_U64(off, 132 * MiB);
        CHECK(space_first_fit(&s, 65 * MiB, 2 * MiB, &off));
        CHECK_U64(off, 296 * MiB);
        space_done(&s);
}

TEST(exact_fit_uses_the_whole_gap) {
        Space s;
        uint64_t off;

        CHECK_INT(space_init(&s, 1024 * MiB), 0);
        CHECK_INT(space_reserve(&s, 0, 128 * MiB), 0);
        CHECK_INT(space_reserve(&s, 256 * MiB, 768 * MiB), 0);
        CHECK(space_first_fit(&s, 128 * MiB, 128 * MiB, &off));
        CHECK_U64(off, 128 * MiB);
        CHECK_INT(space_take(&s, off, 128 * MiB), 0);
        CHECK_U64(s.n, 0);
        space_done(&s);
}

/* A gap whose aligned part is too small: the kernel's space_valid() aligns a free range's
 * start up and its end down, so first fit moves on to the next gap. */
TEST(alignment_eats_a_gap) {
        Space s;
        uint64_t off, st;

        CHECK_INT(space_init(&s, 1024 * MiB), 0);
        CHECK_INT(space_reserve(&s, 0, 2 * MiB), 0);
        CHECK_INT(space_reserve(&s, 130 * MiB, 830 * MiB), 0); /* gap 2-130, tail 960-1024 */
        CHECK_STR(extents(&s), "2-130 960-1024");
        /* 128M raw fits the 2-130 gap unaligned, but not at a 64M boundary (64-128) */
        CHECK_U64(extent_aligned(&s.ext[0], 64 * MiB, &st), 64 * MiB);
        CHECK_U64(st, 64 * MiB);
        CHECK(space_first_fit(&s, 64 * MiB, 64 * MiB, &off));
        CHECK_U64(off, 64 * MiB);
        CHECK(!space_first_fit(&s, 128 * MiB, 64 * MiB, &off));
        CHECK(space_first_fit(&s, 128 * MiB, 2 * MiB, &off));
        CHECK_U64(off, 2 * MiB);
        /* a 64M unit loses 64M of the first gap (2-64 and 128-130) and none of the tail */
        CHECK_U64(space_total(&s), 192 * MiB);
        CHECK_U64(space_aligned_total(&s, 64 * MiB), 128 * MiB);
        CHECK_U64(space_largest(&s, 64 * MiB), 64 * MiB);
        /* an alignment larger than the gap leaves nothing of it */
        CHECK_U64(extent_aligned(&s.ext[0], 256 * MiB, NULL), 0);
        space_done(&s);
}

TEST(no_fit_anywhere) {
        Space s;
        uint64_t off = 1;

        CHECK_INT(space_init(&s, 1024 * MiB), 0);
        CHECK_INT(space_reserve(&s, 100 * MiB, 100 * MiB), 0);
        CHECK_INT(space_reserve(&s, 400 * MiB, 100 * MiB), 0);
        CHECK(!space_first_fit(&s, 525 * MiB, 2 * MiB, &off));
        CHECK_U64(off, 1);
        CHECK_U64(space_largest(&s, 2 * MiB), 524 * MiB);
        space_done(&s);
}

TEST(take_splits_shrinks_or_removes_an_extent) {
        Space s;

        CHECK_INT(space_init(&s, 1024 * MiB), 0);
        CHECK_INT(space_take(&s, 0, 64 * MiB), 0); /* head */
        CHECK_STR(extents(&s), "64-1024");
        CHECK_INT(space_take(&s, 960 * MiB, 64 * MiB), 0); /* tail */
        CHECK_STR(extents(&s), "64-960");
        CHECK_INT(space_take(&s, 128 * MiB, 64 * MiB), 0); /* middle */
        CHECK_STR(extents(&s), "64-128 192-960");
        CHECK_INT(space_take(&s, 64 * MiB, 64 * MiB), 0); /* all of one */
        CHECK_STR(extents(&s), "192-960");
        space_done(&s);
}

TEST(take_refuses_what_is_not_free_in_one_extent) {
        Space s;

        CHECK_INT(space_init(&s, 1024 * MiB), 0);
        CHECK_INT(space_reserve(&s, 100 * MiB, 100 * MiB), 0);
        CHECK_INT(space_take(&s, 150 * MiB, 10 * MiB), -ENOSPC);  /* used */
        CHECK_INT(space_take(&s, 50 * MiB, 100 * MiB), -ENOSPC);  /* across a namespace */
        CHECK_INT(space_take(&s, 1000 * MiB, 32 * MiB), -ENOSPC); /* past the end */
        CHECK_INT(space_take(&s, 2048 * MiB, 0), -ENOSPC);        /* beyond the region */
        CHECK_STR(extents(&s), "0-100 200-1024");
        space_done(&s);
}
