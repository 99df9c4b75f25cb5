/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "nvdimm/nvdimm-internal.h"
#include "util/devbusy.h"
#include "util/log.h"

/* Is the device-dax character device devname open or mapped by any process? By device
 * number (util/devbusy.h), so also through another node than /dev/devname. The number comes
 * from sysfs, not from a node someone could have replaced. Unknown counts as busy. */
static bool char_device_is_open(const char *devname) {
        char path[PATH_MAX], why[128];
        unsigned maj, min;
        DevUser u = {};
        FILE *f;
        int r, n = 0;

        snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/dev", devname);
        f = fopen(path, "re");
        if (f) {
                n = fscanf(f, "%u:%u", &maj, &min);
                fclose(f);
        }
        if (n != 2) {
                struct stat st;
                snprintf(path, sizeof(path), "/dev/%s", devname);
                if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode))
                        return true;
                maj = major(st.st_rdev);
                min = minor(st.st_rdev);
        }
        r = devbusy_find(makedev(maj, min), S_IFCHR, 0, &u);
        if (r > 0 || r == -EACCES)
                log_debug("/dev/%s (%u:%u): %s.", devname, maj, min, devuser_describe(&u, why, sizeof(why)));
        return r != 0;
}

int nv_destroy(NvCtx *c, const char *ns_dev, const char *expect_uuid, char **ret_error) {
        struct ndctl_region *region = NULL;
        struct ndctl_namespace *ndns = find_namespace(c, ns_dev, &region);
        struct ndctl_pfn *pfn;
        struct ndctl_dax *dax;
        struct ndctl_btt *btt;
        char seed[64] = "";
        int r;

        snap_drop(c); /* it changes the region behind nv_region_now() */

        if (!ndns || ndctl_namespace_get_size(ndns) == 0)
                return fail(ret_error, ENODEV, "no namespace %s", ns_dev);
        if (!isempty(expect_uuid)) {
                uuid_t u;
                char now[40];

                ndctl_namespace_get_uuid(ndns, u);
                uuid_unparse_lower(u, now);
                if (!streq(now, expect_uuid))
                        return fail(ret_error, ESTALE, "%s is no longer the namespace %s", ns_dev,
                                    expect_uuid);
        }
        pfn = ndctl_namespace_get_pfn(ndns);
        dax = ndctl_namespace_get_dax(ndns);
        btt = ndctl_namespace_get_btt(ndns);

        if (dax) {
                struct daxctl_dev *dev = dax_first_dev(dax);
                if (dev) {
                        struct daxctl_memory *mem = daxctl_dev_get_memory(dev);
                        if (mem && daxctl_memory_is_online(mem) > 0)
                                return fail(ret_error, EBUSY, "%s is onlined as System RAM by %s "
                                            "(daxctl offline-memory %s first)", ns_dev,
                                            daxctl_dev_get_devname(dev), daxctl_dev_get_devname(dev));
                        if (char_device_is_open(daxctl_dev_get_devname(dev)))
                                return fail(ret_error, EBUSY, "%s: /dev/%s is open or mapped by a "
                                            "process", ns_dev, daxctl_dev_get_devname(dev));
                }
        }
        snprintf(seed, sizeof(seed), "%s",
                 pfn ? ndctl_pfn_get_devname(pfn) : dax ? ndctl_dax_get_devname(dax)
                                                  : btt ? ndctl_btt_get_devname(btt) : "");

        /* fsdax, sector and raw: an exclusive open fails while mounted or held. This also
         * detaches the claim (libndctl deletes the pfn/dax/btt object). */
        r = ndctl_namespace_disable_safe(ndns);
        if (r < 0)
                return fail(ret_error, r, "%s is busy (mounted or held open)", ns_dev);
        r = fault_point("destroy-after-disable");
        if (r >= 0) {
                claim_reset(seed);
                ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_RAW);
                r = fault_point("destroy-after-unclaim");
        }
        if (r < 0) {
                /* Undo: enabled again, the kernel finds the personality in the info
                 * block, as at boot. */
                ndctl_namespace_enable(ndns);
                return fail(ret_error, r, "injected fault while destroying %s", ns_dev);
        }

        if (ndctl_namespace_get_type(ndns) != ND_DEVICE_NAMESPACE_PMEM) {
                /* label-less: the info block is the only record of the personality */
                if (seed[0]) {
                        r = zero_info_block(ndns, ret_error);
                        if (r < 0)
                                return r;
                }
                r = ndctl_namespace_enable(ndns);
                if (r < 0)
                        return fail(ret_error, r, "re-enabling %s raw", ns_dev);
                return 0;
        }

        /* as ndctl destroy-namespace does: a namespace made later at the same place must
         * not find this one's info block (and a blank one can be told from one with data) */
        if (seed[0] && zero_info_block(ndns, NULL) < 0)
                log_debug("%s: the info block could not be cleared; deleting anyway", ns_dev);
        ndctl_namespace_set_alt_name(ndns, "");
        r = ndctl_namespace_delete(ndns);
        if (r < 0)
                return fail(ret_error, r, "deleting %s", ns_dev);
        return 0;
}
