/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>

#include "nvdimm/nvdimm-internal.h"

/* Return a claim device we configured to the unconfigured state (null uuid, no mode),
 * so that no half-configured pfn/dax/btt seed is left behind. Call after the namespace
 * was disabled with ndctl_namespace_disable_invalidate(), which detaches the claim. */
void claim_reset(const char *seed) {
        if (isempty(seed))
                return;
        (void) sysfs_write_nd(seed, "namespace", "\n");
        (void) sysfs_write_nd(seed, "uuid", "00000000-0000-0000-0000-000000000000\n");
        if (!startswith(seed, "btt"))
                (void) sysfs_write_nd(seed, "mode", "none\n");
}

int claim_setup(struct ndctl_region *region, struct ndctl_namespace *ndns, const PlanRow *row,
                const uuid_t claim_uuid, Claim *cl, char **err) {
        enum ndctl_pfn_loc loc = row->map == NS_MAP_MEM ? NDCTL_PFN_LOC_RAM : NDCTL_PFN_LOC_PMEM;
        unsigned long align = row->align ?: 2 * MiB;
        const char *ns = ndctl_namespace_get_devname(ndns);
        uuid_t uu;
        int r;

        uuid_copy(uu, claim_uuid);
        switch (row->mode) {
        case NS_MODE_FSDAX: {
                struct ndctl_pfn *pfn = ndctl_region_get_pfn_seed(region);
                if (!pfn)
                        return fail(err, ENXIO, "%s has no pfn seed", ndctl_region_get_devname(region));
                cl->pfn = pfn;
                snprintf(cl->seed, sizeof(cl->seed), "%s", ndctl_pfn_get_devname(pfn));
                if ((r = ndctl_pfn_set_uuid(pfn, uu)) < 0 || (r = ndctl_pfn_set_location(pfn, loc)) < 0 ||
                    (ndctl_pfn_has_align(pfn) && (r = ndctl_pfn_set_align(pfn, align)) < 0))
                        return fail(err, r, "configuring %s for %s", ndctl_pfn_get_devname(pfn), ns);
                if ((r = fault_point("claim-after-configure")) < 0)
                        return fail(err, r, "injected fault after configuring the claim of %s", ns);
                if ((r = ndctl_pfn_set_namespace(pfn, ndns)) < 0)
                        return fail(err, r, "claiming %s by %s", ns, ndctl_pfn_get_devname(pfn));
                if ((r = fault_point("create-after-claim")) < 0)
                        return fail(err, r, "injected fault after claiming %s", ns);
                r = ndctl_pfn_enable(pfn);
                if (r < 0)
                        return fail(err, r, "enabling %s (fsdax on %s)", ndctl_pfn_get_devname(pfn), ns);
                return 0;
        }
        case NS_MODE_DEVDAX: {
                struct ndctl_dax *dax = ndctl_region_get_dax_seed(region);
                if (!dax)
                        return fail(err, ENXIO, "%s has no dax seed", ndctl_region_get_devname(region));
                cl->dax = dax;
                snprintf(cl->seed, sizeof(cl->seed), "%s", ndctl_dax_get_devname(dax));
                if ((r = ndctl_dax_set_uuid(dax, uu)) < 0 || (r = ndctl_dax_set_location(dax, loc)) < 0 ||
                    (r = ndctl_dax_set_align(dax, align)) < 0)
                        return fail(err, r, "configuring %s for %s", ndctl_dax_get_devname(dax), ns);
                if ((r = fault_point("claim-after-configure")) < 0)
                        return fail(err, r, "injected fault after configuring the claim of %s", ns);
                if ((r = ndctl_dax_set_namespace(dax, ndns)) < 0)
                        return fail(err, r, "claiming %s by %s", ns, ndctl_dax_get_devname(dax));
                if ((r = fault_point("create-after-claim")) < 0)
                        return fail(err, r, "injected fault after claiming %s", ns);
                r = ndctl_dax_enable(dax);
                if (r < 0)
                        return fail(err, r, "enabling %s (devdax on %s)", ndctl_dax_get_devname(dax), ns);
                return 0;
        }
        case NS_MODE_SECTOR: {
                struct ndctl_btt *btt = ndctl_region_get_btt_seed(region);
                if (!btt)
                        return fail(err, ENXIO, "%s has no btt seed", ndctl_region_get_devname(region));
                cl->btt = btt;
                snprintf(cl->seed, sizeof(cl->seed), "%s", ndctl_btt_get_devname(btt));
                if ((r = ndctl_btt_set_uuid(btt, uu)) < 0 ||
                    (r = ndctl_btt_set_sector_size(btt, (unsigned) (row->sector_size ?: 4096))) < 0)
                        return fail(err, r, "configuring %s for %s", ndctl_btt_get_devname(btt), ns);
                if ((r = fault_point("claim-after-configure")) < 0)
                        return fail(err, r, "injected fault after configuring the claim of %s", ns);
                if ((r = ndctl_btt_set_namespace(btt, ndns)) < 0)
                        return fail(err, r, "claiming %s by %s", ns, ndctl_btt_get_devname(btt));
                if ((r = fault_point("create-after-claim")) < 0)
                        return fail(err, r, "injected fault after claiming %s", ns);
                r = ndctl_btt_enable(btt);
                if (r < 0)
                        return fail(err, r, "enabling %s (sector on %s)", ndctl_btt_get_devname(btt), ns);
                return 0;
        }
        default:
                r = ndctl_namespace_enable(ndns);
                if (r < 0)
                        return fail(err, r, "enabling %s (raw)", ns);
                return 0;
        }
}

void read_back(struct ndctl_namespace *ndns, const Claim *cl, PlanRow *row) {
        row->start = ndctl_namespace_get_resource(ndns);
        row->size = ndctl_namespace_get_size(ndns);
        if (cl->pfn)
                row->usable = ndctl_pfn_get_size(cl->pfn);
        else if (cl->dax)
                row->usable = ndctl_dax_get_size(cl->dax);
        else if (cl->btt)
                row->usable = ndctl_btt_get_size(cl->btt);
        else
                row->usable = row->size;
}

int zero_info_block(struct ndctl_namespace *ndns, char **err) {
        char path[PATH_MAX];
        void *buf = NULL;
        int fd, r;

        ndctl_namespace_set_raw_mode(ndns, 1);
        r = ndctl_namespace_enable(ndns);
        if (r < 0) {
                ndctl_namespace_set_raw_mode(ndns, 0);
                return fail(err, r, "enabling %s raw to clear its info block",
                            ndctl_namespace_get_devname(ndns));
        }
        snprintf(path, sizeof(path), "/dev/%s", ndctl_namespace_get_block_device(ndns));
        fd = open(path, O_RDWR | O_DIRECT | O_EXCL | O_CLOEXEC);
        if (fd < 0)
                r = fail(err, errno, "opening %s", path);
        else if (posix_memalign(&buf, 4096, INFO_BLOCK_SIZE) != 0)
                r = fail(err, ENOMEM, "allocating");
        else {
                memset(buf, 0, INFO_BLOCK_SIZE);
                if (pwrite(fd, buf, INFO_BLOCK_SIZE, 0) != INFO_BLOCK_SIZE)
                        r = fail(err, errno ?: EIO, "clearing the info block of %s", path);
        }
        if (fd >= 0)
                close(fd);
        free(buf);
        ndctl_namespace_disable_invalidate(ndns);
        ndctl_namespace_set_raw_mode(ndns, 0);
        return r;
}
