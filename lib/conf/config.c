/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include <ini.h>

#include "conf/config.h"
#include "kernel.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/strv.h"
#include "util/size.h"

/* inih reads into a fixed buffer of INI_MAX_LINE bytes (a build-time constant of the
 * library); our reader counts lines and refuses longer ones rather than letting the tail
 * of a line be parsed as a line of its own. */
#define CONF_LINE_MAX INI_MAX_LINE

/* inih copies a section name into a buffer of this size (MAX_SECTION in ini.c),
 * cutting longer ones short; its prev_name buffer (MAX_NAME) has the same size. */
#define INI_SECTION_MAX 50

#define COUNT_MAX 1024U

bool conf_diags_full(const ConfDiags *d) {
        return d->n > CONF_DIAGS_MAX;
}

int conf_diag_add(ConfDiags *d, const char *file, unsigned line, const char *key,
                  const char *format, ...) {
        ConfDiag *n;
        va_list ap;
        char *msg;
        int r;

        if (conf_diags_full(d))
                return 0;
        if (d->n == CONF_DIAGS_MAX) {
                /* one more line that says where we stopped, then nothing */
                key = NULL;
                r = asprintf(&msg, "too many problems; stopped reading after %u", CONF_DIAGS_MAX);
        } else {
                va_start(ap, format);
                r = vasprintf(&msg, format, ap);
                va_end(ap);
        }
        if (r < 0)
                return -ENOMEM;

        n = realloc(d->items, sizeof(ConfDiag) * (d->n + 1));
        if (!n) {
                free(msg);
                return -ENOMEM;
        }
        d->items = n;
        d->items[d->n++] = (ConfDiag) {
                .file = strdup(strempty(file)),
                .line = line,
                .key = strdup_or_null(key),
                .message = msg,
        };
        return 0;
}

void conf_diags_done(ConfDiags *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->items[i].file);
                free(d->items[i].key);
                free(d->items[i].message);
        }
        d->items = mfree(d->items);
        d->n = 0;
}

static void selector_done(RegionSelector *s) {
        free(s->name);
        free(s->file);
        free(s->match_dev);
        free(s->match_type);
        free(s->match_provider);
}

static void policy_done(NamespacePolicy *p) {
        free(p->name);
        free(p->file);
        free(p->region);
}

void config_done(Config *c) {
        for (size_t i = 0; i < c->n_selectors; i++)
                selector_done(&c->selectors[i]);
        for (size_t i = 0; i < c->n_policies; i++)
                policy_done(&c->policies[i]);
        free(c->selectors);
        free(c->policies);
        strv_free(c->files);
        free(c->daemon.granularity_file);
        *c = (Config) {};
}

static void daemon_config_reset(DaemonConfig *d) {
        *d = (DaemonConfig) {
                .granularity = { .kind = GRANULARITY_AUTO },
                .load_modules = true,
                .apply = APPLY_AUTO,
        };
}

char *policy_instance_name(const NamespacePolicy *p, unsigned index) {
        char *s;

        if (p->count <= 1)
                return strdup(p->name);
        if (asprintf(&s, "%s.%u", p->name, index) < 0)
                return NULL;
        return s;
}

const RegionSelector *config_find_selector(const Config *c, const char *name) {
        for (size_t i = 0; i < c->n_selectors; i++)
                if (streq(c->selectors[i].name, name))
                        return &c->selectors[i];
        return NULL;
}

/* ---- the parser ---------------------------------------------------------------------- */

typedef enum SectionKind {
        SECTION_NONE,
        SECTION_DAEMON,
        SECTION_REGION,
        SECTION_NAMESPACE,
        SECTION_BAD, /* an invalid header was reported; its keys are skipped */
} SectionKind;

/* Keys given in the current section, with their lines, for checks that need the whole
 * section (duplicates, keys that only fit some modes). */
typedef struct SeenKey {
        const char *key;
        unsigned line;
} SeenKey;

typedef struct Parser {
        Config *config;
        ConfDiags *diags;
        const char *file;
        bool is_main;
        int error; /* first allocation failure */

        /* reader state: the text of the whole file, which may hold NUL bytes */
        const char *text, *text_end;
        unsigned line;
        /* inih's multi-line rule: after a key, an indented line continues its value */
        char prev_key[INI_SECTION_MAX];
        unsigned skip_line; /* a line reported by the reader, which the handler ignores */

        /* section state */
        char *section; /* raw header text as inih gives it */
        SectionKind kind;
        size_t index; /* into selectors or policies */
        SeenKey seen[32];
        size_t n_seen;
} Parser;

#define DIAG(p, line, key, ...)                                                          \
        do {                                                                             \
                if (conf_diag_add((p)->diags, (p)->file, (line), (key), __VA_ARGS__) < 0) \
                        (p)->error = -ENOMEM;                                            \
        } while (0)

static unsigned seen_line(const Parser *p, const char *key) {
        for (size_t i = 0; i < p->n_seen; i++)
                if (streq(p->seen[i].key, key))
                        return p->seen[i].line;
        return 0;
}

static void finish_section(Parser *p);

static const char *const daemon_keys[] = { "granularity", "load-modules", "apply", NULL };
static const char *const region_keys[] = {
        "match.dev",  "match.numa-node", "match.type",  "match.provider", "match.size-min",
        "match.size-max", "granularity", "init-labels", NULL,
};
static const char *const namespace_keys[] = {
        "region", "mode", "size", "usable-size", "count", "map", "align", "sector-size",
        "system-ram", NULL,
};

static const char *const *keys_for(SectionKind k) {
        switch (k) {
        case SECTION_DAEMON: return daemon_keys;
        case SECTION_REGION: return region_keys;
        case SECTION_NAMESPACE: return namespace_keys;
        default: return NULL;
        }
}

static char *join_keys(const char *const *keys) {
        size_t len = 1;
        char *s;

        for (const char *const *k = keys; *k; k++)
                len += strlen(*k) + 2;
        s = malloc(len);
        if (!s)
                return NULL;
        s[0] = '\0';
        for (const char *const *k = keys; *k; k++) {
                if (k != keys)
                        strcat(s, ", ");
                strcat(s, *k);
        }
        return s;
}

static int parse_boolean(const char *v) {
        if (streq(v, "yes") || streq(v, "true") || streq(v, "on") || streq(v, "1"))
                return 1;
        if (streq(v, "no") || streq(v, "false") || streq(v, "off") || streq(v, "0"))
                return 0;
        return -EINVAL;
}

static bool name_taken(const Parser *p, SectionKind kind, const char *name, size_t *ret_i) {
        if (kind == SECTION_REGION) {
                for (size_t i = 0; i < p->config->n_selectors; i++)
                        if (streq(p->config->selectors[i].name, name)) {
                                *ret_i = i;
                                return true;
                        }
        } else {
                for (size_t i = 0; i < p->config->n_policies; i++)
                        if (streq(p->config->policies[i].name, name)) {
                                *ret_i = i;
                                return true;
                        }
        }
        return false;
}

static void begin_section(Parser *p, const char *header) {
        _cleanup_free_ char *kind = NULL;
        const char *space, *name;
        size_t other;

        /* the name inih hands the handler, so that its keys are matched to this section */
        p->section = strndup(header, INI_SECTION_MAX - 1);
        if (!p->section) {
                p->error = -ENOMEM;
                return;
        }
        p->kind = SECTION_BAD;
        p->n_seen = 0;

        if (strlen(header) >= INI_SECTION_MAX) {
                DIAG(p, p->line, NULL,
                     "section header [%s] is longer than %d characters, the limit of the INI "
                     "parser (libinih); use a shorter name", header, INI_SECTION_MAX - 1);
                return;
        }
        if (p->is_main) {
                if (streq(header, "daemon"))
                        p->kind = SECTION_DAEMON;
                else
                        DIAG(p, p->line, NULL,
                             "unknown section [%s]; pmemnsd.conf has only a [daemon] section "
                             "(policies go into policy.d/*.conf)", header);
                return;
        }

        space = strchr(header, ' ');
        if (!space) {
                DIAG(p, p->line, NULL,
                     "section [%s] has no name; expected [region NAME] or [namespace NAME]",
                     header);
                return;
        }
        kind = strndup(header, (size_t) (space - header));
        if (!kind) {
                p->error = -ENOMEM;
                return;
        }
        name = space + strspn(space, " \t");

        if (!streq(kind, "region") && !streq(kind, "namespace")) {
                DIAG(p, p->line, NULL,
                     "unknown section kind '%s' in [%s]; expected [region NAME] or "
                     "[namespace NAME]", kind, header);
                return;
        }
        if (!policy_name_is_valid(name)) {
                DIAG(p, p->line, NULL,
                     "invalid name '%s' in [%s]: use 1-%d characters from A-Z, a-z, 0-9, "
                     "'-' and '_'", name, header, NS_NAME_MAX - 5);
                return;
        }

        if (streq(kind, "region")) {
                RegionSelector *n;

                if (name_taken(p, SECTION_REGION, name, &other)) {
                        DIAG(p, p->line, NULL, "region selector '%s' is already defined at %s:%u",
                             name, p->config->selectors[other].file,
                             p->config->selectors[other].line);
                        return;
                }
                n = realloc(p->config->selectors, sizeof(RegionSelector) * (p->config->n_selectors + 1));
                if (!n) {
                        p->error = -ENOMEM;
                        return;
                }
                p->config->selectors = n;
                p->index = p->config->n_selectors++;
                n[p->index] = (RegionSelector) {
                        .name = strdup(name),
                        .file = strdup(p->file),
                        .line = p->line,
                };
                if (!n[p->index].name || !n[p->index].file)
                        p->error = -ENOMEM;
                p->kind = SECTION_REGION;
        } else {
                NamespacePolicy *n;

                if (name_taken(p, SECTION_NAMESPACE, name, &other)) {
                        DIAG(p, p->line, NULL, "namespace policy '%s' is already defined at %s:%u",
                             name, p->config->policies[other].file, p->config->policies[other].line);
                        return;
                }
                n = realloc(p->config->policies, sizeof(NamespacePolicy) * (p->config->n_policies + 1));
                if (!n) {
                        p->error = -ENOMEM;
                        return;
                }
                p->config->policies = n;
                p->index = p->config->n_policies++;
                n[p->index] = (NamespacePolicy) {
                        .name = strdup(name),
                        .file = strdup(p->file),
                        .line = p->line,
                        .mode = _NS_MODE_INVALID,
                        .size_kind = SIZE_BYTES,
                        .count = 1,
                        .map = NS_MAP_DEV,
                        .sector_size = 4096,
                        .system_ram = SYSTEM_RAM_NO,
                };
                if (!n[p->index].name || !n[p->index].file)
                        p->error = -ENOMEM;
                p->kind = SECTION_NAMESPACE;
        }
}

static void value_error(Parser *p, const char *key, const char *value, const char *expected) {
        DIAG(p, p->line, key, "invalid value '%s' for '%s' in [%s]; expected %s", value, key,
             p->section, expected);
}

static void parse_size_value(Parser *p, const char *key, const char *value, uint64_t *ret) {
        int r = parse_size(value, ret);
        if (r == -ERANGE)
                DIAG(p, p->line, key, "value '%s' for '%s' in [%s] is too large", value, key,
                     p->section);
        else if (r < 0)
                value_error(p, key, value, "a size in bytes with an optional K, M, G or T suffix");
}

static void size_too_large(Parser *p, const char *key, const char *value) {
        DIAG(p, p->line, key,
             "value '%s' for '%s' in [%s] is larger than any namespace can be (at most %s: "
             "2^56 bytes, the widest physical address space Linux supports)", value, key,
             p->section, FORMAT_SIZE(CONF_SIZE_MAX));
}

static int parse_granularity(Parser *p, const char *key, const char *value, Granularity *ret) {
        int r = granularity_from_string(value, ret);

        if (r < 0) {
                value_error(p, key, value,
                            "auto, subsection, compat, section or a power-of-two size of at "
                            "least 4K");
                return r;
        }
        if (ret->kind == GRANULARITY_BYTES && ret->bytes > CONF_SIZE_MAX) {
                size_too_large(p, key, value);
                return -ERANGE;
        }
        return 0;
}

static void handle_daemon_key(Parser *p, const char *key, const char *value) {
        DaemonConfig *d = &p->config->daemon;
        int r;

        if (streq(key, "granularity")) {
                free(d->granularity_file);
                d->granularity_file = strdup(p->file);
                d->granularity_line = p->line;
                r = parse_granularity(p, key, value, &d->granularity);
                if (r < 0)
                        d->granularity = (Granularity) { .kind = GRANULARITY_AUTO };
        } else if (streq(key, "load-modules")) {
                r = parse_boolean(value);
                if (r < 0)
                        value_error(p, key, value, "yes or no");
                else
                        d->load_modules = r;
        } else if (streq(key, "apply")) {
                ApplyMode m = apply_mode_from_string(value);
                if (m < 0)
                        value_error(p, key, value, "auto or manual");
                else
                        d->apply = m;
        }
}

static void handle_region_key(Parser *p, const char *key, const char *value) {
        RegionSelector *s = &p->config->selectors[p->index];
        uint64_t u;
        int r;

        if (streq(key, "match.dev")) {
                s->match_dev = strdup(value);
                if (!s->match_dev)
                        p->error = -ENOMEM;
        } else if (streq(key, "match.numa-node")) {
                r = parse_u64(value, &u);
                if (r < 0 || u > INT32_MAX)
                        value_error(p, key, value, "a NUMA node number (0, 1, ...)");
                else {
                        s->match_numa = true;
                        s->numa_node = (int) u;
                }
        } else if (streq(key, "match.type")) {
                if (!streq(value, "pmem") && !streq(value, "blk"))
                        value_error(p, key, value, "pmem or blk");
                else if (!(s->match_type = strdup(value)))
                        p->error = -ENOMEM;
        } else if (streq(key, "match.provider")) {
                s->match_provider = strdup(value);
                if (!s->match_provider)
                        p->error = -ENOMEM;
        } else if (streq(key, "match.size-min"))
                parse_size_value(p, key, value, &s->size_min);
        else if (streq(key, "match.size-max"))
                parse_size_value(p, key, value, &s->size_max);
        else if (streq(key, "granularity")) {
                r = parse_granularity(p, key, value, &s->granularity);
                if (r >= 0) {
                        s->has_granularity = true;
                        s->granularity_line = p->line;
                }
        } else if (streq(key, "init-labels")) {
                r = parse_boolean(value);
                if (r < 0)
                        value_error(p, key, value, "yes or no");
                else
                        s->init_labels = r;
        }
}

static void handle_namespace_key(Parser *p, const char *key, const char *value) {
        NamespacePolicy *n = &p->config->policies[p->index];
        uint64_t u;
        int r;

        if (streq(key, "region")) {
                n->region = strdup(value);
                if (!n->region)
                        p->error = -ENOMEM;
        } else if (streq(key, "mode")) {
                n->mode = ns_mode_from_string(value);
                if (n->mode < 0)
                        value_error(p, key, value, "fsdax, devdax, sector or raw");
        } else if (streq(key, "size")) {
                size_t l = strlen(value);

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
                                value_error(p, key, value, "a percentage from 1% to 100%");
                        else {
                                n->size_kind = SIZE_PERCENT;
                                n->percent = (unsigned) u;
                        }
                } else {
                        n->size_kind = SIZE_BYTES;
                        r = parse_size(value, &n->size);
                        if (r == -ERANGE)
                                DIAG(p, p->line, key, "value '%s' for 'size' in [%s] is too large",
                                     value, p->section);
                        else if (r < 0)
                                value_error(p, key, value,
                                            "a size with K, M, G or T (e.g. 130M), N% of the "
                                            "region, or rest");
                        else if (n->size == 0)
                                value_error(p, key, value, "a size greater than zero");
                        else if (n->size > CONF_SIZE_MAX)
                                size_too_large(p, key, value);
                }
        } else if (streq(key, "usable-size")) {
                n->size_kind = SIZE_USABLE;
                r = parse_size(value, &n->size);
                if (r == -ERANGE)
                        DIAG(p, p->line, key, "value '%s' for 'usable-size' in [%s] is too large",
                             value, p->section);
                else if (r < 0 || n->size == 0)
                        value_error(p, key, value,
                                    "a size greater than zero with K, M, G or T (e.g. 18M)");
                else if (n->size > CONF_SIZE_MAX)
                        size_too_large(p, key, value);
        } else if (streq(key, "count")) {
                r = parse_u64(value, &u);
                if (r < 0 || u < 1 || u > COUNT_MAX) {
                        char expected[64];
                        snprintf(expected, sizeof(expected), "a number from 1 to %u", COUNT_MAX);
                        value_error(p, key, value, expected);
                } else
                        n->count = (unsigned) u;
        } else if (streq(key, "map")) {
                n->map = ns_map_from_string(value);
                if (n->map < 0) {
                        value_error(p, key, value, "dev or mem");
                        n->map = NS_MAP_DEV;
                }
        } else if (streq(key, "align")) {
                r = parse_size(value, &u);
                /* The pfn/dax supported_alignments on x86_64: PAGE_SIZE, HPAGE_PMD_SIZE,
                 * HPAGE_PUD_SIZE (drivers/nvdimm/pfn_devs.c:nd_pfn_supported_alignments). */
                if (r < 0 || (u != 4 * KiB && u != 2 * MiB && u != GiB))
                        value_error(p, key, value, "4K, 2M or 1G");
                else
                        n->align = u;
        } else if (streq(key, "sector-size")) {
                r = parse_size(value, &u);
                if (r < 0 || !btt_sector_size_supported(u))
                        value_error(p, key, value, "512, 520, 528, 4096, 4104, 4160 or 4224");
                else
                        n->sector_size = u;
        } else if (streq(key, "system-ram")) {
                n->system_ram = system_ram_from_string(value);
                if (n->system_ram < 0) {
                        value_error(p, key, value, "no, online or online-movable");
                        n->system_ram = SYSTEM_RAM_NO;
                }
        }
}

/* Cut an inline "# comment" (inih only strips ";" comments inline), the way ndctl's own
 * config files are written: a '#' preceded by white space starts a comment. */
static void strip_inline_hash_comment(char *v) {
        for (char *c = v; *c; c++)
                if (*c == '#' && c > v && (c[-1] == ' ' || c[-1] == '\t')) {
                        *c = '\0';
                        break;
                }
        for (size_t l = strlen(v); l > 0 && (v[l - 1] == ' ' || v[l - 1] == '\t'); l--)
                v[l - 1] = '\0';
}

static int ini_handler_cb(void *userdata, const char *section, const char *key, const char *raw) {
        Parser *p = userdata;
        const char *const *keys;
        _cleanup_free_ char *value = NULL;

        if (p->error < 0)
                return 0;
        if (p->line == p->skip_line)
                return 1; /* a continuation line, reported by the reader */
        /* inih's prev_name: the next indented line continues this key */
        snprintf(p->prev_key, sizeof(p->prev_key), "%s", key);

        if (!p->section || !streq(p->section, section)) {
                if (p->section)
                        finish_section(p);
                if (isempty(section)) {
                        DIAG(p, p->line, key, "key '%s' outside of a section", key);
                        return 1;
                }
                begin_section(p, section);
        }
        if (p->kind == SECTION_BAD)
                return 1;

        value = strdup(raw);
        if (!value) {
                p->error = -ENOMEM;
                return 0;
        }
        strip_inline_hash_comment(value);

        keys = keys_for(p->kind);
        bool known = false;
        for (const char *const *k = keys; *k; k++)
                if (streq(*k, key)) {
                        known = true;
                        key = *k; /* static storage for SeenKey */
                        break;
                }
        if (!known) {
                _cleanup_free_ char *list = join_keys(keys);
                DIAG(p, p->line, key, "unknown key '%s' in [%s]; valid keys are: %s", key,
                     p->section, strempty(list));
                return 1;
        }

        unsigned first = seen_line(p, key);
        if (first > 0) {
                DIAG(p, p->line, key, "'%s' is given twice in [%s] (first at line %u)", key,
                     p->section, first);
                return 1;
        }
        if (p->n_seen < ELEMENTSOF(p->seen))
                p->seen[p->n_seen++] = (SeenKey) { key, p->line };

        if (isempty(value)) {
                DIAG(p, p->line, key, "'%s' in [%s] has no value", key, p->section);
                return 1;
        }

        switch (p->kind) {
        case SECTION_DAEMON: handle_daemon_key(p, key, value); break;
        case SECTION_REGION: handle_region_key(p, key, value); break;
        case SECTION_NAMESPACE: handle_namespace_key(p, key, value); break;
        default: break;
        }
        return 1;
}

/* Checks that need the whole namespace section. */
static void finish_namespace(Parser *p) {
        NamespacePolicy *n = &p->config->policies[p->index];
        unsigned l;

        if (!n->region)
                DIAG(p, n->line, "region",
                     "[namespace %s] has no 'region' key; name the [region ...] selector it draws "
                     "from", n->name);
        if (n->mode < 0 && seen_line(p, "mode") == 0)
                DIAG(p, n->line, "mode",
                     "[namespace %s] has no 'mode' key; expected fsdax, devdax, sector or raw",
                     n->name);
        if (seen_line(p, "size") && seen_line(p, "usable-size"))
                DIAG(p, seen_line(p, "usable-size"), "usable-size",
                     "[namespace %s] gives both 'size' and 'usable-size'; keep one", n->name);
        else if (!seen_line(p, "size") && !seen_line(p, "usable-size"))
                DIAG(p, n->line, "size",
                     "[namespace %s] has neither 'size' nor 'usable-size'; e.g. size = 1G, "
                     "size = 50%% or size = rest", n->name);
        if (n->size_kind == SIZE_REST && n->count > 1)
                DIAG(p, seen_line(p, "count"), "count",
                     "[namespace %s] has size = rest and count = %u; only one namespace can take "
                     "the rest of a region", n->name, n->count);

        if (n->mode < 0)
                return;
        if (n->size_kind == SIZE_BYTES && n->size > 0 && n->size < ND_CLAIM_MIN_SIZE &&
            n->mode != NS_MODE_RAW)
                DIAG(p, seen_line(p, "size"), "size",
                     "size %s in [namespace %s] is below the 16M raw capacity the kernel accepts "
                     "for %s (drivers/nvdimm/claim.c); use size >= 16M, or usable-size",
                     FORMAT_SIZE(n->size), n->name, ns_mode_to_string(n->mode));
        if ((l = seen_line(p, "map")) && n->mode != NS_MODE_FSDAX && n->mode != NS_MODE_DEVDAX)
                DIAG(p, l, "map", "'map' in [namespace %s] applies only to fsdax and devdax, not %s",
                     n->name, ns_mode_to_string(n->mode));
        if ((l = seen_line(p, "align")) && n->mode != NS_MODE_FSDAX && n->mode != NS_MODE_DEVDAX)
                DIAG(p, l, "align",
                     "'align' in [namespace %s] applies only to fsdax and devdax, not %s", n->name,
                     ns_mode_to_string(n->mode));
        if ((l = seen_line(p, "sector-size")) && n->mode != NS_MODE_SECTOR)
                DIAG(p, l, "sector-size",
                     "'sector-size' in [namespace %s] applies only to sector mode, not %s",
                     n->name, ns_mode_to_string(n->mode));
        if ((l = seen_line(p, "system-ram")) && n->mode != NS_MODE_DEVDAX &&
            n->system_ram != SYSTEM_RAM_NO)
                DIAG(p, l, "system-ram",
                     "'system-ram' in [namespace %s] applies only to devdax, not %s", n->name,
                     ns_mode_to_string(n->mode));
        if (n->system_ram != SYSTEM_RAM_NO && n->align == GiB)
                DIAG(p, seen_line(p, "align"), "align",
                     "[namespace %s]: system-ram needs a devdax align of 4K or 2M, not 1G "
                     "(kmem onlines memory blocks)", n->name);
}

static void finish_region(Parser *p) {
        RegionSelector *s = &p->config->selectors[p->index];

        if (s->size_min && s->size_max && s->size_min > s->size_max)
                DIAG(p, seen_line(p, "match.size-max"), "match.size-max",
                     "[region %s]: match.size-max (%s) is below match.size-min (%s)", s->name,
                     FORMAT_SIZE(s->size_max), FORMAT_SIZE(s->size_min));
}

static void finish_section(Parser *p) {
        if (p->kind == SECTION_NAMESPACE)
                finish_namespace(p);
        else if (p->kind == SECTION_REGION)
                finish_region(p);
        p->section = mfree(p->section);
        p->kind = SECTION_NONE;
        p->n_seen = 0;
}

/* inih's isspace()-based skip of leading white space. */
static const char *ini_lskip(const char *s) {
        while (*s && isspace((unsigned char) *s))
                s++;
        return s;
}

/* inih's find_chars_or_comment() with its default inline comment prefix ';'. */
static const char *ini_find_chars_or_comment(const char *s, const char *chars) {
        bool was_space = false;

        while (*s && !strchr(chars, *s) && !(was_space && *s == ';')) {
                was_space = isspace((unsigned char) *s);
                s++;
        }
        return s;
}

/* inih calls the handler only for keys, so a section without keys would go unseen; the
 * reader notes each header as it passes, using the same rule as inih: s is the line after
 * its leading white space, a '[' and the name up to the first ']' (a ';' after white space
 * before it makes the line a syntax error, which inih reports). */
static void note_section_header(Parser *p, const char *s) {
        _cleanup_free_ char *name = NULL;
        const char *e;

        e = ini_find_chars_or_comment(s + 1, "]");
        if (*e != ']')
                return;
        name = strndup(s + 1, (size_t) (e - s - 1));
        if (!name) {
                p->error = -ENOMEM;
                return;
        }
        if (p->section)
                finish_section(p);
        p->prev_key[0] = '\0';
        begin_section(p, name);
}

/* inih's reader: one line into buf (size bytes). inih itself would take the tail of an
 * over-long line as a line of its own, and fgets() would hide whatever follows a NUL byte
 * (the rest of a long line, or a key after a '#'): both are refused here, with the line
 * number. A line that inih will read as the continuation of the previous key's value (its
 * multi-line rule: white space first, after a key in the same section) is refused too:
 * pmemnsd's values fit on one line, and an indented section header would silently not
 * start a section. */
static char *reader_cb(char *buf, int size, void *userdata) {
        Parser *p = userdata;
        const char *line = p->text, *nl, *s;
        size_t n, len;

        if (p->error < 0 || p->text >= p->text_end || conf_diags_full(p->diags))
                return NULL;
        nl = memchr(line, '\n', (size_t) (p->text_end - line));
        n = nl ? (size_t) (nl - line) + 1 : (size_t) (p->text_end - line);
        len = nl ? n - 1 : n; /* without the newline */
        p->text += n;
        p->line++;
        buf[0] = '\0';

        if (memchr(line, '\0', n)) {
                DIAG(p, p->line, NULL, "line contains a NUL byte; configuration files must be text");
                return buf;
        }
        if (len > (size_t) size - 2) {
                DIAG(p, p->line, NULL, "line is longer than %d characters", size - 2);
                return buf;
        }
        memcpy(buf, line, n);
        buf[n] = '\0';

        s = buf;
        if (p->line == 1 && startswith(s, "\xEF\xBB\xBF")) /* a UTF-8 BOM, as inih */
                s += 3;
        s = ini_lskip(s);
        if (*s == '\0' || *s == ';' || *s == '#')
                return buf;
        if (p->prev_key[0] && s > buf) {
                p->skip_line = p->line;
                if (*s == '[')
                        DIAG(p, p->line, NULL,
                             "indented section header: a line that starts with white space after "
                             "a key continues that key's value ('%s'), it does not start a "
                             "section; remove the leading white space", p->prev_key);
                else
                        DIAG(p, p->line, NULL,
                             "a line that starts with white space after a key continues that "
                             "key's value ('%s'), and values must fit on one line; remove the "
                             "leading white space", p->prev_key);
                return buf;
        }
        if (*s == '[')
                note_section_header(p, s);
        return buf;
}

static int parse_one(Parser *p) {
        int r;

        r = ini_parse_stream(reader_cb, p, ini_handler_cb, p);
        if (p->section)
                finish_section(p);
        if (p->error < 0)
                return p->error;
        if (r > 0) {
                /* inih reports the first line it could not parse (and carries on). */
                DIAG(p, (unsigned) r, NULL,
                     "syntax error; expected '[section]', 'key = value' or a comment starting "
                     "with '#' or ';'");
        } else if (r == -2)
                return -ENOMEM;
        return 0;
}

static const char *file_type_name(mode_t m) {
        if (S_ISDIR(m))
                return "a directory";
        if (S_ISFIFO(m))
                return "a FIFO";
        if (S_ISCHR(m))
                return "a character device";
        if (S_ISBLK(m))
                return "a block device";
        if (S_ISSOCK(m))
                return "a socket";
        return "not a regular file";
}

/* A policy decides what root does to persistent memory (which space is carved, what is
 * onlined as system RAM), so one that another user can change gives that user root's say
 * over the NVDIMMs. Like sshd's StrictModes, such a file or directory is refused: it must
 * be owned by root (or by the user running pmemnsd, for --check on one's own tree) and not
 * writable by its group or by others. Returns 1 when a problem was added. */
static int check_owner_and_mode(ConfDiags *diags, const char *path, const struct stat *st,
                                const char *what) {
        int r = 0;

        if (st->st_uid != 0 && st->st_uid != geteuid())
                r = conf_diag_add(diags, path, 0, NULL,
                                  "%s is owned by uid %u, not by root; a configuration that "
                                  "another user can change is refused (chown root)",
                                  what, (unsigned) st->st_uid);
        else if (st->st_mode & (S_IWGRP | S_IWOTH))
                r = conf_diag_add(diags, path, 0, NULL,
                                  "%s is writable by %s (mode %04o); a configuration that another "
                                  "user can change is refused (chmod go-w)", what,
                                  st->st_mode & S_IWOTH ? "everyone" : "its group",
                                  (unsigned) (st->st_mode & 07777));
        else
                return 0;
        return r < 0 ? r : 1;
}

static int check_dir(ConfDiags *diags, const char *dir) {
        struct stat st;

        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return 0; /* missing: nothing is read from it */
        return check_owner_and_mode(diags, dir, &st, "the directory");
}

#define FILE_DIAG(diags, path, ...)                                                       \
        (conf_diag_add((diags), (path), 0, NULL, __VA_ARGS__) < 0 ? -ENOMEM : 0)

/* Read a whole configuration file. It is opened with O_PATH and checked before it is
 * opened for reading, so that a FIFO (which would block), a device node (which may act
 * on open, or never end, like /dev/zero) or a directory is reported without being read.
 * Returns 0 with *ret NULL when a problem was reported. */
static int read_conf_file(ConfDiags *diags, const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int pfd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st, st2;
        size_t len = 0, alloc;
        char proc[64];
        int r;

        *ret = NULL;
        *ret_len = 0;
        pfd = open(path, O_PATH | O_CLOEXEC);
        if (pfd < 0 || fstat(pfd, &st) < 0)
                return FILE_DIAG(diags, path, "cannot read file: %s", strerror(errno));
        if (!S_ISREG(st.st_mode)) {
                char target[256];
                ssize_t n = readlink(path, target, sizeof(target) - 1);

                if (n > 0)
                        target[n] = '\0';
                return FILE_DIAG(diags, path,
                                 "%s%s%s is %s; configuration files must be regular files",
                                 n > 0 ? "the symbolic link to '" : "the file",
                                 n > 0 ? target : "", n > 0 ? "'" : "",
                                 file_type_name(st.st_mode));
        }
        r = check_owner_and_mode(diags, path, &st, "the file");
        if (r != 0)
                return r < 0 ? r : 0;
        if ((uint64_t) st.st_size > CONF_FILE_SIZE_MAX)
                return FILE_DIAG(diags, path,
                                 "the file is %" PRIu64 " bytes, larger than the %s configuration "
                                 "files may be", (uint64_t) st.st_size,
                                 FORMAT_SIZE(CONF_FILE_SIZE_MAX));

        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
        fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 && errno == ENOENT) /* no /proc: by name, checked below */
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st2) < 0)
                return FILE_DIAG(diags, path, "cannot read file: %s", strerror(errno));
        if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)
                return FILE_DIAG(diags, path, "the file was replaced while it was being opened");

        /* st_size is only a hint (files in /proc show 0): read up to one byte past the limit */
        alloc = MAX((size_t) st.st_size + 1, (size_t) 4096);
        alloc = MIN(alloc, (size_t) CONF_FILE_SIZE_MAX + 1);
        buf = malloc(alloc);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k;

                if (len == alloc) {
                        char *n;

                        if (alloc > CONF_FILE_SIZE_MAX)
                                return FILE_DIAG(diags, path,
                                                 "the file is larger than the %s configuration "
                                                 "files may be", FORMAT_SIZE(CONF_FILE_SIZE_MAX));
                        alloc = MIN(alloc * 2, (size_t) CONF_FILE_SIZE_MAX + 1);
                        n = realloc(buf, alloc);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                }
                k = read(fd, buf + len, alloc - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return FILE_DIAG(diags, path, "cannot read file: %s", strerror(errno));
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int parse_file(Config *c, ConfDiags *diags, const char *path, bool is_main) {
        Parser p = { .config = c, .diags = diags, .file = path, .is_main = is_main };
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = read_conf_file(diags, path, &text, &len);
        if (r < 0 || !text)
                return r;
        p.text = text;
        p.text_end = text + len;
        return parse_one(&p);
}

static int parse_text(Config *c, ConfDiags *diags, const char *name, const char *text, bool is_main) {
        Parser p = { .config = c, .diags = diags, .file = name, .is_main = is_main, .text = text,
                     .text_end = text ? text + strlen(text) : NULL };
        return parse_one(&p);
}

/* Cross-section checks once every file is read. */
static int config_finish(Config *c, ConfDiags *diags) {
        for (size_t i = 0; i < c->n_policies; i++) {
                NamespacePolicy *n = &c->policies[i];
                bool found = false;

                if (!n->region)
                        continue;
                for (size_t j = 0; j < c->n_selectors; j++)
                        if (streq(c->selectors[j].name, n->region)) {
                                n->selector_index = j;
                                found = true;
                        }
                if (!found) {
                        _cleanup_free_ char *known = NULL;
                        size_t len = 1;

                        for (size_t j = 0; j < c->n_selectors; j++)
                                len += strlen(c->selectors[j].name) + 2;
                        known = calloc(1, len);
                        if (!known)
                                return -ENOMEM;
                        for (size_t j = 0; j < c->n_selectors; j++) {
                                if (j)
                                        strcat(known, ", ");
                                strcat(known, c->selectors[j].name);
                        }
                        if (conf_diag_add(diags, n->file, n->line, "region",
                                          "[namespace %s] refers to region selector '%s', which is "
                                          "not defined; defined selectors: %s", n->name, n->region,
                                          c->n_selectors ? known : "none") < 0)
                                return -ENOMEM;
                        continue;
                }

                if (n->size_kind != SIZE_REST)
                        continue;
                for (size_t j = 0; j < i; j++) {
                        NamespacePolicy *o = &c->policies[j];
                        if (o->size_kind == SIZE_REST && o->region && streq(o->region, n->region) &&
                            conf_diag_add(diags, n->file, n->line, "size",
                                          "[namespace %s] and [namespace %s] (%s:%u) both take "
                                          "size = rest from region selector '%s'; at most one may",
                                          n->name, o->name, o->file, o->line, n->region) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

static int config_begin(Config *c) {
        *c = (Config) {};
        daemon_config_reset(&c->daemon);
        return 0;
}

static int add_file(Config *c, const char *path) {
        return strv_push(&c->files, &c->n_files, path);
}

static int config_result(Config *c, ConfDiags *diags, Config *ret, size_t diags_before) {
        int r = config_finish(c, diags);
        if (r < 0) {
                config_done(c);
                return r;
        }
        if (diags->n > diags_before) {
                config_done(c);
                return 1;
        }
        *ret = *c;
        return 0;
}

/* ---- files and precedence ------------------------------------------------------------- */

static int conf_name_cmp(const void *a, const void *b) {
        const char *const *x = a, *const *y = b;
        return strcmp(strrchr(*x, '/') + 1, strrchr(*y, '/') + 1);
}

static bool is_masked(const char *path) {
        char target[16];
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return false;
        target[n] = '\0';
        return streq(target, "/dev/null");
}

int conf_files_list(const char *const *dirs, char ***ret, size_t *ret_n) {
        _cleanup_(strv_freep) char **paths = NULL;
        size_t n = 0, keep = 0;

        /* Highest priority first, so the first file of a name wins. */
        size_t n_dirs = 0;
        while (dirs[n_dirs])
                n_dirs++;

        for (size_t d = n_dirs; d-- > 0;) {
                DIR *dir = opendir(dirs[d]);
                struct dirent *de;

                if (!dir) {
                        if (errno == ENOENT || errno == ENOTDIR)
                                continue;
                        return -errno;
                }
                while ((de = readdir(dir))) {
                        _cleanup_free_ char *path = NULL;
                        size_t l = strlen(de->d_name);
                        bool dup = false;

                        if (de->d_name[0] == '.' || l < 6 || !streq(de->d_name + l - 5, ".conf"))
                                continue;
                        for (size_t i = 0; i < n; i++)
                                if (streq(strrchr(paths[i], '/') + 1, de->d_name))
                                        dup = true;
                        if (dup)
                                continue;
                        if (asprintf(&path, "%s/%s", dirs[d], de->d_name) < 0) {
                                closedir(dir);
                                return -ENOMEM;
                        }
                        if (strv_push(&paths, &n, path) < 0) {
                                closedir(dir);
                                return -ENOMEM;
                        }
                }
                closedir(dir);
        }

        /* A symlink to /dev/null masks the name in every lower directory. */
        for (size_t i = 0; i < n; i++) {
                if (is_masked(paths[i])) {
                        free(paths[i]);
                        continue;
                }
                paths[keep++] = paths[i];
        }
        if (paths)
                paths[keep] = NULL;
        if (keep > 1)
                qsort(paths, keep, sizeof(char *), conf_name_cmp);

        *ret_n = keep;
        *ret = TAKE_PTR(paths);
        return 0;
}

int config_load(const ConfPaths *paths, Config *ret, ConfDiags *diags) {
        _cleanup_(strv_freep) char **files = NULL;
        size_t n_files = 0, before = diags->n;
        Config c;
        int r;

        config_begin(&c);

        if (paths->main_file && access(paths->main_file, F_OK) == 0) {
                _cleanup_free_ char *dir = strdup(paths->main_file);
                char *slash = dir ? strrchr(dir, '/') : NULL;

                if (!dir) {
                        config_done(&c);
                        return -ENOMEM;
                }
                if (slash)
                        *(slash == dir ? slash + 1 : slash) = '\0';
                r = check_dir(diags, slash ? dir : ".");
                if (r >= 0)
                        r = add_file(&c, paths->main_file);
                if (r >= 0)
                        r = parse_file(&c, diags, paths->main_file, true);
                if (r < 0) {
                        config_done(&c);
                        return r;
                }
        }
        for (size_t i = 0; paths->policy_dirs && paths->policy_dirs[i]; i++) {
                r = check_dir(diags, paths->policy_dirs[i]);
                if (r < 0) {
                        config_done(&c);
                        return r;
                }
        }

        r = conf_files_list(paths->policy_dirs, &files, &n_files);
        if (r < 0) {
                config_done(&c);
                return r;
        }
        for (size_t i = 0; i < n_files && !conf_diags_full(diags); i++) {
                r = add_file(&c, files[i]);
                if (r >= 0)
                        r = parse_file(&c, diags, files[i], false);
                if (r < 0) {
                        config_done(&c);
                        return r;
                }
        }
        return config_result(&c, diags, ret, before);
}

int config_check_kernel(const Config *c, const KernelInfo *k, ConfDiags *diags) {
        const char *why = NULL;
        char buf[32];
        uint64_t g;
        int n = 0;

        if (granularity_resolve(&c->daemon.granularity, k, &g, &why) < 0) {
                if (conf_diag_add(diags, strempty(c->daemon.granularity_file),
                                  c->daemon.granularity_line, "granularity",
                                  "granularity = %s cannot be used: %s (running %s); use "
                                  "'section' or 'auto'",
                                  granularity_to_string(&c->daemon.granularity, buf, sizeof(buf)),
                                  why, k->release) < 0)
                        return -ENOMEM;
                n++;
        }
        for (size_t i = 0; i < c->n_selectors; i++) {
                const RegionSelector *s = &c->selectors[i];
                if (!s->has_granularity || granularity_resolve(&s->granularity, k, &g, &why) >= 0)
                        continue;
                if (conf_diag_add(diags, s->file, s->granularity_line, "granularity",
                                  "[region %s]: granularity = %s cannot be used: %s (running %s); "
                                  "use 'section' or 'auto'", s->name,
                                  granularity_to_string(&s->granularity, buf, sizeof(buf)), why,
                                  k->release) < 0)
                        return -ENOMEM;
                n++;
        }
        return n;
}

int config_load_strings(const char *main_text, const char *const *policy_files, Config *ret,
                        ConfDiags *diags) {
        size_t before = diags->n;
        Config c;
        int r = 0;

        config_begin(&c);
        if (main_text) {
                r = add_file(&c, "pmemnsd.conf");
                if (r >= 0)
                        r = parse_text(&c, diags, "pmemnsd.conf", main_text, true);
        }
        for (size_t i = 0; r >= 0 && policy_files && policy_files[i]; i += 2) {
                r = add_file(&c, policy_files[i]);
                if (r >= 0)
                        r = parse_text(&c, diags, policy_files[i], policy_files[i + 1], false);
        }
        if (r < 0) {
                config_done(&c);
                return r;
        }
        return config_result(&c, diags, ret, before);
}
