/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "pmemns.h"

/* What the kernel makes of a namespace of a given size at a given place: the capacity a
 * mode offers and the bytes its metadata and alignment cost. Formulas from Linux 6.1/6.12,
 * cited per function. */

typedef struct LayoutParams {
        NsMode mode;
        uint64_t start;       /* physical address of the namespace */
        uint64_t size;        /* raw size */
        NsMap map;            /* fsdax/devdax */
        uint64_t align;       /* fsdax/devdax pfn align; 0: 2M (HPAGE_PMD_SIZE) */
        uint64_t compat_align; /* memremap_compat_align(); 0: 2M */
        uint64_t page_size;   /* 0: 4K */
        uint64_t sector_size; /* sector mode */
        uint64_t btt_initial_offset; /* 0 for BTT2 (v1.2 labels), 4K for BTT1.1 */
        bool strict_end;      /* 6.12's dataoff >= size - end_trunc check (6.1: >= size) */
} LayoutParams;

typedef struct Layout {
        uint64_t usable;    /* bytes the block/char device offers */
        uint64_t dataoff;   /* pfn/dax: offset of the data from the namespace start */
        uint64_t end_trunc; /* pfn/dax: bytes cut from the end for alignment */
        uint64_t data_start; /* physical address of the data */
        uint64_t data_end;   /* physical address after the data */
} Layout;

/* Returns 0, or negative errno as the kernel would fail, with *ret_why a static reason. */
int layout_compute(const LayoutParams *p, Layout *ret, const char **ret_why);

/* The part of [data_start, data_end) that kmem cannot online because it is not a whole
 * memory block (drivers/dax/kmem.c:dax_kmem_range() aligns start up, end down). */
uint64_t kmem_trimmed(uint64_t data_start, uint64_t data_end, uint64_t block_size);
