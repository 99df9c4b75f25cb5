/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "nvdimm/nvdimm-internal.h"
#include "util/log.h"

static bool uuid_matches(const uuid_t uu, const char *want) {
        char s[37];

        if (isempty(want) || uuid_is_null(uu))
                return false;
        uuid_unparse_lower(uu, s);
        return streq(s, want);
}

/* Reset claim seeds carrying our claim uuid but attached to no namespace: a claim is only
 * configuration until it is enabled with a namespace, so this never touches data. */
static void reset_our_unattached_claims(NvCtx *c, const char *claim_uuid) {
        struct ndctl_bus *bus;
        struct ndctl_region *region;
        struct ndctl_pfn *pfn;
        struct ndctl_dax *dax;
        struct ndctl_btt *btt;
        uuid_t uu;

        if (isempty(claim_uuid))
                return;
        ndctl_bus_foreach(c->ndctl, bus)
                ndctl_region_foreach(bus, region) {
                        ndctl_pfn_foreach(region, pfn) {
                                ndctl_pfn_get_uuid(pfn, uu);
                                if (!ndctl_pfn_get_namespace(pfn) && uuid_matches(uu, claim_uuid))
                                        claim_reset(ndctl_pfn_get_devname(pfn));
                        }
                        ndctl_dax_foreach(region, dax) {
                                ndctl_dax_get_uuid(dax, uu);
                                if (!ndctl_dax_get_namespace(dax) && uuid_matches(uu, claim_uuid))
                                        claim_reset(ndctl_dax_get_devname(dax));
                        }
                        ndctl_btt_foreach(region, btt) {
                                ndctl_btt_get_uuid(btt, uu);
                                if (!ndctl_btt_get_namespace(btt) && uuid_matches(uu, claim_uuid))
                                        claim_reset(ndctl_btt_get_devname(btt));
                        }
                }
}

static struct ndctl_namespace *find_namespace_by_uuid(NvCtx *c, const char *want) {
        struct ndctl_bus *bus;
        struct ndctl_region *region;
        struct ndctl_namespace *ndns;
        uuid_t uu;

        ndctl_bus_foreach(c->ndctl, bus)
                ndctl_region_foreach(bus, region) {
                        if (ndctl_region_get_nstype(region) != ND_DEVICE_NAMESPACE_PMEM)
                                continue;
                        ndctl_namespace_foreach(region, ndns) {
                                ndctl_namespace_get_uuid(ndns, uu);
                                if (uuid_matches(uu, want))
                                        return ndns;
                        }
                }
        return NULL;
}

NvInflight nv_settle_inflight(NvCtx *c, const char *ns_uuid, const char *claim_uuid, NsMode mode,
                              bool same_boot, char **ret_ns_dev) {
        struct ndctl_namespace *ndns = find_namespace_by_uuid(c, ns_uuid);
        struct ndctl_pfn *pfn;
        struct ndctl_dax *dax;
        struct ndctl_btt *btt;
        const char *dev;
        char claim[64] = "";

        if (!ndns) {
                reset_our_unattached_claims(c, claim_uuid);
                return NV_INFLIGHT_GONE;
        }
        dev = ndctl_namespace_get_devname(ndns);
        if (ret_ns_dev)
                *ret_ns_dev = strdup(dev);
        if (ndctl_namespace_get_size(ndns) == 0) {
                /* killed between the uuid and the size: a seed with our uuid, which would
                 * make every later create fail with EBUSY (pmem/ndctl#114); writing size 0
                 * clears the uuid */
                log_debug("%s: clearing the uuid of an interrupted create", dev);
                (void) sysfs_write_nd(dev, "alt_name", "\n");
                (void) sysfs_write_nd(dev, "size", "0\n");
                reset_our_unattached_claims(c, claim_uuid);
                return NV_INFLIGHT_GONE;
        }
        pfn = ndctl_namespace_get_pfn(ndns);
        dax = ndctl_namespace_get_dax(ndns);
        btt = ndctl_namespace_get_btt(ndns);
        if (ndctl_namespace_is_active(ndns)) {
                reset_our_unattached_claims(c, claim_uuid);
                return pfn || dax || btt || mode == NS_MODE_RAW ? NV_INFLIGHT_DONE : NV_INFLIGHT_UNCLAIMED;
        }
        if (!same_boot) {
                /* The kernel probed it at boot and it did not come up: its info block names
                 * a driver that is missing or failed. It may hold data: report, keep. */
                return NV_INFLIGHT_KEPT;
        }
        /* Sized in this boot and never enabled: it never held data. */
        snprintf(claim, sizeof(claim), "%s",
                 pfn ? ndctl_pfn_get_devname(pfn) : dax ? ndctl_dax_get_devname(dax)
                                                  : btt ? ndctl_btt_get_devname(btt) : "");
        log_debug("%s: deleting the half-made namespace '%s'", dev,
                  strempty(ndctl_namespace_get_alt_name(ndns)));
        ndctl_namespace_disable_invalidate(ndns);
        claim_reset(claim);
        ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_RAW);
        ndctl_namespace_set_alt_name(ndns, "");
        if (ndctl_namespace_delete(ndns) < 0)
                return NV_INFLIGHT_KEPT;
        reset_our_unattached_claims(c, claim_uuid);
        return NV_INFLIGHT_GONE;
}

int nv_recover_device(NvCtx *c, const char *dev) {
        struct ndctl_region *region = find_region(c, dev);
        struct ndctl_namespace *ndns;
        struct ndctl_pfn *pfn;
        struct ndctl_dax *dax;
        struct ndctl_btt *btt;
        int r;

        snap_drop(c); /* it changes the region behind nv_region_now() */

        if (region) {
                if (ndctl_region_is_enabled(region))
                        return 0;
                r = ndctl_region_enable(region);
                return r < 0 ? r : 1;
        }
        ndns = find_namespace(c, dev, NULL);
        if (!ndns || ndctl_namespace_get_size(ndns) == 0 || ndctl_namespace_is_active(ndns))
                return 0;
        /* A claim configured but never enabled wrote no info block: drop it. If the
         * namespace had a personality before, enabling finds its info block again. */
        pfn = ndctl_namespace_get_pfn(ndns);
        dax = ndctl_namespace_get_dax(ndns);
        btt = ndctl_namespace_get_btt(ndns);
        if (pfn && !ndctl_pfn_is_enabled(pfn))
                claim_reset(ndctl_pfn_get_devname(pfn));
        else if (dax && !ndctl_dax_is_enabled(dax))
                claim_reset(ndctl_dax_get_devname(dax));
        else if (btt && !ndctl_btt_is_enabled(btt))
                claim_reset(ndctl_btt_get_devname(btt));
        ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_RAW);
        r = ndctl_namespace_enable(ndns);
        return r < 0 ? r : 1;
}
