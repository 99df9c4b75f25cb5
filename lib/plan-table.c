/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "plan-table.h"
#include "util/macro.h"
#include "util/size.h"

const PlanTableStyle plan_table_daemon = { .instance = 16, .size = 8, .start = 18 };
const PlanTableStyle plan_table_ctl = { .instance = 14, .size = 9, .start = 14 };

void plan_table_header(FILE *f, const PlanTableStyle *s) {
        fprintf(f, "%-8s %-*s %-8s %-6s %*s %*s %-*s %s\n", "ACTION", s->instance, "INSTANCE", "REGION", "MODE",
                s->size, "SIZE", s->size, "USABLE", s->start, "START", "MESSAGE");
}

void plan_table_row(FILE *f, const PlanTableStyle *s, const PlanTableRow *row) {
        char start[24] = "-";

        if (row->start)
                snprintf(start, sizeof(start), "%#" PRIx64, row->start);
        fprintf(f, "%-8s %-*s %-8s %-6s %*s %*s %-*s %s\n", strempty(row->action), s->instance,
                isempty(row->instance) ? "-" : row->instance, strempty(row->region), strempty(row->mode), s->size,
                FORMAT_SIZE(row->size), s->size, FORMAT_SIZE(row->usable), s->start, start, strempty(row->message));
}
