/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The kernel most unit tests plan for: Debian 12's 6.1 on x86_64 (sub-section hotplug,
 * 128 MiB memory blocks, the region align attribute). Include after tests.h. */

#include "kernel.h"

static inline KernelInfo kernel_61(void) {
        KernelInfo k;
        KernelInputs in = { .release = "6.1.0-41-amd64", .machine = "x86_64", .page_size = 4096,
                            .block_size_bytes = "8000000", .region_align_seen = true };
        CHECK_INT(kernel_info_from(&in, &k), 0);
        return k;
}
