/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "config-report.h"
#include "manager.h"
#include "plan-command.h"
#include "plan-table.h"
#include "util/log.h"
#include "util/size.h"

static int print_plan(const Manager *m, const Plan *plan, JsonFormat json, bool legend) {
        _cleanup_free_ PlanTableRow *rows = calloc(MAX(plan->n_rows, (size_t) 1), sizeof(PlanTableRow));
        int r;

        if (!rows)
                return log_error_errno(-ENOMEM, "Out of memory.");
        for (size_t i = 0; i < plan->n_rows; i++) {
                const PlanRow *row = &plan->rows[i];
                rows[i] = (PlanTableRow) {
                        .action = plan_action_to_string(row->action),
                        .instance = row->spec.name,
                        .region = row->spec.region,
                        .mode = plan_row_mode(row),
                        .size = row->spec.size,
                        .usable = row->spec.usable,
                        .start = row->spec.start,
                        .message = row->message,
                };
        }
        if (json != JSON_OFF) {
                json_print(stdout, plan_rows_to_json(rows, plan->n_rows), json);
                return 0;
        }
        r = plan_table_print(stdout, rows, plan->n_rows, legend);
        if (r < 0)
                return log_error_errno(r, "Failed to print the plan: %m");
        if (!legend)
                return 0;
        for (size_t i = 0; i < plan->n_regions; i++) {
                const RegionPlan *rp = &plan->regions[i];
                if (rp->selector < 0)
                        printf("%s: no region selector matches\n", rp->region);
                else
                        printf("%s: selector '%s', granularity %s, %s lost to alignment%s\n", rp->region,
                               m->config.selectors[rp->selector].name, FORMAT_SIZE(rp->granularity),
                               FORMAT_SIZE(rp->lost_to_alignment),
                               rp->init_labels ? ", labels to be initialised" : "");
        }
        return 0;
}

int plan_command(const char *config_root, JsonFormat json, bool legend) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(plan_done) Plan plan = {};
        int r;

        r = manager_new(config_root, &m);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the manager: %m");
        r = manager_probe_kernel(m);
        if (r < 0)
                return log_error_errno(r, "Failed to probe the running kernel: %m");
        r = manager_load_config_or_print(m);
        if (r != 0)
                return r < 0 ? r : -EINVAL;
        r = manager_refresh(m);
        if (r < 0)
                return log_error_errno(r, "Cannot read the kernel state: %m");
        r = manager_plan(m, &plan);
        if (r < 0)
                return r;
        return print_plan(m, &plan, json, legend);
}
