/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glob.h>
#include <stdio.h>
#include <sys/utsname.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kernel.h"
#include "util/macro.h"
#include "util/fileio.h"
#include "util/log.h"

/* Any region's 'align' attribute proves 2522afb86a8c (5.7+ or a backport); libndctl reads
 * the same attribute (ndctl_region_get_align() is ULONG_MAX where it is absent). */
static bool region_align_seen(void) {
        glob_t g = {};
        bool seen;

        seen = glob("/sys/bus/nd/devices/region*/align", GLOB_NOSORT, NULL, &g) == 0 && g.gl_pathc > 0;
        globfree(&g);
        return seen;
}

static bool ppc_hash_mmu(void) {
        FILE *f = fopen("/proc/cpuinfo", "re");
        char line[256];
        bool hash = false;

        while (f && !hash && fgets(line, sizeof(line), f))
                hash = startswith(line, "MMU") && strstr(line, "Hash");
        if (f)
                fclose(f);
        return hash;
}

int kernel_probe(KernelInfo *ret) {
        _cleanup_free_ char *block = NULL;
        struct utsname u;
        KernelInputs in = {};
        long ps;
        int r;

        if (uname(&u) < 0)
                return -errno;
        ps = sysconf(_SC_PAGESIZE);
        in.release = u.release;
        in.machine = u.machine;
        in.page_size = ps > 0 ? (uint64_t) ps : 0;
        if (read_one_line_file("/sys/devices/system/memory/block_size_bytes", &block) >= 0)
                in.block_size_bytes = block;
        in.region_align_seen = region_align_seen();
        in.ppc_hash_mmu = startswith(u.machine, "ppc64") && ppc_hash_mmu();

        r = kernel_info_from(&in, ret);
        if (r < 0)
                return r;
        log_debug("Kernel %s on %s: region align %s, sub-section hotplug %s.", ret->release,
                  ret->machine, in.region_align_seen ? "seen" : "absent",
                  ret->subsection_hotplug ? "yes" : "no");
        return 0;
}
