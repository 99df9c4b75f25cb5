/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* The *.conf files of a layered directory list (systemd's drop-in rule): a name in a
 * higher-priority directory hides the same name below it, a symlink to /dev/null masks the
 * name altogether, and the survivors are returned in lexical order of their names.
 * dirs: NULL-terminated, lowest priority first; missing directories are skipped.
 * *ret: NULL-terminated list of paths (or NULL when there are none), *ret_n its length. */
int conf_files_list(const char *const *dirs, char ***ret, size_t *ret_n);

/* What conf_files_list() leaves out, one line per file for people: "PATH (hidden by
 * OTHER)" or "PATH (a symlink to /dev/null: masks the name)". */
int conf_files_list_hidden(const char *const *dirs, char ***ret, size_t *ret_n);
