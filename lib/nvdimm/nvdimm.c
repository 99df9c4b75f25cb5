/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <blkid.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <uuid.h>

#include <linux/ndctl.h>

#include <daxctl/libdaxctl.h>
#include <ndctl/libndctl.h>

#include "nvdimm/nvdimm.h"
#include "util/devbusy.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/size.h"

/* From the kernel uapi <linux/ndctl.h>; Debian's <ndctl/ndctl.h> copy needs ccan headers
 * that are not installed. */
#ifndef ND_DEVICE_REGION_PMEM
#define ND_DEVICE_REGION_PMEM 2
#define ND_DEVICE_NAMESPACE_IO 4
#define ND_DEVICE_NAMESPACE_PMEM 5
#define ND_CMD_GET_CONFIG_SIZE 4
#define ND_CMD_GET_CONFIG_DATA 5
#define ND_CMD_SET_CONFIG_DATA 6
#endif

struct NvCtx {
        struct ndctl_ctx *ndctl;
        struct daxctl_ctx *daxctl;
};

/* pfn/dax info block: struct nd_pfn_sb at 4K inside the first 8K (drivers/nvdimm/pfn.h);
 * the BTT1.1 info block is at 4K too. */
#define INFO_BLOCK_SIZE 8192

int fault_point(const char *name) {
#if ENABLE_FAULT_INJECTION
        /* PMEMNSD_FAULT=POINT[@N][:kill|fail|stop]: the Nth time (default the first; @0:
         * every time) execution reaches POINT, SIGKILL the process (a crash), return -EIO (a failing
         * kernel call, to exercise the rollback) or SIGSTOP it (the test then cuts the
         * power of the whole VM). */
        static unsigned hits;
        const char *spec = getenv("PMEMNSD_FAULT"), *action = "kill";
        size_t len;
        unsigned long nth = 1;

        if (!spec)
                return 0;
        len = strcspn(spec, "@:");
        if (strlen(name) != len || strncmp(spec, name, len) != 0)
                return 0;
        spec += len;
        if (*spec == '@') {
                char *end;
                nth = strtoul(spec + 1, &end, 10);
                spec = end;
        }
        if (*spec == ':')
                action = spec + 1;
        ++hits;
        if (nth != 0 && hits != nth)
                return 0;
        log_notice("fault injection: %s at '%s' (hit %u)", action, name, hits);
        if (streq(action, "fail"))
                return -EIO;
        if (streq(action, "stop")) {
                raise(SIGSTOP);
                return 0;
        }
        raise(SIGKILL);
#else
        (void) name;
#endif
        return 0;
}

_printf_(6, 0) static void ndctl_log_cb(struct ndctl_ctx *ctx, int priority, const char *file, int line,
                         const char *fn, const char *format, va_list args) {
        char buf[512];
        vsnprintf(buf, sizeof(buf), format, args);
        buf[strcspn(buf, "\n")] = '\0';
        log_debug("libndctl: %s: %s", fn, buf);
}

int nv_open(NvCtx **ret) {
        NvCtx *c = calloc(1, sizeof(NvCtx));
        int r;

        if (!c)
                return -ENOMEM;
        r = ndctl_new(&c->ndctl);
        if (r < 0) {
                free(c);
                return r;
        }
        ndctl_set_log_fn(c->ndctl, ndctl_log_cb);
        ndctl_set_log_priority(c->ndctl, log_get_max_level() >= LOG_DEBUG ? LOG_DEBUG : LOG_ERR);
        r = daxctl_new(&c->daxctl);
        if (r < 0) {
                ndctl_unref(c->ndctl);
                free(c);
                return r;
        }
        *ret = c;
        return 0;
}

NvCtx *nv_close(NvCtx *c) {
        if (!c)
                return NULL;
        daxctl_unref(c->daxctl);
        ndctl_unref(c->ndctl);
        free(c);
        return NULL;
}

static struct ndctl_region *find_region(NvCtx *c, const char *name) {
        struct ndctl_bus *bus;
        struct ndctl_region *region;

        ndctl_bus_foreach(c->ndctl, bus)
                ndctl_region_foreach(bus, region)
                        if (streq(ndctl_region_get_devname(region), name))
                                return region;
        return NULL;
}

static struct ndctl_namespace *find_namespace(NvCtx *c, const char *name,
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
static int nd_attr_read(const char *dev, const char *attr, char *buf, size_t len) {
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

static bool claim_device_cached(struct ndctl_region *region, const char *dev) {
        struct ndctl_pfn *pfn;
        struct ndctl_dax *dax;
        struct ndctl_btt *btt;

        if (startswith(dev, "pfn")) {
                ndctl_pfn_foreach(region, pfn)
                        if (streq(ndctl_pfn_get_devname(pfn), dev))
                                return true;
        } else if (startswith(dev, "dax")) {
                ndctl_dax_foreach(region, dax)
                        if (streq(ndctl_dax_get_devname(dax), dev))
                                return true;
        } else if (startswith(dev, "btt")) {
                ndctl_btt_foreach(region, btt)
                        if (streq(ndctl_btt_get_devname(btt), dev))
                                return true;
        }
        return false;
}

int nv_region_now(NvCtx *c, const char *name, NsExtent **ret, size_t *ret_n, bool *ret_current) {
        struct ndctl_region *region = find_region(c, name);
        struct ndctl_namespace *ndns;
        struct ndctl_pfn *pfn;
        struct ndctl_dax *dax;
        struct ndctl_btt *btt;
        NsExtent *ext = NULL;
        size_t n = 0, n_claims = 0, n_cached = 0;
        bool current = region != NULL;
        char path[PATH_MAX];
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (strchr(name, '/'))
                return -EINVAL;
        snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s", name);
        d = opendir(path);
        if (!d)
                return errno == ENOENT ? -ENOENT : -errno;
        while ((de = readdir(d))) {
                char buf[64];
                NsExtent *e, *ne;
                bool found = false;

                if (startswith(de->d_name, "pfn") || startswith(de->d_name, "dax") ||
                    startswith(de->d_name, "btt")) {
                        if (!strchr(de->d_name, '.'))
                                continue; /* e.g. "dax_seed" has none; device names do */
                        n_claims++;
                        if (current && !claim_device_cached(region, de->d_name))
                                current = false;
                        continue;
                }
                if (!startswith(de->d_name, "namespace") || !strchr(de->d_name, '.') ||
                    strlen(de->d_name) >= sizeof(ext->dev))
                        continue;
                ne = realloc(ext, sizeof(NsExtent) * (n + 1));
                if (!ne) {
                        r = -ENOMEM;
                        break;
                }
                ext = ne;
                e = &ext[n++];
                *e = (NsExtent) {};
                snprintf(e->dev, sizeof(e->dev), "%s", de->d_name);
                if (nd_attr_read(e->dev, "size", buf, sizeof(buf)) >= 0)
                        e->size = strtoull(buf, NULL, 0);
                /* the seed (size 0) has no resource: ENXIO */
                if (e->size > 0 && nd_attr_read(e->dev, "resource", buf, sizeof(buf)) >= 0)
                        e->start = strtoull(buf, NULL, 0);
                (void) nd_attr_read(e->dev, "alt_name", e->name, sizeof(e->name));

                if (current) {
                        ndctl_namespace_foreach(region, ndns)
                                if (streq(ndctl_namespace_get_devname(ndns), e->dev)) {
                                        found = ndctl_namespace_get_size(ndns) == e->size &&
                                                streq(strempty(ndctl_namespace_get_alt_name(ndns)), e->name);
                                        break;
                                }
                        current = found;
                }
        }
        closedir(d);
        if (r < 0) {
                free(ext);
                return r;
        }
        /* and nothing cached that sysfs no longer has */
        if (current) {
                ndctl_namespace_foreach(region, ndns)
                        n_cached++;
                current = n_cached == n;
        }
        if (current) {
                n_cached = 0;
                ndctl_pfn_foreach(region, pfn)
                        n_cached++;
                ndctl_dax_foreach(region, dax)
                        n_cached++;
                ndctl_btt_foreach(region, btt)
                        n_cached++;
                current = n_cached == n_claims;
        }
        *ret = ext;
        *ret_n = n;
        *ret_current = current;
        return 0;
}

bool nv_region_align_seen(NvCtx *c) {
        struct ndctl_bus *bus;
        struct ndctl_region *region;

        ndctl_bus_foreach(c->ndctl, bus)
                ndctl_region_foreach(bus, region)
                        if (ndctl_region_get_align(region) != ULONG_MAX)
                                return true;
        return false;
}

static struct daxctl_dev *dax_first_dev(struct ndctl_dax *dax) {
        struct daxctl_region *dr = dax ? ndctl_dax_get_daxctl_region(dax) : NULL;
        struct daxctl_dev *dev;

        if (!dr)
                return NULL;
        daxctl_dev_foreach(dr, dev)
                return dev;
        return NULL;
}

static enum ndctl_namespace_mode mode_to_ndctl(NsMode m) {
        switch (m) {
        case NS_MODE_FSDAX: return NDCTL_NS_MODE_FSDAX;
        case NS_MODE_DEVDAX: return NDCTL_NS_MODE_DEVDAX;
        case NS_MODE_SECTOR: return NDCTL_NS_MODE_SECTOR;
        default: return NDCTL_NS_MODE_RAW;
        }
}

/* What lives on a raw block device, by libblkid: a filesystem, RAID member, partition
 * table or any other signature it knows. */
static int probe_signature(const char *blockdev, char **ret) {
        char path[PATH_MAX];
        const char *type = NULL;
        blkid_probe pr;
        int r;

        snprintf(path, sizeof(path), "/dev/%s", blockdev);
        pr = blkid_new_probe_from_filename(path);
        if (!pr)
                return -errno ?: -EIO;
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
        blkid_probe_enable_partitions(pr, 1);
        r = blkid_do_safeprobe(pr);
        if (r == 0) {
                if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) < 0 &&
                    blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL) < 0)
                        type = "unknown";
                *ret = strdup(type);
        } else if (r == -2)
                *ret = strdup("ambiguous");
        else if (r == 1)
                *ret = NULL;
        else {
                blkid_free_probe(pr);
                return -EIO;
        }
        blkid_free_probe(pr);
        return 0;
}

/* Are the first 8 KiB, where a pfn/dax/btt info block would be, all zero? (Our destroy
 * zeroes them, as ndctl's does, so a namespace re-made at the same place starts blank.) */
static bool head_is_zero(const char *blockdev) {
        char path[PATH_MAX];
        uint64_t buf[INFO_BLOCK_SIZE / sizeof(uint64_t)];
        bool zero = false;
        int fd;

        snprintf(path, sizeof(path), "/dev/%s", blockdev);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        if (pread(fd, buf, sizeof(buf), 0) == (ssize_t) sizeof(buf)) {
                zero = true;
                for (size_t i = 0; i < ELEMENTSOF(buf) && zero; i++)
                        zero = buf[i] == 0;
        }
        close(fd);
        return zero;
}

static bool nd_driver_loaded(const char *driver) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "/sys/bus/nd/drivers/%s", driver);
        return access(path, F_OK) == 0;
}

/* Why a sized namespace is not active, as far as sysfs tells: a driver missing (a
 * blacklisted module, load-modules = no), or disabled by someone. The kernel log has the
 * probe error itself. */
static char *inactive_reason(struct ndctl_namespace *ndns, struct ndctl_pfn *pfn, struct ndctl_dax *dax,
                             struct ndctl_btt *btt) {
        const char *dev = ndctl_namespace_get_devname(ndns);
        char *s = NULL;
        int r;

        if (!nd_driver_loaded("nd_pmem"))
                r = asprintf(&s, "not active: the nd_pmem driver is not loaded, so the kernel could "
                             "not probe %s", dev);
        else if (dax && !nd_driver_loaded("dax_pmem"))
                r = asprintf(&s, "not active: its devdax claim %s has no driver (dax_pmem is not "
                             "loaded)", ndctl_dax_get_devname(dax));
        else if (pfn || dax || btt)
                r = asprintf(&s, "not active: its claim %s did not probe (see the kernel log)",
                             pfn ? ndctl_pfn_get_devname(pfn) : dax ? ndctl_dax_get_devname(dax)
                                                              : ndctl_btt_get_devname(btt));
        else
                r = asprintf(&s, "not active: %s is disabled or did not probe (see the kernel log; "
                             "'ndctl enable-namespace %s')", dev, dev);
        return r < 0 ? NULL : s;
}

static int ns_cmp(const void *a, const void *b) {
        const NsState *x = a, *y = b;
        return x->start < y->start ? -1 : x->start > y->start;
}

static int read_namespace(NvCtx *c, struct ndctl_region *region, struct ndctl_namespace *ndns,
                          bool labeled, NsState *n) {
        struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
        struct ndctl_dax *dax = ndctl_namespace_get_dax(ndns);
        struct ndctl_btt *btt = ndctl_namespace_get_btt(ndns);
        const char *name = ndctl_namespace_get_alt_name(ndns);
        const char *bdev = NULL;
        char uuid_str[40] = "";
        uuid_t uu;

        if (labeled) {
                ndctl_namespace_get_uuid(ndns, uu);
                if (!uuid_is_null(uu))
                        uuid_unparse(uu, uuid_str);
        }
        *n = (NsState) {
                .dev = strdup(ndctl_namespace_get_devname(ndns)),
                .name = strdup(strempty(name)),
                .uuid = strdup(uuid_str),
                /* The personality is the claim. The kernel's own 'mode' says "memory" for
                 * an unclaimed namespace of a page-mapped (e820, virtio) region. */
                .mode = pfn ? NS_MODE_FSDAX : dax ? NS_MODE_DEVDAX : btt ? NS_MODE_SECTOR : NS_MODE_RAW,
                .start = ndctl_namespace_get_resource(ndns),
                .size = ndctl_namespace_get_size(ndns),
                .map = NS_MAP_DEV,
                .enabled = ndctl_namespace_is_active(ndns),
        };
        if (!n->dev || !n->name || !n->uuid)
                return -ENOMEM;

        if (pfn && n->mode == NS_MODE_FSDAX) {
                n->map = ndctl_pfn_get_location(pfn) == NDCTL_PFN_LOC_RAM ? NS_MAP_MEM : NS_MAP_DEV;
                n->align = ndctl_pfn_get_align(pfn);
                /* each *_is_enabled() makes the kernel wait for the bus's probes: ask once */
                if (ndctl_pfn_is_enabled(pfn)) {
                        n->usable = ndctl_pfn_get_size(pfn);
                        bdev = ndctl_pfn_get_block_device(pfn);
                }
        } else if (dax && n->mode == NS_MODE_DEVDAX) {
                struct daxctl_dev *dev = dax_first_dev(dax);
                n->map = ndctl_dax_get_location(dax) == NDCTL_PFN_LOC_RAM ? NS_MAP_MEM : NS_MAP_DEV;
                n->align = ndctl_dax_get_align(dax);
                n->usable = ndctl_dax_is_enabled(dax) ? ndctl_dax_get_size(dax) : 0;
                if (dev) {
                        struct daxctl_memory *mem = daxctl_dev_get_memory(dev);
                        n->chardev = strdup(daxctl_dev_get_devname(dev));
                        n->system_ram = mem && daxctl_memory_is_online(mem) > 0;
                }
        } else if (btt && n->mode == NS_MODE_SECTOR) {
                if (ndctl_btt_is_enabled(btt)) {
                        n->usable = ndctl_btt_get_size(btt);
                        bdev = ndctl_btt_get_block_device(btt);
                }
        } else if (ndctl_namespace_is_enabled(ndns)) {
                n->usable = n->size;
                bdev = ndctl_namespace_get_block_device(ndns);
        }
        if (bdev && *bdev && !(n->blockdev = strdup(bdev)))
                return -ENOMEM;

        /* Label-less regions: is anything stored on the raw namespace? A disabled one cannot
         * be probed and is treated as holding data. */
        if (!labeled && n->mode == NS_MODE_RAW) {
                if (!n->blockdev)
                        n->signature = strdup("unknown (namespace disabled)");
                else if (probe_signature(n->blockdev, &n->signature) < 0)
                        n->signature = strdup("unreadable");
        }
        /* A named raw namespace in a labelled region: is it a create that a crash or power
         * cut stopped between sizing and claiming (the label is written, no info block
         * yet), or one that holds data? */
        if (labeled && n->mode == NS_MODE_RAW && n->blockdev && !isempty(n->name) &&
            probe_signature(n->blockdev, &n->signature) >= 0 && !n->signature)
                n->blank = head_is_zero(n->blockdev);
        if (!n->enabled && n->size > 0 && !(n->inactive = inactive_reason(ndns, pfn, dax, btt)))
                return -ENOMEM;
        (void) c;
        (void) region;
        return 0;
}

static bool region_dimms_can_label(struct ndctl_region *region) {
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

/* The start of a DIMM's label area, by the ND_IOCTL_GET_CONFIG_DATA ioctl on /dev/nmemN.
 * Not through libndctl: a command from ndctl_dimm_cmd_new_cfg_read() never frees its
 * label-area-sized buffer on unref (ndctl v76 to v81, ndctl_cmd_unref() frees
 * iter.total_buf only for commands without a source), and we read this on every refresh. */
static int dimm_read_label_area(struct ndctl_dimm *dimm, void *out, uint32_t len) {
        uint8_t buf[sizeof(struct nd_cmd_get_config_data_hdr) + 256];
        struct nd_cmd_get_config_data_hdr *cmd = (struct nd_cmd_get_config_data_hdr *) buf;
        char path[PATH_MAX];
        int fd, r;

        if (len > sizeof(buf) - sizeof(*cmd))
                return -EINVAL;
        memset(buf, 0, sizeof(buf));
        cmd->in_offset = 0;
        cmd->in_length = len;
        snprintf(path, sizeof(path), "/dev/%s", ndctl_dimm_get_devname(dimm));
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = ioctl(fd, ND_IOCTL_GET_CONFIG_DATA, buf) < 0 ? -errno : 0;
        close(fd);
        if (r < 0)
                return r;
        if (cmd->status != 0)
                return -EIO;
        memcpy(out, cmd->out_buf, len);
        return 0;
}

/* Which BTT a sector namespace gets: drivers/nvdimm/namespace_devs.c:btt_claim_class()
 * picks BTT1.1 (a 4K initial offset) when any DIMM has v1.1 labels, BTT2 otherwise. The
 * version is in the label index block: struct nd_namespace_index, major at byte 60 and
 * minor at byte 62 (drivers/nvdimm/label.h). */
static bool region_labels_v1_2(struct ndctl_region *region) {
        struct ndctl_dimm *dimm;
        bool v1_2 = true;

        /* no DIMMs (e820, virtio) or DIMMs without a label area: BTT1.1; a label area
         * not initialised yet counts as v1.2 */
        if (!region_dimms_can_label(region))
                return false;

        ndctl_dimm_foreach_in_region(region, dimm) {
                uint8_t buf[64];

                if (dimm_read_label_area(dimm, buf, sizeof(buf)) == 0 &&
                    memcmp(buf, "NAMESPACE_INDEX", 15) == 0) {
                        unsigned major = buf[60] | (unsigned) buf[61] << 8;
                        unsigned minor = buf[62] | (unsigned) buf[63] << 8;
                        if (major == 1 && minor == 1)
                                v1_2 = false;
                }
        }
        return v1_2;
}

int nv_read_regions(NvCtx *c, RegionState **ret, size_t *ret_n) {
        struct ndctl_bus *bus;
        struct ndctl_region *region;
        RegionState *rs = NULL;
        size_t n = 0;
        int r = 0;

        ndctl_bus_foreach(c->ndctl, bus)
                ndctl_region_foreach(bus, region) {
                        struct ndctl_namespace *ndns;
                        RegionState *nrs, *s;
                        unsigned long align = ndctl_region_get_align(region);
                        bool labeled = ndctl_region_get_nstype(region) == ND_DEVICE_NAMESPACE_PMEM;

                        nrs = realloc(rs, sizeof(RegionState) * (n + 1));
                        if (!nrs) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        rs = nrs;
                        s = &rs[n++];
                        *s = (RegionState) {
                                .dev = strdup(ndctl_region_get_devname(region)),
                                .type = strdup(ndctl_region_get_type(region) == ND_DEVICE_REGION_PMEM
                                                       ? "pmem" : "blk"),
                                .provider = strdup(strempty(ndctl_bus_get_provider(bus))),
                                .numa_node = ndctl_region_get_numa_node(region),
                                .start = ndctl_region_get_resource(region),
                                .size = ndctl_region_get_size(region),
                                .align = align == ULONG_MAX ? 0 : align,
                                .ways = MAX(ndctl_region_get_interleave_ways(region), 1U),
                                .labeled = labeled,
                                .can_init_labels = !labeled && region_dimms_can_label(region),
                                .labels_v1_2 = region_labels_v1_2(region),
                                .enabled = ndctl_region_is_enabled(region),
                                .available_size = ndctl_region_get_available_size(region),
                                .max_available_extent = ndctl_region_get_max_available_extent(region),
                        };
                        if (s->available_size == ULLONG_MAX)
                                s->available_size = 0;
                        if (s->max_available_extent == ULLONG_MAX)
                                s->max_available_extent = s->available_size;
                        if (!s->dev || !s->type || !s->provider) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        ndctl_namespace_foreach(region, ndns) {
                                NsState *nn;
                                if (ndctl_namespace_get_size(ndns) == 0)
                                        continue; /* the seed */
                                nn = realloc(s->namespaces, sizeof(NsState) * (s->n_namespaces + 1));
                                if (!nn) {
                                        r = -ENOMEM;
                                        goto fail;
                                }
                                s->namespaces = nn;
                                r = read_namespace(c, region, ndns, labeled,
                                                   &s->namespaces[s->n_namespaces++]);
                                if (r < 0)
                                        goto fail;
                        }
                        if (s->n_namespaces > 1)
                                qsort(s->namespaces, s->n_namespaces, sizeof(NsState), ns_cmp);
                }
        *ret = rs;
        *ret_n = n;
        return 0;
fail:
        region_states_free(rs, n);
        return r;
}

/* ---- errors ----------------------------------------------------------------------------- */

static int fail(char **ret_error, int r, const char *format, ...) _printf_(3, 4);
static int fail(char **ret_error, int r, const char *format, ...) {
        char *m = NULL, *full = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&m, format, ap) < 0)
                m = NULL;
        va_end(ap);
        if (m && asprintf(&full, "%s: %s", m, strerror(abs(r))) < 0)
                full = NULL;
        free(m);
        if (ret_error) {
                free(*ret_error);
                *ret_error = full;
        } else
                free(full);
        return -abs(r);
}

/* ---- create ------------------------------------------------------------------------------- */

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

typedef struct Claim {
        struct ndctl_pfn *pfn;
        struct ndctl_dax *dax;
        struct ndctl_btt *btt;
        char seed[64]; /* the claim device we configured, by name: libndctl frees its
                        * objects when it deletes them */
        bool ram_stuck; /* to_system_ram() could not take its memory offline again: leave the
                         * namespace as it is (an unbind would strand online memory) */
} Claim;

static int sysfs_write_nd(const char *dev, const char *attr, const char *value) {
        char path[PATH_MAX];
        int fd, r = 0;

        snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/%s", dev, attr);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, value, strlen(value)) < 0)
                r = -errno;
        close(fd);
        return r;
}

/* Return a claim device we configured to the unconfigured state (null uuid, no mode),
 * so that no half-configured pfn/dax/btt seed is left behind. Call after the namespace
 * was disabled with ndctl_namespace_disable_invalidate(), which detaches the claim. */
static void claim_reset(const char *seed) {
        if (isempty(seed))
                return;
        (void) sysfs_write_nd(seed, "namespace", "\n");
        (void) sysfs_write_nd(seed, "uuid", "00000000-0000-0000-0000-000000000000\n");
        if (!startswith(seed, "btt"))
                (void) sysfs_write_nd(seed, "mode", "none\n");
}

static int claim_setup(struct ndctl_region *region, struct ndctl_namespace *ndns, const PlanRow *row,
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

/* ---- System RAM (kmem) -------------------------------------------------------------------- */

#define MEMORY_SYSFS "/sys/devices/system/memory"

/* The memory blocks kmem adds for a dax device: those wholly inside its range
 * (dax_kmem_range() rounds the start up and the end down to the block size). */
typedef struct RamBlocks {
        const char *dev; /* daxX.Y */
        unsigned long first, n;
} RamBlocks;

static int ram_blocks(struct daxctl_dev *dev, RamBlocks *ret) {
        unsigned long long start = daxctl_dev_get_resource(dev), size = daxctl_dev_get_size(dev);
        _cleanup_free_ char *s = NULL;
        unsigned long long bs, first, end;
        int r;

        r = read_one_line_file(MEMORY_SYSFS "/block_size_bytes", &s);
        if (r < 0)
                return r;
        bs = strtoull(s, NULL, 16);
        if (!bs || !start || start == ULLONG_MAX || !size)
                return -EINVAL;
        first = (start + bs - 1) / bs;
        end = (start + size) / bs;
        *ret = (RamBlocks) { .dev = daxctl_dev_get_devname(dev), .first = first,
                             .n = end > first ? end - first : 0 };
        return ret->n ? 0 : -ENOSPC;
}

/* memoryN/ATTR, without the newline, in buf; -errno if it cannot be read. */
static int memblock_read(unsigned long idx, const char *attr, char *buf, size_t len) {
        _cleanup_free_ char *s = NULL;
        char path[PATH_MAX];
        int r;

        snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%lu/%s", idx, attr);
        r = read_one_line_file(path, &s);
        if (r < 0)
                return r;
        snprintf(buf, len, "%s", s);
        return 0;
}

/* Write STATE ("offline", "online_movable", "online_kernel") to memoryN/state: the
 * kernel's own -errno when it refuses. */
static int memblock_set(unsigned long idx, const char *state) {
        char path[PATH_MAX];
        int fd, r = 0;

        snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%lu/state", idx);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, state, strlen(state)) < 0)
                r = -errno;
        close(fd);
        return r;
}

/* 1 and its zone in `zone` (valid_zones of an online block: "Normal", "Movable"; "None"
 * when it spans two) if memoryN is online, 0 if not, -errno. */
static int memblock_zone(unsigned long idx, char *zone, size_t len) {
        char state[32];
        int r;

        r = memblock_read(idx, "state", state, sizeof(state));
        if (r < 0)
                return r;
        if (!streq(state, "online"))
                return 0;
        r = memblock_read(idx, "valid_zones", zone, len);
        return r < 0 ? r : 1;
}

static bool zone_as_asked(const char *zone, SystemRam how) {
        if (how == SYSTEM_RAM_ONLINE_MOVABLE)
                return streq(zone, "Movable");
        return !streq(zone, "Movable") && !streq(zone, "None");
}

static const char *zone_asked(SystemRam how) {
        return how == SYSTEM_RAM_ONLINE_MOVABLE ? "ZONE_MOVABLE" : "a kernel zone (not movable)";
}

/* auto_online_blocks: what the kernel does with hot-added memory inside the probe of the
 * driver that adds it (kmem): "offline", "online" (a zone of its choosing: ZONE_NORMAL unless
 * movable_node or online_policy=auto-movable), "online_kernel", "online_movable". Debian's
 * 6.12 defaults to "online" (CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO), 6.1 to "offline";
 * memhp_default_state= overrides. */
static int auto_online_get(char *buf, size_t len) {
        _cleanup_free_ char *s = NULL;
        int r = read_one_line_file(MEMORY_SYSFS "/auto_online_blocks", &s);

        snprintf(buf, len, "%s", r < 0 ? "unknown" : s);
        return r;
}

static int auto_online_set(const char *value) {
        int fd, r = 0;

        fd = open(MEMORY_SYSFS "/auto_online_blocks", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, value, strlen(value)) < 0)
                r = -errno;
        close(fd);
        return r;
}

/* While a hand-over runs with auto_online_blocks changed, this file holds the value to put
 * back and the one we set, so that a daemon killed in between puts it back at its next start
 * or system-ram create (nv_recover_auto_online()). In the runtime directory: a reboot resets
 * the kernel's value anyway. */
static void auto_online_record_path(char *buf, size_t len) {
        const char *dir = getenv("RUNTIME_DIRECTORY") ?: "/run/pmemnsd";

        snprintf(buf, len, "%.*s/auto-online-blocks", (int) strcspn(dir, ":"), dir);
}

/* Put back an auto_online_blocks value a killed hand-over left changed, if nobody changed it
 * since. Returns 1 if it did, 0 if there was nothing to do, -errno. */
int nv_recover_auto_online(void) {
        char path[PATH_MAX], cur[32], orig[32] = "", set[32] = "";
        FILE *f;
        int r = 0;

        auto_online_record_path(path, sizeof(path));
        f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? 0 : -errno;
        if (fscanf(f, "%31s %31s", orig, set) != 2)
                r = -EINVAL;
        fclose(f);
        if (r == 0 && auto_online_get(cur, sizeof(cur)) >= 0 && streq(cur, set)) {
                r = auto_online_set(orig);
                if (r == 0) {
                        log_notice("auto_online_blocks put back to '%s' (an interrupted system-ram "
                                   "hand-over had set '%s').", orig, set);
                        r = 1;
                }
        }
        if (r < 0)
                log_warning("auto_online_blocks: record %s: %s", path, strerror(-r));
        if (r >= 0 || r == -EINVAL)
                (void) unlink(path);
        return r;
}

static int auto_online_record(const char *orig, const char *set) {
        char path[PATH_MAX], tmp[PATH_MAX + 4];
        int fd, r = 0;

        auto_online_record_path(path, sizeof(path));
        snprintf(tmp, sizeof(tmp), "%s", path);
        *strrchr(tmp, '/') = '\0';
        (void) mkdir(tmp, 0755);
        snprintf(tmp, sizeof(tmp), "%s.new", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (dprintf(fd, "%s %s\n", orig, set) < 0 || fsync(fd) < 0)
                r = -errno;
        close(fd);
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

/* Put back what auto_online_record() wrote down, unless someone else changed it meanwhile. */
static void auto_online_restore(const char *orig, const char *set) {
        char path[PATH_MAX], cur[32];
        int r = 0;

        if (auto_online_get(cur, sizeof(cur)) >= 0 && streq(cur, set))
                r = auto_online_set(orig);
        if (r < 0) {
                log_error("Putting auto_online_blocks back to '%s' failed (%s); the next start tries "
                          "again.", orig, strerror(-r));
                return;
        }
        auto_online_record_path(path, sizeof(path));
        (void) unlink(path);
}

/* Bring every block online in the zone the policy asks for, and check that it is there. kmem
 * may have onlined them already (auto_online_blocks, see to_system_ram()), and a udev rule or
 * an admin may online them while we work, in a zone of their choosing: such a block is taken
 * offline again and onlined as asked, if the kernel lets it go (it does not once it placed
 * unmovable pages there; its errno is the reason). Blocks onlined by someone else between
 * our look and our write are looked at again, 3 rounds. */
static int ram_online(const RamBlocks *b, SystemRam how, char **err) {
        const char *target = how == SYSTEM_RAM_ONLINE_MOVABLE ? "online_movable" : "online_kernel";
        char zone[64], policy[32];
        int r;

        for (unsigned round = 0; round < 3; round++) {
                bool again = false;

                for (unsigned long i = b->first; i < b->first + b->n; i++) {
                        r = memblock_zone(i, zone, sizeof(zone));
                        if (r < 0)
                                return fail(err, r, "reading the state of memory%lu of %s", i, b->dev);
                        if (r > 0 && zone_as_asked(zone, how))
                                continue;
                        if (r > 0) {
                                (void) auto_online_get(policy, sizeof(policy));
                                log_info("%s: memory%lu came online in %s (auto_online_blocks: %s); "
                                         "moving it to %s", b->dev, i, zone, policy, zone_asked(how));
                                r = memblock_set(i, "offline");
                                if (r < 0)
                                        return fail(err, r, "%s: memory%lu came online in %s "
                                                    "(auto_online_blocks: %s), the policy wants %s, and "
                                                    "the kernel refuses to offline it again (its log "
                                                    "says why)", b->dev, i, zone, policy,
                                                    zone_asked(how));
                        }
                        r = memblock_set(i, target);
                        if (r < 0) {
                                if (memblock_zone(i, zone, sizeof(zone)) > 0) {
                                        again = true; /* onlined by someone else meanwhile */
                                        continue;
                                }
                                return fail(err, r, "%s: onlining memory%lu (%s)", b->dev, i, target);
                        }
                }
                if (!again)
                        break;
        }

        for (unsigned long i = b->first; i < b->first + b->n; i++) {
                r = memblock_zone(i, zone, sizeof(zone));
                if (r < 0)
                        return fail(err, r, "reading the state of memory%lu of %s", i, b->dev);
                if (r == 0)
                        return fail(err, EIO, "%s: memory%lu is offline after onlining it", b->dev, i);
                if (!zone_as_asked(zone, how)) {
                        (void) auto_online_get(policy, sizeof(policy));
                        return fail(err, EBUSY, "%s: memory%lu is in %s, the policy wants %s (another "
                                    "agent onlines this memory: auto_online_blocks is %s, or a udev "
                                    "rule)", b->dev, i, zone, zone_asked(how), policy);
                }
        }
        return 0;
}

/* Offline the device's memory and give it back to device_dax. kmem is never unbound while a
 * block is online: its remove cannot take online memory away, and after the unbind that memory
 * would stay System RAM out of anyone's reach until the next boot (dev_dax_kmem_remove()).
 * The kernel's -errno, and the device left in kmem, if a block does not go offline. */
static int ram_rollback(struct daxctl_dev *dev, const RamBlocks *b, char *why, size_t len) {
        struct daxctl_memory *mem;
        char zone[64];
        int r = 0, k;

        for (unsigned long i = b->first; i < b->first + b->n; i++) {
                k = memblock_zone(i, zone, sizeof(zone));
                if (k > 0)
                        k = memblock_set(i, "offline");
                if (k < 0 && r == 0) {
                        r = k;
                        snprintf(why, len, "memory%lu does not go offline (%s)", i, strerror(-k));
                }
        }
        /* libdaxctl's own view of the device's blocks, also when b is empty */
        mem = daxctl_dev_get_memory(dev);
        if (r == 0 && mem && daxctl_memory_offline(mem) >= 0 && daxctl_memory_is_online(mem) > 0) {
                r = -EBUSY;
                snprintf(why, len, "some of its memory does not go offline");
        }
        if (r < 0)
                return r;
        daxctl_dev_disable(dev);
        daxctl_dev_enable_devdax(dev);
        return 0;
}

/* Hand a devdax device to kmem and online its memory in the zone the policy asks for, as
 * daxctl reconfigure-device --mode=system-ram [--no-movable] does, but never leaving it in
 * another zone. When the kernel onlines hot-added memory itself in a zone of its choosing
 * (auto_online_blocks "online" on Debian's 6.12: ZONE_NORMAL), auto_online_blocks says the
 * zone asked for while kmem binds and is put back right after: memory once in ZONE_NORMAL
 * need not go offline again (in the VM on 6.12 a slab page landed in the first block within
 * 0.1 s of kmem's auto-online, and the kernel then refused to offline it: "unmovable page"),
 * so it must come online in the right zone in the first place. daxctl refuses in this case
 * instead ("kernel policy will auto-online memory, aborting", pmem/ndctl#246). Memory
 * hot-added by someone else during the bind is onlined the same way. Then the result is
 * checked block by block; on any difference the memory goes offline and the device back to
 * devdax (the caller then rolls back the namespace). When even that is refused,
 * cl->ram_stuck is set: the namespace must be left as it is. */
static int to_system_ram(Claim *cl, SystemRam how, char **err) {
        const char *target = how == SYSTEM_RAM_ONLINE_MOVABLE ? "online_movable" : "online_kernel";
        struct daxctl_dev *dev = dax_first_dev(cl->dax);
        char why[128] = "", policy[32];
        bool changed = false;
        RamBlocks b;
        int r;

        if (!dev)
                return fail(err, ENODEV, "no dax device under %s", ndctl_dax_get_devname(cl->dax));
        r = daxctl_dev_disable(dev);
        if (r < 0)
                return fail(err, r, "disabling %s", daxctl_dev_get_devname(dev));

        (void) nv_recover_auto_online();
        if (auto_online_get(policy, sizeof(policy)) >= 0 && !streq(policy, "offline") &&
            !streq(policy, target)) {
                r = auto_online_record(policy, target);
                if (r >= 0) {
                        r = auto_online_set(target);
                        if (r < 0)
                                auto_online_restore(policy, target);
                }
                if (r < 0) {
                        daxctl_dev_enable_devdax(dev);
                        return fail(err, r, "%s: the kernel onlines hot-added memory itself "
                                    "(auto_online_blocks = %s), not in %s, and setting it to %s "
                                    "while kmem binds failed", daxctl_dev_get_devname(dev), policy,
                                    zone_asked(how), target);
                }
                changed = true;
                log_info("%s: auto_online_blocks '%s' while kmem binds (the system's is '%s').",
                         daxctl_dev_get_devname(dev), target, policy);
        }
        r = daxctl_dev_enable_ram(dev);
        if (changed)
                auto_online_restore(policy, target);
        if (r < 0) {
                daxctl_dev_enable_devdax(dev);
                return fail(err, r, "handing %s to kmem", daxctl_dev_get_devname(dev));
        }

        r = ram_blocks(dev, &b);
        if (r < 0) {
                fail(err, r, "finding the memory blocks of %s", daxctl_dev_get_devname(dev));
                b = (RamBlocks) { .dev = daxctl_dev_get_devname(dev) };
        } else
                r = ram_online(&b, how, err);
        if (r < 0 && ram_rollback(dev, &b, why, sizeof(why)) < 0) {
                /* keep the first reason, add why nothing can be undone */
                _cleanup_free_ char *first = err ? TAKE_PTR(*err) : NULL;
                cl->ram_stuck = true;
                fail(err, EBUSY, "%s; rolling back, %s: %s stays System RAM and its namespace "
                     "as it is", strempty(first), why, b.dev);
                log_error("%s: %s; it stays System RAM", b.dev, why);
        }
        return r;
}

static void read_back(struct ndctl_namespace *ndns, const Claim *cl, PlanRow *row) {
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

/* Does the namespace still carry our uuid? Another creator (an admin's ndctl) may pick the
 * same idle seed between two of our writes: the kernel holds no lock across them. Read
 * sysfs, not libndctl's cache. */
static bool still_ours(struct ndctl_namespace *ndns, const uuid_t uu) {
        char buf[64];
        uuid_t now;

        return nd_attr_read(ndctl_namespace_get_devname(ndns), "uuid", buf, sizeof(buf)) >= 0 &&
               uuid_parse(buf, now) == 0 && uuid_compare(now, uu) == 0;
}

static int create_labelled(NvCtx *c, struct ndctl_region *region, PlanRow *row, const NvCreateIds *ids,
                           char **err) {
        unsigned long old_align = ndctl_region_get_align(region);
        bool align_changed = false, sized = false;
        struct ndctl_namespace *ndns = NULL;
        Claim cl = {};
        uuid_t uu;
        int r;

        if (old_align != ULONG_MAX && row->region_align && old_align != row->region_align) {
                r = ndctl_region_set_align(region, row->region_align);
                if (r < 0)
                        return fail(err, r, "setting %s align to %s", ndctl_region_get_devname(region),
                                    FORMAT_SIZE(row->region_align));
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
        r = ndctl_namespace_set_alt_name(ndns, row->instance);
        if (r < 0) {
                fail(err, r, "naming %s '%s'", ndctl_namespace_get_devname(ndns), row->instance);
                goto undo;
        }
        if (!still_ours(ndns, uu)) {
                r = fail(err, EBUSY, "%s was taken by another creator while we configured it",
                         ndctl_namespace_get_devname(ndns));
                goto undo;
        }
        r = ndctl_namespace_set_size(ndns, row->size);
        if (r < 0) {
                fail(err, r, "sizing %s to %s", ndctl_namespace_get_devname(ndns), FORMAT_SIZE(row->size));
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
        ndctl_namespace_set_enforce_mode(ndns, mode_to_ndctl(row->mode));

        r = claim_setup(region, ndns, row, ids->claim, &cl, err);
        if (r < 0)
                goto undo;
        if ((r = fault_point("create-after-enable")) < 0) {
                fail(err, r, "injected fault after enabling");
                goto undo;
        }

        if (row->mode == NS_MODE_DEVDAX && row->system_ram != SYSTEM_RAM_NO) {
                r = to_system_ram(&cl, row->system_ram, err);
                if (r < 0 && cl.ram_stuck)
                        return r;
                if (r < 0)
                        goto undo;
        }

        free(row->ns_dev);
        row->ns_dev = strdup(ndctl_namespace_get_devname(ndns));
        read_back(ndns, &cl, row);
        return 0;

undo:
        if (ndns && sized && !still_ours(ndns, uu))
                log_warning("%s: configured by someone else meanwhile; not rolled back",
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

static int zero_info_block(struct ndctl_namespace *ndns, char **err);

static int claim_existing(NvCtx *c, struct ndctl_region *region, PlanRow *row, const NvCreateIds *ids,
                          char **err) {
        struct ndctl_namespace *ndns = find_namespace(c, strempty(row->ns_dev), NULL);
        Claim cl = {};
        int r;

        if (!ndns)
                return fail(err, ENODEV, "%s is gone", strempty(row->ns_dev));
        if (ndctl_namespace_get_pfn(ndns) || ndctl_namespace_get_dax(ndns) ||
            ndctl_namespace_get_btt(ndns))
                return fail(err, EBUSY, "%s gained a personality since the plan", row->ns_dev);

        r = ndctl_namespace_disable_safe(ndns);
        if (r < 0)
                return fail(err, r, "%s is in use", row->ns_dev);
        r = fault_point("convert-after-disable");
        if (r < 0)
                fail(err, r, "injected fault after disabling %s", row->ns_dev);
        else {
                ndctl_namespace_set_enforce_mode(ndns, mode_to_ndctl(row->mode));
                r = claim_setup(region, ndns, row, ids->claim, &cl, err);
        }
        if (r >= 0 && (r = fault_point("convert-after-enable")) < 0)
                fail(err, r, "injected fault after enabling %s as %s", row->ns_dev,
                     ns_mode_to_string(row->mode));
        if (r >= 0 && row->mode == NS_MODE_DEVDAX && row->system_ram != SYSTEM_RAM_NO)
                r = to_system_ram(&cl, row->system_ram, err);
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
                        log_error("rollback: cannot clear the info block of %s; it keeps its new "
                                  "personality", row->ns_dev);
                ndctl_namespace_enable(ndns);
                return r;
        }
        read_back(ndns, &cl, row);
        return 0;
}

/* ---- recovery of recorded creates ---------------------------------------------------- */

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

int nv_create(NvCtx *c, PlanRow *row, const NvCreateIds *ids, char **ret_error) {
        struct ndctl_region *region = find_region(c, row->region);

        if (!region)
                return fail(ret_error, ENODEV, "region %s is gone", row->region);
        if (row->convert_existing)
                return claim_existing(c, region, row, ids, ret_error);
        if (ndctl_region_get_nstype(region) != ND_DEVICE_NAMESPACE_PMEM)
                return fail(ret_error, EINVAL, "%s is label-less", row->region);
        return create_labelled(c, region, row, ids, ret_error);
}

/* ---- labels -------------------------------------------------------------------------------- */

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

/* ---- destroy ------------------------------------------------------------------------------- */

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
                log_info("/dev/%s (%u:%u): %s.", devname, maj, min, devuser_describe(&u, why, sizeof(why)));
        return r != 0;
}

static int zero_info_block(struct ndctl_namespace *ndns, char **err) {
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

int nv_destroy(NvCtx *c, const char *ns_dev, char **ret_error) {
        struct ndctl_region *region = NULL;
        struct ndctl_namespace *ndns = find_namespace(c, ns_dev, &region);
        struct ndctl_pfn *pfn;
        struct ndctl_dax *dax;
        struct ndctl_btt *btt;
        char seed[64] = "";
        int r;

        if (!ndns || ndctl_namespace_get_size(ndns) == 0)
                return fail(ret_error, ENODEV, "no namespace %s", ns_dev);
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
                log_warning("%s: the info block could not be cleared; deleting anyway", ns_dev);
        ndctl_namespace_set_alt_name(ndns, "");
        r = ndctl_namespace_delete(ndns);
        if (r < 0)
                return fail(ret_error, r, "deleting %s", ns_dev);
        return 0;
}
