/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The plan rows of `pmemnsd --plan` and `pmemnsctl plan|apply`: one table and one JSON
 * shape for both programs. The row is text and numbers, as the bus carries it, so that the
 * client needs nothing of the planner. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json.h>

typedef struct PlanTableRow {
        const char *action;
        const char *instance; /* "" or NULL: "-" */
        const char *region;
        const char *mode;
        uint64_t size;
        uint64_t usable;
        uint64_t start; /* 0: "-" */
        const char *message;
} PlanTableRow;

/* The table (ACTION INSTANCE REGION MODE SIZE USABLE START MESSAGE); legend: with the
 * header, and "No plan rows." when there are none. */
int plan_table_print(FILE *f, const PlanTableRow *rows, size_t n, bool legend);

/* {"rows": [{"action", "instance", "region", "mode", "size", "usable_size", "start",
 * "message"}, ...]}: sizes and start in bytes, "" for no instance, start 0 for none. */
json_object *plan_rows_to_json(const PlanTableRow *rows, size_t n);
