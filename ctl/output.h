/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json.h>

#include "bus-objects.h"
#include "util/macro.h"

/* The one-line reason on stderr ("pmemnsctl: ..."); returns -1. */
int die(const char *format, ...) _printf_(1, 2);

/* Text from the daemon as the output shows it: escaped for a terminal, as it is for --json. */
char *text_dup(const char *s);

/* tables */
void print_status(const ManagerInfo *m, const Objects *o);
void print_regions(const Objects *o);
void print_namespaces(const Objects *o);
void print_map(const Objects *o, const char *region);
void print_rows(const RowInfo *rows, size_t n);

/* JSON: one shape, the property names as keys */
json_object *fields_to_json(const BusField *fields, const void *obj);
json_object *regions_to_json(const Objects *o);
json_object *namespaces_to_json(const Objects *o);
json_object *rows_to_json(const RowInfo *rows, size_t n);
void print_json(json_object *j);
