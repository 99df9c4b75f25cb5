/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the planner. The input bytes describe a kernel, up to three regions
 * with their existing namespaces (sorted, not overlapping, some named like the policies'
 * instances, some foreign, blank, with a signature or disabled), and up to five policies
 * that are written out as policy text and read with config_load_strings(), so that the
 * planner sees only configurations the parser accepts. plan_compute() must then keep its
 * invariants, or this aborts:
 *   - every create row lies inside its region and, unless the region's labels are to be
 *     initialised (which removes what is there), overlaps no existing namespace; a create
 *     that converts a namespace in place covers exactly that namespace;
 *   - no two create or adopt rows of one region overlap;
 *   - a create row offers at least the usable-size its policy asks for, and at least the
 *     size for 'size = N'; its usable size is no more than its raw size.
 * Some inputs then set a policy's size beyond what the parser accepts (up to 2^64 - 1), as
 * a Config built by other means could; some plan an imperative request (CreateNamespace,
 * whose size the D-Bus layer keeps within 1 and the region's size) instead.
 * The bytes after those may add a [cxl-region] (its memdevs, a record of an earlier
 * assembly, a region carrying its uuid or another) and a namespace policy drawing from it:
 *   - an assemble row asks for whole 256M-per-way units that every memdev has free, and
 *     for what the record says when the region was assembled before;
 *   - adopt and drift rows name a CXL region carrying the recorded uuid, complete;
 *   - a namespace row without a region is a skip. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "kernel.h"
#include "plan/planner.h"
#include "util/macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Bytes {
        const uint8_t *p;
        size_t n;
} Bytes;

/* The next byte, 0 once the input is used up. */
static unsigned byte(Bytes *b) {
        if (b->n == 0)
                return 0;
        b->n--;
        return *b->p++;
}

static unsigned pick(Bytes *b, unsigned n) {
        return byte(b) % n;
}

static uint64_t u64(Bytes *b) {
        uint64_t v = 0;
        for (unsigned i = 0; i < 8; i++)
                v |= (uint64_t) byte(b) << (8 * i);
        return v;
}

#define N_POLICIES_MAX 5
#define N_REGIONS_MAX 3
#define N_NS_MAX 6

/* ---- the configuration ----------------------------------------------------------------- */

static const char *const modes[] = { "fsdax", "devdax", "sector", "raw" };
static const char *const granularities[] = { NULL, "auto", "subsection", "compat", "section",
                                             "2M", "16M", "128M", "1G", "4K", "64K", "65536T" };
static const char *const match_devs[] = { NULL, "region0", "region1", "region2", "region*",
                                          "region[01]", "nope" };

/* A size for 'size =' or 'usable-size =': mostly small multiples, sometimes odd or huge. */
static void size_value(Bytes *b, char *buf, size_t len, bool claimed) {
        switch (pick(b, 8)) {
        case 0:
                snprintf(buf, len, "%uM", (claimed ? 16 : 1) + pick(b, 256));
                break;
        case 1:
                snprintf(buf, len, "%uK", 4 * (1 + byte(b) + 256 * byte(b)));
                break;
        case 2:
                snprintf(buf, len, "%uG", 1 + pick(b, 80));
                break;
        case 3: /* anything up to the 2^56 the parser accepts */
                snprintf(buf, len, "%" PRIu64, u64(b) % CONF_SIZE_MAX + 1);
                break;
        case 4:
                snprintf(buf, len, "%" PRIu64, CONF_SIZE_MAX - (u64(b) % (UINT64_C(1) << 32)));
                break;
        case 5:
                snprintf(buf, len, "%" PRIu64, (uint64_t) (1 + byte(b) + 256 * byte(b)) * 4096 + byte(b));
                break;
        default:
                snprintf(buf, len, "%uM", 16 + 2 * pick(b, 64));
                break;
        }
}

static int policy_text(Bytes *b, char *text, size_t len, unsigned *ret_n_policies) {
        unsigned n_sel = 1 + pick(b, 2), n_pol = pick(b, N_POLICIES_MAX + 1);
        bool rest_taken[2] = {};
        size_t o = 0;

#define PUT(...) (o += (size_t) snprintf(text + o, o < len ? len - o : 0, __VA_ARGS__))
        for (unsigned s = 0; s < n_sel; s++) {
                const char *dev = match_devs[pick(b, ELEMENTSOF(match_devs))];
                const char *g = granularities[pick(b, ELEMENTSOF(granularities))];
                PUT("[region s%u]\n", s);
                if (dev)
                        PUT("match.dev = %s\n", dev);
                if (g)
                        PUT("granularity = %s\n", g);
                if (pick(b, 2))
                        PUT("init-labels = yes\n");
        }
        for (unsigned i = 0; i < n_pol; i++) {
                unsigned sel = pick(b, n_sel), m = pick(b, ELEMENTSOF(modes));
                bool claimed = m != 3;
                char v[32];

                PUT("[namespace p%u]\nregion = s%u\nmode = %s\n", i, sel, modes[m]);
                switch (pick(b, 5)) {
                case 0:
                        size_value(b, v, sizeof(v), claimed);
                        PUT("usable-size = %s\n", v);
                        break;
                case 1:
                        PUT("size = %u%%\n", 1 + pick(b, 100));
                        break;
                case 2:
                        if (!rest_taken[sel]) {
                                rest_taken[sel] = true;
                                PUT("size = rest\n");
                                break;
                        }
                        __attribute__((fallthrough));
                default:
                        size_value(b, v, sizeof(v), claimed);
                        PUT("size = %s\n", v);
                        break;
                }
                if (pick(b, 3) == 0)
                        PUT("count = %u\n", 1 + pick(b, 4));
                if (m <= 1) {
                        static const char *const aligns[] = { NULL, "4K", "2M", "1G" };
                        const char *a = aligns[pick(b, 4)];
                        bool ram = m == 1 && pick(b, 3) == 0;
                        if (ram && a && streq(a, "1G"))
                                a = NULL;
                        if (pick(b, 2))
                                PUT("map = %s\n", pick(b, 2) ? "mem" : "dev");
                        if (a)
                                PUT("align = %s\n", a);
                        if (ram)
                                PUT("system-ram = %s\n", pick(b, 2) ? "online" : "online-movable");
                }
                if (m == 2 && pick(b, 2))
                        PUT("sector-size = %s\n", pick(b, 2) ? "512" : "4096");
        }
#undef PUT
        *ret_n_policies = n_pol;
        return o < len ? 0 : -ENOBUFS;
}

/* ---- the regions ----------------------------------------------------------------------- */

static char *xstrdup(const char *s) {
        char *d = strdup(s);
        if (!d)
                abort();
        return d;
}

/* A label name: foreign, empty, or an instance name of one of the policies. */
static char *ns_name(Bytes *b) {
        char buf[32];
        switch (pick(b, 5)) {
        case 0:
                return xstrdup("");
        case 1:
                return xstrdup("admin");
        case 2:
                snprintf(buf, sizeof(buf), "p%u.%u", pick(b, N_POLICIES_MAX), pick(b, 4));
                return xstrdup(buf);
        default:
                snprintf(buf, sizeof(buf), "p%u", pick(b, N_POLICIES_MAX));
                return xstrdup(buf);
        }
}

static NsState ns_make(Bytes *b, const char *region_dev, unsigned i, uint64_t start, uint64_t size,
                       bool labeled) {
        static const uint64_t aligns[] = { 0, 4 * KiB, 2 * MiB, GiB };
        char dev[48];
        NsState n;

        snprintf(dev, sizeof(dev), "namespace%s.%u", region_dev + strlen("region"), i);
        n = (NsState) {
                .dev = xstrdup(dev),
                .name = labeled ? ns_name(b) : xstrdup(""),
                .uuid = xstrdup(""),
                .mode = (NsMode) pick(b, 4),
                .start = start,
                .size = size,
                .map = pick(b, 2) ? NS_MAP_DEV : NS_MAP_MEM,
                .align = aligns[pick(b, 4)],
                .enabled = pick(b, 6) != 0,
        };
        if (n.mode != NS_MODE_RAW)
                n.usable = pick(b, 2) ? size - size / 64 : 0;
        else {
                n.blank = pick(b, 2);
                n.inflight = pick(b, 2); /* a create pmemnsd recorded: the "finish" path */
                if (pick(b, 3) == 0)
                        n.signature = xstrdup("ext4");
        }
        n.blockdev = n.mode == NS_MODE_DEVDAX ? NULL : xstrdup("pmem9");
        n.chardev = n.mode == NS_MODE_DEVDAX ? xstrdup("dax9.0") : NULL;
        return n;
}

static void region_make(Bytes *b, unsigned idx, RegionState *r) {
        static const char *const providers[] = { "ACPI.NFIT", "e820", "of_pmem" };
        static const uint64_t aligns[] = { 0, 2 * MiB, 16 * MiB, 32 * MiB };
        char dev[16];
        uint64_t start, size, cur, end;

        /* starts on a 2M boundary at least, each region in its own 8T window */
        start = (uint64_t) (idx + 1) * 8 * TiB + (uint64_t) pick(b, 64) * 256 * MiB +
                (uint64_t) pick(b, 8) * 2 * MiB;
        switch (pick(b, 4)) {
        case 0:
                size = (uint64_t) (1 + pick(b, 64)) * 16 * MiB;
                break;
        case 1:
                size = (uint64_t) (1 + byte(b) + 256 * pick(b, 16)) * 2 * MiB;
                break;
        case 2:
                size = (uint64_t) (1 + pick(b, 128)) * GiB + (uint64_t) pick(b, 4) * 2 * MiB;
                break;
        default:
                size = (uint64_t) (1 + pick(b, 4)) * TiB;
                break;
        }
        snprintf(dev, sizeof(dev), "region%u", idx);
        *r = (RegionState) {
                .dev = xstrdup(dev),
                .type = xstrdup("pmem"),
                .provider = xstrdup(providers[pick(b, 3)]),
                .numa_node = (int) pick(b, 2),
                .start = start,
                .size = size,
                .align = aligns[pick(b, 4)],
                .ways = 1 + pick(b, 4),
                .labeled = pick(b, 4) != 0,
                .labels_v1_2 = pick(b, 2),
                .enabled = pick(b, 8) != 0,
        };
        r->can_init_labels = !r->labeled && pick(b, 2);
        r->namespaces = calloc(N_NS_MAX, sizeof(NsState));
        if (!r->namespaces)
                abort();

        if (!r->labeled) {
                /* label-less: nothing, or one namespace spanning the region */
                if (pick(b, 4) != 0)
                        r->namespaces[r->n_namespaces++] = ns_make(b, r->dev, 0, start, size, false);
        } else {
                cur = start;
                end = start + size;
                for (unsigned i = 0, n = pick(b, N_NS_MAX + 1); i < n; i++) {
                        uint64_t gap = (uint64_t) pick(b, 4) * (pick(b, 2) ? 2 * MiB : 4 * KiB);
                        uint64_t sz = (uint64_t) (1 + pick(b, 64)) * (pick(b, 2) ? 16 * MiB : 2 * MiB);
                        if (pick(b, 8) == 0)
                                sz = end - cur; /* to the end */
                        if (gap >= end - cur || sz > end - cur - gap)
                                break;
                        r->namespaces[r->n_namespaces] =
                                ns_make(b, r->dev, r->n_namespaces, cur + gap, sz, true);
                        r->n_namespaces++;
                        cur += gap + sz;
                }
        }
        uint64_t used = 0;
        for (size_t i = 0; i < r->n_namespaces; i++)
                used += r->namespaces[i].size;
        r->available_size = r->labeled ? size - used : 0;
        r->max_available_extent = r->available_size;
}

/* ---- the invariants -------------------------------------------------------------------- */

static bool overlaps(uint64_t a, uint64_t as, uint64_t b, uint64_t bs) {
        return as > 0 && bs > 0 && a < b + bs && b < a + as;
}

static const RegionState *region_of(const RegionState *r, size_t n, const char *dev) {
        for (size_t i = 0; i < n; i++)
                if (streq(r[i].dev, dev))
                        return &r[i];
        return NULL;
}

static void fail(const char *what, const PlanRow *a, const PlanRow *b) {
        fprintf(stderr, "invariant broken: %s\n", what);
        fprintf(stderr, "  %s %s %s start=%#" PRIx64 " size=%" PRIu64 " usable=%" PRIu64 ": %s\n",
                plan_action_to_string(a->action), a->spec.name, a->spec.region, a->spec.start, a->spec.size,
                a->spec.usable, a->message ? a->message : "");
        if (b)
                fprintf(stderr, "  %s %s %s start=%#" PRIx64 " size=%" PRIu64 ": %s\n",
                        plan_action_to_string(b->action), b->spec.name, b->spec.region, b->spec.start,
                        b->spec.size,
                        b->message ? b->message : "");
        abort();
}

struct CxlFixture;
static void check_cxl_row(const PlanRow *a, const struct CxlFixture *f);

static void check_plan(const Plan *p, const Config *c, const RegionState *regions, size_t n,
                       const PlanRequest *q, const struct CxlFixture *cxl) {
        for (size_t i = 0; i < p->n_rows; i++) {
                const PlanRow *a = &p->rows[i];
                const RegionState *r = region_of(regions, n, a->spec.region);
                const RegionPlan *rp = NULL;
                const NamespacePolicy *pol = a->policy >= 0 && !a->cxl ? &c->policies[a->policy] : NULL;

                if (a->cxl) {
                        if (!cxl)
                                fail("a cxl-region row without a cxl-region", a, NULL);
                        check_cxl_row(a, cxl);
                        continue;
                }
                if (isempty(a->spec.region)) {
                        if (a->action != PLAN_SKIP)
                                fail("a namespace row without a region that is not a skip", a, NULL);
                        continue;
                }
                if (!r)
                        fail("a row for an unknown region", a, NULL);
                if (a->policy >= (ssize_t) c->n_policies)
                        fail("a row for an unknown policy", a, NULL);
                for (size_t j = 0; j < p->n_regions; j++)
                        if (streq(p->regions[j].region, a->spec.region))
                                rp = &p->regions[j];
                if (a->action != PLAN_CREATE && a->action != PLAN_ADOPT)
                        continue;

                if (a->action == PLAN_CREATE) {
                        if (a->spec.size == 0)
                                fail("a create of size 0", a, NULL);
                        if (q && a->spec.size < q->size)
                                fail("a create below the requested size", a, NULL);
                        if (a->spec.start < r->start || a->spec.size > r->size ||
                            a->spec.start - r->start > r->size - a->spec.size)
                                fail("a create outside its region", a, NULL);
                        if (a->spec.usable > a->spec.size)
                                fail("a create whose usable size exceeds its raw size", a, NULL);
                        if (pol && pol->size_kind == SIZE_USABLE && a->spec.usable < pol->size)
                                fail("a create below the policy's usable-size", a, NULL);
                        if (pol && pol->size_kind == SIZE_BYTES && !a->spec.convert_existing &&
                            a->spec.size < pol->size)
                                fail("a create below the policy's size", a, NULL);
                        if (a->spec.convert_existing) {
                                bool found = false;
                                for (size_t j = 0; j < r->n_namespaces; j++)
                                        if (a->spec.ns_dev && streq(r->namespaces[j].dev, a->spec.ns_dev) &&
                                            r->namespaces[j].start == a->spec.start &&
                                            r->namespaces[j].size == a->spec.size)
                                                found = true;
                                if (!found)
                                        fail("a conversion that is not exactly an existing namespace", a,
                                             NULL);
                        } else if (!(rp && rp->init_labels)) {
                                for (size_t j = 0; j < r->n_namespaces; j++)
                                        if (overlaps(a->spec.start, a->spec.size, r->namespaces[j].start,
                                                     r->namespaces[j].size))
                                                fail("a create over an existing namespace", a, NULL);
                        }
                }
                for (size_t j = 0; j < i; j++) {
                        const PlanRow *b = &p->rows[j];
                        if ((b->action == PLAN_CREATE || b->action == PLAN_ADOPT) &&
                            streq(b->spec.region, a->spec.region) &&
                            overlaps(a->spec.start, a->spec.size, b->spec.start, b->spec.size))
                                fail("two rows of one region overlap", a, b);
                }
        }
}

/* ---- CXL --------------------------------------------------------------------------------- */

#define UUID_A "4b7a3bd2-8cc7-4b8e-9f3a-8c2a1d6a0f11"
#define UUID_B "9d1f2c3b-1111-4222-8333-444455556666"

struct CxlFixture {
        CxlMemdevState memdevs[3];
        uint64_t reach[3];
        CxlRootDecoderState decoder;
        uint64_t targets[2];
        CxlRegionState region;
        CxlState state;
        uint64_t rec_memdevs[2], rec_dpa[2];
        CxlRecord record;
        size_t n_records;
        char text[512];
};
typedef struct CxlFixture CxlFixture;

static void cxl_make(Bytes *b, CxlFixture *f, RegionState *regions, unsigned n_regions) {
        static const char *const memdev_names[] = { "mem0", "mem1", "mem2" };
        unsigned ways = 1 + pick(b, 2);
        uint64_t serials[2] = { 1 + pick(b, 3), 0 };
        size_t o = 0;

        serials[1] = serials[0] % 3 + 1;
        for (unsigned i = 0; i < 3; i++) {
                uint64_t size = (uint64_t) pick(b, 5) * 256 * MiB;
                f->memdevs[i] = (CxlMemdevState) {
                        .dev = (char *) memdev_names[i], .serial = i + 1, .pmem_size = size,
                        .pmem_free = pick(b, 2) ? size : (uint64_t) pick(b, 4) * 128 * MiB % (size + 1),
                        .endpoint = (char *) "endpoint", .enabled = pick(b, 6) != 0,
                        .free_decoder = pick(b, 5) ? (char *) "decoderX.0" : NULL,
                };
                f->reach[i] = i + 1;
        }
        f->decoder = (CxlRootDecoderState) {
                .dev = (char *) "decoder0.0", .pmem_capable = pick(b, 8) != 0, .start = 0x1000000000,
                .size = 4 * GiB, .available = (uint64_t) pick(b, 9) * 512 * MiB, .ways = 1,
                .granularity = 256,
        };
        f->decoder.reachable = f->reach;
        f->decoder.n_reachable = 2 + pick(b, 2);
        f->state = (CxlState) { .memdevs = f->memdevs, .n_memdevs = 1 + pick(b, 3),
                                .decoders = &f->decoder, .n_decoders = 1 };

        /* a record of an earlier assembly, maybe of other memdevs */
        if (pick(b, 2)) {
                f->rec_memdevs[0] = pick(b, 4) ? serials[0] : serials[1];
                f->rec_memdevs[1] = serials[1];
                f->rec_dpa[0] = pick(b, 4) ? 0 : 256 * MiB;
                f->rec_dpa[1] = 0;
                f->record = (CxlRecord) { .name = (char *) "c0", .memdevs = f->rec_memdevs,
                                          .dpa_before = pick(b, 2) ? f->rec_dpa : NULL,
                                          .n_memdevs = pick(b, 3) ? ways : 3 - ways,
                                          .size = (uint64_t) (1 + pick(b, 3)) * 256 * MiB * ways,
                                          .granularity = pick(b, 2) ? 256 : 4096,
                                          .assembled = pick(b, 2) };
                snprintf(f->record.uuid, sizeof(f->record.uuid), UUID_A);
                f->n_records = 1;
        }
        /* a CXL region: ours (the recorded uuid) or another's, complete or half-made */
        if (pick(b, 2)) {
                f->targets[0] = serials[0];
                f->targets[1] = serials[1];
                f->region = (CxlRegionState) {
                        .dev = (char *) "region9", .decoder = (char *) "decoder0.0",
                        .start = 0x1000000000, .size = (uint64_t) (1 + pick(b, 2)) * 256 * MiB * ways,
                        .ways = ways, .granularity = 256, .targets = f->targets, .n_targets = ways,
                        .committed = pick(b, 3) != 0, .enabled = pick(b, 3) != 0,
                        .nd_region = pick(b, 3) ? (char *) "region0" : NULL,
                };
                snprintf(f->region.uuid, sizeof(f->region.uuid), "%s",
                         pick(b, 3) ? UUID_A : pick(b, 2) ? UUID_B : "");
                f->state.regions = &f->region;
                f->state.n_regions = 1;
                if (f->region.nd_region && streq(f->region.uuid, UUID_A) && f->n_records && pick(b, 4))
                        regions[0].assembled_as = strdup("c0");
        }
        (void) n_regions;

#define PUT(...) (o += (size_t) snprintf(f->text + o, o < sizeof(f->text) ? sizeof(f->text) - o : 0, __VA_ARGS__))
        PUT("[cxl-region c0]\nmemdevs = %" PRIu64, serials[0]);
        if (ways == 2)
                PUT(", %" PRIu64, serials[1]);
        PUT("\n");
        switch (pick(b, 4)) {
        case 1: PUT("size = %uM\n", 256 * ways * (1 + pick(b, 3))); break;
        case 2: PUT("size = %u%%\n", 1 + pick(b, 100)); break;
        default: break;
        }
        if (pick(b, 3) == 0)
                PUT("interleave-granularity = %s\n", pick(b, 2) ? "256" : "4K");
        PUT("[region cx]\nmatch.cxl-region = c0\n[namespace cxns]\nregion = cx\nmode = devdax\nsize = 34M\ncount = %u\n",
            1 + pick(b, 3));
#undef PUT
}

static void check_cxl_row(const PlanRow *a, const struct CxlFixture *f) {
        const CxlRecord *rec = f->n_records ? &f->record : NULL;

        switch (a->action) {
        case PLAN_ASSEMBLE:
                if (a->cxl->teardown) {
                        if (!rec || !streq(f->region.uuid, rec->uuid) || !streq(a->cxl->teardown, f->region.dev))
                                fail("a teardown of a region that does not carry the recorded uuid", a, NULL);
                        break;
                }
                if (a->spec.size == 0 || a->spec.size % (256 * MiB) != 0)
                        fail("an assembly that is not whole 256M units", a, NULL);
                if (rec && rec->assembled && a->spec.size != rec->size)
                        fail("a re-assembly of another size than recorded", a, NULL);
                if (rec && !streq(a->cxl->uuid, rec->uuid))
                        fail("an assembly that does not reuse the recorded uuid", a, NULL);
                if (f->state.n_regions && !isempty(f->region.uuid) && rec && streq(f->region.uuid, rec->uuid) &&
                    f->region.committed && f->region.enabled && f->region.nd_region)
                        fail("an assembly beside a complete region of ours", a, NULL);
                break;
        case PLAN_ADOPT:
        case PLAN_DRIFT:
                if (!rec || !f->state.n_regions || !streq(f->region.uuid, rec->uuid) ||
                    !a->cxl->cxl_region || !streq(a->cxl->cxl_region, f->region.dev))
                        fail("an adopt or drift of a region that does not carry the recorded uuid", a, NULL);
                break;
        case PLAN_SKIP:
                break;
        default:
                fail("a cxl-region row with a namespace action", a, NULL);
        }
}

/* ---- the target ------------------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const struct {
                const char *release, *machine, *block;
                uint64_t page;
                bool align_seen;
        } kernels[] = {
                { "6.1.0", "x86_64", "8000000", 4096, true },
                { "6.12.0", "x86_64", "8000000", 4096, true },
                { "5.4.0", "x86_64", "8000000", 4096, false },
                { "5.2.0", "x86_64", NULL, 4096, false },
                { "6.1.0", "aarch64", "40000000", 65536, true },
                { "6.1.0", "ppc64le", "10000000", 65536, true },
        };
        Bytes b = { data, size };
        RegionState regions[N_REGIONS_MAX] = {};
        unsigned n_regions, n_policies, kx;
        char text[4096];
        KernelInfo k;
        Config c = {};
        ConfDiags d = {};
        Plan plan = {};
        static CxlFixture cxl;
        bool with_cxl;
        const char *files[] = { "50-fuzz.conf", text, "51-cxl.conf", cxl.text, NULL };

        kx = pick(&b, ELEMENTSOF(kernels));
        KernelInputs kin = { .release = kernels[kx].release, .machine = kernels[kx].machine,
                             .page_size = kernels[kx].page, .block_size_bytes = kernels[kx].block,
                             .region_align_seen = kernels[kx].align_seen };
        if (kernel_info_from(&kin, &k) < 0)
                abort();

        if (policy_text(&b, text, sizeof(text), &n_policies) < 0)
                return 0;
        n_regions = 1 + pick(&b, N_REGIONS_MAX);
        for (unsigned i = 0; i < n_regions; i++)
                region_make(&b, i, &regions[i]);
        memset(&cxl, 0, sizeof(cxl));
        with_cxl = pick(&b, 3) == 2; /* 0 when the bytes run out: older corpus inputs stay as they were */
        if (with_cxl)
                cxl_make(&b, &cxl, regions, n_regions);
        else
                files[2] = NULL;

        if (config_load_strings(NULL, files, &c, &d) == 0) {
                PlanInput in = { .config = &c, .kernel = &k, .regions = regions, .n_regions = n_regions,
                                 .cxl = with_cxl ? &cxl.state : NULL, .cxl_records = &cxl.record,
                                 .n_cxl_records = cxl.n_records };
                PlanRequest q = {};

                for (size_t i = 0; i < c.n_policies; i++)
                        if ((c.policies[i].size_kind == SIZE_BYTES ||
                             c.policies[i].size_kind == SIZE_USABLE) && pick(&b, 8) == 0)
                                c.policies[i].size = pick(&b, 2) ? UINT64_MAX - pick(&b, 64) * MiB
                                                                 : u64(&b) | 1;
                if (pick(&b, 8) == 0) {
                        const RegionState *r = &regions[pick(&b, n_regions)];
                        q = (PlanRequest) {
                                .region = r->dev,
                                .name = "req",
                                .mode = (NsMode) pick(&b, 4),
                                .size = 1 + u64(&b) % r->size,
                                .map = NS_MAP_DEV,
                        };
                        if (q.mode == NS_MODE_FSDAX || q.mode == NS_MODE_DEVDAX) {
                                static const uint64_t aligns[] = { 0, 4 * KiB, 2 * MiB, GiB };
                                q.map = pick(&b, 2) ? NS_MAP_DEV : NS_MAP_MEM;
                                q.align = aligns[pick(&b, 4)];
                        } else if (q.mode == NS_MODE_SECTOR)
                                q.sector_size = pick(&b, 2) ? 512 : 0;
                        in.request = &q;
                }
                if (config_check_kernel(&c, &k, &d) == 0 && plan_compute(&in, &plan) == 0) {
                        check_plan(&plan, &c, regions, n_regions, in.request, with_cxl ? &cxl : NULL);
                        plan_done(&plan);
                }
                config_done(&c);
        }
        conf_diags_done(&d);
        for (unsigned i = 0; i < n_regions; i++)
                region_state_done(&regions[i]);
        return 0;
}
