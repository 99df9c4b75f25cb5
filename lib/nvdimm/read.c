/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <blkid.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/ndctl.h>

#include "cxl-sysfs.h"
#include "nvdimm/nvdimm-internal.h"
#include "util/log.h"

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

void snap_drop(NvCtx *c) {
        if (!c)
                return;
        c->snap = mfree(c->snap);
        c->n_snap = 0;
        c->snap_region[0] = '\0';
}

static const NsExtent *snap_find(const NvCtx *c, const char *dev) {
        for (size_t i = 0; i < c->n_snap; i++)
                if (streq(c->snap[i].dev, dev))
                        return &c->snap[i];
        return NULL;
}

/* Our create of spec->ns_dev succeeded: its extent as we made it, and the region's
 * available_size after it, so that the next nv_region_now() need not read the namespaces
 * again. Anything unexpected: forget the reading. */
void snap_created(NvCtx *c, const char *region, const NsSpec *spec) {
        NsExtent *e = (NsExtent *) snap_find(c, strempty(spec->ns_dev));

        if (!streq(c->snap_region, region) || !e ||
            nd_attr_read(region, "available_size", c->snap_avail, sizeof(c->snap_avail)) < 0) {
                snap_drop(c);
                return;
        }
        char buf[64];

        /* where the kernel put it, from sysfs: libndctl's cached resource of a seed is not
         * refreshed by its sizing */
        if (nd_attr_read(e->dev, "resource", buf, sizeof(buf)) < 0) {
                snap_drop(c);
                return;
        }
        e->start = strtoull(buf, NULL, 0);
        e->size = spec->size;
        snprintf(e->name, sizeof(e->name), "%s", strempty(spec->name));
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

        char avail[32];
        bool reuse;

        if (strchr(name, '/') || strlen(name) >= sizeof(c->snap_region))
                return -EINVAL;
        /* Every change of a namespace's size or place changes the region's available_size;
         * a name changes only with a namespace disabled, and a new namespace is a new
         * directory entry, read below. So while available_size is what the last reading
         * and our creates since left, the namespaces that reading listed are as it says. */
        if (nd_attr_read(name, "available_size", avail, sizeof(avail)) < 0)
                avail[0] = '\0';
        reuse = avail[0] && streq(c->snap_region, name) && streq(avail, c->snap_avail);
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
                const NsExtent *known = reuse ? snap_find(c, e->dev) : NULL;
                if (known)
                        *e = *known;
                else {
                        if (nd_attr_read(e->dev, "size", buf, sizeof(buf)) >= 0)
                                e->size = strtoull(buf, NULL, 0);
                        /* the seed (size 0) has no resource: ENXIO */
                        if (e->size > 0 && nd_attr_read(e->dev, "resource", buf, sizeof(buf)) >= 0)
                                e->start = strtoull(buf, NULL, 0);
                        (void) nd_attr_read(e->dev, "alt_name", e->name, sizeof(e->name));
                }

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
                snap_drop(c);
                return r;
        }
        /* this reading is the next one's reference */
        snap_drop(c);
        if (avail[0] && n > 0 && (c->snap = malloc(sizeof(NsExtent) * n))) {
                memcpy(c->snap, ext, sizeof(NsExtent) * n);
                c->n_snap = n;
                snprintf(c->snap_region, sizeof(c->snap_region), "%s", name);
                snprintf(c->snap_avail, sizeof(c->snap_avail), "%s", avail);
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

/* What lives on a raw block device, by libblkid: a filesystem, RAID member, partition
 * table or any other signature it knows. */
int probe_signature(const char *blockdev, char **ret) {
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

/* A CXL region's memdevs and ways. What sysfs does not tell leaves the list empty and the
 * ways the nd mappings': the region is still usable, only less described. */
static int read_cxl(RegionState *s) {
        unsigned ways;
        int r;

        r = cxl_region_read("/sys", s->dev, s->start, &s->memdevs, &ways);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_debug("%s: CXL memdevs unknown: %s", s->dev, strerror(-r));
                return 0;
        }
        if (ways != s->ways)
                log_debug("%s: CXL interleave ways %u, nd mappings %u", s->dev, ways, s->ways);
        s->ways = ways;
        return 0;
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
                        if (streq(s->provider, "CXL")) {
                                r = read_cxl(s);
                                if (r < 0)
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
