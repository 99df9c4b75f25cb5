/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-limit START SIZE REQUESTS: the physical limit of the capacity bench, with the
 * kernel's own formulas as lib/plan/layout.c has them (nd_pfn_init(), 6.1).
 *
 * The limit is the usable capacity if nothing were lost to placement: the requests of
 * REQUESTS (see bench/requests) back to back from the region start, each fixed size
 * rounded up to 2 MiB (memremap_compat_align() on x86_64: a namespace's data must start
 * and end on it, and the bytes of the round-up stay usable), the `rest` namespace up to
 * the region's last 2 MiB boundary. What it still subtracts from the region is what no
 * placement can avoid: per namespace the 8 KiB info block plus, for map=dev and devdax,
 * 64 bytes of struct page per 4 KiB page, padded to the 2 MiB data alignment; and the
 * region's tail after its last 2 MiB boundary (the label area is already outside).
 *
 * Prints: limit BYTES metadata BYTES padding BYTES tail BYTES (metadata: what the kernel
 * writes; padding: its round-up to the data alignment). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/layout.h"
#include "util/macro.h"

#define ALIGN (2 * MiB)

/* 123, 0x1f, 17M, 59000K */
static int parse_bytes(const char *s, uint64_t *ret) {
        char *end;
        uint64_t v;

        errno = 0;
        v = strtoull(s, &end, 0);
        if (errno || end == s || (*end && end[1]))
                return -1;
        switch (*end) {
        case 0: break;
        case 'K': v *= KiB; break;
        case 'M': v *= MiB; break;
        case 'G': v *= GiB; break;
        default: return -1;
        }
        *ret = v;
        return 0;
}

int main(int argc, char **argv) {
        uint64_t start, size, off, end, limit = 0, meta = 0, pad = 0;
        char line[256], name[64], mode[16], map[16], sz[32];
        FILE *f;

        if (argc != 4 || parse_bytes(argv[1], &start) < 0 || parse_bytes(argv[2], &size) < 0) {
                fprintf(stderr, "usage: bench-limit START SIZE REQUESTS\n");
                return 2;
        }
        f = fopen(argv[3], "re");
        if (!f) {
                perror(argv[3]);
                return 1;
        }
        off = round_up_u64(start, ALIGN);
        end = round_down_u64(start + size, ALIGN);
        while (fgets(line, sizeof(line), f)) {
                LayoutParams p = { .compat_align = ALIGN, .page_size = 4 * KiB };
                const char *why = NULL;
                uint64_t ns;
                Layout l;

                if (line[0] == '#' || sscanf(line, "%63s %15s %15s %31s", name, mode, map, sz) != 4)
                        continue;
                p.mode = streq(mode, "devdax") ? NS_MODE_DEVDAX : NS_MODE_FSDAX;
                p.map = streq(map, "mem") ? NS_MAP_MEM : NS_MAP_DEV;
                p.align = ALIGN;
                if (streq(sz, "rest"))
                        ns = end > off ? end - off : 0;
                else if (parse_bytes(sz, &ns) < 0) {
                        fprintf(stderr, "bad size '%s'\n", sz);
                        return 1;
                } else
                        ns = round_up_u64(ns, ALIGN);
                if (ns == 0 || off + ns > end) {
                        fprintf(stderr, "%s does not fit even at the limit\n", name);
                        return 1;
                }
                p.start = off;
                p.size = ns;
                if (layout_compute(&p, &l, &why) < 0) {
                        fprintf(stderr, "%s: %s\n", name, why);
                        return 1;
                }
                limit += l.usable;
                /* what the kernel writes: the info block and, for map=dev, the memmap for
                 * PHYS_PFN(size - 8K) pages (nd_pfn_init()) */
                uint64_t m = 8 * KiB + (p.map == NS_MAP_DEV ? 64 * ((ns - 8 * KiB) / (4 * KiB)) : 0);
                meta += m;
                pad += l.dataoff + l.end_trunc - m;
                off += ns;
        }
        fclose(f);
        printf("limit %" PRIu64 " metadata %" PRIu64 " padding %" PRIu64 " tail %" PRIu64 "\n",
               limit, meta, pad, start + size - end);
        return 0;
}
