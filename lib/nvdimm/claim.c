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

/* claim_setup()'s steps, one line each, for a claim device DEV of kind pfn, dax or btt
 * (PREFIX ndctl_pfn, ndctl_dax, ndctl_btt): the device and the namespace name the failure, as
 * ndctl's try() in setup_namespace() does. They use claim_setup()'s locals and return from
 * it on failure. */
#define claim_seed(prefix, dev)                                                              \
        do {                                                                                 \
                dev = ndctl_region_get_##dev##_seed(region);                                 \
                if (!dev)                                                                    \
                        return fail(err, ENXIO, "%s has no " #dev " seed",                   \
                                    ndctl_region_get_devname(region));                       \
                cl->dev = dev;                                                               \
                snprintf(cl->seed, sizeof(cl->seed), "%s", prefix##_get_devname(dev));       \
        } while (0)

#define try_set(prefix, dev, op, ...)                                                        \
        do {                                                                                 \
                r = prefix##_set_##op(dev, __VA_ARGS__);                                     \
                if (r < 0)                                                                   \
                        return fail(err, r, "configuring %s for %s",                         \
                                    prefix##_get_devname(dev), ns);                          \
        } while (0)

#define try_fault(point, what)                                                               \
        do {                                                                                 \
                r = fault_point(point);                                                      \
                if (r < 0)                                                                   \
                        return fail(err, r, "injected fault after " what " %s", ns);         \
        } while (0)

/* attach the configured claim device to the namespace and enable it */
#define claim_attach(prefix, dev, mode)                                                      \
        do {                                                                                 \
                try_fault("claim-after-configure", "configuring the claim of");              \
                r = prefix##_set_namespace(dev, ndns);                                       \
                if (r < 0)                                                                   \
                        return fail(err, r, "claiming %s by %s", ns,                         \
                                    prefix##_get_devname(dev));                              \
                try_fault("create-after-claim", "claiming");                                 \
                r = prefix##_enable(dev);                                                    \
                if (r < 0)                                                                   \
                        return fail(err, r, "enabling %s (" mode " on %s)",                  \
                                    prefix##_get_devname(dev), ns);                          \
                return 0;                                                                    \
        } while (0)

int claim_setup(struct ndctl_region *region, struct ndctl_namespace *ndns, const NsSpec *spec,
                const uuid_t claim_uuid, Claim *cl, char **err) {
        enum ndctl_pfn_loc loc = spec->map == NS_MAP_MEM ? NDCTL_PFN_LOC_RAM : NDCTL_PFN_LOC_PMEM;
        unsigned long align = spec->align ?: 2 * MiB;
        const char *ns = ndctl_namespace_get_devname(ndns);
        struct ndctl_pfn *pfn;
        struct ndctl_dax *dax;
        struct ndctl_btt *btt;
        uuid_t uu;
        int r;

        uuid_copy(uu, claim_uuid);
        switch (spec->mode) {
        case NS_MODE_FSDAX:
                claim_seed(ndctl_pfn, pfn);
                try_set(ndctl_pfn, pfn, uuid, uu);
                try_set(ndctl_pfn, pfn, location, loc);
                if (ndctl_pfn_has_align(pfn))
                        try_set(ndctl_pfn, pfn, align, align);
                claim_attach(ndctl_pfn, pfn, "fsdax");
        case NS_MODE_DEVDAX:
                claim_seed(ndctl_dax, dax);
                try_set(ndctl_dax, dax, uuid, uu);
                try_set(ndctl_dax, dax, location, loc);
                try_set(ndctl_dax, dax, align, align);
                claim_attach(ndctl_dax, dax, "devdax");
        case NS_MODE_SECTOR:
                claim_seed(ndctl_btt, btt);
                try_set(ndctl_btt, btt, uuid, uu);
                try_set(ndctl_btt, btt, sector_size, (unsigned) (spec->sector_size ?: 4096));
                claim_attach(ndctl_btt, btt, "sector");
        default:
                r = ndctl_namespace_enable(ndns);
                if (r < 0)
                        return fail(err, r, "enabling %s (raw)", ns);
                return 0;
        }
}

void read_back(struct ndctl_namespace *ndns, const Claim *cl, NsSpec *spec) {
        spec->start = ndctl_namespace_get_resource(ndns);
        spec->size = ndctl_namespace_get_size(ndns);
        if (cl->pfn)
                spec->usable = ndctl_pfn_get_size(cl->pfn);
        else if (cl->dax)
                spec->usable = ndctl_dax_get_size(cl->dax);
        else if (cl->btt)
                spec->usable = ndctl_btt_get_size(cl->btt);
        else
                spec->usable = spec->size;
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
