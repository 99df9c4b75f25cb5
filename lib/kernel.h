/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "pmemns.h"

/* What the running kernel allows for namespace placement. Built from plain inputs by
 * kernel_info_from(), the one place that decides, so that unit tests can describe any kernel
 * and architecture; the adapter fills the inputs from uname(2), sysfs and /proc
 * (kernel_probe()). */
typedef struct KernelInputs {
        const char *release;        /* uname -r */
        const char *machine;        /* uname -m */
        uint64_t page_size;         /* 0: 4K */
        const char *block_size_bytes; /* /sys/devices/system/memory/block_size_bytes, NULL if absent */
        bool region_align_seen;     /* some region has the 'align' attribute */
        bool ppc_hash_mmu;          /* powerpc: the linear map uses the hash MMU */
} KernelInputs;

typedef struct KernelInfo {
        char release[128];
        char machine[64];
        unsigned version_major, version_minor;
        uint64_t page_size;
        /* Linux >= 5.3 "mm/sparsemem: support sub-section hotplug", or a kernel that shows
         * the region 'align' attribute (5.7's 2522afb86a8c, which builds on it). */
        bool subsection_hotplug;
        uint64_t subsection_size;  /* SUBSECTION_SIZE: 1 << SUBSECTION_SHIFT (21) */
        uint64_t section_size;     /* 1 << SECTION_SIZE_BITS of the architecture */
        uint64_t compat_align;     /* memremap_compat_align() */
        uint64_t memory_block_size; /* 0: no memory hotplug, kmem cannot online */
        /* nd_pfn_init() also refuses an info block whose data offset reaches into the
         * end truncation (dataoff >= size - end_trunc; 6.12, 6.1 checks only >= size) */
        bool pfn_strict_end;
        bool arch_known;
} KernelInfo;

/* MEMREMAP_COMPAT_ALIGN_MAX, drivers/nvdimm/region_devs.c: "PowerPC requires this
 * alignment for memremap_pages()"; the region align default and ndctl's start rule. */
#define MEMREMAP_COMPAT_ALIGN_MAX (UINT64_C(16) << 20)
/* include/linux/mmzone.h: SUBSECTION_SHIFT 21 on every architecture. */
#define SUBSECTION_SIZE (UINT64_C(1) << 21)
/* drivers/nvdimm/claim.c:nd_namespace_store(): a btt/pfn/dax claim needs >= 16 MiB. */
#define ND_CLAIM_MIN_SIZE (UINT64_C(16) << 20)

int kernel_info_from(const KernelInputs *in, KernelInfo *ret);

/* Resolve a granularity setting into bytes. Errors: -EOPNOTSUPP when the kernel cannot do
 * it (subsection/compat/small sizes without sub-section hotplug). *ret_why is set to a
 * static explanation on error. */
int granularity_resolve(const Granularity *g, const KernelInfo *k, uint64_t *ret,
                        const char **ret_why);

/* Read the inputs from the running kernel (uname, sysfs, /proc/cpuinfo): no library, so the
 * daemon and its worker each probe for themselves. */
int kernel_probe(KernelInfo *ret);
