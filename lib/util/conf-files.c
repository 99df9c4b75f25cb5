/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <stdio.h>

#include "conf-files.h"
#include "macro.h"
#include "strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

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

static bool name_listed(char *const *paths, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(strrchr(paths[i], '/') + 1, name))
                        return true;
        return false;
}

static bool is_conf_name(const char *name) {
        size_t l = strlen(name);
        return name[0] != '.' && l >= 6 && streq(name + l - 5, ".conf");
}

/* Add the *.conf names of one directory that no higher-priority directory has given. */
static int list_dir(const char *dir, char ***paths, size_t *n) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL;

                if (!is_conf_name(de->d_name) || name_listed(*paths, *n, de->d_name))
                        continue;
                if (asprintf(&path, "%s/%s", dir, de->d_name) < 0 || strv_push(paths, n, path) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int conf_files_list(const char *const *dirs, char ***ret, size_t *ret_n) {
        _cleanup_(strv_freep) char **paths = NULL;
        size_t n = 0, n_dirs = 0, keep = 0;
        int r;

        /* Highest priority first, so the first file of a name wins. */
        while (dirs[n_dirs])
                n_dirs++;
        for (size_t d = n_dirs; d-- > 0;) {
                r = list_dir(dirs[d], &paths, &n);
                if (r < 0)
                        return r;
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

int conf_files_list_hidden(const char *const *dirs, char ***ret, size_t *ret_n) {
        _cleanup_(strv_freep) char **winners = NULL, **lines = NULL;
        size_t n_winners = 0, n_lines = 0, n_dirs = 0;
        int r;

        while (dirs[n_dirs])
                n_dirs++;
        /* highest priority first: the first path of a name wins, later ones are hidden */
        for (size_t d = n_dirs; d-- > 0;) {
                _cleanup_(strv_freep) char **here = NULL;
                size_t n_here = 0;

                r = list_dir(dirs[d], &here, &n_here);
                if (r < 0)
                        return r;
                if (n_here > 1)
                        qsort(here, n_here, sizeof(char *), conf_name_cmp);
                for (size_t i = 0; i < n_here; i++) {
                        const char *name = strrchr(here[i], '/') + 1, *by = NULL;
                        _cleanup_free_ char *line = NULL;

                        for (size_t k = 0; k < n_winners && !by; k++)
                                if (streq(strrchr(winners[k], '/') + 1, name))
                                        by = winners[k];
                        if (by)
                                r = asprintf(&line, "%s (hidden by %s%s)", here[i], by,
                                             is_masked(by) ? ", a symlink to /dev/null" : "");
                        else if (is_masked(here[i]))
                                r = asprintf(&line, "%s (a symlink to /dev/null: masks the name)", here[i]);
                        else
                                r = 0;
                        if (r < 0)
                                return -ENOMEM;
                        if (line && strv_push(&lines, &n_lines, line) < 0)
                                return -ENOMEM;
                        if (!by && strv_push(&winners, &n_winners, here[i]) < 0)
                                return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(lines);
        *ret_n = n_lines;
        return 0;
}
