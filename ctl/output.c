/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What pmemnsctl prints: the human tables and the JSON, from the typed objects. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "output.h"
#include "bus-names.h"
#include "json-format.h"
#include "plan-table.h"
#include "pmemnsctl.h"
#include "util/size.h"
#include "util/strv.h"
#include "table.h"
#include "util/utf8.h"

int die(const char *format, ...) {
        va_list ap;
        fputs("pmemnsctl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        return -1;
}

/* Text from the daemon for a terminal: a label name, a file name or a message may hold
 * control characters (an escape sequence, a line break) that would act on the terminal or
 * forge output lines. In the human output they are written as \xNN, as is anything that is
 * not valid UTF-8 (the bus lets nothing of the kind through, but a direct connection to
 * another peer might); util/utf8.h has the rule. --json keeps the text as it is: json-c
 * escapes control characters itself. */
char *text_dup(const char *s) {
        return arg_json != JSON_OFF ? strdup(strempty(s)) : utf8_escape(s, UTF8_ESCAPE_CONTROL);
}

static const char *dash(const char *s) {
        return isempty(s) ? "-" : s;
}

/* an object's kernel name: its Device, or the path's last element decoded */
static char *object_dev(const Objects *o, const char *path) {
        const RegionInfo *r = objects_find_region(o, path);
        const NamespaceInfo *n = objects_find_namespace(o, path);
        const char *prefixes[] = { PMEMNSD_REGION_PREFIX, PMEMNSD_NAMESPACE_PREFIX };
        char *dev;

        if (r && !isempty(r->device))
                return strdup(r->device);
        if (n && !isempty(n->device))
                return strdup(n->device);
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                dev = bus_object_path_to_dev(path, prefixes[i]);
                if (dev)
                        return dev;
        }
        return strdup(strempty(path));
}

/* "a,b,c"; NULL when out of memory */
static char *join_commas(char *const *l) {
        size_t len = 1;
        char *s;

        for (size_t i = 0; l && l[i]; i++)
                len += strlen(l[i]) + 1;
        s = calloc(len, 1);
        for (size_t i = 0; s && l && l[i]; i++) {
                if (i > 0)
                        strcat(s, ",");
                strcat(s, l[i]);
        }
        return s;
}

/* ---- tables ------------------------------------------------------------------------------- */

#define ADD_ROW(t, ...) table_add_row((t), (const char *const[]) { __VA_ARGS__ })

int print_regions(const Objects *o) {
        static const char *const columns[] = {
                "REGION", "TYPE", ">SIZE", ">AVAILABLE", ">MAXEXTENT", ">ALIGN", ">NODE", "LABELED", "POLICY",
                ">LOST", ">NAMESPACES", "PROVIDER", ">WAYS", "MEMDEVS", NULL,
        };
        _cleanup_(table_unrefp) struct libscols_table *t = table_new(columns);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < o->n_regions; i++) {
                const RegionInfo *r = &o->regions[i];
                _cleanup_free_ char *memdevs = join_commas(r->memdevs);
                char node[16], ns[24], ways[16];
                int k;

                snprintf(node, sizeof(node), "%" PRIi32, r->numa_node);
                snprintf(ns, sizeof(ns), "%zu", strv_length(r->namespaces));
                snprintf(ways, sizeof(ways), "%" PRIu32, r->interleave_ways);
                k = ADD_ROW(t, r->device, r->type, FORMAT_SIZE(r->size), FORMAT_SIZE(r->available_size),
                            FORMAT_SIZE(r->max_available_extent), FORMAT_SIZE(r->align), node,
                            r->labeled ? "yes" : "no", r->policy, FORMAT_SIZE(r->lost_to_alignment), ns,
                            r->provider, ways, memdevs);
                if (k < 0)
                        return k;
        }
        return table_print(TAKE_PTR(t), stdout, arg_legend, "No regions on the nd bus.");
}

int print_namespaces(const Objects *o) {
        static const char *const columns[] = {
                "NAMESPACE", "REGION", "NAME", "MODE", ">SIZE", ">USABLE", "START", "DEVICE", "STATE", "POLICY",
                "ERROR", NULL,
        };
        _cleanup_(table_unrefp) struct libscols_table *t = table_new(columns);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < o->n_namespaces; i++) {
                const NamespaceInfo *n = &o->namespaces[i];
                const char *dev = !isempty(n->block_device) ? n->block_device : n->char_device;
                _cleanup_free_ char *region = object_dev(o, strempty(n->region));
                char start[24];
                int k;

                snprintf(start, sizeof(start), "%#" PRIx64, n->start);
                k = ADD_ROW(t, n->device, region, n->name, n->mode, FORMAT_SIZE(n->size),
                            FORMAT_SIZE(n->usable_size), start, dev, n->state, n->policy, n->error);
                if (k < 0)
                        return k;
        }
        return table_print(TAKE_PTR(t), stdout, arg_legend, "No namespaces.");
}

int print_status(const ManagerInfo *m, const Objects *o) {
        printf("Version:            %s\n", strempty(m->version));
        printf("State:              %s\n", strempty(m->state));
        printf("Kernel:             %s (sub-section hotplug: %s)\n", strempty(m->kernel_release),
               m->subsection_hotplug ? "yes" : "no");
        printf("Granularity:        %s\n", FORMAT_SIZE(m->granularity));
        printf("Subsection/section: %s / %s\n", FORMAT_SIZE(m->subsection_size), FORMAT_SIZE(m->section_size));
        printf("Memory block:       %s\n", FORMAT_SIZE(m->memory_block_size));
        printf("Policy files:      ");
        for (size_t i = 0; m->policy_files && m->policy_files[i]; i++)
                printf(" %s", m->policy_files[i]);
        printf("%s\n\n", strv_length(m->policy_files) ? "" : " (none)");
        return print_regions(o);
}

/* A picture of each region's address space (or of the one named): namespaces and free
 * space, in proportion. The region's start is not a property: the lowest namespace start. */
static uint64_t region_base(const Objects *o, const RegionInfo *reg) {
        uint64_t base = UINT64_MAX;

        for (size_t k = 0; reg->namespaces && reg->namespaces[k]; k++) {
                const NamespaceInfo *n = objects_find_namespace(o, reg->namespaces[k]);
                if (n)
                        base = MIN(base, n->start);
        }
        return base;
}

void print_map(const Objects *o, const char *region) {
        const int width = 64;

        for (size_t i = 0; i < o->n_regions; i++) {
                const RegionInfo *reg = &o->regions[i];
                size_t n_ns = strv_length(reg->namespaces);
                uint64_t size = reg->size, base = region_base(o, reg);
                char bar[128];

                if (region && !streq(region, strempty(reg->device)))
                        continue;
                memset(bar, '.', (size_t) width);
                bar[width] = '\0';
                printf("%s (%s, %s free, %s lost to alignment)\n", strempty(reg->device), FORMAT_SIZE(size),
                       FORMAT_SIZE(reg->available_size), FORMAT_SIZE(reg->lost_to_alignment));
                /* a CXL region: what it is made of (the plan says whether pmemnsd assembled it) */
                if (reg->memdevs && reg->memdevs[0]) {
                        printf("  %s, %" PRIu32 "-way from memdevs", strempty(reg->provider), reg->interleave_ways);
                        for (size_t k = 0; reg->memdevs[k]; k++)
                                printf("%s%s", k ? "," : " ", reg->memdevs[k]);
                        printf("%s%s\n", isempty(reg->policy) ? "" : ", selector ", strempty(reg->policy));
                }
                for (size_t k = 0; k < n_ns; k++) {
                        const NamespaceInfo *n = objects_find_namespace(o, reg->namespaces[k]);
                        uint64_t s, e;
                        char mark;

                        if (!n || size == 0)
                                continue;
                        s = (n->start - base) * (uint64_t) width / size;
                        e = (n->start - base + n->size) * (uint64_t) width / size;
                        mark = (char) ('A' + (int) (k % 26));
                        for (uint64_t x = s; x < e && x < (uint64_t) width; x++)
                                bar[x] = mark;
                        if (e == s && s < (uint64_t) width)
                                bar[s] = mark;
                        printf("  %c %-14s %-14s %-6s %9s at +%s\n", mark, strempty(n->device), dash(n->name),
                               strempty(n->mode), FORMAT_SIZE(n->size), FORMAT_SIZE(n->start - base));
                }
                printf("  [%s]  ('.' free)\n\n", bar);
        }
        if (o->n_regions == 0 && arg_legend)
                printf("No regions on the nd bus.\n");
}

static void rows_to_table_rows(const RowInfo *rows, size_t n, PlanTableRow *ret) {
        for (size_t i = 0; i < n; i++)
                ret[i] = (PlanTableRow) {
                        .action = rows[i].action,
                        .instance = rows[i].instance,
                        .region = rows[i].region,
                        .mode = rows[i].mode,
                        .size = rows[i].size,
                        .usable = rows[i].usable_size,
                        .start = rows[i].start,
                        .message = rows[i].message,
                };
}

int print_rows(const RowInfo *rows, size_t n) {
        _cleanup_free_ PlanTableRow *t = calloc(MAX(n, (size_t) 1), sizeof(PlanTableRow));

        if (!t)
                return -ENOMEM;
        rows_to_table_rows(rows, n, t);
        return plan_table_print(stdout, t, n, arg_legend);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

/* The properties by the fields table, under their JSON names; object paths (a namespace's
 * region, a region's namespaces) as the kernel names that the tables and ndctl show. */
static json_object *fields_to_json(const BusField *fields, const void *obj, const Objects *o) {
        json_object *j = json_object_new_object();

        for (const BusField *f = fields; f->name; f++) {
                const void *p = (const uint8_t *) obj + f->offset;
                json_object *v = NULL;

                switch (f->signature[0]) {
                case 's':
                        v = json_object_new_string(strempty(*(char *const *) p));
                        break;
                case 'o': {
                        _cleanup_free_ char *dev = object_dev(o, strempty(*(char *const *) p));
                        v = json_object_new_string(strempty(dev));
                        break;
                }
                case 't':
                        v = json_object_new_uint64(*(const uint64_t *) p);
                        break;
                case 'i':
                        v = json_object_new_int64(*(const int32_t *) p);
                        break;
                case 'u':
                        v = json_object_new_uint64(*(const uint32_t *) p);
                        break;
                case 'b':
                        v = json_object_new_boolean((json_bool) * (const bool *) p);
                        break;
                case 'a':
                        v = json_object_new_array();
                        for (char *const *l = *(char **const *) p; l && *l; l++) {
                                _cleanup_free_ char *dev = f->signature[1] == 'o' ? object_dev(o, *l) : NULL;
                                json_object_array_add(v, json_object_new_string(dev ?: *l));
                        }
                        break;
                }
                json_object_object_add(j, f->json, v);
        }
        return j;
}

json_object *manager_to_json(const ManagerInfo *m, const Objects *o) {
        json_object *j = fields_to_json(manager_fields, m, o);

        json_object_object_add(j, "regions", regions_to_json(o));
        return j;
}

json_object *regions_to_json(const Objects *o) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < o->n_regions; i++)
                json_object_array_add(a, fields_to_json(region_fields, &o->regions[i], o));
        return a;
}

json_object *namespaces_to_json(const Objects *o) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < o->n_namespaces; i++)
                json_object_array_add(a, fields_to_json(namespace_fields, &o->namespaces[i], o));
        return a;
}

/* {"regions": [region + "layout": [{dev, name, mode, size, start, offset}]]} */
json_object *map_to_json(const Objects *o, const char *region) {
        json_object *j = json_object_new_object(), *a = json_object_new_array();

        for (size_t i = 0; i < o->n_regions; i++) {
                const RegionInfo *reg = &o->regions[i];
                uint64_t base = region_base(o, reg);
                json_object *r, *layout;

                if (region && !streq(region, strempty(reg->device)))
                        continue;
                r = fields_to_json(region_fields, reg, o);
                layout = json_object_new_array();
                for (size_t k = 0; reg->namespaces && reg->namespaces[k]; k++) {
                        const NamespaceInfo *n = objects_find_namespace(o, reg->namespaces[k]);
                        json_object *e;

                        if (!n)
                                continue;
                        e = json_object_new_object();
                        json_object_object_add(e, "dev", json_object_new_string(strempty(n->device)));
                        json_object_object_add(e, "name", json_object_new_string(strempty(n->name)));
                        json_object_object_add(e, "mode", json_object_new_string(strempty(n->mode)));
                        json_object_object_add(e, "size", json_object_new_uint64(n->size));
                        json_object_object_add(e, "start", json_object_new_uint64(n->start));
                        json_object_object_add(e, "offset", json_object_new_uint64(n->start - base));
                        json_object_array_add(layout, e);
                }
                json_object_object_add(r, "layout", layout);
                json_object_array_add(a, r);
        }
        json_object_object_add(j, "regions", a);
        return j;
}

json_object *rows_to_json(const RowInfo *rows, size_t n) {
        _cleanup_free_ PlanTableRow *t = calloc(MAX(n, (size_t) 1), sizeof(PlanTableRow));

        if (!t)
                return NULL;
        rows_to_table_rows(rows, n, t);
        return plan_rows_to_json(t, n);
}

void print_json(json_object *j) {
        json_print(stdout, j, arg_json);
}
