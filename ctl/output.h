/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json.h>

#include "bus-objects.h"
#include "util/macro.h"

/* The one-line reason on stderr ("pmemnsctl: ..."); returns -1. */
int die(const char *format, ...) _printf_(1, 2);

/* Text from the daemon as the output shows it: escaped for a terminal, as it is for --json. */
char *text_dup(const char *s);

/* tables (libsmartcols, lib/table.h); < 0 on failure */
int print_status(const ManagerInfo *m, const Objects *o);
int print_regions(const Objects *o);
int print_namespaces(const Objects *o);
/* region: one region's dev, or NULL for all */
void print_map(const Objects *o, const char *region);
int print_rows(const RowInfo *rows, size_t n);

/* JSON: lower snake_case keys; every listing is an object of arrays (README "JSON") */
json_object *manager_to_json(const ManagerInfo *m, const Objects *o);
json_object *regions_to_json(const Objects *o);
json_object *namespaces_to_json(const Objects *o);
json_object *map_to_json(const Objects *o, const char *region);
json_object *rows_to_json(const RowInfo *rows, size_t n);
/* with the --json format in force; takes j */
void print_json(json_object *j);
