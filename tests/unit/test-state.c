/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "state.h"
#include "tests.h"
#include "util/macro.h"

static NsState ns0[] = {
        { .dev = (char *) "namespace0.0", .name = (char *) "db" },
        { .dev = (char *) "namespace0.1", .name = (char *) "" },
};
static NsState ns1[] = {
        { .dev = (char *) "namespace1.0", .name = (char *) "db" },
        { .dev = (char *) "namespace1.2", .name = NULL },
};
static const RegionState regions[] = {
        { .dev = (char *) "region0", .namespaces = ns0, .n_namespaces = ELEMENTSOF(ns0) },
        { .dev = (char *) "region1", .namespaces = ns1, .n_namespaces = ELEMENTSOF(ns1) },
        { .dev = (char *) "region2" },
};

TEST(region_by_dev) {
        CHECK(region_state_find(regions, ELEMENTSOF(regions), "region0") == &regions[0]);
        CHECK(region_state_find(regions, ELEMENTSOF(regions), "region2") == &regions[2]);
        CHECK(!region_state_find(regions, ELEMENTSOF(regions), "region3"));
        CHECK(!region_state_find(regions, 0, "region0"));
        CHECK(!region_state_find(NULL, 0, "region0"));
}

TEST(namespace_by_dev_across_regions) {
        const RegionState *r = NULL;

        CHECK(ns_state_find(regions, ELEMENTSOF(regions), "namespace1.2", &r) == &ns1[1]);
        CHECK(r == &regions[1]);
        CHECK(ns_state_find(regions, ELEMENTSOF(regions), "namespace0.0", NULL) == &ns0[0]);
        r = NULL;
        CHECK(!ns_state_find(regions, ELEMENTSOF(regions), "namespace2.0", &r));
        CHECK(!r); /* untouched when there is none */
        CHECK(!ns_state_find(regions, ELEMENTSOF(regions), "region0", NULL));
}

TEST(namespace_by_name_in_region) {
        /* names are per region: the same name in region1 is not region0's */
        CHECK(region_state_find_ns_by_name(&regions[0], "db") == &ns0[0]);
        CHECK(region_state_find_ns_by_name(&regions[1], "db") == &ns1[0]);
        /* a label-less namespace (NULL name) is found as "" like one with an empty label */
        CHECK(region_state_find_ns_by_name(&regions[0], "") == &ns0[1]);
        CHECK(region_state_find_ns_by_name(&regions[1], "") == &ns1[1]);
        CHECK(!region_state_find_ns_by_name(&regions[2], "db"));
}

TEST(spec_done) {
        NsSpec s = { .region = strdup("region0"), .name = strdup("db"), .ns_dev = NULL };

        CHECK(s.region && s.name);
        ns_spec_done(&s);
}
