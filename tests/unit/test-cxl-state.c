/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "cxl-state.h"
#include "tests.h"
#include "util/macro.h"

#define M(x) ((uint64_t) (x) << 20)
#define G(x) ((uint64_t) (x) << 30)

/* QEMU's issue-12 layouts: host bridge cxl.1 with root ports 0 and 1 (mem0 sn 4660, mem1
 * sn 4661), a second host bridge with mem2 (sn 7), one 4G window over cxl.1 (decoder0.0)
 * and a 2-way window over both bridges (decoder0.1, granularity 4K), a volatile-only
 * window first in the list (decoder0.2 comes before them in the fixture order) */
static uint64_t reach_hb1[] = { 4660, 4661 };
static uint64_t reach_all[] = { 4660, 4661, 7 };
static char *hb1[] = { (char *) "pci0000:0c", NULL };
static char *hb12[] = { (char *) "pci0000:0c", (char *) "pci0000:20", NULL };

static CxlMemdevState memdevs[] = {
        { .dev = (char *) "mem0", .serial = 4660, .pmem_size = M(512), .pmem_free = M(512),
          .endpoint = (char *) "endpoint2", .free_decoder = (char *) "decoder2.0", .enabled = true },
        { .dev = (char *) "mem1", .serial = 4661, .pmem_size = M(512), .pmem_free = M(512),
          .endpoint = (char *) "endpoint3", .free_decoder = (char *) "decoder3.0", .enabled = true },
        { .dev = (char *) "mem2", .serial = 7, .pmem_size = G(1), .pmem_free = M(768),
          .endpoint = (char *) "endpoint4", .free_decoder = (char *) "decoder4.1", .enabled = true },
        /* present, but its every decoder programmed */
        { .dev = (char *) "mem3", .serial = 8, .pmem_size = G(1), .pmem_free = 0,
          .endpoint = (char *) "endpoint5", .enabled = true },
        /* no cxl_mem endpoint (6.12 under QEMU 7.2) */
        { .dev = (char *) "mem4", .serial = 9, .pmem_size = G(1), .pmem_free = G(1) },
};

static CxlRootDecoderState decoders[] = {
        { .dev = (char *) "decoder0.2", .pmem_capable = false, .size = G(4), .available = G(4),
          .ways = 1, .granularity = 256, .targets = hb1, .reachable = reach_hb1, .n_reachable = 2 },
        { .dev = (char *) "decoder0.0", .pmem_capable = true, .size = G(4), .available = G(4),
          .ways = 1, .granularity = 256, .targets = hb1, .reachable = reach_hb1, .n_reachable = 2 },
        { .dev = (char *) "decoder0.1", .pmem_capable = true, .size = G(8), .available = G(8),
          .ways = 2, .granularity = 4096, .targets = hb12, .reachable = reach_all, .n_reachable = 3 },
};

static CxlRegionState regions[] = {
        { .dev = (char *) "region0", .uuid = "4b7a3bd2-8cc7-4b8e-9f3a-8c2a1d6a0f11" },
        { .dev = (char *) "region1", .uuid = "" },
};

static const CxlState state = {
        .memdevs = memdevs, .n_memdevs = ELEMENTSOF(memdevs),
        .decoders = decoders, .n_decoders = ELEMENTSOF(decoders),
        .regions = regions, .n_regions = ELEMENTSOF(regions),
};

static int plan(const uint64_t *serials, size_t n, uint64_t size, unsigned g, CxlAssemblyPlan *p,
                char **reason) {
        CxlAssembleSpec spec = { .memdevs = serials, .n_memdevs = n, .size = size, .granularity = g };
        free(*reason);
        *reason = NULL;
        return cxl_plan_assembly(&state, &spec, p, reason);
}

TEST(one_memdev_takes_the_first_pmem_window_that_reaches_it) {
        _cleanup_free_ char *reason = NULL;
        CxlAssemblyPlan p = {};

        CHECK_INT(plan((uint64_t[]) { 4660 }, 1, 0, 0, &p, &reason), 0);
        CHECK_STR(p.decoder->dev, "decoder0.0"); /* decoder0.2 reaches it but is not pmem */
        CHECK_U64(p.size, M(512));               /* all it offers */
        CHECK_INT(p.granularity, 256);           /* the root's, as the cxl tool defaults */
        CHECK_INT(p.ways, 1);
        CHECK_STR(p.memdevs[0]->dev, "mem0");
}

TEST(two_way_keeps_the_position_order_given) {
        _cleanup_free_ char *reason = NULL;
        CxlAssemblyPlan p = {};

        CHECK_INT(plan((uint64_t[]) { 4661, 4660 }, 2, 0, 0, &p, &reason), 0);
        CHECK_STR(p.decoder->dev, "decoder0.0");
        CHECK_STR(p.memdevs[0]->dev, "mem1");
        CHECK_STR(p.memdevs[1]->dev, "mem0");
        CHECK_U64(p.size, G(1));
        /* a 1-way root lets the region choose any valid granularity */
        CHECK_INT(plan((uint64_t[]) { 4660, 4661 }, 2, M(512), 1024, &p, &reason), 0);
        CHECK_INT(p.granularity, 1024);
        CHECK_U64(p.size, M(512));
}

TEST(across_host_bridges_only_the_interleaving_window_reaches) {
        _cleanup_free_ char *reason = NULL;
        CxlAssemblyPlan p = {};

        CHECK_INT(plan((uint64_t[]) { 4660, 7 }, 2, 0, 0, &p, &reason), 0);
        CHECK_STR(p.decoder->dev, "decoder0.1");
        CHECK_INT(p.granularity, 4096);
        CHECK_U64(p.size, G(1)); /* the smaller free capacity (512M) times two */
        /* an interleaving root fixes the granularity */
        CHECK_INT(plan((uint64_t[]) { 4660, 7 }, 2, 0, 256, &p, &reason), -EINVAL);
        CHECK(reason && strstr(reason, "granularity"));
}

TEST(sizes_the_kernel_refuses_are_errors) {
        _cleanup_free_ char *reason = NULL;
        CxlAssemblyPlan p = {};

        /* the default rounds down to 256M per way: mem2 has 768M free */
        CHECK_INT(plan((uint64_t[]) { 7 }, 1, 0, 0, &p, &reason), 0);
        CHECK_U64(p.size, M(768));
        CHECK_INT(plan((uint64_t[]) { 4660 }, 1, M(300), 0, &p, &reason), -EINVAL);
        CHECK(reason && strstr(reason, "256M per way"));
        CHECK_INT(plan((uint64_t[]) { 4660, 4661 }, 2, M(256), 0, &p, &reason), -EINVAL);
        CHECK_INT(plan((uint64_t[]) { 4660 }, 1, M(768), 0, &p, &reason), -ENOSPC);
        CHECK(reason && strstr(reason, "512M is free"));
}

TEST(missing_busy_and_disabled_memdevs_are_skip_reasons) {
        _cleanup_free_ char *reason = NULL;
        CxlAssemblyPlan p = {};

        CHECK_INT(plan((uint64_t[]) { 4660, 5 }, 2, 0, 0, &p, &reason), -ENODEV);
        CHECK_STR(reason, "memdev 5 is not present");
        CHECK_INT(plan((uint64_t[]) { 8 }, 1, 0, 0, &p, &reason), -EBUSY);
        CHECK(reason && strstr(reason, "mem3") && strstr(reason, "in use"));
        CHECK_INT(plan((uint64_t[]) { 9 }, 1, 0, 0, &p, &reason), -ENODEV);
        CHECK(reason && strstr(reason, "not enabled"));
        CHECK_INT(plan((uint64_t[]) { 4660, 4660 }, 2, 0, 0, &p, &reason), -EINVAL);
        CHECK(reason && strstr(reason, "twice"));
        CHECK_INT(plan((uint64_t[]) { 4660, 4661, 7, 8, 9 }, 5, 0, 0, &p, &reason), -EINVAL);
        CHECK_INT(plan(NULL, 0, 0, 0, &p, &reason), -EINVAL);
}

TEST(granularity_default_and_limits) {
        CxlRootDecoderState one = { .ways = 1, .granularity = 8192 };
        CxlRootDecoderState two = { .ways = 2, .granularity = 256 };
        CxlRootDecoderState unknown = { .ways = 1, .granularity = 0 };

        CHECK_INT(cxl_granularity_resolve(&one, 0), 8192);
        CHECK_INT(cxl_granularity_resolve(&one, 256), 256);
        CHECK_INT(cxl_granularity_resolve(&one, 16384), 16384);
        CHECK_INT(cxl_granularity_resolve(&one, 32768), 0);
        CHECK_INT(cxl_granularity_resolve(&one, 128), 0);
        CHECK_INT(cxl_granularity_resolve(&one, 768), 0);
        CHECK_INT(cxl_granularity_resolve(&two, 0), 256);
        CHECK_INT(cxl_granularity_resolve(&two, 256), 256);
        CHECK_INT(cxl_granularity_resolve(&two, 512), 0);
        CHECK_INT(cxl_granularity_resolve(&unknown, 0), 0);
}

TEST(regions_are_owned_by_uuid_never_by_name) {
        CHECK(cxl_state_find_region_by_uuid(&state, "4b7a3bd2-8cc7-4b8e-9f3a-8c2a1d6a0f11") == &regions[0]);
        CHECK(!cxl_state_find_region_by_uuid(&state, ""));  /* a region without a uuid is nobody's */
        CHECK(!cxl_state_find_region_by_uuid(&state, NULL));
        CHECK(cxl_state_find_region(&state, "region1") == &regions[1]);
        CHECK(cxl_state_find_memdev(&state, 7) == &memdevs[2]);
        CHECK(!cxl_state_find_memdev(&state, 10));
}

TEST(state_done_frees_a_read_state) {
        CxlState s = { .n_memdevs = 1, .n_decoders = 1, .n_regions = 1 };

        s.memdevs = calloc(1, sizeof(CxlMemdevState));
        s.decoders = calloc(1, sizeof(CxlRootDecoderState));
        s.regions = calloc(1, sizeof(CxlRegionState));
        CHECK(s.memdevs && s.decoders && s.regions);
        if (!s.memdevs || !s.decoders || !s.regions)
                return;
        s.memdevs[0].dev = strdup("mem0");
        s.regions[0].n_targets = 2;
        s.regions[0].target_decoders = calloc(2, sizeof(char *));
        s.regions[0].target_decoders[1] = strdup("decoder2.0");
        cxl_state_done(&s);
        CHECK(!s.memdevs && s.n_regions == 0);
}
