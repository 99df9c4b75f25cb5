/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The memdevs behind a CXL nd region, as Linux 6.1 shows them (drivers/cxl/core/region.c,
 * port.c, memdev.c): /sys/bus/cxl/devices/regionM has interleave_ways and target0..ways-1,
 * each naming an endpoint decoder "decoderA.B"; the decoder's parent is its endpoint port,
 * whose "uport" link is the memdev, whose "serial" is "%#llx". */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxl-sysfs.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/strv.h"

/* The serial of the memdev behind endpoint decoder DECODER, as a decimal string. */
static int decoder_serial(const char *sysfs, const char *decoder, char *buf, size_t len) {
        char path[PATH_MAX], real[PATH_MAX], *slash;
        uint64_t serial;
        int r;

        if (!startswith(decoder, "decoder") || strchr(decoder, '/'))
                return -EINVAL;
        snprintf(path, sizeof(path), "%s/bus/cxl/devices/%s", sysfs, decoder);
        if (!realpath(path, real))
                return -errno;
        slash = strrchr(real, '/');
        if (!slash)
                return -EINVAL;
        *slash = '\0'; /* the endpoint port */
        if ((size_t) snprintf(path, sizeof(path), "%s/uport/serial", real) >= sizeof(path))
                return -ENAMETOOLONG;
        r = read_u64_file(path, &serial);
        if (r < 0)
                return r;
        snprintf(buf, len, "%" PRIu64, serial);
        return 0;
}

int cxl_region_read(const char *sysfs, const char *nd_region, uint64_t start, char ***ret_memdevs,
                    unsigned *ret_ways) {
        _cleanup_(strv_freep) char **l = NULL;
        char dir[PATH_MAX], path[PATH_MAX + 32];
        uint64_t ways, res;
        size_t n = 0;
        int r;

        if (!startswith(nd_region, "region") || strchr(nd_region, '/'))
                return -EINVAL;
        snprintf(dir, sizeof(dir), "%s/bus/cxl/devices/%s", sysfs, nd_region);
        snprintf(path, sizeof(path), "%s/interleave_ways", dir);
        r = read_u64_file(path, &ways);
        if (r < 0) {
                log_debug("%s: no CXL region %s: %s", nd_region, path, strerror(-r));
                return -ENOENT;
        }
        snprintf(path, sizeof(path), "%s/resource", dir);
        if (start != 0 && read_u64_file(path, &res) == 0 && res != start) {
                log_debug("%s: CXL %s starts at 0x%" PRIx64 ", not at 0x%" PRIx64 ": not its CXL region",
                          nd_region, nd_region, res, start);
                return -ENOENT;
        }
        if (ways == 0 || ways > 16) /* CXL_DECODER_MAX_INTERLEAVE */
                return -ENODATA;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (unsigned k = 0; k < ways; k++) {
                _cleanup_free_ char *decoder = NULL;
                char serial[32];

                snprintf(path, sizeof(path), "%s/target%u", dir, k);
                r = read_one_line_file(path, &decoder);
                if (r >= 0 && isempty(decoder))
                        r = -ENODATA;
                if (r >= 0)
                        r = decoder_serial(sysfs, decoder, serial, sizeof(serial));
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        log_debug("%s: CXL target%u (%s): no memdev serial: %s", nd_region, k,
                                  strempty(decoder), strerror(-r));
                        return -ENODATA;
                }
                if (strv_push(&l, &n, serial) < 0)
                        return -ENOMEM;
        }
        *ret_memdevs = TAKE_PTR(l);
        *ret_ways = ways;
        return 0;
}
