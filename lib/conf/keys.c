/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration keys: one row each (section, name, parser, offset into the section's
 * struct, the modes it applies to, the valid values), after systemd's config-parse tables
 * (logind-gperf.gperf). The parser (parser.c) finds the row, rejects unknown and repeated
 * keys, and calls the row's parser on the field. */
#include <inttypes.h>
#include <stdio.h>

#include "conf/conf-internal.h"
#include "util/macro.h"
#include "util/size.h"

/* instances of one policy; a plain number, for the help text */
#define COUNT_MAX 1024
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static void value_error(Parser *p, const char *key, const char *value, const char *expected) {
        DIAG(p, p->line, key, "invalid value '%s' for '%s' in [%s]; expected %s", value, key,
             p->section, expected);
}

static void value_too_large(Parser *p, const char *key, const char *value) {
        DIAG(p, p->line, key, "value '%s' for '%s' in [%s] is too large", value, key, p->section);
}

static void size_too_large(Parser *p, const char *key, const char *value) {
        DIAG(p, p->line, key,
             "value '%s' for '%s' in [%s] is larger than any namespace can be (at most %s: "
             "2^56 bytes, the widest physical address space Linux supports)", value, key,
             p->section, FORMAT_SIZE(CONF_SIZE_MAX));
}

static int parse_boolean(const char *v) {
        if (streq(v, "yes") || streq(v, "true") || streq(v, "on") || streq(v, "1"))
                return 1;
        if (streq(v, "no") || streq(v, "false") || streq(v, "off") || streq(v, "0"))
                return 0;
        return -EINVAL;
}

/* ---- generic parsers --------------------------------------------------------------------- */

static void parse_string(Parser *p, const ConfKey *k, const char *value, void *data, void *section) {
        char **s = data;

        *s = strdup(value);
        if (!*s)
                p->error = -ENOMEM;
}

static void parse_bool(Parser *p, const ConfKey *k, const char *value, void *data, void *section) {
        int r = parse_boolean(value);

        if (r < 0)
                value_error(p, k->name, value, k->help);
        else
                *(bool *) data = r;
}

/* A size bound; "too large" only when it does not fit in 64 bits. */
static void parse_size_field(Parser *p, const ConfKey *k, const char *value, void *data,
                             void *section) {
        int r = parse_size(value, data);

        if (r == -ERANGE)
                value_too_large(p, k->name, value);
        else if (r < 0)
                value_error(p, k->name, value, k->help);
}

#define DEFINE_PARSE_ENUM(function, type, from_string)                                    \
        static void function(Parser *p, const ConfKey *k, const char *value, void *data,      \
                         void *section) {                                                 \
                type v = from_string(value);                                              \
                if (v < 0)                                                                \
                        value_error(p, k->name, value, k->help);                          \
                else                                                                      \
                        *(type *) data = v;                                               \
        }

DEFINE_PARSE_ENUM(parse_apply_mode, ApplyMode, apply_mode_from_string)
DEFINE_PARSE_ENUM(parse_ns_mode, NsMode, ns_mode_from_string)
DEFINE_PARSE_ENUM(parse_ns_map, NsMap, ns_map_from_string)
DEFINE_PARSE_ENUM(parse_system_ram, SystemRam, system_ram_from_string)

/* ---- parsers of one key ------------------------------------------------------------------ */

static int parse_granularity(Parser *p, const ConfKey *k, const char *value, Granularity *ret) {
        int r = granularity_from_string(value, ret);

        if (r < 0) {
                value_error(p, k->name, value, k->help);
                return r;
        }
        if (ret->kind == GRANULARITY_BYTES && ret->bytes > CONF_SIZE_MAX) {
                size_too_large(p, k->name, value);
                return -ERANGE;
        }
        return 0;
}

static void parse_daemon_granularity(Parser *p, const ConfKey *k, const char *value, void *data,
                                     void *section) {
        DaemonConfig *d = section;

        free(d->granularity_file);
        d->granularity_file = strdup(p->file);
        d->granularity_line = p->line;
        if (parse_granularity(p, k, value, data) < 0)
                d->granularity = (Granularity) { .kind = GRANULARITY_AUTO };
}

static void parse_region_granularity(Parser *p, const ConfKey *k, const char *value, void *data,
                                     void *section) {
        RegionSelector *s = section;

        if (parse_granularity(p, k, value, data) >= 0) {
                s->has_granularity = true;
                s->granularity_line = p->line;
        }
}

static void parse_numa_node(Parser *p, const ConfKey *k, const char *value, void *data,
                            void *section) {
        RegionSelector *s = section;
        uint64_t u;

        if (parse_u64(value, &u) < 0 || u > INT32_MAX)
                value_error(p, k->name, value, k->help);
        else {
                s->match_numa = true;
                *(int *) data = (int) u;
        }
}

static void parse_region_type(Parser *p, const ConfKey *k, const char *value, void *data,
                              void *section) {
        if (!streq(value, "pmem") && !streq(value, "blk"))
                value_error(p, k->name, value, k->help);
        else
                parse_string(p, k, value, data, section);
}

/* size = 130M | N% | rest */
static void parse_ns_size(Parser *p, const ConfKey *k, const char *value, void *data,
                          void *section) {
        NamespacePolicy *n = section;
        size_t l = strlen(value);
        uint64_t u;
        int r;

        if (streq(value, "rest"))
                n->size_kind = SIZE_REST;
        else if (l > 1 && value[l - 1] == '%') {
                _cleanup_free_ char *num = strndup(value, l - 1);
                if (!num) {
                        p->error = -ENOMEM;
                        return;
                }
                r = parse_u64(num, &u);
                if (r < 0 || u < 1 || u > 100)
                        value_error(p, k->name, value, "a percentage from 1% to 100%");
                else {
                        n->size_kind = SIZE_PERCENT;
                        n->percent = (unsigned) u;
                }
        } else {
                n->size_kind = SIZE_BYTES;
                r = parse_size(value, &n->size);
                if (r == -ERANGE)
                        value_too_large(p, k->name, value);
                else if (r < 0)
                        value_error(p, k->name, value, k->help);
                else if (n->size == 0)
                        value_error(p, k->name, value, "a size greater than zero");
                else if (n->size > CONF_SIZE_MAX)
                        size_too_large(p, k->name, value);
        }
}

static void parse_ns_usable_size(Parser *p, const ConfKey *k, const char *value, void *data,
                                 void *section) {
        NamespacePolicy *n = section;
        int r;

        n->size_kind = SIZE_USABLE;
        r = parse_size(value, &n->size);
        if (r == -ERANGE)
                value_too_large(p, k->name, value);
        else if (r < 0 || n->size == 0)
                value_error(p, k->name, value, k->help);
        else if (n->size > CONF_SIZE_MAX)
                size_too_large(p, k->name, value);
}

static void parse_count(Parser *p, const ConfKey *k, const char *value, void *data,
                        void *section) {
        uint64_t u;

        if (parse_u64(value, &u) < 0 || u < 1 || u > COUNT_MAX)
                value_error(p, k->name, value, k->help);
        else
                *(unsigned *) data = (unsigned) u;
}

/* A size from a fixed set (pmemns.h's rule for it). */
static void parse_size_in(Parser *p, const ConfKey *k, const char *value, void *data,
                          bool (*supported)(uint64_t)) {
        uint64_t u;

        if (parse_size(value, &u) < 0 || !supported(u))
                value_error(p, k->name, value, k->help);
        else
                *(uint64_t *) data = u;
}

static void parse_align(Parser *p, const ConfKey *k, const char *value, void *data,
                        void *section) {
        parse_size_in(p, k, value, data, ns_align_supported);
}

static void parse_sector_size(Parser *p, const ConfKey *k, const char *value, void *data,
                              void *section) {
        parse_size_in(p, k, value, data, btt_sector_size_supported);
}

/* ---- [cxl-region] ----------------------------------------------------------------------- */

/* memdevs = SERIAL[, SERIAL...]: decimal serials as `cxl list -M` prints them, in interleave
 * position order. */
static void parse_cxl_memdevs(Parser *p, const ConfKey *k, const char *value, void *data,
                              void *section) {
        CxlRegionPolicy *x = section;
        _cleanup_free_ char *copy = strdup(value);
        _cleanup_free_ uint64_t *serials = NULL;
        size_t n = 0;
        char *save = NULL;

        if (!copy) {
                p->error = -ENOMEM;
                return;
        }
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                uint64_t u;
                uint64_t *grown;

                t += strspn(t, " \t");
                t[strcspn(t, " \t")] = '\0';
                if (parse_u64(t, &u) < 0) {
                        value_error(p, k->name, value, k->help);
                        return;
                }
                for (size_t i = 0; i < n; i++)
                        if (serials[i] == u) {
                                DIAG(p, p->line, k->name,
                                     "memdev %" PRIu64 " is named twice in 'memdevs' of [%s]; "
                                     "each memdev holds one position", u, p->section);
                                return;
                        }
                if (n == 16) {
                        DIAG(p, p->line, k->name,
                             "'memdevs' in [%s] names more than 16 memdevs; a CXL region "
                             "interleaves " CXL_WAYS_VALID, p->section);
                        return;
                }
                grown = realloc(serials, sizeof(uint64_t) * (n + 1));
                if (!grown) {
                        p->error = -ENOMEM;
                        return;
                }
                serials = grown;
                serials[n++] = u;
        }
        if (n == 0) {
                value_error(p, k->name, value, k->help);
                return;
        }
        x->memdevs = TAKE_PTR(serials);
        x->n_memdevs = n;
        x->memdevs_line = p->line;
}

static void parse_cxl_type(Parser *p, const ConfKey *k, const char *value, void *data,
                           void *section) {
        if (!streq(value, "pmem"))
                value_error(p, k->name, value, k->help);
        else
                parse_string(p, k, value, data, section);
}

/* size = rest | N% | bytes; whether bytes fit the ways is checked with the whole section */
static void parse_cxl_size(Parser *p, const ConfKey *k, const char *value, void *data,
                           void *section) {
        CxlRegionPolicy *x = section;
        NamespacePolicy n = {};

        parse_ns_size(p, k, value, NULL, &n);
        x->size_kind = n.size_kind;
        x->size = n.size;
        x->percent = n.percent;
}

static void parse_cxl_granularity(Parser *p, const ConfKey *k, const char *value, void *data,
                                  void *section) {
        uint64_t u;

        if (parse_size(value, &u) < 0 || !cxl_granularity_valid(u))
                value_error(p, k->name, value, k->help);
        else
                *(unsigned *) data = (unsigned) u;
}

/* ---- the table ----------------------------------------------------------------------------
 * The order of a section's rows is the order "valid keys are" lists them in, and the order
 * in which the mode checks report. */

#define GRANULARITY_VALID "auto, subsection, compat, section or a power-of-two size of at least 4K"
#define ALL _NS_OPTION_INVALID

const ConfKey conf_keys[] = {
        { SECTION_DAEMON, "granularity", parse_daemon_granularity,
          offsetof(DaemonConfig, granularity), ALL, GRANULARITY_VALID },
        { SECTION_DAEMON, "load-modules", parse_bool,
          offsetof(DaemonConfig, load_modules), ALL, "yes or no" },
        { SECTION_DAEMON, "apply", parse_apply_mode,
          offsetof(DaemonConfig, apply), ALL, "auto or manual" },

        { SECTION_REGION, "match.dev", parse_string,
          offsetof(RegionSelector, match_dev), ALL, "a glob on the region's device name" },
        { SECTION_REGION, "match.numa-node", parse_numa_node,
          offsetof(RegionSelector, numa_node), ALL, "a NUMA node number (0, 1, ...)" },
        { SECTION_REGION, "match.type", parse_region_type,
          offsetof(RegionSelector, match_type), ALL, "pmem or blk" },
        { SECTION_REGION, "match.provider", parse_string,
          offsetof(RegionSelector, match_provider), ALL, "a glob on the nd bus provider" },
        { SECTION_REGION, "match.cxl-region", parse_string,
          offsetof(RegionSelector, match_cxl_region), ALL, "the name of a [cxl-region ...]" },
        { SECTION_REGION, "match.size-min", parse_size_field,
          offsetof(RegionSelector, size_min), ALL,
          "a size in bytes with an optional K, M, G or T suffix" },
        { SECTION_REGION, "match.size-max", parse_size_field,
          offsetof(RegionSelector, size_max), ALL,
          "a size in bytes with an optional K, M, G or T suffix" },
        { SECTION_REGION, "granularity", parse_region_granularity,
          offsetof(RegionSelector, granularity), ALL, GRANULARITY_VALID },
        { SECTION_REGION, "init-labels", parse_bool,
          offsetof(RegionSelector, init_labels), ALL, "yes or no" },

        { SECTION_NAMESPACE, "region", parse_string,
          offsetof(NamespacePolicy, region), ALL, "the name of a [region ...] selector" },
        { SECTION_NAMESPACE, "mode", parse_ns_mode,
          offsetof(NamespacePolicy, mode), ALL, NS_MODE_VALID },
        { SECTION_NAMESPACE, "size", parse_ns_size,
          offsetof(NamespacePolicy, size), ALL,
          "a size with K, M, G or T (e.g. 130M), N% of the region, or rest" },
        { SECTION_NAMESPACE, "usable-size", parse_ns_usable_size,
          offsetof(NamespacePolicy, size), ALL,
          "a size greater than zero with K, M, G or T (e.g. 18M)" },
        { SECTION_NAMESPACE, "count", parse_count,
          offsetof(NamespacePolicy, count), ALL, "a number from 1 to " STRINGIFY(COUNT_MAX) },
        { SECTION_NAMESPACE, "map", parse_ns_map,
          offsetof(NamespacePolicy, map), NS_OPTION_MAP, NS_MAP_VALID },
        { SECTION_NAMESPACE, "align", parse_align,
          offsetof(NamespacePolicy, align), NS_OPTION_ALIGN, NS_ALIGN_VALID },
        { SECTION_NAMESPACE, "sector-size", parse_sector_size,
          offsetof(NamespacePolicy, sector_size), NS_OPTION_SECTOR_SIZE, BTT_SECTOR_SIZE_VALID },
        { SECTION_NAMESPACE, "system-ram", parse_system_ram,
          offsetof(NamespacePolicy, system_ram), NS_OPTION_SYSTEM_RAM, SYSTEM_RAM_VALID },

        { SECTION_CXL_REGION, "memdevs", parse_cxl_memdevs,
          offsetof(CxlRegionPolicy, memdevs), ALL,
          "memdev serial numbers (as `cxl list -M` shows them) in interleave position order, "
          "separated by commas" },
        { SECTION_CXL_REGION, "type", parse_cxl_type,
          offsetof(CxlRegionPolicy, type), ALL, "pmem" },
        { SECTION_CXL_REGION, "size", parse_cxl_size,
          offsetof(CxlRegionPolicy, size), ALL,
          "a size with K, M, G or T (a multiple of 256M per memdev), N% or rest" },
        { SECTION_CXL_REGION, "interleave-granularity", parse_cxl_granularity,
          offsetof(CxlRegionPolicy, granularity), ALL, CXL_GRANULARITY_VALID },
        {}
};

const ConfKey *conf_key_find(SectionKind section, const char *name) {
        for (const ConfKey *k = conf_keys; k->name; k++)
                if (k->section == section && streq(k->name, name))
                        return k;
        return NULL;
}

char *conf_keys_list(SectionKind section) {
        const char *names[ELEMENTSOF(conf_keys)];
        size_t n = 0;

        for (const ConfKey *k = conf_keys; k->name; k++)
                if (k->section == section)
                        names[n++] = k->name;
        return conf_join(names, n);
}
