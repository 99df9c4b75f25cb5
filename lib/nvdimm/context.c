/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "nvdimm/nvdimm-internal.h"
#include "util/fileio.h"
#include "util/log.h"

/* libndctl's and libdaxctl's messages, at debug only: what the daemon makes of a failure it
 * says itself. */
_printf_(3, 0) static void lib_log(const char *lib, const char *fn, const char *format, va_list args) {
        char buf[512];
        vsnprintf(buf, sizeof(buf), format, args);
        buf[strcspn(buf, "\n")] = '\0';
        log_debug("%s: %s: %s", lib, fn, buf);
}

_printf_(6, 0) static void ndctl_log_cb(struct ndctl_ctx *ctx, int priority, const char *file, int line,
                         const char *fn, const char *format, va_list args) {
        lib_log("libndctl", fn, format, args);
}

_printf_(6, 0) static void daxctl_log_cb(struct daxctl_ctx *ctx, int priority, const char *file, int line,
                          const char *fn, const char *format, va_list args) {
        lib_log("libdaxctl", fn, format, args);
}

int nv_open(NvCtx **ret) {
        NvCtx *c = calloc(1, sizeof(NvCtx));
        struct daxctl_ctx *dax;
        int r;

        if (!c)
                return -ENOMEM;
        /* libndctl polls the udev queue in 1 ms sleeps after every enable until it is empty
         * (ndctl_bus_wait_probe(), 5 s at most by default): within an Apply that is the queue
         * of our own earlier creates, and the daemon sat off-CPU for it. The kernel's probe
         * is synchronous to the wait_probe read, which still happens; udev is waited for
         * once, when the context is closed (nv_close()). An admin's NDCTL_TIMEOUT wins. */
        (void) setenv("NDCTL_TIMEOUT", "1", 0);
        r = ndctl_new(&c->ndctl);
        if (r < 0) {
                free(c);
                return r;
        }
        ndctl_set_log_fn(c->ndctl, ndctl_log_cb);
        ndctl_set_log_priority(c->ndctl, log_get_max_level() >= LOG_DEBUG ? LOG_DEBUG : LOG_ERR);
        /* the daxctl context libndctl made for itself (ndctl_unref() frees it): the one whose
         * objects ndctl_dax_get_daxctl_region() hands out */
        dax = ndctl_get_daxctl_ctx(c->ndctl);
        if (dax) {
                daxctl_set_log_fn(dax, daxctl_log_cb);
                daxctl_set_log_priority(dax, log_get_max_level() >= LOG_DEBUG ? LOG_DEBUG : LOG_ERR);
        }
        *ret = c;
        return 0;
}

/* What the 1 ms polls of libndctl no longer wait for: udev handling the uevents of what this
 * context enabled, so that the /dev links exist when an Apply answers. One wait, bounded. */
static void udev_settle(void) {
        for (int i = 0; i < 2000 && access("/run/udev/queue", F_OK) >= 0; i++)
                (void) usleep(5000);
}

NvCtx *nv_close(NvCtx *c) {
        if (!c)
                return NULL;
        if (c->enabled)
                udev_settle();
        snap_drop(c);
        ndctl_unref(c->ndctl);
        free(c);
        /* a view of the bus is thousands of small allocations (an object and its path
         * buffers per device): give the pages they leave back, the daemon lives long */
        (void) malloc_trim(0);
        return NULL;
}

struct ndctl_region *find_region(NvCtx *c, const char *name) {
        struct ndctl_bus *bus;
        struct ndctl_region *region;

        ndctl_bus_foreach(c->ndctl, bus)
                ndctl_region_foreach(bus, region)
                        if (streq(ndctl_region_get_devname(region), name))
                                return region;
        return NULL;
}

struct ndctl_namespace *find_namespace(NvCtx *c, const char *name,
                                       struct ndctl_region **ret_region) {
        struct ndctl_bus *bus;
        struct ndctl_region *region;
        struct ndctl_namespace *ndns;

        ndctl_bus_foreach(c->ndctl, bus)
                ndctl_region_foreach(bus, region)
                        ndctl_namespace_foreach(region, ndns)
                                if (streq(ndctl_namespace_get_devname(ndns), name)) {
                                        if (ret_region)
                                                *ret_region = region;
                                        return ndns;
                                }
        return NULL;
}

/* A sysfs attribute of an nd device, without the newline; -errno if it cannot be read. */
int nd_attr_read(const char *dev, const char *attr, char *buf, size_t len) {
        char path[PATH_MAX];
        ssize_t k;
        int fd;

        snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/%s", dev, attr);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        k = read(fd, buf, len - 1);
        if (k < 0) {
                k = -errno;
                close(fd);
                return (int) k;
        }
        close(fd);
        buf[k] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return 0;
}

struct daxctl_dev *dax_first_dev(struct ndctl_dax *dax) {
        struct daxctl_region *dr = dax ? ndctl_dax_get_daxctl_region(dax) : NULL;
        struct daxctl_dev *dev;

        if (!dr)
                return NULL;
        daxctl_dev_foreach(dr, dev)
                return dev;
        return NULL;
}

int sysfs_write_nd(const char *dev, const char *attr, const char *value) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/%s", dev, attr);
        return write_attribute(path, value);
}
