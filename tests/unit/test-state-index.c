/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/state-index.c answers as the linear scans it replaces did: the first match in array
 * order, with duplicate devices, rows about the same namespace, conflicts and foreign rows;
 * and so does its fallback when it could not be built. */
#include <stdio.h>

#include "state-index.h"
#include "tests.h"
#include "util/macro.h"

/* the scans as daemon/namespace-bus.c and region-bus.c had them */
static const PlanRow *scan_ns_row(const Plan *plan, const char *ns_dev, bool *ret_conflict) {
        *ret_conflict = false;
        for (size_t i = 0; i < plan->n_rows; i++) {
                const PlanRow *r = &plan->rows[i];
                if (!r->spec.ns_dev || !streq(r->spec.ns_dev, ns_dev) || isempty(r->spec.name))
                        continue;
                if (r->action == PLAN_CONFLICT) {
                        *ret_conflict = true;
                        continue;
                }
                return r;
        }
        return NULL;
}

static const PlanRow *scan_last_row(const Plan *plan, const char *ns_dev) {
        const PlanRow *last = NULL;
        for (size_t i = 0; i < plan->n_rows; i++)
                if (plan->rows[i].spec.ns_dev && streq(plan->rows[i].spec.ns_dev, ns_dev))
                        last = &plan->rows[i];
        return last;
}

static const RegionPlan *scan_region_plan(const Plan *plan, const char *dev) {
        for (size_t i = 0; i < plan->n_regions; i++)
                if (streq(plan->regions[i].region, dev))
                        return &plan->regions[i];
        return NULL;
}

static char *region_dev(unsigned a) {
        char *s;
        CHECK(asprintf(&s, "region%u", a) >= 0);
        return s;
}

static char *ns_dev(unsigned a, unsigned b) {
        char *s;
        CHECK(asprintf(&s, "namespace%u.%u", a, b) >= 0);
        return s;
}

/* 7 regions (region3 twice), 5 namespaces each (namespace4.1 twice); rows: per namespace an
 * owner, a conflict before it for every third, a foreign one for every fifth, a row with
 * no namespace; region plans with region2 twice */
static void make(RegionState **ret, size_t *ret_n, Plan *plan) {
        size_t n = 7, k = 5;
        RegionState *rs = calloc(n, sizeof(RegionState));
        static const PlanAction actions[] = { PLAN_ADOPT, PLAN_DRIFT, PLAN_SKIP, PLAN_CREATE };

        *plan = (Plan) {};
        for (size_t i = 0; i < n; i++) {
                unsigned ri = i == 6 ? 3 : (unsigned) i;
                rs[i].dev = region_dev(ri);
                rs[i].namespaces = calloc(k, sizeof(NsState));
                rs[i].n_namespaces = k;
                for (size_t j = 0; j < k; j++)
                        rs[i].namespaces[j].dev = ns_dev(i == 5 && j == 3 ? 4 : ri,
                                                          i == 5 && j == 3 ? 1 : (unsigned) j);
        }
        for (size_t i = 0, x = 0; i < n; i++)
                for (size_t j = 0; j < k; j++, x++) {
                        const char *dev = rs[i].namespaces[j].dev;
                        PlanRow *r;
                        if (x % 3 == 0) {
                                r = plan_add_row(plan, PLAN_CONFLICT, "c", rs[i].dev);
                                r->spec.ns_dev = strdup(dev);
                                plan_row_set_message(r, "conflict %zu", x);
                        }
                        if (x % 5 == 0) {
                                r = plan_add_row(plan, PLAN_SKIP, "", rs[i].dev);
                                r->spec.ns_dev = strdup(dev);
                                plan_row_set_message(r, "foreign %zu", x);
                        }
                        if (x % 7 != 0) {
                                r = plan_add_row(plan, actions[x % 4], "i", rs[i].dev);
                                r->spec.ns_dev = strdup(dev);
                                plan_row_set_message(r, "row %zu", x);
                        }
                        if (x % 4 == 0)
                                (void) plan_add_row(plan, PLAN_CREATE, "new", rs[i].dev);
                }
        plan->regions = calloc(n + 1, sizeof(RegionPlan));
        for (size_t i = 0; i <= n; i++)
                plan->regions[plan->n_regions++] = (RegionPlan) {
                        .region = region_dev(i == n ? 2 : (unsigned) i), .selector = (ssize_t) i };
        *ret = rs;
        *ret_n = n;
}

static void check_same(const StateIndex *x, const RegionState *rs, size_t n, const Plan *plan) {
        for (unsigned a = 0; a < 9; a++) {
                _cleanup_free_ char *rd = region_dev(a);
                CHECK(state_index_region(x, rd) == region_state_find(rs, n, rd));
                CHECK(state_index_region_plan(x, rd) == scan_region_plan(plan, rd));
                for (unsigned b = 0; b < 7; b++) {
                        _cleanup_free_ char *d = ns_dev(a, b);
                        const RegionState *r1 = NULL, *r2 = NULL;
                        bool c1 = true, c2 = false;

                        CHECK(state_index_namespace(x, d, &r1) == ns_state_find(rs, n, d, &r2));
                        CHECK(r1 == r2);
                        CHECK(state_index_ns_row(x, d, &c1) == scan_ns_row(plan, d, &c2));
                        CHECK(c1 == c2);
                        CHECK(state_index_ns_last_row(x, d) == scan_last_row(plan, d));
                }
        }
}

TEST(lookups_answer_as_the_scans) {
        RegionState *rs;
        size_t n;
        _cleanup_(plan_done) Plan plan = {};
        _cleanup_(state_index_done) StateIndex x = {};
        bool conflict;

        make(&rs, &n, &plan);
        state_index_build(&x, rs, n, &plan);
        CHECK(x.indexed);
        check_same(&x, rs, n, &plan);
        /* the duplicates: the first one */
        CHECK(state_index_region(&x, "region3") == &rs[3]);
        CHECK(state_index_namespace(&x, "namespace4.1", NULL) == &rs[4].namespaces[1]);
        CHECK(state_index_region_plan(&x, "region2") == &plan.regions[2]);
        /* namespace0.0: a conflict, a foreign row, no owner (0 % 7 == 0) */
        CHECK(state_index_ns_row(&x, "namespace0.0", &conflict) == NULL);
        CHECK(conflict);
        CHECK_STR(state_index_ns_last_row(&x, "namespace0.0")->message, "foreign 0");
        CHECK(state_index_namespace(&x, "namespace9.9", NULL) == NULL);
        region_states_free(rs, n);
}

TEST(the_fallback_scans_alike) {
        RegionState *rs;
        size_t n;
        _cleanup_(plan_done) Plan plan = {};

        make(&rs, &n, &plan);
        StateIndex x = { .regions = rs, .n_regions = n, .plan = &plan }; /* not indexed */
        check_same(&x, rs, n, &plan);
        region_states_free(rs, n);
}

TEST(no_plan_no_rows) {
        RegionState *rs;
        size_t n;
        _cleanup_(plan_done) Plan plan = {};
        _cleanup_(state_index_done) StateIndex x = {};
        bool conflict = true;

        make(&rs, &n, &plan);
        state_index_build(&x, rs, n, NULL);
        CHECK(state_index_region(&x, "region1") == &rs[1]);
        CHECK(state_index_ns_row(&x, "namespace1.1", &conflict) == NULL);
        CHECK(!conflict);
        CHECK(state_index_ns_last_row(&x, "namespace1.1") == NULL);
        CHECK(state_index_region_plan(&x, "region1") == NULL);
        region_states_free(rs, n);
}
