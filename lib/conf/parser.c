/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The INI reader: inih (libinih) parses, fed line by line by our reader, which refuses what
 * inih would silently misread; the handler tracks sections, rejects unknown, repeated and
 * empty keys, and hands each value to its row in conf_keys[] (keys.c). */
#include <ctype.h>
#include <stdio.h>

#include "conf/conf-internal.h"
#include "util/macro.h"

unsigned seen_line(const Parser *p, const char *key) {
        for (size_t i = 0; i < p->n_seen; i++)
                if (streq(p->seen[i].key, key))
                        return p->seen[i].line;
        return 0;
}

/* ---- sections ---------------------------------------------------------------------------- */

static void add_selector(Parser *p, const char *name) {
        const RegionSelector *other = config_selector_by_name(p->config, name);
        RegionSelector *n;

        if (other) {
                DIAG(p, p->line, NULL, "region selector '%s' is already defined at %s:%u", name,
                     other->file, other->line);
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
}

static void add_policy(Parser *p, const char *name) {
        const NamespacePolicy *other = config_policy_by_name(p->config, name);
        NamespacePolicy *n;

        if (other) {
                DIAG(p, p->line, NULL, "namespace policy '%s' is already defined at %s:%u", name,
                     other->file, other->line);
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

static void add_cxl_region(Parser *p, const char *name) {
        const CxlRegionPolicy *other = config_cxl_region_by_name(p->config, name);
        CxlRegionPolicy *n;

        if (other) {
                DIAG(p, p->line, NULL, "cxl-region '%s' is already defined at %s:%u", name,
                     other->file, other->line);
                return;
        }
        n = realloc(p->config->cxl_regions, sizeof(CxlRegionPolicy) * (p->config->n_cxl_regions + 1));
        if (!n) {
                p->error = -ENOMEM;
                return;
        }
        p->config->cxl_regions = n;
        p->index = p->config->n_cxl_regions++;
        n[p->index] = (CxlRegionPolicy) {
                .name = strdup(name),
                .file = strdup(p->file),
                .line = p->line,
                .size_kind = SIZE_REST,
        };
        if (!n[p->index].name || !n[p->index].file)
                p->error = -ENOMEM;
        p->kind = SECTION_CXL_REGION;
}

#define SECTIONS_VALID "[region NAME], [namespace NAME] or [cxl-region NAME]"

/* A policy file's header: "region NAME", "namespace NAME" or "cxl-region NAME". Returns the kind, with
 * *ret_name pointing into header, or SECTION_BAD when a problem was reported. */
static SectionKind policy_header(Parser *p, const char *header, const char **ret_name) {
        _cleanup_free_ char *kind = NULL;
        const char *space, *name;

        space = strchr(header, ' ');
        if (!space) {
                DIAG(p, p->line, NULL,
                     "section [%s] has no name; expected " SECTIONS_VALID, header);
                return SECTION_BAD;
        }
        kind = strndup(header, (size_t) (space - header));
        if (!kind) {
                p->error = -ENOMEM;
                return SECTION_BAD;
        }
        name = space + strspn(space, " \t");

        if (!streq(kind, "region") && !streq(kind, "namespace") && !streq(kind, "cxl-region")) {
                DIAG(p, p->line, NULL,
                     "unknown section kind '%s' in [%s]; expected " SECTIONS_VALID, kind, header);
                return SECTION_BAD;
        }
        if (!policy_name_is_valid(name)) {
                DIAG(p, p->line, NULL,
                     "invalid name '%s' in [%s]: use 1-%d characters from A-Z, a-z, 0-9, "
                     "'-' and '_'", name, header, NS_NAME_MAX - 5);
                return SECTION_BAD;
        }
        *ret_name = name;
        return streq(kind, "region") ? SECTION_REGION :
               streq(kind, "namespace") ? SECTION_NAMESPACE : SECTION_CXL_REGION;
}

static void begin_section(Parser *p, const char *header) {
        const char *name = NULL;

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
        switch (policy_header(p, header, &name)) {
        case SECTION_REGION: add_selector(p, name); break;
        case SECTION_NAMESPACE: add_policy(p, name); break;
        case SECTION_CXL_REGION: add_cxl_region(p, name); break;
        default: break;
        }
}

static void finish_section(Parser *p) {
        if (p->kind == SECTION_NAMESPACE)
                conf_check_namespace(p);
        else if (p->kind == SECTION_REGION)
                conf_check_region(p);
        else if (p->kind == SECTION_CXL_REGION)
                conf_check_cxl_region(p);
        p->section = mfree(p->section);
        p->kind = SECTION_NONE;
        p->n_seen = 0;
}

/* The struct that the current section's keys are parsed into. */
static void *section_target(Parser *p) {
        switch (p->kind) {
        case SECTION_DAEMON: return &p->config->daemon;
        case SECTION_REGION: return &p->config->selectors[p->index];
        case SECTION_NAMESPACE: return &p->config->policies[p->index];
        case SECTION_CXL_REGION: return &p->config->cxl_regions[p->index];
        default: return NULL;
        }
}

/* ---- keys -------------------------------------------------------------------------------- */

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

static void handle_key(Parser *p, const char *key, const char *value) {
        const ConfKey *k = conf_key_find(p->kind, key);
        unsigned first;
        void *target;

        if (!k) {
                _cleanup_free_ char *list = conf_keys_list(p->kind);
                DIAG(p, p->line, key, "unknown key '%s' in [%s]; valid keys are: %s", key,
                     p->section, strempty(list));
                return;
        }
        first = seen_line(p, k->name);
        if (first > 0) {
                DIAG(p, p->line, k->name, "'%s' is given twice in [%s] (first at line %u)",
                     k->name, p->section, first);
                return;
        }
        if (p->n_seen < ELEMENTSOF(p->seen))
                p->seen[p->n_seen++] = (SeenKey) { k->name, p->line };

        if (isempty(value)) {
                DIAG(p, p->line, k->name, "'%s' in [%s] has no value", k->name, p->section);
                return;
        }
        target = section_target(p);
        k->parse(p, k, value, (uint8_t *) target + k->offset, target);
}

static int ini_handler_cb(void *userdata, const char *section, const char *key, const char *raw) {
        Parser *p = userdata;
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
        handle_key(p, key, value);
        return 1;
}

/* ---- the reader -------------------------------------------------------------------------- */

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

int conf_parse(Config *c, ConfDiags *diags, const char *name, const char *text, size_t len,
               bool is_main) {
        Parser p = {
                .config = c,
                .diags = diags,
                .file = name,
                .is_main = is_main,
                .text = text,
                .text_end = text ? text + len : NULL,
        };
        int r;

        r = ini_parse_stream(reader_cb, &p, ini_handler_cb, &p);
        if (p.section)
                finish_section(&p);
        if (p.error < 0)
                return p.error;
        if (r > 0) {
                /* inih reports the first line it could not parse (and carries on). */
                DIAG(&p, (unsigned) r, NULL,
                     "syntax error; expected '[section]', 'key = value' or a comment starting "
                     "with '#' or ';'");
        } else if (r == -2)
                return -ENOMEM;
        return 0;
}
