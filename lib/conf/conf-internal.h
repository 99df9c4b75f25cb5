/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the files of lib/conf only: the parser state that the key parsers (keys.c)
 * and the per-section checks (check.c) work on. */

#include <ini.h>

#include "conf/config.h"

/* inih copies a section name into a buffer of this size (MAX_SECTION in ini.c),
 * cutting longer ones short; its prev_name buffer (MAX_NAME) has the same size. */
#define INI_SECTION_MAX 50

typedef enum SectionKind {
        SECTION_NONE,
        SECTION_DAEMON,
        SECTION_REGION,
        SECTION_NAMESPACE,
        SECTION_CXL_REGION,
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

/* config.c: names are unique once parsed (a second definition is refused) */
const RegionSelector *config_selector_by_name(const Config *c, const char *name);
const NamespacePolicy *config_policy_by_name(const Config *c, const char *name);

/* parser.c */
/* The line of KEY in the current section, 0: not given. */
unsigned seen_line(const Parser *p, const char *key);
/* Parse the text of one file (len bytes, NUL bytes included) into c. */
int conf_parse(Config *c, ConfDiags *diags, const char *name, const char *text, size_t len,
               bool is_main);

/* keys.c: one row per key */
typedef struct ConfKey ConfKey;
/* data: the field at offset in section, the section's struct (DaemonConfig, RegionSelector,
 * NamespacePolicy or CxlRegionPolicy). A bad value is reported with DIAG and leaves the field as it was. */
typedef void (*ConfKeyParser)(Parser *p, const ConfKey *k, const char *value, void *data,
                              void *section);
struct ConfKey {
        SectionKind section;
        const char *name;
        ConfKeyParser parse;
        size_t offset;
        NsOption option; /* a key that only some modes take; _NS_OPTION_INVALID: all */
        const char *help; /* the valid values, as "expected ..." says them */
};
extern const ConfKey conf_keys[];
const ConfKey *conf_key_find(SectionKind section, const char *name);
/* "a, b, c": the keys of a section in table order, for "valid keys are" */
char *conf_keys_list(SectionKind section);

/* diag.c */
/* names joined with ", " */
char *conf_join(const char *const *names, size_t n);

/* check.c: checks that need a whole section, and the whole configuration */
void conf_check_region(Parser *p);
void conf_check_namespace(Parser *p);
void conf_check_cxl_region(Parser *p);
int conf_check_references(Config *c, ConfDiags *diags);

/* file.c: 0 also when a problem was reported (and *ret is then NULL); negative errno on
 * allocation failure */
int conf_check_dir(ConfDiags *diags, const char *dir);
int conf_read_file(ConfDiags *diags, const char *path, char **ret, size_t *ret_len);
