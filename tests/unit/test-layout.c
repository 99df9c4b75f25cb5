/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "plan/layout.h"
#include "tests.h"
#include "util/macro.h"

static uint64_t usable(NsMode mode, uint64_t start, uint64_t size, NsMap map, uint64_t align) {
        Layout l;
        LayoutParams p = { .mode = mode, .start = start, .size = size, .map = map, .align = align };
        if (layout_compute(&p, &l, NULL) < 0)
                return 0;
        return l.usable;
}

/* Worked examples from ../shared/docs/kernel-alignment.md §10 (nd_pfn_init(), 6.12). */
TEST(pfn_fsdax_examples) {
        const uint64_t base = 4 * GiB;

        CHECK_U64(usable(NS_MODE_FSDAX, base, 16 * MiB, NS_MAP_DEV, 0), 14 * MiB);
        CHECK_U64(usable(NS_MODE_DEVDAX, base, 16 * MiB, NS_MAP_DEV, 2 * MiB), 14 * MiB);
        CHECK_U64(usable(NS_MODE_FSDAX, base, 128 * MiB, NS_MAP_DEV, 0), 124 * MiB);
        CHECK_U64(usable(NS_MODE_FSDAX, base, 128 * MiB, NS_MAP_MEM, 0), 126 * MiB);
        CHECK_U64(usable(NS_MODE_FSDAX, base, 130 * MiB, NS_MAP_DEV, 0), 126 * MiB);
        CHECK_U64(usable(NS_MODE_FSDAX, base, 130 * MiB, NS_MAP_MEM, 0), 128 * MiB);
        CHECK_U64(usable(NS_MODE_FSDAX, base, 144 * MiB, NS_MAP_DEV, 0), 140 * MiB);
        CHECK_U64(usable(NS_MODE_FSDAX, base, 144 * MiB, NS_MAP_MEM, 0), 142 * MiB);
        /* map=dev overhead at 16 GiB is 258 MiB */
        CHECK_U64(usable(NS_MODE_FSDAX, base, 16 * GiB, NS_MAP_DEV, 0), 16 * GiB - 258 * MiB);
}

TEST(pfn_1g_align_refuses_a_start_off_the_align) {
        Layout l;
        const char *why = NULL;
        LayoutParams p = { .mode = NS_MODE_DEVDAX, .start = 4 * GiB, .size = GiB,
                           .map = NS_MAP_DEV, .align = GiB };

        CHECK_U64(usable(NS_MODE_DEVDAX, 4 * GiB, 2 * GiB, NS_MAP_DEV, GiB), GiB);
        CHECK_INT(layout_compute(&p, &l, &why), -ENXIO);
        CHECK(why != NULL);
        /* start 16 MiB past a 1 GiB boundary: 2032 MiB gives 1 GiB */
        CHECK_U64(usable(NS_MODE_DEVDAX, 4 * GiB + 16 * MiB, 2032 * MiB, NS_MAP_DEV, GiB), GiB);
}

TEST(pfn_misaligned_start_refused) {
        Layout l;
        LayoutParams p = { .mode = NS_MODE_FSDAX, .start = 4 * GiB + 4 * KiB, .size = 64 * MiB };
        CHECK_INT(layout_compute(&p, &l, NULL), -EINVAL);
}

TEST(pfn_truncates_the_tail_past_the_align) {
        Layout l;
        /* size not a multiple of the 2M align: the tail is truncated */
        LayoutParams p = { .mode = NS_MODE_FSDAX, .start = 4 * GiB, .size = 65 * MiB,
                           .map = NS_MAP_MEM };
        CHECK_INT(layout_compute(&p, &l, NULL), 0);
        CHECK_U64(l.end_trunc, 1 * MiB);
        CHECK_U64(l.dataoff, 2 * MiB);
        CHECK_U64(l.usable, 62 * MiB);
}

TEST(btt_capacity_follows_alloc_arena) {
        Layout l;
        LayoutParams p = { .mode = NS_MODE_SECTOR, .start = 4 * GiB, .size = 64 * MiB,
                           .sector_size = 4096 };
        /* alloc_arena(): 64M - 2 pages - 16K log; nlba = (avail - 4K) / 4100 - 256 */
        uint64_t avail = 64 * MiB - 2 * 4096 - 16384;
        uint64_t nlba = (avail - 4096) / (4096 + 4) - 256;

        CHECK_INT(layout_compute(&p, &l, NULL), 0);
        CHECK_U64(l.usable, nlba * 4096);

        p.btt_initial_offset = 4096;
        p.size = 16 * MiB;
        CHECK_INT(layout_compute(&p, &l, NULL), -ENXIO); /* BTT1.1 needs 16M after 4K */
        p.btt_initial_offset = 0;
        CHECK_INT(layout_compute(&p, &l, NULL), 0);
}

TEST(kmem_onlines_whole_memory_blocks_only) {
        /* 16 GiB devdax at a 2 GiB boundary, map=dev: data starts 258 MiB in. */
        uint64_t ds = 2 * GiB + 258 * MiB, de = 2 * GiB + 16 * GiB;
        CHECK_U64(kmem_trimmed(ds, de, 128 * MiB), 126 * MiB);
        CHECK_U64(kmem_trimmed(ds, de, 2 * GiB), 2 * GiB - 258 * MiB);
        CHECK_U64(kmem_trimmed(ds, ds + 100 * MiB, 128 * MiB), 100 * MiB);
}
