/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration model and its loading: pmemnsd.conf, then the policy.d files that
 * survive layering and masking, each read (file.c), parsed (parser.c) and checked
 * (check.c). A configuration with any problem is returned empty, with all its problems. */
#include <stdio.h>

#include "conf/conf-internal.h"
#include "util/conf-files.h"
#include "util/macro.h"
#include "util/strv.h"

static void selector_done(RegionSelector *s) {
        free(s->name);
        free(s->file);
        free(s->match_dev);
        free(s->match_type);
        free(s->match_provider);
        free(s->match_cxl_region);
}

static void cxl_region_policy_done(CxlRegionPolicy *x) {
        free(x->name);
        free(x->file);
        free(x->memdevs);
        free(x->type);
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
        for (size_t i = 0; i < c->n_cxl_regions; i++)
                cxl_region_policy_done(&c->cxl_regions[i]);
        free(c->selectors);
        free(c->policies);
        free(c->cxl_regions);
        strv_free(c->files);
        strv_free(c->texts);
        free(c->daemon.granularity_file);
        *c = (Config) {};
}

static void config_begin(Config *c) {
        *c = (Config) {
                .daemon = {
                        .granularity = { .kind = GRANULARITY_AUTO },
                        .load_modules = true,
                        .apply = APPLY_AUTO,
                },
        };
}

const RegionSelector *config_selector_by_name(const Config *c, const char *name) {
        for (size_t i = 0; i < c->n_selectors; i++)
                if (streq(c->selectors[i].name, name))
                        return &c->selectors[i];
        return NULL;
}

const CxlRegionPolicy *config_cxl_region_by_name(const Config *c, const char *name) {
        for (size_t i = 0; i < c->n_cxl_regions; i++)
                if (streq(c->cxl_regions[i].name, name))
                        return &c->cxl_regions[i];
        return NULL;
}

const NamespacePolicy *config_policy_by_name(const Config *c, const char *name) {
        for (size_t i = 0; i < c->n_policies; i++)
                if (streq(c->policies[i].name, name))
                        return &c->policies[i];
        return NULL;
}

char *policy_instance_name(const NamespacePolicy *p, unsigned index) {
        char *s;

        if (p->count <= 1)
                return strdup(p->name);
        if (asprintf(&s, "%s.%u", p->name, index) < 0)
                return NULL;
        return s;
}

/* Read one file into c; a file that cannot be read safely is a diagnostic, not an error. */
static int load_file(Config *c, ConfDiags *diags, const char *path, bool is_main) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = strv_push(&c->files, &c->n_files, path);
        if (r < 0)
                return r;
        r = conf_read_file(diags, path, &text, &len);
        if (r < 0 || !text)
                return r;
        if (is_main)
                c->main_read = true;
        r = conf_parse(c, diags, path, text, len, is_main);
        if (r < 0)
                return r;
        /* the text as read is not NUL-terminated; a NUL inside it is a diagnostic
         * (file.c), so an accepted one is a C string */
        _cleanup_free_ char *copy = strndup(text, len);
        if (!copy)
                return -ENOMEM;
        return strv_push(&c->texts, &c->n_texts, copy);
}

static int load_text(Config *c, ConfDiags *diags, const char *name, const char *text, bool is_main) {
        int r = strv_push(&c->files, &c->n_files, name);
        if (r < 0)
                return r;
        if (is_main)
                c->main_read = true;
        r = conf_parse(c, diags, name, text, text ? strlen(text) : 0, is_main);
        if (r < 0)
                return r;
        return strv_push(&c->texts, &c->n_texts, strempty(text));
}

/* The directory of pmemnsd.conf must be as safe as the file. */
static int check_main_dir(ConfDiags *diags, const char *main_file) {
        _cleanup_free_ char *dir = strdup(main_file);
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash)
                *(slash == dir ? slash + 1 : slash) = '\0';
        return conf_check_dir(diags, slash ? dir : ".");
}

static int load_all(const ConfPaths *paths, Config *c, ConfDiags *diags) {
        _cleanup_(strv_freep) char **files = NULL;
        size_t n_files = 0;
        int r;

        if (paths->main_file && access(paths->main_file, F_OK) == 0) {
                r = check_main_dir(diags, paths->main_file);
                if (r >= 0)
                        r = load_file(c, diags, paths->main_file, true);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; paths->policy_dirs && paths->policy_dirs[i]; i++) {
                r = conf_check_dir(diags, paths->policy_dirs[i]);
                if (r < 0)
                        return r;
        }

        r = conf_files_list(paths->policy_dirs, &files, &n_files);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_files && !conf_diags_full(diags); i++) {
                r = load_file(c, diags, files[i], false);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* r: what reading gave. Hands c over to *ret when it holds no problem; frees it otherwise. */
static int config_result(int r, Config *c, ConfDiags *diags, Config *ret, size_t diags_before) {
        if (r >= 0)
                r = conf_check_references(c, diags);
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

int config_load(const ConfPaths *paths, Config *ret, ConfDiags *diags) {
        size_t before = diags->n;
        Config c;

        config_begin(&c);
        return config_result(load_all(paths, &c, diags), &c, diags, ret, before);
}

int config_load_texts(const char *const *files, const char *const *texts, size_t n, bool main_read,
                      Config *ret, ConfDiags *diags) {
        size_t before = diags->n;
        Config c;
        int r = 0;

        config_begin(&c);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = load_text(&c, diags, files[i], texts[i], main_read && i == 0);
        return config_result(r, &c, diags, ret, before);
}

int config_load_strings(const char *main_text, const char *const *policy_files, Config *ret,
                        ConfDiags *diags) {
        size_t before = diags->n;
        Config c;
        int r = 0;

        config_begin(&c);
        if (main_text)
                r = load_text(&c, diags, "pmemnsd.conf", main_text, true);
        for (size_t i = 0; r >= 0 && policy_files && policy_files[i]; i += 2)
                r = load_text(&c, diags, policy_files[i], policy_files[i + 1], false);
        return config_result(r, &c, diags, ret, before);
}
