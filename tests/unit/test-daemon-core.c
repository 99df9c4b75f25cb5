/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon core (daemon/, linked as pmemnsd-core) without a kernel: config loading from a
 * tree, planning from the cache, ownership decisions and request validation that must
 * refuse before anything reaches the nd bus, and the region signature that decides when
 * udev events trigger a reconcile. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job-json.h"
#include "manager.h"
#include "records.h"
#include "region-signature.h"
#include "tests.h"
#include "kernel-61.h"
#include "util/macro.h"

#define BASE (UINT64_C(4) << 30)

static char root[] = "/tmp/pmemnsd-test-core.XXXXXX";

static void cleanup(void) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        if (system(cmd) != 0)
                printf("# could not remove %s\n", root);
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        CHECK(f != NULL);
        if (!f)
                return;
        fputs(text, f);
        CHECK(fclose(f) == 0);
        CHECK(chmod(path, 0644) == 0);
}

/* A config tree under a private root, records in a private state directory. */
static const char *setup(void) {
        static bool done;
        char path[256];

        if (done)
                return root;
        done = true;
        CHECK(mkdtemp(root) != NULL);
        CHECK(chmod(root, 0755) == 0);
        atexit(cleanup);
        snprintf(path, sizeof(path), "%s/state", root);
        CHECK(mkdir(path, 0755) == 0);
        setenv("STATE_DIRECTORY", path, 1);
        snprintf(path, sizeof(path), "%s/run", root);
        CHECK(mkdir(path, 0755) == 0);
        setenv("RUNTIME_DIRECTORY", path, 1);
        snprintf(path, sizeof(path), "%s/policy.d", root);
        CHECK(mkdir(path, 0755) == 0);
        snprintf(path, sizeof(path), "%s/pmemnsd.conf", root);
        write_file(path, "[daemon]\napply = manual\n");
        snprintf(path, sizeof(path), "%s/policy.d/50-db.conf", root);
        write_file(path, "[region nv]\nmatch.provider = ACPI.NFIT\ngranularity = 2M\n"
                         "[namespace db]\nregion = nv\nmode = fsdax\nsize = 130M\n");
        return root;
}

static NsState ns(const char *dev, const char *name, const char *uuid, uint64_t start, uint64_t size) {
        return (NsState) { .dev = strdup(dev), .name = strdup(name), .uuid = strdup(uuid),
                           .mode = NS_MODE_FSDAX, .start = start, .size = size, .enabled = true };
}

static RegionState region(const char *dev, bool labeled) {
        return (RegionState) { .dev = strdup(dev), .type = strdup("pmem"),
                               .provider = strdup("ACPI.NFIT"), .start = BASE, .size = UINT64_C(1) << 30,
                               .align = 16 << 20, .ways = 1, .labeled = labeled,
                               .labels_v1_2 = true, .enabled = true };
}

static void add_ns(RegionState *r, NsState n) {
        r->namespaces = realloc(r->namespaces, sizeof(NsState) * (r->n_namespaces + 1));
        r->namespaces[r->n_namespaces++] = n;
}

/* A Manager as the daemon has it after a refresh: config loaded, the cache filled by hand
 * (region0 with the policy's db and an admin's namespace), the plan computed from it. */
static Manager *manager_with_cache(void) {
        Manager *m = NULL;
        ConfDiags d = {};

        CHECK_INT(manager_new(setup(), &m), 0);
        m->kernel = kernel_61();
        CHECK_INT(manager_load_config(m, &d), 0);
        for (size_t i = 0; i < d.n; i++)
                printf("#   diag: %s:%u: %s\n", d.items[i].file, d.items[i].line, d.items[i].message);
        conf_diags_done(&d);

        m->regions = calloc(1, sizeof(RegionState));
        m->n_regions = 1;
        m->regions[0] = region("region0", true);
        add_ns(&m->regions[0], ns("namespace0.0", "db", "0b7e6a56-52e0-4a39-9c87-1a8f1b1c0f01", BASE,
                                  130 << 20));
        add_ns(&m->regions[0], ns("namespace0.1", "admin", "6f1c2d3e-0000-4000-8000-00000000a001",
                                  BASE + (256 << 20), 64 << 20));
        CHECK_INT(manager_compute_plan(m, m->regions, m->n_regions, &m->plan), 0);
        return m;
}

TEST(manager_loads_the_config_tree_and_resolves_the_granularity) {
        _cleanup_(manager_freep) Manager *m = manager_with_cache();

        CHECK_INT(m->config.n_policies, 1);
        CHECK_INT(m->config.n_selectors, 1);
        CHECK(m->config.daemon.apply == APPLY_MANUAL);
        CHECK_U64(m->granularity, m->kernel.subsection_size); /* the default: the finest the kernel allows */
}

TEST(plan_is_served_from_the_cache_and_adopts_the_policys_namespace) {
        _cleanup_(manager_freep) Manager *m = manager_with_cache();
        _cleanup_(plan_done) Plan p = {};
        const PlanRow *db;

        CHECK_INT(manager_plan(m, &p), 0);
        db = plan_find_instance(&p, "db");
        CHECK(db != NULL);
        if (db)
                CHECK_STR(plan_action_to_string(db->action), "adopt");
        /* the admin's namespace is foreign: shown, owned by nobody */
        CHECK(manager_namespace_row(m, "namespace0.0") != NULL);
        CHECK(manager_namespace_row(m, "namespace0.1") == NULL);
}

TEST(lookups_find_regions_namespaces_and_failures) {
        _cleanup_(manager_freep) Manager *m = manager_with_cache();
        const RegionState *r = NULL;
        PlanRow row = { .spec.name = (char *) "db", .spec.ns_dev = (char *) "namespace0.0",
                        .message = (char *) "boom" };

        CHECK(manager_find_region(m, "region0") == &m->regions[0]);
        CHECK(manager_find_region(m, "region9") == NULL);
        CHECK(manager_find_namespace(m, "namespace0.1", &r) == &m->regions[0].namespaces[1]);
        CHECK(r == &m->regions[0]);
        CHECK(manager_find_namespace(m, "namespace9.0", NULL) == NULL);

        CHECK(manager_find_failure(m, "db", NULL) == NULL);
        CHECK_INT(manager_failure_add(m, &row), 0);
        CHECK_STR(manager_find_failure(m, "db", NULL)->message, "boom");
        CHECK_STR(manager_find_failure(m, NULL, "namespace0.0")->instance, "db");
        manager_failures_clear(m);
        CHECK(manager_find_failure(m, "db", NULL) == NULL);
}

/* The lookups are served by an index (cache-index.c): it follows a cache replaced behind its
 * back, and answers with the first failure that matches either key, as the scan did. */
TEST(lookups_follow_a_replaced_cache) {
        _cleanup_(manager_freep) Manager *m = manager_with_cache();
        PlanRow by_dev = { .spec.name = (char *) "other", .spec.ns_dev = (char *) "namespace0.0",
                           .message = (char *) "first" };
        PlanRow by_name = { .spec.name = (char *) "db", .message = (char *) "second" };
        RegionState *next = calloc(1, sizeof(RegionState));

        CHECK(manager_find_namespace(m, "namespace0.1", NULL) != NULL);
        next[0] = region("region7", true);
        add_ns(&next[0], ns("namespace7.0", "db", "0b7e6a56-52e0-4a39-9c87-1a8f1b1c0f07", BASE, 130 << 20));
        region_states_free(m->regions, m->n_regions);
        m->regions = next;
        CHECK(manager_find_region(m, "region0") == NULL);
        CHECK(manager_find_namespace(m, "namespace0.1", NULL) == NULL);
        CHECK(manager_find_namespace(m, "namespace7.0", NULL) == &next[0].namespaces[0]);

        CHECK_INT(manager_failure_add(m, &by_dev), 0);
        CHECK_INT(manager_failure_add(m, &by_name), 0);
        CHECK_STR(manager_find_failure(m, "db", "namespace0.0")->message, "first");
        CHECK_STR(manager_find_failure(m, "db", NULL)->message, "second");
        CHECK_STR(manager_find_failure(m, "db", "namespace9.9")->message, "second");
}

/* Refusals come from the cache before any libndctl context is opened: no nd bus here. */
TEST(destroy_refuses_a_foreign_namespace_and_names_it) {
        _cleanup_(manager_freep) Manager *m = manager_with_cache();
        _cleanup_free_ char *err = NULL;

        CHECK_INT(manager_destroy_namespace(m, "namespace0.1", &err), -EPERM);
        CHECK(err && strstr(err, "namespace0.1 'admin' is foreign"));
        err = mfree(err);
        CHECK_INT(manager_destroy_namespace(m, "namespace7.3", &err), -ENODEV);
        CHECK_STR(err, "no namespace namespace7.3");
}

TEST(create_refuses_a_name_the_region_already_has) {
        _cleanup_(manager_freep) Manager *m = manager_with_cache();
        _cleanup_free_ char *err = NULL, *dev = NULL;
        PlanRequest req = { .region = "region0", .name = "admin", .mode = NS_MODE_FSDAX,
                            .size = 64 << 20, .map = NS_MAP_DEV };

        CHECK_INT(manager_create_namespace(m, &req, &dev, &err), -EINVAL);
        CHECK_STR(err, "region0 already has a namespace named 'admin' (namespace0.1)");
        CHECK(dev == NULL);
}

TEST(create_refuses_what_the_planner_refuses_with_its_reason) {
        _cleanup_(manager_freep) Manager *m = manager_with_cache();
        _cleanup_free_ char *err = NULL, *dev = NULL;
        PlanRequest req = { .region = "region0", .name = "huge", .mode = NS_MODE_FSDAX,
                            .size = UINT64_C(2) << 30, .map = NS_MAP_DEV };

        CHECK_INT(manager_create_namespace(m, &req, &dev, &err), -EINVAL);
        CHECK(err != NULL);
        printf("#   planner says: %s\n", strempty(err));
        CHECK(dev == NULL);
}

TEST(region_signature_changes_when_a_region_becomes_ready_not_on_namespace_work) {
        RegionState r[2] = { region("region0", true), region("region1", false) };
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL;

        add_ns(&r[1], ns("namespace1.0", "", "", BASE, UINT64_C(1) << 30));
        r[1].namespaces[0].enabled = false;
        a = region_signature(r, 2);
        CHECK_STR(a, "region0+L region1+U ");

        /* our own creates in a labelled region: no new reconcile */
        add_ns(&r[0], ns("namespace0.0", "db", "", BASE, 130 << 20));
        b = region_signature(r, 2);
        CHECK_STR(a, b);

        /* a label-less region's namespace came up: ready now */
        r[1].namespaces[0].enabled = true;
        c = region_signature(r, 2);
        CHECK(!streq(b, c));

        /* a region disabled, then one gone */
        r[0].enabled = false;
        d = region_signature(r, 2);
        CHECK(!streq(c, d));
        e = region_signature(r, 1);
        CHECK(!streq(d, e));
        region_state_done(&r[0]);
        region_state_done(&r[1]);
}

/* What the daemon hands its worker (daemon/job-json.c): the job and the configuration in
 * force as the text of its files, read back into the same policies, with the same file
 * names; and the worker's result with the kernel state read back into what the cache
 * becomes. */
TEST(a_job_and_its_result_cross_to_the_worker_and_back) {
        _cleanup_(manager_freep) Manager *m = manager_with_cache();
        Job j = { .kind = JOB_CREATE, .request = { .region = "region0", .name = "new", .mode = NS_MODE_DEVDAX,
                                                  .size = 130 << 20, .align = 2 << 20 } };
        json_object *o = job_to_json(&j, &m->config), *back;
        Job k = {};
        Config c = {};
        ConfDiags d = {};

        CHECK(o != NULL);
        back = json_tokener_parse(json_object_to_json_string(o));
        CHECK_INT(job_from_json(back, &k, &c, &d), 0);
        CHECK_INT(d.n, 0);
        CHECK(k.kind == JOB_CREATE);
        CHECK_STR(k.request.region, "region0");
        CHECK_STR(k.request.name, "new");
        CHECK(k.request.mode == NS_MODE_DEVDAX);
        CHECK_U64(k.request.size, 130 << 20);
        CHECK_U64(k.request.align, 2 << 20);
        CHECK_INT(c.n_files, m->config.n_files);
        for (size_t i = 0; i < c.n_files && i < m->config.n_files; i++)
                CHECK_STR(c.files[i], m->config.files[i]);
        CHECK(c.main_read == m->config.main_read);
        CHECK_INT(c.n_policies, 1);
        CHECK(c.daemon.apply == APPLY_MANUAL);
        if (c.n_policies == 1) {
                CHECK_STR(c.policies[0].name, "db");
                CHECK_STR(c.policies[0].file, m->config.policies[0].file);
                CHECK_INT(c.policies[0].line, m->config.policies[0].line);
        }
        config_done(&c);
        free(k.region);
        free(k.name);
        free(k.ns_dev);
        json_object_put(back);

        /* strict (json-read.h): the job without any one of its keys is refused */
        json_object_object_foreach(o, key, val) {
                json_object *t = json_tokener_parse(json_object_to_json_string(o));
                Job k2 = {};
                Config c2 = {};
                ConfDiags d2 = {};

                (void) val;
                json_object_object_del(t, key);
                CHECK_INT(job_from_json(t, &k2, &c2, &d2), -EBADMSG);
                free(k2.region);
                free(k2.name);
                free(k2.ns_dev);
                conf_diags_done(&d2);
                json_object_put(t);
        }
        json_object_put(o);

        /* a job that is not one, or without its configuration: refused */
        back = json_tokener_parse("{\"job\":\"format-disk\",\"start\":false,\"ns_dev\":null,"
                                  "\"create\":null,\"config\":{\"files\":[],\"main_read\":false}}");
        CHECK_INT(job_from_json(back, &k, &c, &d), -EBADMSG);
        json_object_put(back);
        back = json_tokener_parse("{\"job\":\"read\",\"start\":false,\"ns_dev\":null,\"create\":null,"
                                  "\"config\":null}");
        CHECK_INT(job_from_json(back, &k, &c, &d), -EBADMSG);
        json_object_put(back);

        /* the result: rows, and the cache the daemon installs */
        JobResult res = { .r = 0, .has_state = true, .read_usec = 12345, .regions = m->regions,
                          .n_regions = m->n_regions, .plan = m->plan }, got = {};
        o = job_result_to_json(&res);
        json_object *inner = NULL;
        back = json_tokener_parse(json_object_to_json_string(o));
        CHECK(json_object_object_get_ex(back, "result", &inner));
        CHECK_INT(job_result_from_json(inner, &got), 0);
        CHECK(got.has_state);
        CHECK_U64(got.read_usec, 12345);
        CHECK_INT(got.n_regions, 1);
        CHECK_INT(got.plan.n_rows, m->plan.n_rows);
        if (got.n_regions == 1) {
                CHECK_STR(got.regions[0].dev, "region0");
                CHECK_INT(got.regions[0].n_namespaces, 2);
        }
        /* strict: without any one of its keys, or a row's size not a number, refused */
        json_object_object_foreach(inner, rkey, rval) {
                json_object *t = json_tokener_parse(json_object_to_json_string(inner));
                JobResult g2 = {};

                (void) rval;
                json_object_object_del(t, rkey);
                CHECK_INT(job_result_from_json(t, &g2), -EBADMSG);
                job_result_done(&g2);
                json_object_put(t);
        }
        CHECK(m->plan.n_rows > 0);
        {
                json_object *t = json_tokener_parse(json_object_to_json_string(inner)), *rows, *row;
                JobResult g2 = {};

                CHECK(json_object_object_get_ex(t, "rows", &rows));
                row = json_object_array_get_idx(rows, 0);
                json_object_object_add(row, "size", json_object_new_string("1"));
                CHECK_INT(job_result_from_json(t, &g2), -EBADMSG);
                job_result_done(&g2);
                json_object_put(t);
        }
        manager_install_state(m, got.regions, got.n_regions, &got.cxl, got.cxl_records, got.n_cxl_records);
        got.regions = NULL;
        got.n_regions = 0;
        got.cxl_records = NULL;
        got.n_cxl_records = 0;
        CHECK(manager_find_namespace(m, "namespace0.1", NULL) != NULL);
        CHECK(manager_namespace_row(m, "namespace0.0") != NULL);
        job_result_done(&got);
        json_object_put(back);
        json_object_put(o);
}
