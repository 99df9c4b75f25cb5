/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "kernel.h"
#include "util/macro.h"

static int parse_version(const char *release, unsigned *major, unsigned *minor) {
        char *end;
        unsigned long a, b;

        errno = 0;
        a = strtoul(release, &end, 10);
        if (errno || end == release || *end != '.')
                return -EINVAL;
        release = end + 1;
        b = strtoul(release, &end, 10);
        if (errno || end == release)
                return -EINVAL;
        *major = (unsigned) a;
        *minor = (unsigned) b;
        return 0;
}

static bool version_at_least(const KernelInfo *k, unsigned major, unsigned minor) {
        return k->version_major > major || (k->version_major == major && k->version_minor >= minor);
}

/* SECTION_SIZE_BITS per architecture (arch/<arch>/include/asm/sparsemem.h). */
static uint64_t arch_section_size(const KernelInfo *k, bool *known) {
        const char *m = k->machine;

        *known = true;
        if (streq(m, "x86_64") || streq(m, "riscv64"))
                return UINT64_C(1) << 27;
        if (streq(m, "aarch64")) {
                /* 64K pages: 29. 4K/16K: 27 since "arm64/sparsemem: reduce
                 * SECTION_SIZE_BITS" (v5.12), 30 before. */
                if (k->page_size == 64 * KiB)
                        return UINT64_C(1) << 29;
                return version_at_least(k, 5, 12) ? UINT64_C(1) << 27 : UINT64_C(1) << 30;
        }
        if (startswith(m, "ppc64"))
                return UINT64_C(1) << 24;
        if (streq(m, "s390x") || streq(m, "loongarch64"))
                return UINT64_C(1) << 28;
        *known = false;
        return UINT64_C(1) << 27;
}

int kernel_info_from(const KernelInputs *in, KernelInfo *ret) {
        KernelInfo k = {};
        int r;

        if (!in->release || !in->machine)
                return -EINVAL;
        snprintf(k.release, sizeof(k.release), "%s", in->release);
        snprintf(k.machine, sizeof(k.machine), "%s", in->machine);
        r = parse_version(in->release, &k.version_major, &k.version_minor);
        if (r < 0)
                return r;
        k.page_size = in->page_size ?: 4 * KiB;

        k.subsection_hotplug = version_at_least(&k, 5, 3) || in->region_align_seen;
        k.pfn_strict_end = version_at_least(&k, 6, 12);
        k.subsection_size = SUBSECTION_SIZE;
        k.section_size = arch_section_size(&k, &k.arch_known);

        /* mm/memremap.c: generic memremap_compat_align() is SUBSECTION_SIZE; powerpc with
         * the hash MMU overrides it with the linear-map page size (16M). Before 5.7 there
         * was no such check, but sub-section granularity was still the floor. */
        k.compat_align = SUBSECTION_SIZE;
        if (startswith(k.machine, "ppc64") && in->ppc_hash_mmu)
                k.compat_align = MEMREMAP_COMPAT_ALIGN_MAX;
        if (!k.subsection_hotplug)
                k.compat_align = k.section_size;

        if (in->block_size_bytes) {
                char *end;
                errno = 0;
                /* hex without 0x, as daxctl reads it (strtoul(buf, NULL, 16)) */
                unsigned long long b = strtoull(in->block_size_bytes, &end, 16);
                if (errno || end == in->block_size_bytes || (*end && *end != '\n') ||
                    !is_pow2_u64(b))
                        return -EINVAL;
                k.memory_block_size = b;
        }

        *ret = k;
        return 0;
}

int granularity_resolve(const Granularity *g, const KernelInfo *k, uint64_t *ret,
                        const char **ret_why) {
        static const char *no_subsection =
                "the running kernel has no sub-section memory hotplug (needs Linux >= 5.3)";

        switch (g->kind) {
        case GRANULARITY_AUTO:
                *ret = k->subsection_hotplug ? MAX(k->subsection_size, k->compat_align)
                                             : k->section_size;
                return 0;
        case GRANULARITY_SUBSECTION:
                if (!k->subsection_hotplug) {
                        *ret_why = no_subsection;
                        return -EOPNOTSUPP;
                }
                *ret = MAX(k->subsection_size, k->compat_align);
                return 0;
        case GRANULARITY_COMPAT:
                if (!k->subsection_hotplug) {
                        *ret_why = no_subsection;
                        return -EOPNOTSUPP;
                }
                *ret = MEMREMAP_COMPAT_ALIGN_MAX;
                return 0;
        case GRANULARITY_SECTION:
                *ret = k->section_size;
                return 0;
        case GRANULARITY_BYTES:
                if (g->bytes < k->page_size || !is_pow2_u64(g->bytes)) {
                        *ret_why = "a granularity must be a power of two of at least the page size";
                        return -EINVAL;
                }
                if (!k->subsection_hotplug && g->bytes < k->section_size) {
                        *ret_why = no_subsection;
                        return -EOPNOTSUPP;
                }
                *ret = g->bytes;
                return 0;
        default:
                return -EINVAL;
        }
}
