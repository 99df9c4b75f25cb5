/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The first line of a (sysfs) file, without its newline. */
int read_one_line_file(const char *path, char **ret);
/* Write VALUE to a sysfs-style attribute in one write(): the kernel's -errno if it refuses. */
int write_attribute(const char *path, const char *value);
