/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>

#include "cxl/cxl-internal.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

/* libcxl's getters say "unknown" with ULLONG_MAX / UINT_MAX */
static uint64_t known(unsigned long long v) {
        return v == ULLONG_MAX ? 0 : v;
}

static int strdup_to(char **dst, const char *s) {
        if (!s)
                return 0;
        *dst = strdup(s);
        return *dst ? 0 : -ENOMEM;
}

static int read_memdev(struct cxl_memdev *memdev, CxlMemdevState *m) {
        struct cxl_endpoint *ep = cxl_memdev_get_endpoint(memdev);
        struct cxl_decoder *d;
        uint64_t used = 0;

        m->serial = cxl_memdev_get_serial(memdev);
        m->pmem_size = known(cxl_memdev_get_pmem_size(memdev));
        m->enabled = cxl_memdev_is_enabled(memdev) > 0;
        if (strdup_to(&m->dev, cxl_memdev_get_devname(memdev)) < 0 ||
            strdup_to(&m->host, cxl_memdev_get_host(memdev)) < 0)
                return -ENOMEM;
        if (!ep) {
                m->pmem_free = 0;
                return 0;
        }
        if (strdup_to(&m->endpoint, cxl_endpoint_get_devname(ep)) < 0 ||
            (cxl_endpoint_get_parent(ep) &&
             strdup_to(&m->port, cxl_port_get_devname(cxl_endpoint_get_parent(ep))) < 0))
                return -ENOMEM;
        /* the kernel hands out an endpoint's DPA through its decoders in id order (and takes
         * it back in reverse): the next one to use is the first without DPA */
        cxl_decoder_foreach(cxl_endpoint_get_port(ep), d) {
                uint64_t dpa = known(cxl_decoder_get_dpa_size(d));

                if (dpa > 0 && cxl_decoder_get_mode(d) == CXL_DECODER_MODE_PMEM)
                        used += dpa;
                /* by DPA, not by HPA size: 6.1 leaves a torn-down decoder's size as it was */
                if (dpa == 0 && !m->free_decoder &&
                    strdup_to(&m->free_decoder, cxl_decoder_get_devname(d)) < 0)
                        return -ENOMEM;
        }
        m->pmem_free = m->pmem_size > used ? m->pmem_size - used : 0;
        return 0;
}

static int read_root_decoder(CxlCtx *c, struct cxl_decoder *d, CxlRootDecoderState *rd) {
        struct cxl_memdev *memdev;
        struct cxl_target *t;
        size_t n = 0;

        if (strdup_to(&rd->dev, cxl_decoder_get_devname(d)) < 0)
                return -ENOMEM;
        rd->pmem_capable = cxl_decoder_is_pmem_capable(d);
        rd->start = known(cxl_decoder_get_resource(d));
        rd->size = known(cxl_decoder_get_size(d));
        rd->available = known(cxl_decoder_get_max_available_extent(d));
        rd->ways = cxl_decoder_get_interleave_ways(d) == UINT_MAX ? 0 : cxl_decoder_get_interleave_ways(d);
        rd->granularity = cxl_decoder_get_interleave_granularity(d) == UINT_MAX ? 0 :
                          cxl_decoder_get_interleave_granularity(d);
        /* positions as the decoder orders them: libcxl lists targets in its target_list order */
        cxl_target_foreach(d, t)
                if (strv_push(&rd->targets, &n, cxl_target_get_devname(t)) < 0)
                        return -ENOMEM;
        /* what `cxl create-region -d DECODER` accepts: memdevs below one of its targets */
        cxl_memdev_foreach(c->cxl, memdev) {
                uint64_t *a;

                if (!cxl_decoder_get_target_by_memdev(d, memdev))
                        continue;
                a = reallocarray(rd->reachable, rd->n_reachable + 1, sizeof(uint64_t));
                if (!a)
                        return -ENOMEM;
                rd->reachable = a;
                rd->reachable[rd->n_reachable++] = cxl_memdev_get_serial(memdev);
        }
        return 0;
}

static int read_region(struct cxl_decoder *root, struct cxl_region *region, CxlRegionState *s) {
        unsigned ways = cxl_region_get_interleave_ways(region);
        const char *type = NULL;

        if (strdup_to(&s->dev, cxl_region_get_devname(region)) < 0 ||
            strdup_to(&s->decoder, cxl_decoder_get_devname(root)) < 0)
                return -ENOMEM;
        region_uuid_string(region, s->uuid);
        s->start = known(cxl_region_get_resource(region));
        s->size = known(cxl_region_get_size(region));
        s->ways = ways == UINT_MAX ? 0 : ways;
        s->granularity = cxl_region_get_interleave_granularity(region) == UINT_MAX ? 0 :
                         cxl_region_get_interleave_granularity(region);
        s->committed = cxl_region_decode_is_committed(region) > 0;
        s->enabled = cxl_region_is_enabled(region) > 0;

        if (s->ways > 0 && s->ways <= CXL_MAX_WAYS) {
                s->targets = calloc(s->ways, sizeof(uint64_t));
                s->target_decoders = calloc(s->ways, sizeof(char *));
                if (!s->targets || !s->target_decoders)
                        return -ENOMEM;
                s->n_targets = s->ways;
                for (unsigned i = 0; i < s->ways; i++) {
                        /* NULL (logged by libcxl at debug) for a position not set yet */
                        struct cxl_decoder *ep = cxl_region_get_target_decoder(region, i);
                        struct cxl_memdev *memdev = ep ? cxl_decoder_get_memdev(ep) : NULL;

                        if (!ep)
                                continue;
                        if (strdup_to(&s->target_decoders[i], cxl_decoder_get_devname(ep)) < 0)
                                return -ENOMEM;
                        if (memdev)
                                s->targets[i] = cxl_memdev_get_serial(memdev);
                        if (!type)
                                type = cxl_decoder_mode_name(cxl_decoder_get_mode(ep));
                }
        }
        /* libcxl 76 has no region mode; 6.1 makes pmem regions only (create_pmem_region) and
         * their targets' decoders say so once set */
        if (strdup_to(&s->type, type ?: "pmem") < 0)
                return -ENOMEM;
        if (s->start > 0) {
                int r = nd_region_at(s->start, &s->nd_region, &s->nd_bus);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

#define GROW(array, n) ({                                                               \
        typeof(array) _a = reallocarray((array), (n) + 1, sizeof(*(array)));            \
        if (_a) {                                                                       \
                (array) = _a;                                                           \
                memset(&(array)[(n)], 0, sizeof(*(array)));                             \
        }                                                                               \
        _a ? &(array)[(n)++] : NULL;                                                    \
})

int cxl_read(CxlCtx *c, CxlState *ret) {
        _cleanup_(cxl_state_done) CxlState s = {};
        struct cxl_memdev *memdev;
        struct cxl_bus *bus;
        int r;

        cxl_memdev_foreach(c->cxl, memdev) {
                CxlMemdevState *m = GROW(s.memdevs, s.n_memdevs);
                if (!m)
                        return -ENOMEM;
                r = read_memdev(memdev, m);
                if (r < 0)
                        return r;
        }
        cxl_bus_foreach(c->cxl, bus) {
                struct cxl_port *root = cxl_bus_get_port(bus);
                struct cxl_decoder *d;
                struct cxl_region *region;

                if (!root || !cxl_port_is_root(root))
                        continue;
                cxl_decoder_foreach(root, d) {
                        CxlRootDecoderState *rd = GROW(s.decoders, s.n_decoders);
                        if (!rd)
                                return -ENOMEM;
                        r = read_root_decoder(c, d, rd);
                        if (r < 0)
                                return r;
                        cxl_region_foreach(d, region) {
                                CxlRegionState *rs = GROW(s.regions, s.n_regions);
                                if (!rs)
                                        return -ENOMEM;
                                r = read_region(d, region, rs);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        *ret = s;
        s = (CxlState) {};
        return 0;
}

/* The nd region of a CXL region is the one at the same physical address (drivers/cxl/pmem.c
 * hands the region's HPA range to nvdimm_pmem_region_create()) on a bus whose provider is
 * "CXL". */
int nd_region_at(uint64_t start, char **ret_region, char **ret_bus) {
        _cleanup_(closedirp) DIR *d = opendir("/sys/bus/nd/devices");
        struct dirent *de;

        if (!d)
                return errno == ENOENT ? -ENOENT : -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *provider = NULL;
                char path[PATH_MAX], real[PATH_MAX], *slash;
                uint64_t res;

                if (!startswith(de->d_name, "region"))
                        continue;
                snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/resource", de->d_name);
                if (read_u64_file(path, &res) < 0 || res != start)
                        continue;
                snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s", de->d_name);
                if (!realpath(path, real) || !(slash = strrchr(real, '/')))
                        continue;
                *slash = '\0'; /* its bus: .../ndbusN */
                if ((size_t) snprintf(path, sizeof(path), "%s/provider", real) >= sizeof(path) ||
                    read_one_line_file(path, &provider) < 0 || !streq(provider, "CXL"))
                        continue;
                slash = strrchr(real, '/');
                *ret_region = strdup(de->d_name);
                *ret_bus = strdup(slash ? slash + 1 : real);
                if (!*ret_region || !*ret_bus) {
                        free(*ret_region);
                        free(*ret_bus);
                        *ret_region = *ret_bus = NULL;
                        return -ENOMEM;
                }
                return 0;
        }
        return -ENOENT;
}

bool nd_region_busy(const char *nd_region) {
        _cleanup_(closedirp) DIR *d = NULL;
        char path[PATH_MAX];
        struct dirent *de;

        snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s", nd_region);
        d = opendir(path);
        if (!d)
                return false;
        while ((de = readdir(d))) {
                _cleanup_free_ char *size = NULL;

                /* namespaceN.M, also pfn/dax/btt claims, bound to a driver and sized */
                if (!startswith(de->d_name, "namespace"))
                        continue;
                snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/%s/driver", nd_region, de->d_name);
                if (access(path, F_OK) < 0)
                        continue;
                snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/%s/size", nd_region, de->d_name);
                if (read_one_line_file(path, &size) >= 0 && !streq(size, "0"))
                        return true;
        }
        return false;
}
