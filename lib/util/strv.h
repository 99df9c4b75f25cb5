/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "macro.h"

/* NULL-terminated string arrays. */
int strv_push(char ***l, size_t *n, const char *s);
void strv_free(char **l);
size_t strv_length(char *const *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
