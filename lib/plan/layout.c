/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "plan/layout.h"
#include "util/macro.h"

/* drivers/nvdimm/pfn.h: MAX_STRUCT_PAGE_SIZE; pfn_devs.c: the 8K info block reserve. */
#define MAX_STRUCT_PAGE_SIZE 64
#define PFN_INFO_RESERVE (8 * KiB)

/* drivers/nvdimm/btt.h and nd.h */
#define BTT_PG_SIZE 4096
#define BTT_MAP_ENT_SIZE 4
#define BTT_LOG_GRP_SIZE 64 /* sizeof(struct log_group): 4 x 16-byte entries */
#define BTT_DEFAULT_NFREE 256 /* ND_MAX_LANES */
#define BTT_INT_LBASIZE_ALIGNMENT 64
#define BTT_ARENA_MIN_SIZE (UINT64_C(1) << 24)
#define BTT_ARENA_MAX_SIZE (UINT64_C(1) << 39)

/* drivers/nvdimm/pfn_devs.c:nd_pfn_init() for a new info block (5.7+). */
static int layout_pfn(const LayoutParams *p, Layout *l, const char **why) {
        uint64_t compat = p->compat_align ?: 2 * MiB;
        uint64_t page = p->page_size ?: 4 * KiB;
        uint64_t align = MAX(p->align ?: 2 * MiB, compat);
        uint64_t start = p->start, size = p->size, npfns, dataoff, end_trunc;

        if (size < PFN_INFO_RESERVE + page) {
                *why = "namespace too small for a pfn/dax info block";
                return -ENXIO;
        }
        if (start % compat) {
                *why = "start is not aligned to memremap_compat_align()";
                return -EINVAL;
        }
        npfns = (size - PFN_INFO_RESERVE) / page;
        end_trunc = start + size - round_down_u64(start + size, align);
        if (p->map == NS_MAP_DEV)
                dataoff = round_up_u64(start + PFN_INFO_RESERVE + MAX_STRUCT_PAGE_SIZE * npfns,
                                       align) - start;
        else
                dataoff = round_up_u64(start + PFN_INFO_RESERVE, align) - start;

        if (dataoff >= size || (p->strict_end && dataoff >= size - end_trunc)) {
                *why = "unable to satisfy requested alignment: the namespace is too small";
                return -ENXIO;
        }
        if (dataoff + end_trunc >= size) {
                *why = "no capacity left after metadata and alignment";
                return -ENXIO;
        }
        *l = (Layout) {
                .usable = size - dataoff - end_trunc,
                .dataoff = dataoff,
                .end_trunc = end_trunc,
                .data_start = start + dataoff,
                .data_end = start + size - end_trunc,
        };
        return 0;
}

/* drivers/nvdimm/btt.c: create_arenas() and alloc_arena(). */
static int layout_btt(const LayoutParams *p, Layout *l, const char **why) {
        uint64_t lbasize = p->sector_size ?: 4096;
        uint64_t internal_lbasize = round_up_u64(lbasize, BTT_INT_LBASIZE_ALIGNMENT);
        uint64_t remaining, nlba = 0;

        if (p->size <= p->btt_initial_offset ||
            p->size - p->btt_initial_offset < BTT_ARENA_MIN_SIZE) {
                *why = "a BTT needs at least 16 MiB after its initial offset";
                return -ENXIO;
        }
        remaining = p->size - p->btt_initial_offset;
        while (remaining) {
                uint64_t arena = MIN(BTT_ARENA_MAX_SIZE, remaining), available, logsize,
                         internal_nlba;

                remaining -= arena;
                if (arena < BTT_ARENA_MIN_SIZE)
                        break;
                available = arena - arena % BTT_PG_SIZE;
                available -= 2 * BTT_PG_SIZE; /* info block and its copy */
                logsize = round_up_u64(BTT_DEFAULT_NFREE * BTT_LOG_GRP_SIZE, BTT_PG_SIZE);
                available -= logsize;
                internal_nlba = (available - BTT_PG_SIZE) / (internal_lbasize + BTT_MAP_ENT_SIZE);
                nlba += internal_nlba - BTT_DEFAULT_NFREE;
        }
        *l = (Layout) {
                .usable = nlba * lbasize,
                .data_start = p->start,
                .data_end = p->start + p->size,
        };
        return 0;
}

int layout_compute(const LayoutParams *p, Layout *ret, const char **ret_why) {
        static const char *unused;
        const char **why = ret_why ?: &unused;

        switch (p->mode) {
        case NS_MODE_FSDAX:
        case NS_MODE_DEVDAX:
                return layout_pfn(p, ret, why);
        case NS_MODE_SECTOR:
                return layout_btt(p, ret, why);
        case NS_MODE_RAW:
                *ret = (Layout) {
                        .usable = p->size,
                        .data_start = p->start,
                        .data_end = p->start + p->size,
                };
                return 0;
        default:
                *why = "unknown mode";
                return -EINVAL;
        }
}

uint64_t kmem_trimmed(uint64_t data_start, uint64_t data_end, uint64_t block_size) {
        uint64_t s, e;

        if (block_size == 0 || data_end <= data_start)
                return data_end - data_start;
        s = round_up_u64(data_start, block_size);
        e = round_down_u64(data_end, block_size);
        if (e <= s)
                return data_end - data_start;
        return (s - data_start) + (data_end - e);
}
