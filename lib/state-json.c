/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>

#include <string.h>

#include "json-read.h"
#include "state-json.h"
#include "util/macro.h"
#include "util/strv.h"

/* Building: each put_*() adds one member and keeps the first error in *r, so that a builder
 * adds every field and checks once. A NULL json_object is JSON null to json-c. */

static void put_obj(json_object *o, const char *key, json_object *v, int *r) {
        if (*r >= 0 && !v)
                *r = -ENOMEM; /* the constructor's allocation failed */
        if (*r < 0) {
                json_object_put(v);
                return;
        }
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v); /* json-c takes v only when it succeeds */
                *r = -ENOMEM;
        }
}

static void put_null(json_object *o, const char *key, int *r) {
        if (*r >= 0 && json_object_object_add(o, key, NULL) < 0)
                *r = -ENOMEM;
}

static void put_str(json_object *o, const char *key, const char *s, int *r) {
        if (s)
                put_obj(o, key, json_object_new_string(s), r);
        else
                put_null(o, key, r);
}

static void put_u64(json_object *o, const char *key, uint64_t v, int *r) {
        put_obj(o, key, json_object_new_uint64(v), r);
}

static void put_int(json_object *o, const char *key, int v, int *r) {
        put_obj(o, key, json_object_new_int(v), r);
}

static void put_bool(json_object *o, const char *key, bool v, int *r) {
        put_obj(o, key, json_object_new_boolean(v), r);
}

static int array_add(json_object *a, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

/* n strings, NULL entries as JSON null */
static json_object *strings_to_json(char *const *l, size_t n) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();

        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (l[i] ? array_add(a, json_object_new_string(l[i])) < 0 :
                           json_object_array_add(a, NULL) < 0)
                        return NULL;
        return TAKE_PTR(a);
}

static json_object *u64s_to_json(const uint64_t *v, size_t n) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();

        if (!a)
                return NULL;
        for (size_t i = 0; v && i < n; i++)
                if (array_add(a, json_object_new_uint64(v[i])) < 0)
                        return NULL;
        return TAKE_PTR(a);
}

/* NULL-terminated; a NULL list is JSON null, an empty one [] */
static void put_strv(json_object *o, const char *key, char *const *l, int *r) {
        if (l)
                put_obj(o, key, strings_to_json(l, strv_length(l)), r);
        else
                put_null(o, key, r);
}

static json_object *ns_to_json(const NsState *n) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r = 0;

        if (!o)
                return NULL;
        put_str(o, "dev", n->dev, &r);
        put_str(o, "name", n->name, &r);
        put_str(o, "uuid", n->uuid, &r);
        /* an out-of-range enum is no state the model has: null, refused by the parser */
        put_str(o, "mode", ns_mode_to_string(n->mode), &r);
        put_u64(o, "start", n->start, &r);
        put_u64(o, "size", n->size, &r);
        put_u64(o, "usable", n->usable, &r);
        put_str(o, "map", ns_map_to_string(n->map), &r);
        put_u64(o, "align", n->align, &r);
        put_bool(o, "enabled", n->enabled, &r);
        put_str(o, "signature", n->signature, &r);
        put_bool(o, "blank", n->blank, &r);
        put_str(o, "blockdev", n->blockdev, &r);
        put_str(o, "chardev", n->chardev, &r);
        put_bool(o, "system_ram", n->system_ram, &r);
        put_str(o, "inactive", n->inactive, &r);
        put_bool(o, "inflight", n->inflight, &r);
        return r < 0 ? NULL : TAKE_PTR(o);
}

static json_object *region_to_json(const RegionState *g) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *a;
        int r = 0;

        if (!o)
                return NULL;
        put_str(o, "dev", g->dev, &r);
        put_str(o, "type", g->type, &r);
        put_str(o, "provider", g->provider, &r);
        put_int(o, "numa_node", g->numa_node, &r);
        put_u64(o, "start", g->start, &r);
        put_u64(o, "size", g->size, &r);
        put_u64(o, "align", g->align, &r);
        put_u64(o, "ways", g->ways, &r);
        put_strv(o, "memdevs", g->memdevs, &r);
        put_str(o, "assembled_as", g->assembled_as, &r);
        put_bool(o, "labeled", g->labeled, &r);
        put_bool(o, "can_init_labels", g->can_init_labels, &r);
        put_bool(o, "labels_v1_2", g->labels_v1_2, &r);
        put_bool(o, "enabled", g->enabled, &r);
        put_u64(o, "available_size", g->available_size, &r);
        put_u64(o, "max_available_extent", g->max_available_extent, &r);
        a = json_object_new_array();
        put_obj(o, "namespaces", a, &r);
        for (size_t i = 0; r >= 0 && i < g->n_namespaces; i++)
                r = array_add(a, ns_to_json(&g->namespaces[i]));
        return r < 0 ? NULL : TAKE_PTR(o);
}

json_object *region_states_to_json(const RegionState *regions, size_t n) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();

        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (array_add(a, region_to_json(&regions[i])) < 0)
                        return NULL;
        return TAKE_PTR(a);
}

static json_object *memdev_to_json(const CxlMemdevState *m) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r = 0;

        if (!o)
                return NULL;
        put_str(o, "dev", m->dev, &r);
        put_u64(o, "serial", m->serial, &r);
        put_u64(o, "pmem_size", m->pmem_size, &r);
        put_u64(o, "pmem_free", m->pmem_free, &r);
        put_str(o, "host", m->host, &r);
        put_str(o, "port", m->port, &r);
        put_str(o, "endpoint", m->endpoint, &r);
        put_str(o, "free_decoder", m->free_decoder, &r);
        put_bool(o, "enabled", m->enabled, &r);
        return r < 0 ? NULL : TAKE_PTR(o);
}

static json_object *decoder_to_json(const CxlRootDecoderState *d) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r = 0;

        if (!o)
                return NULL;
        put_str(o, "dev", d->dev, &r);
        put_bool(o, "pmem_capable", d->pmem_capable, &r);
        put_u64(o, "start", d->start, &r);
        put_u64(o, "size", d->size, &r);
        put_u64(o, "available", d->available, &r);
        put_u64(o, "ways", d->ways, &r);
        put_u64(o, "granularity", d->granularity, &r);
        put_strv(o, "targets", d->targets, &r);
        put_obj(o, "reachable", u64s_to_json(d->reachable, d->n_reachable), &r);
        return r < 0 ? NULL : TAKE_PTR(o);
}

static json_object *cxl_region_to_json(const CxlRegionState *g) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r = 0;

        if (!o)
                return NULL;
        put_str(o, "dev", g->dev, &r);
        put_str(o, "decoder", g->decoder, &r);
        put_str(o, "uuid", g->uuid, &r);
        put_str(o, "type", g->type, &r);
        put_u64(o, "start", g->start, &r);
        put_u64(o, "size", g->size, &r);
        put_u64(o, "ways", g->ways, &r);
        put_u64(o, "granularity", g->granularity, &r);
        put_obj(o, "targets", u64s_to_json(g->targets, g->n_targets), &r);
        /* parallel to targets; NULL entries are positions without an endpoint decoder */
        if (g->target_decoders)
                put_obj(o, "target_decoders", strings_to_json(g->target_decoders, g->n_targets), &r);
        else
                put_null(o, "target_decoders", &r);
        put_bool(o, "committed", g->committed, &r);
        put_bool(o, "enabled", g->enabled, &r);
        put_str(o, "nd_region", g->nd_region, &r);
        put_str(o, "nd_bus", g->nd_bus, &r);
        return r < 0 ? NULL : TAKE_PTR(o);
}

json_object *cxl_state_to_json(const CxlState *s) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *m, *d, *g;
        int r = 0;

        if (!o)
                return NULL;
        put_obj(o, "memdevs", m = json_object_new_array(), &r);
        put_obj(o, "decoders", d = json_object_new_array(), &r);
        put_obj(o, "regions", g = json_object_new_array(), &r);
        for (size_t i = 0; r >= 0 && i < s->n_memdevs; i++)
                r = array_add(m, memdev_to_json(&s->memdevs[i]));
        for (size_t i = 0; r >= 0 && i < s->n_decoders; i++)
                r = array_add(d, decoder_to_json(&s->decoders[i]));
        for (size_t i = 0; r >= 0 && i < s->n_regions; i++)
                r = array_add(g, cxl_region_to_json(&s->regions[i]));
        return r < 0 ? NULL : TAKE_PTR(o);
}

static json_object *record_to_json(const CxlRecord *c) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r = 0;

        if (!o)
                return NULL;
        put_str(o, "name", c->name, &r);
        put_str(o, "uuid", c->uuid, &r);
        put_obj(o, "memdevs", u64s_to_json(c->memdevs, c->n_memdevs), &r);
        /* NULL in records written before it was kept */
        if (c->dpa_before)
                put_obj(o, "dpa_before", u64s_to_json(c->dpa_before, c->n_memdevs), &r);
        else
                put_null(o, "dpa_before", &r);
        put_u64(o, "size", c->size, &r);
        put_u64(o, "granularity", c->granularity, &r);
        put_strv(o, "decoders", c->decoders, &r);
        put_bool(o, "assembled", c->assembled, &r);
        put_str(o, "creating", c->creating, &r);
        put_str(o, "boot_id", c->boot_id, &r);
        return r < 0 ? NULL : TAKE_PTR(o);
}

json_object *cxl_records_to_json(const CxlRecord *records, size_t n) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();

        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (array_add(a, record_to_json(&records[i])) < 0)
                        return NULL;
        return TAKE_PTR(a);
}

/* Parsing: each json_member_*() (json-read.h) or get_*() reads one member into a zeroed
 * struct and keeps the first error in *r; the struct's done function frees whatever was
 * read before an error. */

/* into a char[37] (uuid, boot id): 36 characters at most */
static void get_uuid(json_object *o, const char *key, char ret[static 37], int *r) {
        const char *s = json_member_name(o, key, r);

        if (*r < 0)
                return;
        if (strlen(s) > 36) {
                *r = -EBADMSG;
                return;
        }
        strcpy(ret, s);
}

/* null or an array of strings, into a NULL-terminated list */
static void get_strv(json_object *o, const char *key, char ***ret, int *r) {
        json_object *v = json_member(o, key, r);
        _cleanup_(strv_freep) char **l = NULL;
        size_t n;

        if (*r < 0 || !v)
                return;
        if (!json_object_is_type(v, json_type_array)) {
                *r = -EBADMSG;
                return;
        }
        n = json_object_array_length(v);
        l = calloc(n + 1, sizeof(char *));
        if (!l) {
                *r = -ENOMEM;
                return;
        }
        for (size_t i = 0; i < n; i++) {
                *r = json_string_dup(json_object_array_get_idx(v, i), &l[i]);
                if (*r < 0)
                        return;
        }
        *ret = TAKE_PTR(l);
}

/* An array of want entries, each a string or null; null for the whole is NULL. */
static void get_strings(json_object *o, const char *key, size_t want, char ***ret, int *r) {
        json_object *v = json_member(o, key, r);
        char **l;

        if (*r < 0 || !v)
                return;
        if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != want) {
                *r = -EBADMSG;
                return;
        }
        /* given to the caller at once: its done function frees the n_targets entries */
        l = *ret = calloc(MAX(want, 1u), sizeof(char *));
        if (!l) {
                *r = -ENOMEM;
                return;
        }
        for (size_t i = 0; i < want && *r >= 0; i++) {
                json_object *e = json_object_array_get_idx(v, i);

                if (e)
                        *r = json_string_dup(e, &l[i]);
        }
}

/* An array of uint64 into *ret, its length into *ret_n. optional: null is NULL too, and the
 * length must be *ret_n already (a parallel array). An empty mandatory array is NULL; an
 * empty optional one is not, for the NULL test of the caller to see it the same. */
static void get_u64s(json_object *o, const char *key, bool optional, uint64_t **ret, size_t *ret_n,
                     int *r) {
        json_object *v = json_member(o, key, r);
        _cleanup_free_ uint64_t *a = NULL;
        size_t n;

        if (*r < 0 || (optional && !v))
                return;
        if (!json_object_is_type(v, json_type_array)) {
                *r = -EBADMSG;
                return;
        }
        n = json_object_array_length(v);
        if (optional && n != *ret_n) {
                *r = -EBADMSG;
                return;
        }
        if (n == 0 && !optional) {
                *ret_n = 0;
                return;
        }
        a = calloc(MAX(n, 1u), sizeof(uint64_t));
        if (!a) {
                *r = -ENOMEM;
                return;
        }
        for (size_t i = 0; i < n; i++) {
                *r = json_u64_of(json_object_array_get_idx(v, i), &a[i]);
                if (*r < 0)
                        return;
        }
        *ret = TAKE_PTR(a);
        *ret_n = n;
}

/* The elements of array a into a fresh *ret of elements of size size; *ret_n is set as soon
 * as *ret is, so that the caller's done function frees what an error left. */
static int parse_elements(json_object *a, size_t size, void **ret, size_t *ret_n,
                          int (*parse)(json_object *, void *)) {
        size_t n = json_object_array_length(a);
        int r = 0;

        if (n == 0)
                return 0;
        *ret = calloc(n, size);
        if (!*ret)
                return -ENOMEM;
        *ret_n = n;
        for (size_t i = 0; i < n && r >= 0; i++)
                r = parse(json_object_array_get_idx(a, i), (uint8_t *) *ret + i * size);
        return r;
}

/* The same for the array under key. */
static int parse_array(json_object *o, const char *key, size_t size, void **ret, size_t *ret_n,
                       int (*parse)(json_object *, void *)) {
        json_object *a;
        size_t n = 0;
        int r = 0;

        a = json_member_array(o, key, &n, &r);
        if (r < 0 || n == 0)
                return r;
        return parse_elements(a, size, ret, ret_n, parse);
}

static int ns_from_json(json_object *o, NsState *n) {
        const char *mode, *map;
        int r = 0;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        json_member_str(o, "dev", &n->dev, &r);
        json_member_str(o, "name", &n->name, &r);
        json_member_str(o, "uuid", &n->uuid, &r);
        mode = json_member_name(o, "mode", &r);
        if (r >= 0 && (n->mode = ns_mode_from_string(mode)) < 0)
                r = -EBADMSG;
        json_member_u64(o, "start", &n->start, &r);
        json_member_u64(o, "size", &n->size, &r);
        json_member_u64(o, "usable", &n->usable, &r);
        map = json_member_name(o, "map", &r);
        if (r >= 0 && (n->map = ns_map_from_string(map)) < 0)
                r = -EBADMSG;
        json_member_u64(o, "align", &n->align, &r);
        json_member_bool(o, "enabled", &n->enabled, &r);
        json_member_str(o, "signature", &n->signature, &r);
        json_member_bool(o, "blank", &n->blank, &r);
        json_member_str(o, "blockdev", &n->blockdev, &r);
        json_member_str(o, "chardev", &n->chardev, &r);
        json_member_bool(o, "system_ram", &n->system_ram, &r);
        json_member_str(o, "inactive", &n->inactive, &r);
        json_member_bool(o, "inflight", &n->inflight, &r);
        return r;
}

static int ns_parse(json_object *o, void *p) {
        return ns_from_json(o, p);
}

static int region_from_json(json_object *o, RegionState *g) {
        int r = 0;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        json_member_str(o, "dev", &g->dev, &r);
        json_member_str(o, "type", &g->type, &r);
        json_member_str(o, "provider", &g->provider, &r);
        json_member_int(o, "numa_node", &g->numa_node, &r);
        json_member_u64(o, "start", &g->start, &r);
        json_member_u64(o, "size", &g->size, &r);
        json_member_u64(o, "align", &g->align, &r);
        json_member_uint(o, "ways", &g->ways, &r);
        get_strv(o, "memdevs", &g->memdevs, &r);
        json_member_str(o, "assembled_as", &g->assembled_as, &r);
        json_member_bool(o, "labeled", &g->labeled, &r);
        json_member_bool(o, "can_init_labels", &g->can_init_labels, &r);
        json_member_bool(o, "labels_v1_2", &g->labels_v1_2, &r);
        json_member_bool(o, "enabled", &g->enabled, &r);
        json_member_u64(o, "available_size", &g->available_size, &r);
        json_member_u64(o, "max_available_extent", &g->max_available_extent, &r);
        if (r < 0)
                return r;
        return parse_array(o, "namespaces", sizeof(NsState), (void **) &g->namespaces, &g->n_namespaces,
                           ns_parse);
}

static int region_parse(json_object *o, void *p) {
        return region_from_json(o, p);
}

int region_states_from_json(json_object *o, RegionState **ret, size_t *ret_n) {
        RegionState *regions = NULL;
        size_t n = 0;
        int r = 0;

        if (!json_object_is_type(o, json_type_array))
                return -EBADMSG;
        r = parse_elements(o, sizeof(RegionState), (void **) &regions, &n, region_parse);
        if (r < 0) {
                region_states_free(regions, n);
                return r;
        }
        *ret = regions;
        *ret_n = n;
        return 0;
}

static int memdev_from_json(json_object *o, CxlMemdevState *m) {
        int r = 0;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        json_member_str(o, "dev", &m->dev, &r);
        json_member_u64(o, "serial", &m->serial, &r);
        json_member_u64(o, "pmem_size", &m->pmem_size, &r);
        json_member_u64(o, "pmem_free", &m->pmem_free, &r);
        json_member_str(o, "host", &m->host, &r);
        json_member_str(o, "port", &m->port, &r);
        json_member_str(o, "endpoint", &m->endpoint, &r);
        json_member_str(o, "free_decoder", &m->free_decoder, &r);
        json_member_bool(o, "enabled", &m->enabled, &r);
        return r;
}

static int decoder_from_json(json_object *o, CxlRootDecoderState *d) {
        int r = 0;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        json_member_str(o, "dev", &d->dev, &r);
        json_member_bool(o, "pmem_capable", &d->pmem_capable, &r);
        json_member_u64(o, "start", &d->start, &r);
        json_member_u64(o, "size", &d->size, &r);
        json_member_u64(o, "available", &d->available, &r);
        json_member_uint(o, "ways", &d->ways, &r);
        json_member_uint(o, "granularity", &d->granularity, &r);
        get_strv(o, "targets", &d->targets, &r);
        get_u64s(o, "reachable", false, &d->reachable, &d->n_reachable, &r);
        return r;
}

static int cxl_region_from_json(json_object *o, CxlRegionState *g) {
        int r = 0;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        json_member_str(o, "dev", &g->dev, &r);
        json_member_str(o, "decoder", &g->decoder, &r);
        get_uuid(o, "uuid", g->uuid, &r);
        json_member_str(o, "type", &g->type, &r);
        json_member_u64(o, "start", &g->start, &r);
        json_member_u64(o, "size", &g->size, &r);
        json_member_uint(o, "ways", &g->ways, &r);
        json_member_uint(o, "granularity", &g->granularity, &r);
        get_u64s(o, "targets", false, &g->targets, &g->n_targets, &r);
        get_strings(o, "target_decoders", g->n_targets, &g->target_decoders, &r);
        json_member_bool(o, "committed", &g->committed, &r);
        json_member_bool(o, "enabled", &g->enabled, &r);
        json_member_str(o, "nd_region", &g->nd_region, &r);
        json_member_str(o, "nd_bus", &g->nd_bus, &r);
        return r;
}

static int memdev_parse(json_object *o, void *p) {
        return memdev_from_json(o, p);
}
static int decoder_parse(json_object *o, void *p) {
        return decoder_from_json(o, p);
}
static int cxl_region_parse(json_object *o, void *p) {
        return cxl_region_from_json(o, p);
}

int cxl_state_from_json(json_object *o, CxlState *ret) {
        CxlState s = {};
        int r;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        r = parse_array(o, "memdevs", sizeof(CxlMemdevState), (void **) &s.memdevs, &s.n_memdevs,
                        memdev_parse);
        if (r >= 0)
                r = parse_array(o, "decoders", sizeof(CxlRootDecoderState), (void **) &s.decoders,
                                &s.n_decoders, decoder_parse);
        if (r >= 0)
                r = parse_array(o, "regions", sizeof(CxlRegionState), (void **) &s.regions,
                                &s.n_regions, cxl_region_parse);
        if (r < 0) {
                cxl_state_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

static int record_from_json(json_object *o, CxlRecord *c) {
        int r = 0;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        json_member_str(o, "name", &c->name, &r);
        get_uuid(o, "uuid", c->uuid, &r);
        get_u64s(o, "memdevs", false, &c->memdevs, &c->n_memdevs, &r);
        get_u64s(o, "dpa_before", true, &c->dpa_before, &c->n_memdevs, &r);
        json_member_u64(o, "size", &c->size, &r);
        json_member_uint(o, "granularity", &c->granularity, &r);
        get_strv(o, "decoders", &c->decoders, &r);
        json_member_bool(o, "assembled", &c->assembled, &r);
        json_member_str(o, "creating", &c->creating, &r);
        get_uuid(o, "boot_id", c->boot_id, &r);
        return r;
}

static int record_parse(json_object *o, void *p) {
        return record_from_json(o, p);
}

int cxl_records_from_json(json_object *o, CxlRecord **ret, size_t *ret_n) {
        CxlRecord *records = NULL;
        size_t n = 0;
        int r = 0;

        if (!json_object_is_type(o, json_type_array))
                return -EBADMSG;
        r = parse_elements(o, sizeof(CxlRecord), (void **) &records, &n, record_parse);
        if (r < 0) {
                cxl_records_free(records, n);
                return r;
        }
        *ret = records;
        *ret_n = n;
        return 0;
}
