/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the files of lib/conf only. */

#include "conf/config.h"

/* file.c */
int conf_check_dir(ConfDiags *diags, const char *dir);
int conf_read_file(ConfDiags *diags, const char *path, char **ret, size_t *ret_len);
