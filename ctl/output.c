/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What pmemnsctl prints: the human tables and the JSON, from the typed objects. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "output.h"
#include "plan-table.h"
#include "pmemnsctl.h"
#include "util/size.h"
#include "util/strv.h"
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
        return arg_json ? strdup(strempty(s)) : utf8_escape(s, UTF8_ESCAPE_CONTROL);
}

static const char *dash(const char *s) {
        return isempty(s) ? "-" : s;
}

static const char *basename_of(const char *path) {
        const char *s = strrchr(strempty(path), '/');
        return s ? s + 1 : strempty(path);
}

/* ---- tables ------------------------------------------------------------------------------- */

void print_regions(const Objects *o) {
        /* the columns before NAMESPACES are as they always were (scripts cut them); the bus
         * provider, ways and CXL memdevs follow */
        printf("%-10s %-5s %9s %9s %9s %8s %5s %-7s %-10s %9s %-10s %-9s %4s %s\n", "REGION", "TYPE", "SIZE",
               "AVAILABLE", "MAXEXTENT", "ALIGN", "NODE", "LABELED", "POLICY", "LOST", "NAMESPACES", "PROVIDER",
               "WAYS", "MEMDEVS");
        for (size_t i = 0; i < o->n_regions; i++) {
                const RegionInfo *r = &o->regions[i];
                printf("%-10s %-5s %9s %9s %9s %8s %5" PRIi64 " %-7s %-10s %9s %-10zu %-9s %4" PRIu32 " ",
                       strempty(r->device), strempty(r->type), FORMAT_SIZE(r->size),
                       FORMAT_SIZE(r->available_size), FORMAT_SIZE(r->max_available_extent),
                       FORMAT_SIZE(r->align), (int64_t) r->numa_node, r->labeled ? "yes" : "no",
                       dash(r->policy), FORMAT_SIZE(r->lost_to_alignment), strv_length(r->namespaces),
                       dash(r->provider), r->interleave_ways);
                for (size_t k = 0; r->memdevs && r->memdevs[k]; k++)
                        printf("%s%s", k > 0 ? "," : "", r->memdevs[k]);
                printf("%s\n", strv_length(r->memdevs) ? "" : "-");
        }
}

void print_namespaces(const Objects *o) {
        printf("%-14s %-8s %-14s %-6s %9s %9s %-14s %-12s %-8s %s\n", "NAMESPACE", "REGION", "NAME", "MODE",
               "SIZE", "USABLE", "START", "DEVICE", "STATE", "POLICY");
        for (size_t i = 0; i < o->n_namespaces; i++) {
                const NamespaceInfo *n = &o->namespaces[i];
                const char *dev = !isempty(n->block_device) ? n->block_device : strempty(n->char_device);
                char start[24];

                snprintf(start, sizeof(start), "%#" PRIx64, n->start);
                printf("%-14s %-8s %-14s %-6s %9s %9s %-14s %-12s %-8s %s\n", strempty(n->device),
                       basename_of(n->region), dash(n->name), strempty(n->mode), FORMAT_SIZE(n->size),
                       FORMAT_SIZE(n->usable_size), start, dash(dev), strempty(n->state), dash(n->policy));
                if (!isempty(n->error))
                        printf("    %s\n", n->error);
        }
}

void print_status(const ManagerInfo *m, const Objects *o) {
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
        print_regions(o);
}

/* A picture of each region's address space (or of the one named): namespaces and free
 * space, in proportion. */
void print_map(const Objects *o, const char *region) {
        const int width = 64;

        for (size_t i = 0; i < o->n_regions; i++) {
                const RegionInfo *reg = &o->regions[i];
                size_t n_ns = strv_length(reg->namespaces);
                uint64_t size = reg->size, base = UINT64_MAX;
                char bar[128];

                if (region && !streq(region, strempty(reg->device)))
                        continue;
                memset(bar, '.', (size_t) width);
                bar[width] = '\0';
                /* the region's start is not a property: the lowest namespace start, or the
                 * end of the used space when the region is full from its start */
                for (size_t k = 0; k < n_ns; k++) {
                        const NamespaceInfo *n = objects_find_namespace(o, reg->namespaces[k]);
                        if (n)
                                base = MIN(base, n->start);
                }
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
}

void print_rows(const RowInfo *rows, size_t n) {
        plan_table_header(stdout, &plan_table_ctl);
        for (size_t i = 0; i < n; i++)
                plan_table_row(stdout, &plan_table_ctl, &(PlanTableRow) {
                        .action = rows[i].action,
                        .instance = rows[i].instance,
                        .region = rows[i].region,
                        .mode = rows[i].mode,
                        .size = rows[i].size,
                        .usable = rows[i].usable_size,
                        .start = rows[i].start,
                        .message = rows[i].message,
                });
}

/* ---- JSON ---------------------------------------------------------------------------------- */

json_object *fields_to_json(const BusField *fields, const void *obj) {
        json_object *j = json_object_new_object();

        for (const BusField *f = fields; f->name; f++) {
                const void *p = (const uint8_t *) obj + f->offset;
                json_object *v = NULL;

                switch (f->signature[0]) {
                case 's':
                case 'o':
                        v = json_object_new_string(strempty(*(char *const *) p));
                        break;
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
                        for (char *const *l = *(char **const *) p; l && *l; l++)
                                json_object_array_add(v, json_object_new_string(*l));
                        break;
                }
                json_object_object_add(j, f->name, v);
        }
        return j;
}

json_object *regions_to_json(const Objects *o) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < o->n_regions; i++)
                json_object_array_add(a, fields_to_json(region_fields, &o->regions[i]));
        return a;
}

json_object *namespaces_to_json(const Objects *o) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < o->n_namespaces; i++)
                json_object_array_add(a, fields_to_json(namespace_fields, &o->namespaces[i]));
        return a;
}

json_object *rows_to_json(const RowInfo *rows, size_t n) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; i < n; i++) {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "action", json_object_new_string(rows[i].action));
                json_object_object_add(j, "instance", json_object_new_string(rows[i].instance));
                json_object_object_add(j, "region", json_object_new_string(rows[i].region));
                json_object_object_add(j, "mode", json_object_new_string(rows[i].mode));
                json_object_object_add(j, "size", json_object_new_uint64(rows[i].size));
                json_object_object_add(j, "usable_size", json_object_new_uint64(rows[i].usable_size));
                json_object_object_add(j, "start", json_object_new_uint64(rows[i].start));
                json_object_object_add(j, "message", json_object_new_string(rows[i].message));
                json_object_array_add(a, j);
        }
        return a;
}

void print_json(json_object *j) {
        printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
}
