/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The plan-row table of `pmemnsd --plan` and `pmemnsctl plan|apply`: one printer. The row
 * is text and numbers, as the bus carries it, so that the client needs nothing of the
 * planner. */

#include <stdint.h>
#include <stdio.h>

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

/* Column widths. The two programs have always printed the table with different ones;
 * scripts and tests read both, so each keeps its own. */
typedef struct PlanTableStyle {
        int instance;
        int size; /* SIZE and USABLE */
        int start;
} PlanTableStyle;

extern const PlanTableStyle plan_table_daemon; /* pmemnsd --plan */
extern const PlanTableStyle plan_table_ctl;    /* pmemnsctl */

void plan_table_header(FILE *f, const PlanTableStyle *style);
void plan_table_row(FILE *f, const PlanTableStyle *style, const PlanTableRow *row);
