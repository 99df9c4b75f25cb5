/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <unistd.h>

#include "cxl/cxl-internal.h"
#include "util/log.h"

static void wait_nd_region_registered(unsigned long long start) {
        _cleanup_free_ char *nd_region = NULL, *nd_bus = NULL;

        if (start == ULLONG_MAX)
                return;
        for (unsigned i = 0; i < 100; i++) {
                if (nd_region_at(start, &nd_region, &nd_bus) != -ENOENT)
                        return;
                usleep(100 * 1000);
        }
        log_debug("no nd region at 0x%llx after 10 s; disabling anyway", start);
}

/* As `cxl destroy-region -f` does, in the order the kernel needs: a committed decode holds
 * the targets, an attached decoder holds its DPA, DPA is given back in reverse order of
 * allocation (each memdev gave one decoder to this region, its last), and only an empty
 * region can be deleted without leaking DPA (deleting detaches, but frees no DPA). The first
 * step that fails stops it: what is left is named in *err, for a later call to finish. */
int region_teardown(struct cxl_region *region, struct cxl_decoder **targets, size_t ways,
                    char **err) {
        /* a copy: cxl_region_delete() frees the region's name with it */
        _cleanup_free_ char *dev = strdup(cxl_region_get_devname(region));
        int r;

        if (!dev)
                return -ENOMEM;
        if (cxl_region_is_enabled(region) > 0) {
                /* libnvdimm registers the nd region asynchronously; 6.1 oopses (NULL
                 * dereference in kill_device() from nd_device_unregister()) when the region
                 * is unbound before that registration ran: let it appear first (measured:
                 * an injected failure right after enabling) */
                wait_nd_region_registered(cxl_region_get_resource(region));
                r = cxl_region_disable(region);
                if (r < 0)
                        return fail(err, r, "disabling %s", dev);
                if ((r = fault_point("cxl-teardown-after-disable")) < 0)
                        return fail(err, r, "injected fault after disabling %s", dev);
        }
        r = cxl_region_decode_reset(region);
        if (r < 0)
                return fail(err, r, "resetting the decode of %s", dev);
        if ((r = fault_point("cxl-teardown-after-reset")) < 0)
                return fail(err, r, "injected fault after resetting the decode of %s", dev);
        for (size_t i = ways; i-- > 0;) {
                if (!targets[i])
                        continue;
                r = cxl_region_clear_target(region, (int) i);
                if (r < 0)
                        return fail(err, r, "clearing target%zu (%s) of %s", i,
                                    cxl_decoder_get_devname(targets[i]), dev);
        }
        for (size_t i = ways; i-- > 0;) {
                if (!targets[i] || cxl_decoder_get_dpa_size(targets[i]) == 0)
                        continue;
                r = cxl_decoder_set_dpa_size(targets[i], 0);
                if (r < 0)
                        return fail(err, r, "freeing the DPA of %s", cxl_decoder_get_devname(targets[i]));
        }
        r = cxl_region_delete(region);
        if (r < 0)
                return fail(err, r, "deleting %s", dev);
        log_debug("%s: torn down", dev);
        return 0;
}

int cxl_disassemble(CxlCtx *c, const char *name, const char *expect_uuid, char **ret_error) {
        struct cxl_decoder *targets[CXL_MAX_WAYS] = {};
        _cleanup_free_ char *nd_region = NULL, *nd_bus = NULL;
        struct cxl_region *region = find_cxl_region(c, name);
        unsigned ways;
        char uuid[37];

        if (!region)
                return fail(ret_error, ENOENT, "CXL region %s", name);
        region_uuid_string(region, uuid);
        if (isempty(expect_uuid) || !streq(uuid, expect_uuid))
                return fail(ret_error, ESTALE, "%s carries uuid %s, not %s: not the region we "
                            "assembled", name, uuid[0] ? uuid : "(none)", strempty(expect_uuid));
        if (cxl_region_get_resource(region) != ULLONG_MAX &&
            nd_region_at(cxl_region_get_resource(region), &nd_region, &nd_bus) >= 0 &&
            nd_region_busy(nd_region))
                return fail(ret_error, EBUSY, "%s: its nd region %s holds an active namespace",
                            name, nd_region);

        ways = cxl_region_get_interleave_ways(region);
        if (ways == UINT_MAX || ways > CXL_MAX_WAYS)
                ways = 0; /* not set yet: then no target is either */
        for (unsigned i = 0; i < ways; i++)
                targets[i] = cxl_region_get_target_decoder(region, (int) i);
        return region_teardown(region, targets, ways, ret_error);
}

int cxl_free_stray_dpa(CxlCtx *c, const char *name, char **ret_error) {
        struct cxl_decoder *d = cxl_decoder_get_by_name(c->cxl, name);
        struct cxl_region *region;
        int r;

        if (!d || !cxl_port_is_endpoint(cxl_decoder_get_port(d)))
                return fail(ret_error, ENOENT, "endpoint decoder %s", name);
        if (cxl_decoder_get_dpa_size(d) == 0 || cxl_decoder_get_dpa_size(d) == ULLONG_MAX)
                return 0;
        region = cxl_decoder_get_region(d);
        if (region)
                return fail(ret_error, EBUSY, "%s is in %s", name, cxl_region_get_devname(region));
        r = cxl_decoder_set_dpa_size(d, 0);
        if (r < 0)
                return fail(ret_error, r, "freeing the DPA of %s", name);
        return 1;
}

int cxl_delete_empty_region(CxlCtx *c, const char *name, char **ret_error) {
        struct cxl_region *region = find_cxl_region(c, name);
        unsigned long long size;
        unsigned ways;
        char uuid[37];
        int r;

        if (!region)
                return fail(ret_error, ENOENT, "CXL region %s", name);
        region_uuid_string(region, uuid);
        size = cxl_region_get_size(region);
        ways = cxl_region_get_interleave_ways(region);
        if (uuid[0] || (size != 0 && size != ULLONG_MAX))
                return fail(ret_error, EBUSY, "%s is not empty (uuid %s, size %llu)", name,
                            uuid[0] ? uuid : "none", size == ULLONG_MAX ? 0 : size);
        for (unsigned i = 0; ways != UINT_MAX && i < ways && i < CXL_MAX_WAYS; i++)
                if (cxl_region_get_target_decoder(region, (int) i))
                        return fail(ret_error, EBUSY, "%s has a target", name);
        r = cxl_region_delete(region);
        if (r < 0)
                return fail(ret_error, r, "deleting %s", name);
        return 0;
}
