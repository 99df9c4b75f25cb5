/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "conf/config.h"
#include "plan/planner.h"
#include "tests.h"
#include "kernel-61.h"
#include "util/macro.h"

#define BASE (UINT64_C(4) << 30)

static NsState ns(const char *dev, const char *name, NsMode mode, uint64_t start, uint64_t size) {
        return (NsState) { .dev = strdup(dev), .name = strdup(name), .uuid = strdup(""),
                           .mode = mode, .start = start, .size = size, .enabled = true };
}

static RegionState region(const char *dev, uint64_t start, uint64_t size, bool labeled) {
        return (RegionState) { .dev = strdup(dev), .type = strdup("pmem"),
                               .provider = strdup("ACPI.NFIT"), .start = start, .size = size,
                               .align = 16 * MiB, .ways = 1, .labeled = labeled,
                               .labels_v1_2 = true, .enabled = true };
}

static void add_ns(RegionState *r, NsState n) {
        r->namespaces = realloc(r->namespaces, sizeof(NsState) * (r->n_namespaces + 1));
        r->namespaces[r->n_namespaces++] = n;
}

static int plan_for(const char *policy_text, const RegionState *regions, size_t n, Plan *plan) {
        Config c = {};
        ConfDiags d = {};
        KernelInfo k = kernel_61();
        const char *files[] = { "50-test.conf", policy_text, NULL };
        int r;

        r = config_load_strings(NULL, files, &c, &d);
        for (size_t i = 0; i < d.n; i++)
                printf("#   diag: %s:%u: %s\n", d.items[i].file, d.items[i].line, d.items[i].message);
        CHECK_INT(r, 0);
        conf_diags_done(&d);
        PlanInput in = { .config = &c, .kernel = &k, .regions = regions, .n_regions = n };
        r = plan_compute(&in, plan);
        for (size_t i = 0; i < plan->n_rows; i++)
                printf("#   %-8s %-8s %-8s %-7s size=%" PRIu64 "M usable=%" PRIu64 "K start=%#" PRIx64
                       " lost=%" PRIu64 "K  %s\n",
                       plan_action_to_string(plan->rows[i].action), plan->rows[i].spec.name,
                       plan->rows[i].spec.region, ns_mode_to_string(plan->rows[i].spec.mode),
                       plan->rows[i].spec.size >> 20, plan->rows[i].spec.usable >> 10, plan->rows[i].spec.start,
                       plan->rows[i].lost >> 10, plan->rows[i].message);
        config_done(&c);
        return r;
}

static const PlanRow *row(const Plan *p, const char *inst) {
        const PlanRow *r = plan_find_instance(p, inst);
        if (!r)
                printf("#   no row for '%s'\n", inst);
        CHECK(r != NULL);
        return r;
}

/* The VM acceptance mix, issue 3: 130M fsdax dev, 18M-usable fsdax mem, 3x34M devdax,
 * a sector and a raw namespace. */
static const char *mix_policy(const char *granularity, char *buf, size_t len) {
        snprintf(buf, len,
                 "[region nv]\nmatch.provider = ACPI.NFIT\ngranularity = %s\n"
                 "[namespace db]\nregion = nv\nmode = fsdax\nsize = 130M\nmap = dev\n"
                 "[namespace small]\nregion = nv\nmode = fsdax\nusable-size = 18M\nmap = mem\n"
                 "[namespace dax]\nregion = nv\nmode = devdax\nsize = 34M\nalign = 2M\ncount = 3\n"
                 "[namespace blk]\nregion = nv\nmode = sector\nsize = 64M\n"
                 "[namespace raw]\nregion = nv\nmode = raw\nsize = 20M\n",
                 granularity);
        return buf;
}

TEST(subsection_placement) {
        RegionState r = region("region0", BASE, GiB, true);
        char buf[1024];
        Plan p = {};
        const PlanRow *x;

        CHECK_INT(plan_for(mix_policy("subsection", buf, sizeof(buf)), &r, 1, &p), 0);
        CHECK_INT(p.n_rows, 7);
        CHECK_U64(p.regions[0].granularity, 2 * MiB);
        CHECK_U64(p.regions[0].region_align, 2 * MiB);

        x = row(&p, "db");
        if (x) {
                CHECK_INT(x->action, PLAN_CREATE);
                CHECK_U64(x->spec.size, 130 * MiB);
                CHECK_U64(x->spec.start, BASE);
                CHECK_U64(x->spec.usable, 126 * MiB);
                CHECK_U64(x->lost, 0);
        }
        x = row(&p, "small");
        if (x) {
                CHECK_U64(x->spec.size, 20 * MiB);
                CHECK_U64(x->spec.usable, 18 * MiB);
                /* 2 MiB past a 16 MiB boundary: placement below the compat alignment */
                CHECK_U64(x->spec.start, BASE + 130 * MiB);
                CHECK(x->spec.start % (16 * MiB) != 0);
        }
        x = row(&p, "dax.0");
        if (x) {
                CHECK_U64(x->spec.size, 34 * MiB);
                CHECK_U64(x->spec.start, BASE + 150 * MiB);
                CHECK_U64(x->spec.usable, 32 * MiB);
        }
        x = row(&p, "dax.2");
        if (x)
                CHECK_U64(x->spec.start, BASE + 218 * MiB);
        x = row(&p, "blk");
        if (x) {
                CHECK_U64(x->spec.start, BASE + 252 * MiB);
                /* BTT2: 64M - 28K of info blocks and log, 4 bytes of map per block, 256
                 * free blocks (drivers/nvdimm/btt.c:alloc_arena()) */
                CHECK_U64(x->spec.usable, ((64 * MiB - 28 * KiB) / 4100 - 256) * 4096);
        }
        x = row(&p, "raw");
        if (x) {
                CHECK_U64(x->spec.start, BASE + 316 * MiB);
                CHECK_U64(x->spec.usable, 20 * MiB);
        }
        CHECK_U64(p.regions[0].lost_to_alignment, 0);
        plan_done(&p);
        region_state_done(&r);
}

TEST(compat_and_section_placement) {
        RegionState r = region("region0", BASE, GiB, true);
        char buf[1024];
        Plan p = {};
        const PlanRow *x;

        CHECK_INT(plan_for(mix_policy("compat", buf, sizeof(buf)), &r, 1, &p), 0);
        x = row(&p, "db");
        if (x) {
                CHECK_U64(x->spec.size, 144 * MiB);
                CHECK_U64(x->lost, 14 * MiB);
        }
        x = row(&p, "small");
        if (x) {
                CHECK_U64(x->spec.size, 32 * MiB); /* 20M needed, rounded to 16M steps */
                CHECK_U64(x->spec.start, BASE + 144 * MiB);
                CHECK_U64(x->lost, 12 * MiB);
        }
        for (size_t i = 0; i < p.n_rows; i++)
                CHECK_U64(p.rows[i].spec.start % (16 * MiB), 0);
        plan_done(&p);

        CHECK_INT(plan_for(mix_policy("section", buf, sizeof(buf)), &r, 1, &p), 0);
        x = row(&p, "db");
        if (x)
                CHECK_U64(x->spec.size, 256 * MiB);
        /* 256 + 128 + 3 x 128 + 128 + 128: every 128M step of the 1 GiB is used */
        x = row(&p, "raw");
        if (x) {
                CHECK_INT(x->action, PLAN_CREATE);
                CHECK_U64(x->spec.start, BASE + 896 * MiB);
        }
        for (size_t i = 0; i < p.n_rows; i++)
                if (p.rows[i].action == PLAN_CREATE)
                        CHECK_U64(p.rows[i].spec.start % (128 * MiB), 0);
        plan_done(&p);
        region_state_done(&r);
}

TEST(adopt_drift_foreign) {
        RegionState r = region("region0", BASE, GiB, true);
        Plan p = {};
        const PlanRow *x;

        add_ns(&r, ns("namespace0.0", "db", NS_MODE_FSDAX, BASE, 130 * MiB));
        add_ns(&r, ns("namespace0.1", "admin", NS_MODE_RAW, BASE + 130 * MiB, 100 * MiB));
        add_ns(&r, ns("namespace0.2", "dax.0", NS_MODE_RAW, BASE + 230 * MiB, 34 * MiB));

        CHECK_INT(plan_for("[region nv]\ngranularity = subsection\n"
                           "[namespace db]\nregion = nv\nmode = fsdax\nsize = 130M\n"
                           "[namespace dax]\nregion = nv\nmode = devdax\nsize = 34M\ncount = 2\n",
                           &r, 1, &p), 0);
        x = row(&p, "db");
        if (x) {
                CHECK_INT(x->action, PLAN_ADOPT);
                CHECK_STR(x->spec.ns_dev, "namespace0.0");
        }
        x = row(&p, "dax.0"); /* raw and named like an instance: maybe an admin's data */
        if (x) {
                CHECK_INT(x->action, PLAN_CONFLICT);
                CHECK_CONTAINS(x->message, "no record of creating it");
        }
        x = row(&p, "");
        if (x) {
                CHECK_INT(x->action, PLAN_SKIP);
                CHECK_CONTAINS(x->message, "foreign namespace namespace0.1 'admin'");
        }
        x = row(&p, "dax.1");
        if (x) {
                CHECK_INT(x->action, PLAN_CREATE);
                /* the foreign namespace's space is never reused */
                CHECK_U64(x->spec.start, BASE + 264 * MiB);
        }
        plan_done(&p);

        /* A managed namespace of the wrong size is drift, never resized. */
        free(r.namespaces[0].name);
        r.namespaces[0].name = strdup("db");
        CHECK_INT(plan_for("[region nv]\n[namespace db]\nregion = nv\nmode = fsdax\nsize = 200M\n",
                           &r, 1, &p), 0);
        x = row(&p, "db");
        if (x) {
                CHECK_INT(x->action, PLAN_DRIFT);
                CHECK_CONTAINS(x->message, "size is 130M, policy wants 200M");
        }
        plan_done(&p);
        region_state_done(&r);
}

/* Only a create pmemnsd recorded (inflight) and still blank is finished in place; a raw
 * namespace merely named like an instance may be an admin's with data: conflict. */
TEST(interrupted_create_is_finished_only_when_recorded) {
        static const char *policy = "[region nv]\ngranularity = subsection\n"
                                    "[namespace dax]\nregion = nv\nmode = devdax\nsize = 34M\ncount = 3\n";
        RegionState r = region("region0", BASE, GiB, true);
        Plan p = {};
        const PlanRow *x;

        add_ns(&r, ns("namespace0.0", "dax.0", NS_MODE_RAW, BASE, 34 * MiB));
        r.namespaces[0].blank = true;
        r.namespaces[0].inflight = true;
        add_ns(&r, ns("namespace0.1", "dax.1", NS_MODE_RAW, BASE + 34 * MiB, 34 * MiB));
        r.namespaces[1].blank = true; /* blank (data after 8K) but never recorded */
        add_ns(&r, ns("namespace0.2", "dax.2", NS_MODE_RAW, BASE + 68 * MiB, 34 * MiB));
        r.namespaces[2].inflight = true; /* recorded, but no longer blank */
        CHECK_INT(plan_for(policy, &r, 1, &p), 0);
        x = row(&p, "dax.0");
        if (x) {
                CHECK_INT(x->action, PLAN_CREATE);
                CHECK(x->spec.convert_existing);
                CHECK_STR(x->spec.ns_dev, "namespace0.0");
                CHECK_U64(x->spec.start, BASE);
                CHECK_U64(x->spec.size, 34 * MiB);
                CHECK_CONTAINS(x->message, "interrupted create");
        }
        x = row(&p, "dax.1");
        if (x) {
                CHECK_INT(x->action, PLAN_CONFLICT);
                CHECK(!x->spec.convert_existing);
                CHECK_STR(x->spec.ns_dev, "namespace0.1");
                CHECK_CONTAINS(x->message, "no record of creating it");
        }
        x = row(&p, "dax.2");
        if (x) {
                CHECK_INT(x->action, PLAN_CONFLICT);
                CHECK_CONTAINS(x->message, "no longer blank");
        }
        for (size_t i = 0; i < p.n_rows; i++) /* nothing else is made in their place */
                CHECK(!(p.rows[i].action == PLAN_CREATE && !p.rows[i].spec.convert_existing));
        plan_done(&p);

        /* recorded and blank but smaller than the policy's size: drift, never resized */
        r.namespaces[1].inflight = true;
        r.namespaces[1].size = 30 * MiB;
        CHECK_INT(plan_for(policy, &r, 1, &p), 0);
        x = row(&p, "dax.1");
        if (x)
                CHECK_INT(x->action, PLAN_DRIFT);
        plan_done(&p);
        region_state_done(&r);
}

/* usable-size bounds no raw size: a recorded create is finished only when its claim offers
 * what the policy asks now (it may have grown between the crash and the restart). */
TEST(interrupted_create_is_finished_only_if_it_offers_the_usable_size) {
        RegionState r = region("region0", BASE, GiB, true);
        Plan p = {};
        const PlanRow *x;

        add_ns(&r, ns("namespace0.0", "blk", NS_MODE_RAW, BASE, 64 * MiB));
        r.namespaces[0].blank = true;
        r.namespaces[0].inflight = true;
        CHECK_INT(plan_for("[region nv]\ngranularity = subsection\n"
                           "[namespace blk]\nregion = nv\nmode = sector\nusable-size = 60M\n", &r, 1, &p), 0);
        x = row(&p, "blk");
        if (x)
                CHECK_INT(x->action, PLAN_CREATE);
        plan_done(&p);

        CHECK_INT(plan_for("[region nv]\ngranularity = subsection\n"
                           "[namespace blk]\nregion = nv\nmode = sector\nusable-size = 100M\n", &r, 1, &p), 0);
        x = row(&p, "blk");
        if (x) {
                CHECK(x->action != PLAN_CREATE);
                CHECK_INT(x->action, PLAN_DRIFT);
        }
        for (size_t i = 0; i < p.n_rows; i++)
                CHECK(p.rows[i].action != PLAN_CREATE);
        plan_done(&p);
        region_state_done(&r);
}

/* A managed namespace that did not come up (claim driver missing after a reboot, or an
 * admin disabled it): reported with the kernel side's reason, never re-made or claimed. */
TEST(inactive_managed_namespace_is_reported_not_remade) {
        RegionState r = region("region0", BASE, GiB, true);
        Plan p = {};
        const PlanRow *x;

        add_ns(&r, ns("namespace0.0", "db", NS_MODE_RAW, BASE, 256 * MiB));
        r.namespaces[0].enabled = false;
        r.namespaces[0].inactive = strdup("not active: the nd_pmem driver is not loaded");
        r.namespaces[0].inflight = true; /* even a recorded one */
        r.namespaces[0].blank = true;
        CHECK_INT(plan_for("[region nv]\n[namespace db]\nregion = nv\nmode = devdax\nsize = 256M\n"
                           "[namespace log]\nregion = nv\nmode = fsdax\nsize = 130M\n",
                           &r, 1, &p), 0);
        x = row(&p, "db");
        if (x) {
                CHECK_INT(x->action, PLAN_SKIP);
                CHECK(!x->spec.convert_existing);
                CHECK_STR(x->spec.ns_dev, "namespace0.0");
                CHECK_CONTAINS(x->message, "nd_pmem driver is not loaded");
        }
        x = row(&p, "log"); /* the others are still provisioned, around it */
        if (x) {
                CHECK_INT(x->action, PLAN_CREATE);
                CHECK(x->spec.start >= BASE + 256 * MiB);
        }
        plan_done(&p);
        region_state_done(&r);
}

/* A region an administrator disabled: nothing planned, every instance says why. */
TEST(disabled_region_is_left_alone) {
        RegionState r = region("region0", BASE, GiB, true);
        Plan p = {};
        const PlanRow *x;

        r.enabled = false;
        CHECK_INT(plan_for("[region nv]\n[namespace f]\nregion = nv\nmode = fsdax\nsize = 32M\ncount = 2\n",
                           &r, 1, &p), 0);
        for (size_t i = 0; i < p.n_rows; i++)
                CHECK(p.rows[i].action != PLAN_CREATE);
        x = row(&p, "f.1");
        if (x) {
                CHECK_INT(x->action, PLAN_SKIP);
                CHECK_CONTAINS(x->message, "region0 is disabled");
        }
        plan_done(&p);
        region_state_done(&r);
}

TEST(a_policy_that_does_not_fit_is_skipped) {
        RegionState r = region("region0", BASE, GiB, true);
        Plan p = {};
        const PlanRow *x;

        add_ns(&r, ns("namespace0.0", "other", NS_MODE_RAW, BASE + 500 * MiB, 100 * MiB));
        CHECK_INT(plan_for("[region nv]\n[namespace big]\nregion = nv\nmode = fsdax\nsize = 600M\n",
                           &r, 1, &p), 0);
        x = row(&p, "big");
        if (x) {
                CHECK_INT(x->action, PLAN_SKIP);
                CHECK_CONTAINS(x->message, "largest free extent is 500M (100M short)");
        }
        plan_done(&p);
        region_state_done(&r);
}

TEST(a_policy_whose_selector_matches_no_region_gets_a_skip_row) {
        RegionState r = region("region0", BASE, GiB, true);
        Plan p = {};
        const PlanRow *x;

        CHECK_INT(plan_for("[region nv]\nmatch.dev = region0\n"
                           "[region fast]\nmatch.dev = region9\n"
                           "[region also]\nmatch.dev = region*\n"
                           "[namespace here]\nregion = nv\nmode = fsdax\nsize = 32M\n"
                           "[namespace db]\nregion = fast\nmode = devdax\nsize = 32M\ncount = 2\n"
                           "[namespace late]\nregion = also\nmode = fsdax\nsize = 32M\n",
                           &r, 1, &p), 0);
        CHECK_INT(row(&p, "here")->action, PLAN_CREATE);
        for (unsigned i = 0; i < 2; i++) {
                x = row(&p, i ? "db.1" : "db.0");
                if (x) {
                        CHECK_INT(x->action, PLAN_SKIP);
                        CHECK_STR(x->message, "selector 'fast' matches no region");
                        CHECK_INT(x->spec.mode, NS_MODE_DEVDAX);
                }
        }
        x = row(&p, "late");
        if (x) {
                CHECK_INT(x->action, PLAN_SKIP);
                CHECK_CONTAINS(x->message, "an earlier selector matches its regions first");
        }
        plan_done(&p);
        region_state_done(&r);
}

TEST(percent_and_rest_sizes_share_the_region) {
        RegionState r = region("region0", BASE, GiB, true);
        Plan p = {};
        const PlanRow *x;

        CHECK_INT(plan_for("[region nv]\n"
                           "[namespace tail]\nregion = nv\nmode = fsdax\nsize = rest\n"
                           "[namespace q]\nregion = nv\nmode = raw\nsize = 25%\ncount = 2\n",
                           &r, 1, &p), 0);
        x = row(&p, "q.0");
        if (x) {
                CHECK_U64(x->spec.size, 256 * MiB);
                CHECK_U64(x->spec.start, BASE);
        }
        x = row(&p, "q.1");
        if (x)
                CHECK_U64(x->spec.start, BASE + 256 * MiB);
        x = row(&p, "tail");
        if (x) {
                CHECK_INT(x->action, PLAN_CREATE);
                CHECK_U64(x->spec.size, 512 * MiB);
                CHECK_U64(x->spec.start, BASE + 512 * MiB);
        }
        plan_done(&p);
        region_state_done(&r);
}

TEST(labelless_ownership) {
        RegionState r = region("region1", 0x74000000, 96 * MiB, false);
        Plan p = {};
        const PlanRow *x;
        const char *pol = "[region legacy]\nmatch.provider = e820\n"
                          "[namespace dax]\nregion = legacy\nmode = devdax\nsize = rest\n"
                          "[namespace extra]\nregion = legacy\nmode = raw\nsize = 16M\n";

        free(r.provider);
        r.provider = strdup("e820");
        add_ns(&r, ns("namespace1.0", "", NS_MODE_RAW, 0x74000000, 96 * MiB));

        CHECK_INT(plan_for(pol, &r, 1, &p), 0);
        x = row(&p, "dax");
        if (x) {
                CHECK_INT(x->action, PLAN_CREATE);
                CHECK(x->spec.convert_existing);
                CHECK_STR(x->spec.ns_dev, "namespace1.0");
                CHECK_U64(x->spec.usable, 94 * MiB);
        }
        x = row(&p, "extra");
        if (x) {
                CHECK_INT(x->action, PLAN_SKIP);
                CHECK_CONTAINS(x->message, "label-less");
        }
        plan_done(&p);

        /* a filesystem on it: conflict, untouched */
        r.namespaces[0].signature = strdup("ext4");
        CHECK_INT(plan_for(pol, &r, 1, &p), 0);
        x = row(&p, "dax");
        if (x) {
                CHECK_INT(x->action, PLAN_CONFLICT);
                CHECK_CONTAINS(x->message, "'ext4' signature");
        }
        plan_done(&p);

        /* already devdax: adopted; already fsdax: conflict */
        r.namespaces[0].signature = mfree(r.namespaces[0].signature);
        r.namespaces[0].mode = NS_MODE_DEVDAX;
        CHECK_INT(plan_for(pol, &r, 1, &p), 0);
        x = row(&p, "dax");
        if (x)
                CHECK_INT(x->action, PLAN_ADOPT);
        plan_done(&p);
        r.namespaces[0].mode = NS_MODE_FSDAX;
        CHECK_INT(plan_for(pol, &r, 1, &p), 0);
        x = row(&p, "dax");
        if (x)
                CHECK_INT(x->action, PLAN_CONFLICT);
        plan_done(&p);
        region_state_done(&r);
}

TEST(label_less_region_gets_labels_initialised_when_asked) {
        RegionState r = region("region0", BASE, GiB, false);
        Plan p = {};
        const PlanRow *x;
        const char *pol = "[region nv]\ninit-labels = yes\n"
                          "[namespace a]\nregion = nv\nmode = fsdax\nsize = 100M\n";

        r.can_init_labels = true;
        add_ns(&r, ns("namespace0.0", "", NS_MODE_RAW, BASE, GiB));
        CHECK_INT(plan_for(pol, &r, 1, &p), 0);
        CHECK(p.regions[0].init_labels);
        x = row(&p, "a");
        if (x) {
                CHECK_INT(x->action, PLAN_CREATE);
                CHECK_U64(x->spec.start, BASE);
                CHECK_CONTAINS(x->message, "after initialising labels");
        }
        plan_done(&p);

        r.namespaces[0].signature = strdup("xfs");
        CHECK_INT(plan_for(pol, &r, 1, &p), 0);
        CHECK(!p.regions[0].init_labels);
        x = row(&p, "a");
        if (x) {
                CHECK_INT(x->action, PLAN_CONFLICT);
                CHECK_CONTAINS(x->message, "init-labels refused");
        }
        plan_done(&p);
        region_state_done(&r);
}

TEST(system_ram_sizes_round_to_memory_blocks) {
        RegionState r = region("region0", BASE, GiB, true);
        Plan p = {};
        const PlanRow *x;

        CHECK_INT(plan_for("[region nv]\n[namespace ram]\nregion = nv\nmode = devdax\nsize = 200M\n"
                           "system-ram = online-movable\n", &r, 1, &p), 0);
        x = row(&p, "ram");
        if (x) {
                CHECK_INT(x->action, PLAN_CREATE);
                /* extended so the data range ends on a 128M memory block boundary */
                CHECK_U64(x->spec.size, 256 * MiB);
                CHECK_U64((x->spec.start + x->spec.size) % (128 * MiB), 0);
                /* dataoff of 256M map=dev is 6M: kmem trims 122M at the head */
                CHECK_U64(x->kmem_lost, 122 * MiB);
                CHECK(x->kmem_lost < 128 * MiB);
        }
        plan_done(&p);

        CHECK_INT(plan_for("[region nv]\n[namespace ram]\nregion = nv\nmode = devdax\nsize = 16M\n"
                           "system-ram = online\n", &r, 1, &p), 0);
        x = row(&p, "ram");
        if (x)
                CHECK_U64(x->spec.size, 128 * MiB);
        plan_done(&p);
        region_state_done(&r);

        /* what that create made is adopted by the next plan, not drift (the VM saw a 256M
         * online-movable policy placed after other namespaces created as 380M) */
        RegionState r2 = region("region0", BASE, GiB, true);
        add_ns(&r2, ns("namespace0.0", "pram", NS_MODE_DEVDAX, BASE + 4 * MiB, 380 * MiB));
        r2.namespaces[0].usable = 372 * MiB;
        CHECK_INT(plan_for("[region nv]\ngranularity = subsection\n[namespace pram]\nregion = nv\n"
                           "mode = devdax\nsize = 256M\nsystem-ram = online-movable\n", &r2, 1, &p), 0);
        x = row(&p, "pram");
        if (x)
                CHECK_INT(x->action, PLAN_ADOPT);
        plan_done(&p);
        /* the tolerance is one block, not unbounded */
        r2.namespaces[0].size = 640 * MiB;
        CHECK_INT(plan_for("[region nv]\ngranularity = subsection\n[namespace pram]\nregion = nv\n"
                           "mode = devdax\nsize = 256M\nsystem-ram = online-movable\n", &r2, 1, &p), 0);
        x = row(&p, "pram");
        if (x)
                CHECK_INT(x->action, PLAN_DRIFT);
        plan_done(&p);
        region_state_done(&r2);
}

TEST(selectors_match_by_numa_node_dev_and_size) {
        RegionState rs[2] = { region("region0", BASE, GiB, true),
                              region("region1", BASE + 2 * GiB, 512 * MiB, true) };
        Plan p = {};

        rs[1].numa_node = 1;
        CHECK_INT(plan_for("[region far]\nmatch.numa-node = 1\n"
                           "[region any]\nmatch.dev = region*\nmatch.size-min = 1G\n"
                           "[namespace a]\nregion = far\nmode = raw\nsize = 16M\n"
                           "[namespace b]\nregion = any\nmode = raw\nsize = 16M\n",
                           rs, 2, &p), 0);
        CHECK_INT(p.n_regions, 2);
        CHECK_INT(p.regions[0].selector, 1);
        CHECK_INT(p.regions[1].selector, 0);
        CHECK_STR(row(&p, "a")->spec.region, "region1");
        CHECK_STR(row(&p, "b")->spec.region, "region0");
        plan_done(&p);
        region_state_done(&rs[0]);
        region_state_done(&rs[1]);
}

TEST(imperative_request) {
        RegionState r = region("region0", BASE, GiB, true);
        Config c = {};
        ConfDiags d = {};
        KernelInfo k = kernel_61();
        Plan p = {};
        PlanRequest q = { .region = "region0", .name = "adhoc", .mode = NS_MODE_FSDAX,
                          .size = 33 * MiB };

        CHECK_INT(config_load_strings(NULL, NULL, &c, &d), 0);
        add_ns(&r, ns("namespace0.0", "x", NS_MODE_RAW, BASE, 30 * MiB));
        PlanInput in = { .config = &c, .kernel = &k, .regions = &r, .n_regions = 1, .request = &q };
        CHECK_INT(plan_compute(&in, &p), 0);
        CHECK_INT(p.n_rows, 1);
        if (p.n_rows == 1) {
                CHECK_INT(p.rows[0].action, PLAN_CREATE);
                CHECK_U64(p.rows[0].spec.size, 34 * MiB);
                CHECK_U64(p.rows[0].spec.start, BASE + 30 * MiB);
        }
        plan_done(&p);

        q.region = "region9";
        CHECK_INT(plan_compute(&in, &p), -ENODEV);
        q.region = "region0";
        q.size = 8 * MiB;
        CHECK_INT(plan_compute(&in, &p), 0);
        CHECK_INT(p.rows[0].action, PLAN_SKIP);
        plan_done(&p);
        config_done(&c);
        region_state_done(&r);
}

TEST(selector_matching_two_regions) {
        RegionState rs[2] = { region("region0", BASE, GiB, true),
                              region("region1", BASE + 2 * GiB, GiB, true) };
        Plan p = {};
        size_t n = 0;

        add_ns(&rs[0], ns("namespace0.0", "db", NS_MODE_FSDAX, BASE, 130 * MiB));
        CHECK_INT(plan_for("[region any]\n[namespace db]\nregion = any\nmode = fsdax\nsize = 130M\n",
                           rs, 2, &p), 0);
        /* adopted in the first region, created in the second */
        for (size_t i = 0; i < p.n_rows; i++)
                if (streq(p.rows[i].spec.name, "db")) {
                        n++;
                        if (streq(p.rows[i].spec.region, "region0"))
                                CHECK_INT(p.rows[i].action, PLAN_ADOPT);
                        else
                                CHECK_INT(p.rows[i].action, PLAN_CREATE);
                }
        CHECK_INT(n, 2);
        plan_done(&p);
        region_state_done(&rs[0]);
        region_state_done(&rs[1]);
}

/* Plan one policy whose size the test sets past what config.c accepts, as a Config built
 * by other means could: the planner must neither wrap nor create below the request. */
static void plan_huge(const char *mode_and_map, SizeKind kind, uint64_t size, const RegionState *r,
                      Plan *p) {
        char text[256];
        Config c = {};
        ConfDiags d = {};
        KernelInfo k = kernel_61();

        snprintf(text, sizeof(text), "[region r]\n[namespace big]\nregion = r\n%s\n%s = 1G\n",
                 mode_and_map, kind == SIZE_USABLE ? "usable-size" : "size");
        const char *files[] = { "50-test.conf", text, NULL };
        CHECK_INT(config_load_strings(NULL, files, &c, &d), 0);
        conf_diags_done(&d);
        if (c.n_policies != 1)
                return;
        c.policies[0].size = size;
        PlanInput in = { .config = &c, .kernel = &k, .regions = r, .n_regions = 1 };
        CHECK_INT(plan_compute(&in, p), 0);
        for (size_t i = 0; i < p->n_rows; i++) {
                const PlanRow *x = &p->rows[i];
                printf("#   %s %s size=%" PRIu64 " usable=%" PRIu64 " (asked %" PRIu64 "): %s\n",
                       plan_action_to_string(x->action), x->spec.name, x->spec.size, x->spec.usable, size,
                       x->message);
                if (x->action == PLAN_CREATE) {
                        CHECK(kind != SIZE_USABLE || x->spec.usable >= size);
                        CHECK(x->spec.size >= (kind == SIZE_BYTES ? size : x->spec.usable));
                }
        }
        config_done(&c);
}

TEST(usable_size_near_2_64) {
        static const uint64_t sizes[] = {
                UINT64_C(18162948012094319695), /* wrapped to "9G raw, 9070M usable" */
                UINT64_MAX, UINT64_MAX - 64 * MiB, UINT64_MAX / 65 * 64 + 1,
                UINT64_C(1) << 63, (UINT64_C(1) << 56) + 1,
        };
        static const char *const modes[] = { "mode = fsdax\nmap = dev", "mode = fsdax\nmap = mem",
                                             "mode = devdax", "mode = sector", "mode = raw" };
        RegionState r = region("region0", BASE, 64 * GiB, true);

        for (size_t m = 0; m < ELEMENTSOF(modes); m++)
                for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                        Plan p = {};
                        plan_huge(modes[m], SIZE_USABLE, sizes[i], &r, &p);
                        CHECK_INT(p.n_rows, 1);
                        if (p.n_rows == 1)
                                CHECK_INT(p.rows[0].action, PLAN_SKIP);
                        plan_done(&p);
                }
        region_state_done(&r);
}

TEST(a_size_near_2_64_does_not_wrap) {
        RegionState r = region("region0", BASE, 64 * GiB, true);
        Plan p = {};

        /* rounded up to the granularity, 2^64 - 1 used to become 0 */
        plan_huge("mode = raw", SIZE_BYTES, UINT64_MAX, &r, &p);
        CHECK_INT(p.n_rows, 1);
        if (p.n_rows == 1) {
                CHECK_INT(p.rows[0].action, PLAN_SKIP);
                CHECK_CONTAINS(p.rows[0].message, "beyond 2^64 bytes");
        }
        plan_done(&p);
        plan_huge("mode = fsdax", SIZE_BYTES, UINT64_MAX - GiB, &r, &p);
        CHECK_INT(p.n_rows, 1);
        if (p.n_rows == 1)
                CHECK_INT(p.rows[0].action, PLAN_SKIP);
        plan_done(&p);
        region_state_done(&r);
}

TEST(usable_size_exactly_what_fits) {
        RegionState r = region("region0", BASE, 64 * GiB, true);
        Plan p = {};

        /* 62G usable fits in 64G as fsdax with map = dev; 63G does not */
        plan_huge("mode = fsdax\nmap = dev", SIZE_USABLE, 62 * GiB, &r, &p);
        if (p.n_rows == 1) {
                CHECK_INT(p.rows[0].action, PLAN_CREATE);
                CHECK(p.rows[0].spec.usable >= 62 * GiB);
        }
        plan_done(&p);
        plan_huge("mode = fsdax\nmap = dev", SIZE_USABLE, 63 * GiB, &r, &p);
        if (p.n_rows == 1) {
                CHECK_INT(p.rows[0].action, PLAN_SKIP);
                CHECK_CONTAINS(p.rows[0].message, "does not fit");
        }
        plan_done(&p);
        region_state_done(&r);
}

/* Every row and region plan of a plan, one a line. */
static char *plan_render(const Plan *p) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        CHECK(f != NULL);
        if (!f)
                return NULL;
        for (size_t i = 0; i < p->n_rows; i++) {
                const PlanRow *r = &p->rows[i];
                fprintf(f, "%s|%s|%s|%s|%s|%" PRIu64 "|%" PRIu64 "|%#" PRIx64 "|%" PRIu64 "|%" PRIu64 "|%zd|%s\n",
                        plan_action_to_string(r->action), r->spec.name, r->spec.region, strempty(r->spec.ns_dev),
                        plan_row_mode(r), r->spec.size, r->spec.usable, r->spec.start, r->lost, r->kmem_lost,
                        r->policy, strempty(r->message));
        }
        for (size_t i = 0; i < p->n_regions; i++)
                fprintf(f, "region|%s|%zd|%" PRIu64 "|%" PRIu64 "|%d|%" PRIu64 "\n", p->regions[i].region,
                        p->regions[i].selector, p->regions[i].granularity, p->regions[i].region_align,
                        p->regions[i].init_labels, p->regions[i].lost_to_alignment);
        fclose(f);
        return s;
}

/* Five regions under two selectors: adopt, drift, foreign, create, 'rest', a label-less one
 * owned by 'rest', a disabled one. The whole plan, as the planner made it before it stopped
 * scanning every row per instance (issue 15): the rows a region's instances look for are its
 * own, whatever comes before. */
#define MULTI_REGION_PLAN \
        "adopt|db|region0|namespace0.0|fsdax|136314880|132120576|0x100000000|0|0|0|namespace0.0 already provides db (130M raw, 126M usable)\n" \
        "drift|dax.1|region0|namespace0.1|fsdax|35651584|0|0x10c000000|0|0|1|namespace0.1 dax.1: mode is fsdax, policy wants devdax; left unchanged\n" \
        "skip||region0|namespace0.2|raw|67108864|0|0x110000000|0|0|-1|foreign namespace namespace0.2 'admin' left untouched\n" \
        "create|dax.0|region0||devdax|35651584|33554432|0x108200000|0|0|1|create devdax at 0x108200000: 34M raw, 32M usable, 2M metadata, 0 lost to alignment\n" \
        "create|dax.2|region0||devdax|35651584|33554432|0x114000000|0|0|1|create devdax at 0x114000000: 34M raw, 32M usable, 2M metadata, 0 lost to alignment\n" \
        "create|scratch|region0||raw|702545920|702545920|0x116200000|0|0|2|create raw at 0x116200000: 670M raw, 670M usable, 0 metadata, 0 lost to alignment\n" \
        "adopt|dax.0|region1|namespace1.0|devdax|35651584|33554432|0x180000000|0|0|1|namespace1.0 already provides dax.0 (34M raw, 32M usable)\n" \
        "create|db|region1||fsdax|136314880|132120576|0x182200000|0|0|0|create fsdax at 0x182200000: 130M raw, 126M usable, 4M metadata, 0 lost to alignment\n" \
        "create|dax.1|region1||devdax|35651584|33554432|0x18a400000|0|0|1|create devdax at 0x18a400000: 34M raw, 32M usable, 2M metadata, 0 lost to alignment\n" \
        "create|dax.2|region1||devdax|35651584|33554432|0x18c600000|0|0|1|create devdax at 0x18c600000: 34M raw, 32M usable, 2M metadata, 0 lost to alignment\n" \
        "create|scratch|region1||raw|830472192|830472192|0x18e800000|0|0|2|create raw at 0x18e800000: 792M raw, 792M usable, 0 metadata, 0 lost to alignment\n" \
        "create|log.0|region2||sector|20971520|19873792|0x200000000|0|0|3|create sector at 0x200000000: 20M raw, 19408K usable, 1072K metadata, 0 lost to alignment\n" \
        "create|log.1|region2||sector|20971520|19873792|0x201400000|0|0|3|create sector at 0x201400000: 20M raw, 19408K usable, 1072K metadata, 0 lost to alignment\n" \
        "skip|db|region3||fsdax|0|0|0|0|0|0|region3 is label-less: it holds one namespace spanning the region and only a 'size = rest' policy can own it\n" \
        "skip|dax.0|region3||devdax|0|0|0|0|0|1|region3 is label-less: it holds one namespace spanning the region and only a 'size = rest' policy can own it\n" \
        "skip|dax.1|region3||devdax|0|0|0|0|0|1|region3 is label-less: it holds one namespace spanning the region and only a 'size = rest' policy can own it\n" \
        "skip|dax.2|region3||devdax|0|0|0|0|0|1|region3 is label-less: it holds one namespace spanning the region and only a 'size = rest' policy can own it\n" \
        "adopt|scratch|region3|namespace3.0|raw|100663296|100663296|0x280000000|0|0|2|label-less namespace3.0 is already raw; adopted\n" \
        "skip|db|region4||fsdax|0|0|0|0|0|0|region4 is disabled; enable it (ndctl enable-region region4) to provision it\n" \
        "skip|dax.0|region4||devdax|0|0|0|0|0|1|region4 is disabled; enable it (ndctl enable-region region4) to provision it\n" \
        "skip|dax.1|region4||devdax|0|0|0|0|0|1|region4 is disabled; enable it (ndctl enable-region region4) to provision it\n" \
        "skip|dax.2|region4||devdax|0|0|0|0|0|1|region4 is disabled; enable it (ndctl enable-region region4) to provision it\n" \
        "skip|scratch|region4||raw|0|0|0|0|0|2|region4 is disabled; enable it (ndctl enable-region region4) to provision it\n" \
        "region|region0|1|2097152|2097152|0|0\n" \
        "region|region1|1|2097152|2097152|0|0\n" \
        "region|region2|0|2097152|2097152|0|0\n" \
        "region|region3|1|2097152|2097152|0|0\n" \
        "region|region4|1|0|0|0|0\n"

TEST(multi_region_plan_is_unchanged) {
        RegionState rs[5] = { region("region0", BASE, GiB, true), region("region1", BASE + 2 * GiB, GiB, true),
                              region("region2", BASE + 4 * GiB, 512 * MiB, true),
                              region("region3", BASE + 6 * GiB, 96 * MiB, false),
                              region("region4", BASE + 8 * GiB, GiB, true) };
        Plan p = {};

        add_ns(&rs[0], ns("namespace0.0", "db", NS_MODE_FSDAX, BASE, 130 * MiB));
        add_ns(&rs[0], ns("namespace0.1", "dax.1", NS_MODE_FSDAX, BASE + 192 * MiB, 34 * MiB));
        add_ns(&rs[0], ns("namespace0.2", "admin", NS_MODE_RAW, BASE + 256 * MiB, 64 * MiB));
        add_ns(&rs[1], ns("namespace1.0", "dax.0", NS_MODE_DEVDAX, BASE + 2 * GiB, 34 * MiB));
        rs[2].numa_node = 1;
        add_ns(&rs[3], ns("namespace3.0", "", NS_MODE_RAW, BASE + 6 * GiB, 96 * MiB));
        rs[4].enabled = false;
        CHECK_INT(plan_for("[region far]\nmatch.numa-node = 1\n"
                           "[region any]\nmatch.dev = region*\ngranularity = subsection\n"
                           "[namespace db]\nregion = any\nmode = fsdax\nsize = 130M\n"
                           "[namespace dax]\nregion = any\nmode = devdax\nsize = 34M\nalign = 2M\ncount = 3\n"
                           "[namespace scratch]\nregion = any\nmode = raw\nsize = rest\n"
                           "[namespace log]\nregion = far\nmode = sector\nsize = 20M\ncount = 2\n",
                           rs, ELEMENTSOF(rs), &p), 0);
        _cleanup_free_ char *s = plan_render(&p);
        CHECK_STR(s, MULTI_REGION_PLAN);
        plan_done(&p);
        for (size_t i = 0; i < ELEMENTSOF(rs); i++)
                region_state_done(&rs[i]);
}
