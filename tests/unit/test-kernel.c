/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "kernel.h"
#include "tests.h"
#include "util/macro.h"

static KernelInfo probe(const char *release, const char *machine, uint64_t page, const char *block,
                        bool align_seen, bool hash) {
        KernelInfo k = {};
        KernelInputs in = { .release = release, .machine = machine, .page_size = page,
                            .block_size_bytes = block, .region_align_seen = align_seen,
                            .ppc_hash_mmu = hash };
        CHECK_INT(kernel_info_from(&in, &k), 0);
        return k;
}

TEST(subsection_by_version) {
        CHECK(!probe("5.2.21", "x86_64", 0, NULL, false, false).subsection_hotplug);
        CHECK(probe("5.3.0-1-amd64", "x86_64", 0, NULL, false, false).subsection_hotplug);
        CHECK(probe("6.1.0-41-amd64", "x86_64", 0, "8000000", true, false).subsection_hotplug);
        CHECK(probe("4.18.0-553.el8.x86_64", "x86_64", 0, NULL, true, false).subsection_hotplug);
        CHECK(!probe("4.18.0-553.el8.x86_64", "x86_64", 0, NULL, false, false).subsection_hotplug);
        CHECK(probe("10.0", "x86_64", 0, NULL, false, false).subsection_hotplug);
}

/* The daemon once patched the probe by hand when a region showed 'align' on an old release;
 * kernel_info_from() alone decides now, with the same outcome. */
TEST(region_align_attribute_proves_subsection) {
        KernelInfo k;

        k = probe("4.18.0-553.el8.x86_64", "x86_64", 0, NULL, true, false);
        CHECK(k.subsection_hotplug);
        CHECK_U64(k.compat_align, SUBSECTION_SIZE);
        k = probe("4.18.0-553.el8.x86_64", "x86_64", 0, NULL, false, false);
        CHECK(!k.subsection_hotplug);
        CHECK_U64(k.compat_align, k.section_size);
        /* powerpc's hash MMU keeps its 16M memremap_compat_align() either way */
        k = probe("4.18.0-553.el8.ppc64le", "ppc64le", 65536, NULL, true, true);
        CHECK(k.subsection_hotplug);
        CHECK_U64(k.compat_align, MEMREMAP_COMPAT_ALIGN_MAX);
}

TEST(pfn_strict_end_by_version) {
        CHECK(!probe("6.1.0-41-amd64", "x86_64", 0, NULL, true, false).pfn_strict_end);
        CHECK(!probe("6.11.9", "x86_64", 0, NULL, true, false).pfn_strict_end);
        CHECK(probe("6.12.0", "x86_64", 0, NULL, true, false).pfn_strict_end);
        CHECK(probe("7.0", "x86_64", 0, NULL, true, false).pfn_strict_end);
}

TEST(section_and_block_sizes_per_architecture) {
        KernelInfo k;

        k = probe("6.1.0", "x86_64", 4096, "8000000", true, false);
        CHECK_U64(k.subsection_size, 2 * MiB);
        CHECK_U64(k.section_size, 128 * MiB);
        CHECK_U64(k.compat_align, 2 * MiB);
        CHECK_U64(k.memory_block_size, 128 * MiB);

        k = probe("6.1.0", "aarch64", 4096, NULL, false, false);
        CHECK_U64(k.section_size, 128 * MiB);
        k = probe("5.10.0", "aarch64", 4096, NULL, false, false);
        CHECK_U64(k.section_size, GiB);
        k = probe("6.1.0", "aarch64", 65536, NULL, false, false);
        CHECK_U64(k.section_size, 512 * MiB);

        k = probe("6.1.0", "ppc64le", 65536, NULL, false, true);
        CHECK_U64(k.section_size, 16 * MiB);
        CHECK_U64(k.compat_align, 16 * MiB);
        k = probe("6.1.0", "ppc64le", 65536, NULL, false, false);
        CHECK_U64(k.compat_align, 2 * MiB);

        k = probe("5.2.0", "x86_64", 4096, "80000000", false, false);
        CHECK_U64(k.compat_align, 128 * MiB);
        CHECK_U64(k.memory_block_size, 2 * GiB);
}

TEST(unparsable_kernel_inputs_are_refused) {
        KernelInfo k;
        KernelInputs in = { .release = "garbage", .machine = "x86_64" };
        CHECK_INT(kernel_info_from(&in, &k), -EINVAL);
        in = (KernelInputs) { .release = "6.1", .machine = "x86_64", .block_size_bytes = "zz" };
        CHECK_INT(kernel_info_from(&in, &k), -EINVAL);
        in = (KernelInputs) { .release = "6.1", .machine = "x86_64", .block_size_bytes = "3000000" };
        CHECK_INT(kernel_info_from(&in, &k), -EINVAL); /* not a power of two */
}

TEST(granularity_resolution) {
        KernelInfo new = probe("6.1.0", "x86_64", 4096, NULL, true, false);
        KernelInfo old = probe("5.2.0", "x86_64", 4096, NULL, false, false);
        KernelInfo ppc = probe("6.1.0", "ppc64le", 65536, NULL, false, true);
        const char *why = NULL;
        uint64_t g = 0;

        CHECK_INT(granularity_resolve(&(Granularity) { GRANULARITY_AUTO }, &new, &g, &why), 0);
        CHECK_U64(g, 2 * MiB);
        CHECK_INT(granularity_resolve(&(Granularity) { GRANULARITY_AUTO }, &old, &g, &why), 0);
        CHECK_U64(g, 128 * MiB);
        CHECK_INT(granularity_resolve(&(Granularity) { GRANULARITY_SUBSECTION }, &new, &g, &why), 0);
        CHECK_U64(g, 2 * MiB);
        CHECK_INT(granularity_resolve(&(Granularity) { GRANULARITY_SUBSECTION }, &old, &g, &why),
                  -EOPNOTSUPP);
        CHECK_CONTAINS(why, "5.3");
        CHECK_INT(granularity_resolve(&(Granularity) { GRANULARITY_COMPAT }, &new, &g, &why), 0);
        CHECK_U64(g, 16 * MiB);
        CHECK_INT(granularity_resolve(&(Granularity) { GRANULARITY_SECTION }, &new, &g, &why), 0);
        CHECK_U64(g, 128 * MiB);
        CHECK_INT(granularity_resolve(&(Granularity) { GRANULARITY_SECTION }, &old, &g, &why), 0);
        CHECK_U64(g, 128 * MiB);
        CHECK_INT(granularity_resolve(&(Granularity) { GRANULARITY_BYTES, 4 * MiB }, &new, &g, &why), 0);
        CHECK_U64(g, 4 * MiB);
        CHECK_INT(granularity_resolve(&(Granularity) { GRANULARITY_BYTES, 4 * MiB }, &old, &g, &why),
                  -EOPNOTSUPP);
        /* ppc64 hash MMU: sub-section granularity is bounded by memremap_compat_align() */
        CHECK_INT(granularity_resolve(&(Granularity) { GRANULARITY_SUBSECTION }, &ppc, &g, &why), 0);
        CHECK_U64(g, 16 * MiB);
        CHECK_U64(ppc.section_size, 16 * MiB);
}
