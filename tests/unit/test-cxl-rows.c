/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The [cxl-region] rows of a plan (lib/plan/cxl-rows.c) on QEMU's layouts of issue 12: one
 * host bridge with mem0 (sn 4660) and mem1 (sn 4661), one 4G pmem window (decoder0.0). */
#include <errno.h>

#include "conf/config.h"
#include "plan/planner.h"
#include "tests.h"
#include "kernel-61.h"
#include "util/macro.h"

#define M(x) ((uint64_t) (x) << 20)

static uint64_t reach[] = { 4660, 4661 };
static char *hb[] = { (char *) "pci0000:0c", NULL };

static CxlMemdevState memdevs_free[] = {
        { .dev = (char *) "mem0", .serial = 4660, .pmem_size = M(512), .pmem_free = M(512),
          .endpoint = (char *) "endpoint2", .free_decoder = (char *) "decoder2.0", .enabled = true },
        { .dev = (char *) "mem1", .serial = 4661, .pmem_size = M(512), .pmem_free = M(512),
          .endpoint = (char *) "endpoint3", .free_decoder = (char *) "decoder3.0", .enabled = true },
};

static CxlRootDecoderState decoders[] = {
        { .dev = (char *) "decoder0.0", .pmem_capable = true, .start = 0xa90000000, .size = 4ULL << 30,
          .available = 4ULL << 30, .ways = 1, .granularity = 256, .targets = hb, .reachable = reach,
          .n_reachable = 2 },
};

#define UUID_OURS "4b7a3bd2-8cc7-4b8e-9f3a-8c2a1d6a0f11"
#define UUID_ADMIN "9d1f2c3b-1111-4222-8333-444455556666"

static uint64_t targets_2way[] = { 4660, 4661 };
static char *target_decoders[] = { (char *) "decoder2.0", (char *) "decoder3.0" };

static CxlRegionState region_ours_complete = {
        .dev = (char *) "region0", .decoder = (char *) "decoder0.0", .uuid = UUID_OURS,
        .start = 0xa90000000, .size = M(1024), .ways = 2, .granularity = 256,
        .targets = targets_2way, .target_decoders = target_decoders, .n_targets = 2,
        .committed = true, .enabled = true, .nd_region = (char *) "region1", .nd_bus = (char *) "ndbus1",
};

static const char *const policy_2way =
        "[cxl-region pool]\n"
        "memdevs = 4660, 4661\n"
        "[region cxl]\n"
        "match.cxl-region = pool\n"
        "[namespace db]\n"
        "region = cxl\n"
        "mode = devdax\n"
        "size = 34M\n"
        "align = 2M\n";

static void load(const char *policy, Config *c) {
        const char *files[] = { "50-test.conf", policy, NULL };
        ConfDiags d = {};

        CHECK_INT(config_load_strings(NULL, files, c, &d), 0);
        for (size_t i = 0; i < d.n; i++)
                printf("#   diag: %u: %s\n", d.items[i].line, d.items[i].message);
        conf_diags_done(&d);
}

static void plan_on(const Config *c, const CxlState *s, const CxlRecord *recs, size_t n_recs,
                    RegionState *regions, size_t n_regions, Plan *p) {
        KernelInfo k = kernel_61();
        PlanInput in = { .config = c, .kernel = &k, .regions = regions, .n_regions = n_regions,
                         .cxl = s, .cxl_records = recs, .n_cxl_records = n_recs };

        CHECK_INT(plan_compute(&in, p), 0);
        for (size_t i = 0; i < p->n_rows; i++)
                printf("#   %s %s %s %s: %s\n", plan_action_to_string(p->rows[i].action),
                       p->rows[i].spec.name, p->rows[i].spec.region, plan_row_mode(&p->rows[i]),
                       strempty(p->rows[i].message));
}

static CxlRecord record(const char *uuid, bool assembled) {
        static uint64_t serials[] = { 4660, 4661 }, dpa[] = { 0, 0 };
        CxlRecord r = { .name = (char *) "pool", .memdevs = serials, .dpa_before = dpa, .n_memdevs = 2,
                        .size = M(1024), .granularity = 256, .assembled = assembled };
        snprintf(r.uuid, sizeof(r.uuid), "%s", uuid);
        return r;
}

TEST(nothing_assembled_yet_plans_an_assembly_first) {
        _cleanup_(config_done) Config c = {};
        _cleanup_(plan_done) Plan p = {};
        CxlState s = { .memdevs = memdevs_free, .n_memdevs = 2, .decoders = decoders, .n_decoders = 1 };

        load(policy_2way, &c);
        plan_on(&c, &s, NULL, 0, NULL, 0, &p);
        CHECK_INT(p.n_rows, 2);
        CHECK_INT(p.rows[0].action, PLAN_ASSEMBLE);
        /* no nd region yet: the namespace waits for it */
        CHECK_INT(p.rows[1].action, PLAN_SKIP);
        CHECK_STR(p.rows[1].spec.name, "db");
        CHECK_STR(p.rows[1].message, "region selector 'cxl' waits for cxl-region 'pool' (to be assembled first)");
        CHECK_STR(p.rows[0].spec.name, "pool");
        CHECK_STR(p.rows[0].spec.region, "");
        CHECK_STR(plan_row_mode(&p.rows[0]), "cxl-pmem");
        CHECK_U64(p.rows[0].spec.size, M(1024));
        CHECK_CONTAINS(p.rows[0].message, "2-way from memdevs 4660,4661 under decoder0.0, granularity 256");
        CHECK(p.rows[0].cxl && isempty(p.rows[0].cxl->uuid) && !p.rows[0].cxl->teardown);
        /* a namespace policy instance of the same name is another thing */
        CHECK(plan_find_instance(&p, "pool") == NULL);
}

TEST(a_missing_memdev_is_a_skip_that_names_it) {
        _cleanup_(config_done) Config c = {};
        _cleanup_(plan_done) Plan p = {};
        CxlState s = { .memdevs = memdevs_free, .n_memdevs = 1, .decoders = decoders, .n_decoders = 1 };

        load(policy_2way, &c);
        plan_on(&c, &s, NULL, 0, NULL, 0, &p);
        CHECK_INT(p.n_rows, 2);
        CHECK_INT(p.rows[0].action, PLAN_SKIP);
        CHECK_CONTAINS(p.rows[0].message, "memdev 4661 is not present");
        CHECK_STR(p.rows[1].message, "region selector 'cxl' waits for cxl-region 'pool' (not assembled)");
}

TEST(our_complete_region_is_adopted_and_its_nd_region_selected) {
        _cleanup_(config_done) Config c = {};
        _cleanup_(plan_done) Plan p = {};
        CxlMemdevState used[2] = { memdevs_free[0], memdevs_free[1] };
        CxlRecord rec = record(UUID_OURS, true);
        RegionState nd = { .dev = (char *) "region1", .type = (char *) "pmem", .provider = (char *) "CXL",
                           .start = 0xa90000000, .size = M(1024), .align = M(2), .ways = 2,
                           .labeled = true, .enabled = true, .assembled_as = (char *) "pool" };
        CxlState s = { .memdevs = used, .n_memdevs = 2, .decoders = decoders, .n_decoders = 1,
                       .regions = &region_ours_complete, .n_regions = 1 };

        used[0].pmem_free = used[1].pmem_free = 0;
        used[0].free_decoder = used[1].free_decoder = NULL;
        load(policy_2way, &c);
        plan_on(&c, &s, &rec, 1, &nd, 1, &p);
        CHECK_INT(p.n_rows, 2);
        CHECK_INT(p.rows[0].action, PLAN_ADOPT);
        CHECK_STR(p.rows[0].spec.region, "region1");
        CHECK_U64(p.rows[0].spec.start, 0xa90000000);
        CHECK_STR(p.rows[0].cxl->cxl_region, "region0");
        CHECK_INT(p.rows[1].action, PLAN_CREATE);
        CHECK_STR(p.rows[1].spec.name, "db");
        CHECK_STR(p.rows[1].spec.region, "region1");
        CHECK(plan_find_instance(&p, "db") == &p.rows[1]);

        /* the same nd region, not assembled by us: the selector does not take it */
        plan_done(&p);
        nd.assembled_as = NULL;
        plan_on(&c, &s, NULL, 0, &nd, 1, &p);
        CHECK_INT(p.n_rows, 2);
        CHECK_INT(p.rows[0].action, PLAN_SKIP); /* the memdevs are in the admin's region */
        CHECK_CONTAINS(p.rows[0].message, "memdev 4660 is in region0 (uuid " UUID_OURS "), which pmemnsd did not assemble");
        CHECK_INT(p.rows[1].action, PLAN_SKIP); /* db is not carved from it */
}

TEST(a_region_with_another_uuid_is_not_ours) {
        _cleanup_(config_done) Config c = {};
        _cleanup_(plan_done) Plan p = {};
        CxlRegionState admin = region_ours_complete;
        CxlMemdevState used[2] = { memdevs_free[0], memdevs_free[1] };
        CxlRecord rec = record(UUID_OURS, true);
        CxlState s = { .memdevs = used, .n_memdevs = 2, .decoders = decoders, .n_decoders = 1,
                       .regions = &admin, .n_regions = 1 };

        snprintf(admin.uuid, sizeof(admin.uuid), UUID_ADMIN);
        used[0].pmem_free = used[1].pmem_free = 0;
        used[0].free_decoder = used[1].free_decoder = NULL;
        load(policy_2way, &c);
        plan_on(&c, &s, &rec, 1, NULL, 0, &p);
        CHECK_INT(p.n_rows, 2);
        CHECK_INT(p.rows[0].action, PLAN_SKIP);
        CHECK_CONTAINS(p.rows[0].message, "memdev 4660 is in region0 (uuid " UUID_ADMIN "), which pmemnsd did not assemble: left as it is");
        CHECK(!p.rows[0].cxl->teardown);
}

TEST(a_half_made_region_of_ours_is_taken_down_and_assembled_again) {
        _cleanup_(config_done) Config c = {};
        _cleanup_(plan_done) Plan p = {};
        CxlRegionState half = region_ours_complete;
        CxlRecord rec = record(UUID_OURS, true);
        CxlState s = { .memdevs = memdevs_free, .n_memdevs = 2, .decoders = decoders, .n_decoders = 1,
                       .regions = &half, .n_regions = 1 };

        half.committed = half.enabled = false;
        half.nd_region = NULL;
        load(policy_2way, &c);
        plan_on(&c, &s, &rec, 1, NULL, 0, &p);
        CHECK_INT(p.rows[0].action, PLAN_ASSEMBLE);
        CHECK_STR(p.rows[0].cxl->teardown, "region0");
        CHECK_STR(p.rows[0].cxl->uuid, UUID_OURS);
        CHECK_U64(p.rows[0].cxl->size, M(1024)); /* as recorded */
        CHECK_INT(p.rows[0].cxl->granularity, 256);
}

TEST(reassembly_repeats_the_record_or_refuses) {
        _cleanup_(config_done) Config c = {};
        _cleanup_(config_done) Config swapped = {};
        _cleanup_(plan_done) Plan p = {};
        CxlMemdevState moved[2] = { memdevs_free[0], memdevs_free[1] };
        CxlRecord rec = record(UUID_OURS, true);
        CxlState s = { .memdevs = memdevs_free, .n_memdevs = 2, .decoders = decoders, .n_decoders = 1 };

        /* after a reboot: nothing on the bus, assembled again with the recorded uuid */
        load(policy_2way, &c);
        plan_on(&c, &s, &rec, 1, NULL, 0, &p);
        CHECK_INT(p.rows[0].action, PLAN_ASSEMBLE);
        CHECK_STR(p.rows[0].cxl->uuid, UUID_OURS);
        CHECK_CONTAINS(p.rows[0].message, "as assembled before");

        /* the policy now orders the memdevs the other way: the labels would not match */
        plan_done(&p);
        load("[cxl-region pool]\nmemdevs = 4661, 4660\n", &swapped);
        plan_on(&swapped, &s, &rec, 1, NULL, 0, &p);
        CHECK_INT(p.rows[0].action, PLAN_SKIP);
        CHECK_CONTAINS(p.rows[0].message, "assembled from memdevs 4660,4661 before");

        /* another decoder took pmem DPA on mem1 first: our DPA offset would move */
        plan_done(&p);
        moved[1].pmem_free = M(256);
        s.memdevs = moved;
        plan_on(&c, &s, &rec, 1, NULL, 0, &p);
        CHECK_INT(p.rows[0].action, PLAN_SKIP);
        CHECK_CONTAINS(p.rows[0].message, "memdev 4661 (mem1) now has 256M of pmem held");
}

TEST(drift_is_reported_not_changed) {
        _cleanup_(config_done) Config c = {};
        _cleanup_(plan_done) Plan p = {};
        CxlRecord rec = record(UUID_OURS, true);
        CxlState s = { .memdevs = memdevs_free, .n_memdevs = 2, .decoders = decoders, .n_decoders = 1,
                       .regions = &region_ours_complete, .n_regions = 1 };

        load("[cxl-region pool]\nmemdevs = 4660, 4661\ninterleave-granularity = 4K\n", &c);
        plan_on(&c, &s, &rec, 1, NULL, 0, &p);
        CHECK_INT(p.rows[0].action, PLAN_DRIFT);
        CHECK_CONTAINS(p.rows[0].message, "not changed");
}

TEST(percent_and_bytes) {
        _cleanup_(config_done) Config c = {};
        _cleanup_(plan_done) Plan p = {};
        CxlState s = { .memdevs = memdevs_free, .n_memdevs = 2, .decoders = decoders, .n_decoders = 1 };

        load("[cxl-region a]\nmemdevs = 4660\nsize = 50%\n[cxl-region b]\nmemdevs = 4661\nsize = 256M\n", &c);
        plan_on(&c, &s, NULL, 0, NULL, 0, &p);
        CHECK_INT(p.n_rows, 2);
        CHECK_INT(p.rows[0].action, PLAN_ASSEMBLE);
        CHECK_U64(p.rows[0].spec.size, M(256));
        CHECK_INT(p.rows[1].action, PLAN_ASSEMBLE);
        CHECK_U64(p.rows[1].spec.size, M(256));
}

