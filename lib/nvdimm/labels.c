/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <linux/ndctl.h>

#include "nvdimm/nvdimm-internal.h"
#include "util/devbusy.h"
#include "util/log.h"

bool region_dimms_can_label(struct ndctl_region *region) {
        unsigned mappings = ndctl_region_get_mappings(region), count = 0;
        struct ndctl_dimm *dimm;

        if (mappings == 0)
                return false;
        ndctl_dimm_foreach_in_region(region, dimm) {
                if (!ndctl_dimm_is_cmd_supported(dimm, ND_CMD_GET_CONFIG_SIZE) ||
                    !ndctl_dimm_is_cmd_supported(dimm, ND_CMD_GET_CONFIG_DATA) ||
                    !ndctl_dimm_is_cmd_supported(dimm, ND_CMD_SET_CONFIG_DATA))
                        return false;
                count++;
        }
        return count == mappings;
}

/* Label commands and busy checks that fail for a moment (the bus still probing, udev's
 * blkid on a namespace that just appeared) are tried again: LABEL_TRIES times in all,
 * 0.1, 0.2, 0.4, 0.8 and 1.6 s apart (about 3 s). What still fails is reported and the
 * region left as it was, for the next event or Apply to try again. */
#define LABEL_TRIES 6

static bool label_error_transient(int r) {
        return r == -EIO || r == -EBUSY || r == -EAGAIN || r == -ENXIO || r == -EINTR ||
               r == -ETIMEDOUT;
}

static void label_backoff(unsigned try) {
        (void) usleep((100U << try) * 1000U);
}

/* What libndctl's ndctl_dimm_read_label_index() does first, ND_IOCTL_GET_CONFIG_SIZE on
 * the DIMM's control node opened read-write, done here so that a failure has its errno
 * (libndctl returns NULL and nothing else). *what says which step failed. */
static int dimm_config_size(struct ndctl_dimm *dimm, const char **what) {
        struct nd_cmd_get_config_size cmd = {};
        char path[64];
        struct stat st;
        int fd, k, r = 0;

        snprintf(path, sizeof(path), "/dev/%s", ndctl_dimm_get_devname(dimm));
        *what = "opening";
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *what = "checking";
        if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) ||
            major(st.st_rdev) != ndctl_dimm_get_major(dimm) ||
            minor(st.st_rdev) != ndctl_dimm_get_minor(dimm))
                r = -ENXIO;
        else {
                *what = "asking the label area size (ND_CMD_GET_CONFIG_SIZE) of";
                k = ioctl(fd, ND_IOCTL_GET_CONFIG_SIZE, &cmd);
                if (k < 0)
                        r = -errno;
                else if (k > 0 || cmd.status != 0 || cmd.config_size == 0 || cmd.max_xfer == 0)
                        r = -EIO; /* short reply, firmware status, or no label area */
        }
        close(fd);
        return r;
}

/* Can the label commands reach every DIMM of the region? Tried again while the failure
 * may pass. */
static int dimms_label_ready(struct ndctl_region *region, char **ret_error) {
        struct ndctl_dimm *dimm;

        ndctl_dimm_foreach_in_region(region, dimm) {
                const char *what = "opening";
                int r = 0;

                for (unsigned try = 0; try < LABEL_TRIES; try++) {
                        if (try > 0)
                                label_backoff(try - 1);
                        r = dimm_config_size(dimm, &what);
                        if (r >= 0 || !label_error_transient(r))
                                break;
                        log_debug("%s /dev/%s failed (%s), try %u of %u.", what,
                                  ndctl_dimm_get_devname(dimm), strerror(-r), try + 1, LABEL_TRIES);
                }
                if (r == -EPERM || r == -EACCES)
                        /* the control node is there and ours, the open is refused: a device
                         * access list that predates the node's major (DeviceAllow=char-dimmctl
                         * of a service started before libnvdimm was loaded) */
                        return fail(ret_error, r, "%s /dev/%s (no access to the DIMM's control device; "
                                    "a service started before the libnvdimm module was loaded has "
                                    "none until it is restarted)", what, ndctl_dimm_get_devname(dimm));
                if (r < 0)
                        return fail(ret_error, r, "%s /dev/%s", what, ndctl_dimm_get_devname(dimm));
        }
        return 0;
}

/* Is anything on the region in use or holding data? The same rule as the planner's
 * (init_labels_refusal()), checked again just before the region is disabled: a namespace
 * with a personality, one that is disabled (what it holds cannot be checked), one that is
 * mounted or held (an O_EXCL open of its block device fails, as ndctl's
 * ndctl_namespace_disable_safe() checks), open or mapped by any process (by device number,
 * util/devbusy.h), or that carries a signature libblkid knows. -EBUSY if so; *ret_transient
 * when it may pass (mounted, held, open, mapped). */
static int region_labels_refusal(struct ndctl_region *region, bool *ret_transient, char **ret_error) {
        struct ndctl_namespace *ndns;

        *ret_transient = false;
        ndctl_namespace_foreach(region, ndns) {
                const char *dev = ndctl_namespace_get_devname(ndns), *bdev;
                _cleanup_free_ char *sig = NULL;
                char path[PATH_MAX], why[128];
                DevUser u = {};
                struct stat st;
                int fd, k;

                if (ndctl_namespace_get_pfn(ndns) || ndctl_namespace_get_dax(ndns) ||
                    ndctl_namespace_get_btt(ndns))
                        return fail(ret_error, EBUSY, "%s has a personality", dev);
                if (ndctl_namespace_get_size(ndns) == 0)
                        continue;
                bdev = ndctl_namespace_is_enabled(ndns) ? ndctl_namespace_get_block_device(ndns) : NULL;
                if (isempty(bdev))
                        return fail(ret_error, EBUSY, "%s is disabled: what it holds cannot be checked", dev);
                snprintf(path, sizeof(path), "/dev/%s", bdev);
                fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
                if (fd < 0 && errno == EBUSY) {
                        *ret_transient = true;
                        return fail(ret_error, EBUSY, "%s (%s) is mounted or held by another user "
                                    "(it cannot be opened exclusively)", dev, path);
                }
                if (fd < 0)
                        return fail(ret_error, errno, "opening %s exclusively", path);
                /* ours held exclusively: no new mount or holder while we look */
                if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode)) {
                        close(fd);
                        return fail(ret_error, ENOTBLK, "%s", path);
                }
                k = devbusy_find(st.st_rdev, S_IFBLK, getpid(), &u);
                if (k == 0 && probe_signature(bdev, &sig) < 0)
                        k = -EIO;
                close(fd);
                if (k > 0) {
                        *ret_transient = true;
                        return fail(ret_error, EBUSY, "%s (%s) is open or mapped: %s", dev, path,
                                    devuser_describe(&u, why, sizeof(why)));
                }
                if (k == -EACCES) /* without CAP_SYS_PTRACE: not "free" */
                        return fail(ret_error, EACCES, "%s (%s): cannot tell whether it is open or "
                                    "mapped: %s", dev, path, devuser_describe(&u, why, sizeof(why)));
                if (k < 0)
                        return fail(ret_error, k, "%s (%s): checking whether it is in use or holds data",
                                    dev, path);
                if (sig)
                        return fail(ret_error, EBUSY, "%s (%s) carries a '%s' signature", dev, path, sig);
        }
        return 0;
}

int nv_init_labels(NvCtx *c, const char *name, char **ret_error) {
        struct ndctl_region *region = find_region(c, name);
        struct ndctl_dimm *dimm;
        int r = 0;

        snap_drop(c); /* it changes the region behind nv_region_now() */

        if (!region)
                return fail(ret_error, ENODEV, "region %s is gone", name);
        if (!region_dimms_can_label(region))
                return fail(ret_error, EOPNOTSUPP, "the DIMMs of %s cannot store labels", name);
        /* what the kernel and udev are still doing with the region and its DIMMs first
         * (probes, udev's blkid on a namespace that just appeared) */
        (void) ndctl_bus_wait_probe(ndctl_region_get_bus(region));
        for (unsigned try = 0; try < LABEL_TRIES; try++) {
                bool transient = false;
                if (try > 0)
                        label_backoff(try - 1);
                r = region_labels_refusal(region, &transient, ret_error);
                if (r >= 0 || !transient)
                        break;
        }
        if (r < 0)
                return r;
        if (ret_error) /* a refusal that passed */
                *ret_error = mfree(*ret_error);
        r = dimms_label_ready(region, ret_error);
        if (r < 0)
                return r;

        r = ndctl_region_disable_invalidate(region);
        if (r < 0)
                return fail(ret_error, r, "disabling %s (a namespace is in use?)", name);
        if ((r = fault_point("labels-after-disable")) < 0)
                fail(ret_error, r, "injected fault after disabling %s", name);
        ndctl_dimm_foreach_in_region(region, dimm) {
                struct ndctl_cmd *cmd = NULL;
                int k;

                if (r < 0)
                        break;
                if (ndctl_dimm_is_active(dimm)) {
                        r = fail(ret_error, EBUSY, "%s is active in another region",
                                 ndctl_dimm_get_devname(dimm));
                        break;
                }
                for (unsigned try = 0; try < LABEL_TRIES && !cmd; try++) {
                        const char *dev = ndctl_dimm_get_devname(dimm), *what = "";
                        if (try > 0)
                                label_backoff(try - 1);
                        cmd = ndctl_dimm_read_label_index(dimm);
                        if (!cmd) {
                                /* libndctl says nothing more: ask the DIMM ourselves */
                                k = dimm_config_size(dimm, &what);
                                if (k < 0)
                                        r = fail(ret_error, k, "reading the label index of %s (%s /dev/%s)",
                                                 dev, what, dev);
                                else
                                        r = fail(ret_error, EIO, "reading the label index of %s", dev);
                                if (k < 0 && !label_error_transient(k))
                                        break;
                        }
                }
                if (!cmd)
                        break;
                r = 0;
                if (ret_error) /* a failure that passed */
                        *ret_error = mfree(*ret_error);
                k = ndctl_dimm_init_labels(dimm, NDCTL_NS_VERSION_1_2);
                ndctl_cmd_unref(cmd);
                if (k < 0) {
                        r = fail(ret_error, k, "initialising labels on %s", ndctl_dimm_get_devname(dimm));
                        break;
                }
                ndctl_dimm_disable(dimm);
                ndctl_dimm_enable(dimm);
                if ((r = fault_point("labels-after-dimm")) < 0) {
                        fail(ret_error, r, "injected fault after labelling %s", ndctl_dimm_get_devname(dimm));
                        break;
                }
        }
        /* never leave the region disabled if enabling it can be helped */
        for (unsigned try = 0; try < LABEL_TRIES; try++) {
                int k;
                if (try > 0)
                        label_backoff(try - 1);
                k = ndctl_region_enable(region);
                if (k >= 0)
                        break;
                if (try + 1 == LABEL_TRIES && r >= 0)
                        r = fail(ret_error, k, "re-enabling %s (left disabled)", name);
        }
        if (r >= 0 && ndctl_region_get_nstype(region) != ND_DEVICE_NAMESPACE_PMEM)
                r = fail(ret_error, EIO, "%s is still label-less after initialising labels", name);
        return r;
}
