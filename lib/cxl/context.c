/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "cxl/cxl-internal.h"
#include "util/log.h"

/* libcxl's messages, at debug only: what the daemon makes of a failure it says itself. */
_printf_(6, 0) static void cxl_log_cb(struct cxl_ctx *ctx, int priority, const char *file, int line,
                                      const char *fn, const char *format, va_list args) {
        char buf[512];

        vsnprintf(buf, sizeof(buf), format, args);
        buf[strcspn(buf, "\n")] = '\0';
        log_debug("libcxl: %s: %s", fn, buf);
}

int cxl_open(CxlCtx **ret) {
        CxlCtx *c = calloc(1, sizeof(CxlCtx));
        int r;

        if (!c)
                return -ENOMEM;
        r = cxl_new(&c->cxl);
        if (r < 0) {
                free(c);
                return r;
        }
        cxl_set_log_fn(c->cxl, cxl_log_cb);
        cxl_set_log_priority(c->cxl, log_get_max_level() >= LOG_DEBUG ? LOG_DEBUG : LOG_ERR);
        *ret = c;
        return 0;
}

CxlCtx *cxl_close(CxlCtx *c) {
        if (!c)
                return NULL;
        cxl_unref(c->cxl);
        free(c);
        return NULL;
}

struct cxl_memdev *find_memdev(CxlCtx *c, uint64_t serial) {
        struct cxl_memdev *memdev;

        cxl_memdev_foreach(c->cxl, memdev)
                if (cxl_memdev_get_serial(memdev) == serial)
                        return memdev;
        return NULL;
}

struct cxl_region *find_cxl_region(CxlCtx *c, const char *name) {
        struct cxl_bus *bus;
        struct cxl_decoder *decoder;
        struct cxl_region *region;

        cxl_bus_foreach(c->cxl, bus)
                cxl_decoder_foreach(cxl_bus_get_port(bus), decoder)
                        cxl_region_foreach(decoder, region)
                                if (streq(cxl_region_get_devname(region), name))
                                        return region;
        return NULL;
}

void region_uuid_string(struct cxl_region *region, char ret[static 37]) {
        uuid_t uu;

        cxl_region_get_uuid(region, uu);
        if (uuid_is_null(uu))
                ret[0] = '\0';
        else
                uuid_unparse_lower(uu, ret);
}
