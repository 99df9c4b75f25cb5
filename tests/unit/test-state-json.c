/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "json-read.h"
#include "state-json.h"
#include "tests.h"
#include "util/macro.h"

/* Every field set, and away from its default where it has one: what a worker hands over. */

static NsState ns0[] = {
        { .dev = (char *) "namespace0.0", .name = (char *) "db", .uuid = (char *) "0d9e8c3a-5b1f-4c2e-9a7d-3f6b2e1c0a98",
          .mode = NS_MODE_FSDAX, .start = UINT64_MAX - 1, .size = UINT64_MAX, .usable = 1,
          .map = NS_MAP_MEM, .align = 2 * MiB, .enabled = true, .signature = (char *) "",
          .blank = true, .blockdev = (char *) "pmem0", .chardev = (char *) "dax0.0", .system_ram = true,
          .inactive = (char *) "no \"driver\"\n\t\\/é", .inflight = true },
        /* every optional string NULL, "" label name and uuid */
        { .dev = (char *) "namespace0.1", .name = (char *) "", .uuid = (char *) "",
          .mode = NS_MODE_RAW, .map = NS_MAP_DEV },
        { .dev = NULL, .name = NULL, .uuid = NULL, .mode = NS_MODE_DEVDAX, .size = (uint64_t) INT64_MAX + 1,
          .chardev = (char *) "dax0.2", .enabled = true, .inflight = true },
        { .dev = (char *) "namespace0.3", .mode = NS_MODE_SECTOR, .map = NS_MAP_MEM, .signature = (char *) "ext4",
          .blank = true, .system_ram = true },
};
static NsState ns1[] = {
        { .dev = (char *) "namespace1.0", .name = (char *) "x", .uuid = (char *) "u", .mode = NS_MODE_DEVDAX,
          .size = (uint64_t) INT64_MAX },
};
static char *memdevs0[] = { (char *) "4660", (char *) "18446744073709551615", NULL };
static char *memdevs_empty[] = { NULL };
static RegionState regions[] = {
        { .dev = (char *) "region0", .type = (char *) "pmem", .provider = (char *) "ACPI.NFIT",
          .numa_node = -1, .start = UINT64_MAX, .size = 1, .align = 16 * MiB, .ways = UINT32_MAX,
          .memdevs = memdevs0, .assembled_as = (char *) "db", .labeled = true, .can_init_labels = true,
          .labels_v1_2 = true, .enabled = true, .available_size = UINT64_MAX - 5,
          .max_available_extent = 7, .namespaces = ns0, .n_namespaces = ELEMENTSOF(ns0) },
        { .dev = (char *) "region1", .type = (char *) "", .provider = NULL, .numa_node = INT32_MAX,
          .memdevs = memdevs_empty, .assembled_as = (char *) "", .namespaces = ns1,
          .n_namespaces = ELEMENTSOF(ns1) },
        { .dev = (char *) "region2", .numa_node = INT32_MIN, .labeled = true, .labels_v1_2 = true },
};

static CxlMemdevState memdevs[] = {
        { .dev = (char *) "mem0", .serial = UINT64_MAX, .pmem_size = 512 * MiB, .pmem_free = 256 * MiB,
          .host = (char *) "0000:0d:00.0", .port = (char *) "port1", .endpoint = (char *) "endpoint2",
          .free_decoder = (char *) "decoder2.1", .enabled = true },
        { .dev = (char *) "mem1", .serial = 0, .host = (char *) "", .port = NULL },
};
static char *hb[] = { (char *) "pci0000:0c", (char *) "pci0000:20", NULL };
static char *hb_empty[] = { NULL };
static uint64_t reach[] = { 4660, UINT64_MAX, 0 };
static CxlRootDecoderState decoders[] = {
        { .dev = (char *) "decoder0.0", .pmem_capable = true, .start = 0x1000000000, .size = UINT64_MAX,
          .available = 4 * GiB, .ways = 2, .granularity = UINT32_MAX, .targets = hb,
          .reachable = reach, .n_reachable = ELEMENTSOF(reach) },
        { .dev = (char *) "decoder0.1", .targets = hb_empty },
        { .dev = (char *) "decoder0.2", .targets = NULL },
};
static uint64_t targets0[] = { 4660, 0, UINT64_MAX };
static char *target_decoders0[] = { (char *) "decoder2.0", NULL, (char *) "" };
static uint64_t targets2[] = { 7 };
static CxlRegionState cxl_regions[] = {
        { .dev = (char *) "region4", .decoder = (char *) "decoder0.0",
          .uuid = "4b7a3bd2-8cc7-4b8e-9f3a-8c2a1d6a0f11", .type = (char *) "pmem",
          .start = UINT64_MAX - 1, .size = 2 * GiB, .ways = 3, .granularity = 4096,
          .targets = targets0, .target_decoders = target_decoders0, .n_targets = 3,
          .committed = true, .enabled = true, .nd_region = (char *) "region1", .nd_bus = (char *) "ndbus1" },
        { .dev = (char *) "region5", .uuid = "", .type = (char *) "", .nd_region = (char *) "" },
        /* the positions known, their endpoint decoders not */
        { .dev = (char *) "region6", .uuid = "x", .targets = targets2, .n_targets = 1, .committed = true },
};
static const CxlState cxl = {
        .memdevs = memdevs, .n_memdevs = ELEMENTSOF(memdevs),
        .decoders = decoders, .n_decoders = ELEMENTSOF(decoders),
        .regions = cxl_regions, .n_regions = ELEMENTSOF(cxl_regions),
};

static uint64_t rec_memdevs[] = { 4661, UINT64_MAX };
static uint64_t rec_dpa[] = { UINT64_MAX, 0 };
static char *rec_decoders[] = { (char *) "decoder2.0", (char *) "decoder3.0", NULL };
static uint64_t rec_memdevs1[] = { 7 };
static CxlRecord records[] = {
        { .name = (char *) "db", .uuid = "4b7a3bd2-8cc7-4b8e-9f3a-8c2a1d6a0f11",
          .memdevs = rec_memdevs, .dpa_before = rec_dpa, .n_memdevs = 2, .size = UINT64_MAX,
          .granularity = UINT32_MAX, .decoders = rec_decoders, .assembled = true,
          .creating = (char *) "region4", .boot_id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" },
        /* written before dpa_before was kept, nothing being created */
        { .name = (char *) "", .uuid = "", .memdevs = rec_memdevs1, .n_memdevs = 1,
          .decoders = NULL, .creating = NULL, .boot_id = "" },
        { .name = NULL, .decoders = memdevs_empty, .creating = (char *) "" },
};

static char *text(json_object *o) {
        return strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

/* what the daemon reads from the pipe: the text parsed again */
static json_object *reparse(const char *s) {
        return json_tokener_parse(s);
}

TEST(regions_round_trip) {
        _cleanup_(json_object_putp) json_object *o = region_states_to_json(regions, ELEMENTSOF(regions));
        _cleanup_(json_object_putp) json_object *p = NULL, *o2 = NULL;
        _cleanup_free_ char *s1 = NULL, *s2 = NULL;
        RegionState *back = NULL;
        size_t n = 0;

        CHECK(o);
        s1 = text(o);
        p = reparse(s1);
        CHECK(p);
        CHECK_INT(region_states_from_json(p, &back, &n), 0);
        CHECK_INT(n, ELEMENTSOF(regions));
        o2 = region_states_to_json(back, n);
        s2 = text(o2);
        CHECK_STR(s2, s1);

        CHECK_STR(back[0].dev, "region0");
        CHECK_INT(back[0].numa_node, -1);
        CHECK_INT(back[1].numa_node, INT32_MAX);
        CHECK_INT(back[2].numa_node, INT32_MIN);
        CHECK_U64(back[0].start, UINT64_MAX);
        CHECK_U64(back[0].available_size, UINT64_MAX - 5);
        CHECK_U64(back[0].ways, UINT32_MAX);
        CHECK(back[0].labeled && back[0].can_init_labels && back[0].labels_v1_2 && back[0].enabled);
        CHECK(!back[1].labeled && !back[1].can_init_labels && !back[1].labels_v1_2 && !back[1].enabled);
        CHECK_STR(back[0].memdevs[1], "18446744073709551615");
        CHECK(!back[0].memdevs[2]);
        CHECK(back[1].memdevs && !back[1].memdevs[0]); /* empty, not NULL */
        CHECK(!back[2].memdevs);
        CHECK_STR(back[1].type, "");
        CHECK(!back[1].provider);
        CHECK_STR(back[1].assembled_as, "");
        CHECK(!back[2].assembled_as);
        CHECK_INT(back[0].n_namespaces, 4);
        CHECK_INT(back[2].n_namespaces, 0);
        CHECK(!back[2].namespaces);

        const NsState *a = &back[0].namespaces[0], *b = &back[0].namespaces[1], *c = &back[0].namespaces[2];
        CHECK_INT(a->mode, NS_MODE_FSDAX);
        CHECK_INT(a->map, NS_MAP_MEM);
        CHECK_U64(a->size, UINT64_MAX);
        CHECK_U64(a->start, UINT64_MAX - 1);
        CHECK(a->enabled && a->blank && a->system_ram && a->inflight);
        CHECK(!b->enabled && !b->blank && !b->system_ram && !b->inflight);
        CHECK_STR(a->signature, "");
        CHECK_STR(a->chardev, "dax0.0");
        CHECK_STR(a->inactive, ns0[0].inactive);
        CHECK_STR(b->name, "");
        CHECK_STR(b->uuid, "");
        CHECK(!b->signature && !b->blockdev && !b->chardev && !b->inactive);
        CHECK(!c->dev && !c->name && !c->uuid);
        CHECK_U64(c->size, (uint64_t) INT64_MAX + 1);
        CHECK_INT(back[0].namespaces[3].mode, NS_MODE_SECTOR);
        CHECK_U64(back[1].namespaces[0].size, INT64_MAX);

        region_states_free(back, n);
}

TEST(cxl_state_round_trip) {
        _cleanup_(json_object_putp) json_object *o = cxl_state_to_json(&cxl);
        _cleanup_(json_object_putp) json_object *p = NULL, *o2 = NULL;
        _cleanup_free_ char *s1 = NULL, *s2 = NULL;
        CxlState back = {};

        CHECK(o);
        s1 = text(o);
        p = reparse(s1);
        CHECK_INT(cxl_state_from_json(p, &back), 0);
        o2 = cxl_state_to_json(&back);
        s2 = text(o2);
        CHECK_STR(s2, s1);

        CHECK_INT(back.n_memdevs, 2);
        CHECK_INT(back.n_decoders, 3);
        CHECK_INT(back.n_regions, 3);
        CHECK_U64(back.memdevs[0].serial, UINT64_MAX);
        CHECK(back.memdevs[0].enabled && !back.memdevs[1].enabled);
        CHECK_STR(back.memdevs[1].host, "");
        CHECK(!back.memdevs[1].port && !back.memdevs[1].endpoint && !back.memdevs[1].free_decoder);
        CHECK(back.decoders[0].pmem_capable && !back.decoders[1].pmem_capable);
        CHECK_U64(back.decoders[0].granularity, UINT32_MAX);
        CHECK_INT(back.decoders[0].n_reachable, 3);
        CHECK_U64(back.decoders[0].reachable[1], UINT64_MAX);
        CHECK_STR(back.decoders[0].targets[1], "pci0000:20");
        CHECK(back.decoders[1].targets && !back.decoders[1].targets[0]);
        CHECK(!back.decoders[2].targets);
        CHECK(!back.decoders[1].reachable && back.decoders[1].n_reachable == 0);

        const CxlRegionState *g = &back.regions[0];
        CHECK_STR(g->uuid, cxl_regions[0].uuid);
        CHECK_INT(g->n_targets, 3);
        CHECK_U64(g->targets[2], UINT64_MAX);
        CHECK_STR(g->target_decoders[0], "decoder2.0");
        CHECK(!g->target_decoders[1]);
        CHECK_STR(g->target_decoders[2], "");
        CHECK(g->committed && g->enabled);
        CHECK_U64(g->start, UINT64_MAX - 1);
        CHECK_STR(back.regions[1].uuid, "");
        CHECK_STR(back.regions[1].nd_region, "");
        CHECK(!back.regions[1].nd_bus && !back.regions[1].decoder);
        CHECK(!back.regions[1].committed && !back.regions[1].enabled);
        CHECK_INT(back.regions[2].n_targets, 1);
        CHECK(!back.regions[2].target_decoders);

        cxl_state_done(&back);
}

TEST(cxl_state_empty) {
        _cleanup_(json_object_putp) json_object *o = cxl_state_to_json(&(CxlState) {});
        CxlState back = { .n_memdevs = 99 };

        CHECK_STR(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                  "{\"memdevs\":[],\"decoders\":[],\"regions\":[]}");
        CHECK_INT(cxl_state_from_json(o, &back), 0);
        CHECK(!back.memdevs && !back.decoders && !back.regions);
        CHECK_INT(back.n_memdevs + back.n_decoders + back.n_regions, 0);
}

TEST(records_round_trip) {
        _cleanup_(json_object_putp) json_object *o = cxl_records_to_json(records, ELEMENTSOF(records));
        _cleanup_(json_object_putp) json_object *p = NULL, *o2 = NULL;
        _cleanup_free_ char *s1 = NULL, *s2 = NULL;
        CxlRecord *back = NULL;
        size_t n = 0;

        CHECK(o);
        s1 = text(o);
        p = reparse(s1);
        CHECK_INT(cxl_records_from_json(p, &back, &n), 0);
        CHECK_INT(n, 3);
        o2 = cxl_records_to_json(back, n);
        s2 = text(o2);
        CHECK_STR(s2, s1);

        CHECK_STR(back[0].name, "db");
        CHECK_STR(back[0].uuid, records[0].uuid);
        CHECK_STR(back[0].boot_id, records[0].boot_id);
        CHECK_INT(back[0].n_memdevs, 2);
        CHECK_U64(back[0].memdevs[1], UINT64_MAX);
        CHECK_U64(back[0].dpa_before[0], UINT64_MAX);
        CHECK_U64(back[0].size, UINT64_MAX);
        CHECK_U64(back[0].granularity, UINT32_MAX);
        CHECK_STR(back[0].decoders[1], "decoder3.0");
        CHECK(!back[0].decoders[2]);
        CHECK(back[0].assembled && !back[1].assembled);
        CHECK_STR(back[0].creating, "region4");
        CHECK(!back[1].creating);
        CHECK_STR(back[2].creating, "");
        CHECK(!back[1].dpa_before);
        CHECK(!back[1].decoders);
        CHECK(back[2].decoders && !back[2].decoders[0]);
        CHECK_STR(back[1].name, "");
        CHECK(!back[2].name);
        CHECK_STR(back[1].uuid, "");
        CHECK_STR(back[1].boot_id, "");
        CHECK(!back[2].memdevs && back[2].n_memdevs == 0);

        cxl_records_free(back, n);
}

TEST(empty_arrays) {
        _cleanup_(json_object_putp) json_object *a = region_states_to_json(NULL, 0);
        _cleanup_(json_object_putp) json_object *b = cxl_records_to_json(NULL, 0);
        RegionState *r = (RegionState *) 1;
        CxlRecord *c = (CxlRecord *) 1;
        size_t n = 9, m = 9;

        CHECK_STR(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN), "[]");
        CHECK_INT(region_states_from_json(a, &r, &n), 0);
        CHECK(!r && n == 0);
        CHECK_INT(cxl_records_from_json(b, &c, &m), 0);
        CHECK(!c && m == 0);
}

/* Malformed input: the good text, parsed, with one member changed at a path of keys and
 * indexes ("0.namespaces.1.mode"); v NULL with del removes the key. */
static json_object *mangled(json_object *good, const char *path, json_object *v, bool del) {
        json_object *o = NULL, *cur;
        _cleanup_free_ char *p = strdup(path);
        char *save = NULL, *tok, *next;

        if (json_object_deep_copy(good, &o, NULL) < 0)
                abort();
        cur = o;
        for (tok = strtok_r(p, ".", &save); tok; tok = next) {
                next = strtok_r(NULL, ".", &save);
                bool is_idx = tok[0] >= '0' && tok[0] <= '9';

                if (next) {
                        cur = is_idx ? json_object_array_get_idx(cur, atoi(tok)) :
                                       json_object_object_get(cur, tok);
                        if (!cur)
                                abort();
                } else if (is_idx)
                        json_object_array_put_idx(cur, atoi(tok), v);
                else if (del)
                        json_object_object_del(cur, tok);
                else
                        json_object_object_add(cur, tok, v);
        }
        return o;
}

static int regions_bad(json_object *good, const char *path, json_object *v, bool del) {
        _cleanup_(json_object_putp) json_object *o = mangled(good, path, v, del);
        RegionState *r = (RegionState *) 1;
        size_t n = 9;
        int k = region_states_from_json(o, &r, &n);

        CHECK(r == (RegionState *) 1 && n == 9); /* nothing returned */
        return k;
}

static int cxl_bad(json_object *good, const char *path, json_object *v, bool del) {
        _cleanup_(json_object_putp) json_object *o = mangled(good, path, v, del);
        CxlState s = { .n_memdevs = 99 };
        int k = cxl_state_from_json(o, &s);

        CHECK(s.n_memdevs == 99 && !s.memdevs);
        return k;
}

static int records_bad(json_object *good, const char *path, json_object *v, bool del) {
        _cleanup_(json_object_putp) json_object *o = mangled(good, path, v, del);
        CxlRecord *r = (CxlRecord *) 1;
        size_t n = 9;
        int k = cxl_records_from_json(o, &r, &n);

        CHECK(r == (CxlRecord *) 1 && n == 9);
        return k;
}

#define SET(f, good, path, v) f(good, path, v, false)
#define DEL(f, good, path) f(good, path, NULL, true)

TEST(malformed_regions) {
        _cleanup_(json_object_putp) json_object *g = region_states_to_json(regions, ELEMENTSOF(regions));
        RegionState *r = NULL;
        size_t n = 0;

        CHECK_INT(region_states_from_json(NULL, &r, &n), -EBADMSG);
        CHECK_INT(region_states_from_json(json_object_array_get_idx(g, 0), &r, &n), -EBADMSG);
        /* an element an array, or null */
        CHECK_INT(SET(regions_bad, g, "1", json_object_new_array()), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "2", NULL), -EBADMSG);
        /* after other regions and namespaces were read: the leak check is ASan's */
        CHECK_INT(SET(regions_bad, g, "2.numa_node", json_object_new_string("0")), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "2.numa_node", json_object_new_int64(INT64_C(1) << 31)), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "2.numa_node", json_object_new_uint64(UINT64_MAX)), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "2.numa_node", json_object_new_double(1.0)), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "1.ways", json_object_new_int64(INT64_C(1) << 32)), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "1.ways", json_object_new_int(-1)), -EBADMSG);
        CHECK_INT(DEL(regions_bad, g, "2.labels_v1_2"), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "1.labeled", json_object_new_int(1)), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "1.labeled", NULL), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "0.start", json_object_new_int(-1)), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "0.start", json_object_new_string("1")), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "0.start", NULL), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "0.memdevs.1", NULL), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "0.memdevs.1", json_object_new_int(4660)), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "0.memdevs", json_object_new_string("4660")), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "1.provider", json_object_new_int(1)), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "1.provider", json_object_new_string_len("a\0b", 3)), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "2.namespaces", NULL), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "2.namespaces", json_object_new_object()), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "0.namespaces.3", json_object_new_array()), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "0.namespaces.3.mode", json_object_new_string("dax")), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "0.namespaces.3.mode", json_object_new_int(0)), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "0.namespaces.3.mode", NULL), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "0.namespaces.3.map", json_object_new_string("")), -EBADMSG);
        CHECK_INT(DEL(regions_bad, g, "0.namespaces.3.inflight"), -EBADMSG);
        CHECK_INT(DEL(regions_bad, g, "1.namespaces.0.signature"), -EBADMSG); /* null is not absent */
        CHECK_INT(SET(regions_bad, g, "1.namespaces.0.size", json_object_new_double(1e30)), -EBADMSG);
        CHECK_INT(SET(regions_bad, g, "1.namespaces.0.uuid", json_object_new_boolean(true)), -EBADMSG);
}

TEST(malformed_cxl_state) {
        _cleanup_(json_object_putp) json_object *g = cxl_state_to_json(&cxl);
        _cleanup_(json_object_putp) json_object *arr = json_object_new_array();
        CxlState s = {};

        CHECK_INT(cxl_state_from_json(NULL, &s), -EBADMSG);
        CHECK_INT(cxl_state_from_json(arr, &s), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "regions.2.uuid", json_object_new_string("4b7a3bd2-8cc7-4b8e-9f3a-8c2a1d6a0f11x")),
                  -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "regions.2.uuid", NULL), -EBADMSG);
        CHECK_INT(DEL(cxl_bad, g, "regions.2.uuid"), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "regions.2.target_decoders", json_object_new_array()), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "regions.0.target_decoders.2", json_object_new_int(2)), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "regions.0.target_decoders.3", json_object_new_string("x")), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "regions.0.targets.2", json_object_new_int(-2)), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "regions.0.targets.2", NULL), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "regions.0.targets", NULL), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "regions.0.granularity", json_object_new_uint64(UINT64_MAX)), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "regions", json_object_new_object()), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "regions.1", json_object_new_array()), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "decoders.0.reachable.0", json_object_new_string("4660")), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "decoders.0.reachable", NULL), -EBADMSG);
        CHECK_INT(DEL(cxl_bad, g, "decoders.2.targets"), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "decoders.0.targets.0", NULL), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "decoders.1.pmem_capable", json_object_new_string("true")), -EBADMSG);
        CHECK_INT(SET(cxl_bad, g, "memdevs.1.serial", json_object_new_int(-1)), -EBADMSG);
        CHECK_INT(DEL(cxl_bad, g, "memdevs.1.free_decoder"), -EBADMSG);
        CHECK_INT(DEL(cxl_bad, g, "memdevs"), -EBADMSG);
}

TEST(malformed_records) {
        _cleanup_(json_object_putp) json_object *g = cxl_records_to_json(records, ELEMENTSOF(records));
        CxlRecord *r = NULL;
        size_t n = 0;

        CHECK_INT(cxl_records_from_json(json_object_array_get_idx(g, 0), &r, &n), -EBADMSG);
        CHECK_INT(SET(records_bad, g, "2.uuid", json_object_new_string("0123456789012345678901234567890123456")),
                  -EBADMSG);
        CHECK_INT(SET(records_bad, g, "2.boot_id", json_object_new_string("0123456789012345678901234567890123456")),
                  -EBADMSG);
        CHECK_INT(SET(records_bad, g, "2.boot_id", NULL), -EBADMSG);
        CHECK_INT(SET(records_bad, g, "0.dpa_before.2", json_object_new_int(1)), -EBADMSG);
        CHECK_INT(SET(records_bad, g, "1.dpa_before", json_object_new_array()), -EBADMSG);
        CHECK_INT(SET(records_bad, g, "2.memdevs", NULL), -EBADMSG);
        CHECK_INT(SET(records_bad, g, "0.decoders.1", json_object_new_int(3)), -EBADMSG);
        CHECK_INT(DEL(records_bad, g, "2.creating"), -EBADMSG);
        CHECK_INT(SET(records_bad, g, "2.assembled", NULL), -EBADMSG);
        CHECK_INT(SET(records_bad, g, "2", json_object_new_string("db")), -EBADMSG);

        /* 36 characters are a uuid's, and fit */
        _cleanup_(json_object_putp) json_object *o =
                mangled(g, "2.uuid", json_object_new_string("012345678901234567890123456789012345"), false);
        CHECK_INT(cxl_records_from_json(o, &r, &n), 0);
        CHECK_STR(r[2].uuid, "012345678901234567890123456789012345");
        cxl_records_free(r, n);
}
