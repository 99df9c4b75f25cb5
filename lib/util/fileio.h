/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* The first line of a (sysfs) file, without its newline. */
int read_one_line_file(const char *path, char **ret);
/* A whole-line unsigned number (decimal, 0x hex or 0 octal, as sysfs prints them); -EINVAL
 * for anything else. */
int read_u64_file(const char *path, uint64_t *ret);
/* Write VALUE to a sysfs-style attribute in one write(): the kernel's -errno if it refuses. */
int write_attribute(const char *path, const char *value);
