/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>

#include "plan-table.h"
#include "table.h"
#include "util/macro.h"
#include "util/size.h"

int plan_table_print(FILE *f, const PlanTableRow *rows, size_t n, bool legend) {
        static const char *const columns[] = {
                "ACTION", "INSTANCE", "REGION", "MODE", ">SIZE", ">USABLE", "START", "MESSAGE", NULL,
        };
        struct libscols_table *t = table_new(columns);

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const PlanTableRow *row = &rows[i];
                char start[24] = "-";
                int r;

                if (row->start)
                        snprintf(start, sizeof(start), "%#" PRIx64, row->start);
                r = table_add_row(t, (const char *const[]) {
                        row->action, row->instance, row->region, row->mode, FORMAT_SIZE(row->size),
                        FORMAT_SIZE(row->usable), start, row->message,
                });
                if (r < 0) {
                        scols_unref_table(t);
                        return r;
                }
        }
        return table_print(t, f, legend, "No plan rows.");
}

json_object *plan_rows_to_json(const PlanTableRow *rows, size_t n) {
        json_object *j = json_object_new_object(), *a = json_object_new_array();

        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "action", json_object_new_string(strempty(rows[i].action)));
                json_object_object_add(o, "instance", json_object_new_string(strempty(rows[i].instance)));
                json_object_object_add(o, "region", json_object_new_string(strempty(rows[i].region)));
                json_object_object_add(o, "mode", json_object_new_string(strempty(rows[i].mode)));
                json_object_object_add(o, "size", json_object_new_uint64(rows[i].size));
                json_object_object_add(o, "usable_size", json_object_new_uint64(rows[i].usable));
                json_object_object_add(o, "start", json_object_new_uint64(rows[i].start));
                json_object_object_add(o, "message", json_object_new_string(strempty(rows[i].message)));
                json_object_array_add(a, o);
        }
        json_object_object_add(j, "rows", a);
        return j;
}
