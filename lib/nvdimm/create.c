/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>

#include "nvdimm/nvdimm-internal.h"
#include "util/log.h"
#include "util/size.h"

static enum ndctl_namespace_mode mode_to_ndctl(NsMode m) {
        switch (m) {
        case NS_MODE_FSDAX: return NDCTL_NS_MODE_FSDAX;
        case NS_MODE_DEVDAX: return NDCTL_NS_MODE_DEVDAX;
        case NS_MODE_SECTOR: return NDCTL_NS_MODE_SECTOR;
        default: return NDCTL_NS_MODE_RAW;
        }
}

static struct ndctl_namespace *idle_namespace(struct ndctl_region *region) {
        struct ndctl_namespace *ndns;

        /* as ndctl does: the 0th namespace if idle, else the seed */
        ndctl_namespace_foreach(region, ndns)
                if (ndctl_namespace_get_id(ndns) == 0 && ndctl_namespace_is_configuration_idle(ndns))
                        return ndns;
        ndns = ndctl_region_get_namespace_seed(region);
        if (ndns && !ndctl_namespace_is_configuration_idle(ndns))
                return NULL;
        return ndns;
}

/* Does the namespace still carry our uuid? Another creator (an admin's ndctl) may pick the
 * same idle seed between two of our writes: the kernel holds no lock across them. Read
 * sysfs, not libndctl's cache. */
static bool still_ours(struct ndctl_namespace *ndns, const uuid_t uu) {
        char buf[64];
        uuid_t now;

        return nd_attr_read(ndctl_namespace_get_devname(ndns), "uuid", buf, sizeof(buf)) >= 0 &&
               uuid_parse(buf, now) == 0 && uuid_compare(now, uu) == 0;
}

static int create_labelled(NvCtx *c, struct ndctl_region *region, NsSpec *spec, const NvCreateIds *ids,
                           char **err) {
        unsigned long old_align = ndctl_region_get_align(region);
        bool align_changed = false, sized = false;
        struct ndctl_namespace *ndns = NULL;
        Claim cl = {};
        uuid_t uu;
        int r;

        if (old_align != ULONG_MAX && spec->region_align && old_align != spec->region_align) {
                r = ndctl_region_set_align(region, spec->region_align);
                if (r < 0)
                        return fail(err, r, "setting %s align to %s", ndctl_region_get_devname(region),
                                    FORMAT_SIZE(spec->region_align));
                align_changed = true;
                if ((r = fault_point("create-after-align")) < 0) {
                        fail(err, r, "injected fault after setting the region align");
                        goto undo;
                }
        }

        ndns = idle_namespace(region);
        if (!ndns) {
                struct ndctl_namespace *seed = ndctl_region_get_namespace_seed(region);
                /* pmemnsd resets only seeds it configured itself (recorded uuids); one left
                 * configured by someone else (a killed ndctl create-namespace, pmem/ndctl#114,
                 * or a namespace that does not probe) is theirs to clear */
                r = fail(err, EAGAIN, "%s has no idle namespace seed: %s is configured but not "
                         "active (a namespace whose driver is missing, or an interrupted "
                         "'ndctl create-namespace'; 'ndctl list -Ni -r %s' shows it)",
                         ndctl_region_get_devname(region),
                         seed ? ndctl_namespace_get_devname(seed) : "the seed",
                         ndctl_region_get_devname(region));
                goto undo;
        }

        /* holder_class first: the kernel rewrites the labels on every attribute store of a
         * namespace that has a uuid (and size), so written after the size it cost a second
         * label update per create; before the uuid it is only remembered */
        r = ndctl_namespace_set_enforce_mode(ndns, mode_to_ndctl(spec->mode));
        if (r < 0) {
                fail(err, r, "setting the holder class of %s", ndctl_namespace_get_devname(ndns));
                goto undo;
        }
        uuid_copy(uu, ids->ns);
        r = ndctl_namespace_set_uuid(ndns, uu);
        if (r < 0) {
                fail(err, r, "setting the uuid of %s", ndctl_namespace_get_devname(ndns));
                goto undo;
        }
        sized = true; /* from here on, writing size 0 clears the uuid */
        if ((r = fault_point("create-after-uuid")) < 0) {
                fail(err, r, "injected fault after setting the uuid");
                goto undo;
        }
        r = ndctl_namespace_set_alt_name(ndns, spec->name);
        if (r < 0) {
                fail(err, r, "naming %s '%s'", ndctl_namespace_get_devname(ndns), spec->name);
                goto undo;
        }
        if (!still_ours(ndns, uu)) {
                r = fail(err, EBUSY, "%s was taken by another creator while we configured it",
                         ndctl_namespace_get_devname(ndns));
                goto undo;
        }
        r = ndctl_namespace_set_size(ndns, spec->size);
        if (r < 0) {
                fail(err, r, "sizing %s to %s", ndctl_namespace_get_devname(ndns), FORMAT_SIZE(spec->size));
                goto undo;
        }
        if (!still_ours(ndns, uu)) {
                r = fail(err, EBUSY, "%s was taken by another creator while we configured it",
                         ndctl_namespace_get_devname(ndns));
                goto undo;
        }
        if ((r = fault_point("create-after-size")) < 0) {
                fail(err, r, "injected fault after sizing");
                goto undo;
        }
        r = claim_setup(region, ndns, spec, ids->claim, &cl, err);
        if (r < 0)
                goto undo;
        if ((r = fault_point("create-after-enable")) < 0) {
                fail(err, r, "injected fault after enabling");
                goto undo;
        }

        if (spec->mode == NS_MODE_DEVDAX && spec->system_ram != SYSTEM_RAM_NO) {
                r = to_system_ram(&cl, spec->system_ram, err);
                if (r < 0 && cl.ram_stuck)
                        return r;
                if (r < 0)
                        goto undo;
        }

        free(spec->ns_dev);
        spec->ns_dev = strdup(ndctl_namespace_get_devname(ndns));
        read_back(ndns, &cl, spec);
        return 0;

undo:
        if (ndns && sized && !still_ours(ndns, uu))
                fail_note(err, "%s: configured by someone else meanwhile; not rolled back",
                          ndctl_namespace_get_devname(ndns));
        else if (ndns) {
                ndctl_namespace_disable_invalidate(ndns);
                claim_reset(cl.seed);
                ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_RAW);
                if (sized) {
                        ndctl_namespace_set_alt_name(ndns, "");
                        if (ndctl_namespace_delete(ndns) < 0)
                                log_debug("rollback: deleting the half-made namespace failed");
                }
        }
        if (align_changed)
                ndctl_region_set_align(region, old_align);
        return r;
}

static int claim_existing(NvCtx *c, struct ndctl_region *region, NsSpec *spec, const NvCreateIds *ids,
                          char **err) {
        struct ndctl_namespace *ndns = find_namespace(c, strempty(spec->ns_dev), NULL);
        Claim cl = {};
        int r;

        if (!ndns)
                return fail(err, ENODEV, "%s is gone", strempty(spec->ns_dev));
        if (ndctl_namespace_get_pfn(ndns) || ndctl_namespace_get_dax(ndns) ||
            ndctl_namespace_get_btt(ndns))
                return fail(err, EBUSY, "%s gained a personality since the plan", spec->ns_dev);

        r = ndctl_namespace_disable_safe(ndns);
        if (r < 0)
                return fail(err, r, "%s is in use", spec->ns_dev);
        r = fault_point("convert-after-disable");
        if (r < 0)
                fail(err, r, "injected fault after disabling %s", spec->ns_dev);
        else {
                ndctl_namespace_set_enforce_mode(ndns, mode_to_ndctl(spec->mode));
                r = claim_setup(region, ndns, spec, ids->claim, &cl, err);
        }
        if (r >= 0 && (r = fault_point("convert-after-enable")) < 0)
                fail(err, r, "injected fault after enabling %s as %s", spec->ns_dev,
                     ns_mode_to_string(spec->mode));
        if (r >= 0 && spec->mode == NS_MODE_DEVDAX && spec->system_ram != SYSTEM_RAM_NO)
                r = to_system_ram(&cl, spec->system_ram, err);
        if (r < 0 && cl.ram_stuck)
                return r;
        if (r < 0) {
                /* back to what it was: raw and enabled. Once the claim was enabled its info
                 * block is on the media, and enabling the namespace would bring the
                 * personality back (as at boot): zero it. */
                ndctl_namespace_disable_invalidate(ndns);
                claim_reset(cl.seed);
                ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_RAW);
                if (cl.seed[0] && zero_info_block(ndns, NULL) < 0)
                        fail_note(err, "rollback: cannot clear the info block of %s; it keeps its "
                                  "new personality", spec->ns_dev);
                ndctl_namespace_enable(ndns);
                return r;
        }
        read_back(ndns, &cl, spec);
        return 0;
}

int nv_create(NvCtx *c, NsSpec *spec, const NvCreateIds *ids, char **ret_error) {
        struct ndctl_region *region = find_region(c, spec->region);
        int r;

        if (!region)
                return fail(ret_error, ENODEV, "region %s is gone", spec->region);
        c->enabled = true;
        if (spec->convert_existing) {
                snap_drop(c);
                return claim_existing(c, region, spec, ids, ret_error);
        }
        if (ndctl_region_get_nstype(region) != ND_DEVICE_NAMESPACE_PMEM)
                return fail(ret_error, EINVAL, "%s is label-less", spec->region);
        r = create_labelled(c, region, spec, ids, ret_error);
        if (r < 0)
                snap_drop(c);
        else
                snap_created(c, spec->region, spec);
        return r;
}
