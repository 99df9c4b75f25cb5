/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one plan-row printer against the two that it replaced, byte for byte: their format
 * strings are kept here as the reference. */
#include <inttypes.h>

#include "plan-table.h"
#include "tests.h"
#include "util/macro.h"
#include "util/size.h"

static const PlanTableRow rows[] = {
        { "create", "db", "region0", "fsdax", 64 << 20, 62 << 20, UINT64_C(0x100000000), "create fsdax at ..." },
        { "skip", "", "region1", "raw", 512 << 20, 510 << 20, 0, "foreign namespace namespace1.0 left untouched" },
        { "adopt", "a-very-long-instance-name.17", "region12345", "devdax", UINT64_C(3) << 40, 0,
          UINT64_C(0xffffffffffffffff), "" },
        { "failed", NULL, "region0", "", 0, 0, 1, NULL },
};

static char *print(const PlanTableStyle *style) {
        char *s = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&s, &n);

        plan_table_header(f, style);
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                plan_table_row(f, style, &rows[i]);
        fclose(f);
        return s;
}

TEST(daemon_table_as_before) {
        _cleanup_free_ char *got = print(&plan_table_daemon), *want = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&want, &n);

        /* daemon/main.c's print_plan() */
        fprintf(f, "%-8s %-16s %-8s %-6s %8s %8s %-18s %s\n", "ACTION", "INSTANCE", "REGION", "MODE", "SIZE",
                "USABLE", "START", "MESSAGE");
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                const PlanTableRow *r = &rows[i];
                char start[32] = "-";
                if (r->start)
                        snprintf(start, sizeof(start), "%#" PRIx64, r->start);
                fprintf(f, "%-8s %-16s %-8s %-6s %8s %8s %-18s %s\n", r->action,
                        isempty(r->instance) ? "-" : r->instance, r->region, strempty(r->mode),
                        FORMAT_SIZE(r->size), FORMAT_SIZE(r->usable), start, strempty(r->message));
        }
        fclose(f);
        CHECK_STR(got, want);
}

TEST(ctl_table_as_before) {
        _cleanup_free_ char *got = print(&plan_table_ctl), *want = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&want, &n);

        /* ctl/pmemnsctl.c's print_rows() */
        fprintf(f, "%-8s %-14s %-8s %-6s %9s %9s %-14s %s\n", "ACTION", "INSTANCE", "REGION", "MODE", "SIZE",
                "USABLE", "START", "MESSAGE");
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                const PlanTableRow *r = &rows[i];
                char st[24] = "-";
                if (r->start)
                        snprintf(st, sizeof(st), "%#" PRIx64, r->start);
                fprintf(f, "%-8s %-14s %-8s %-6s %9s %9s %-14s %s\n", r->action, isempty(r->instance) ? "-" : r->instance,
                        r->region, r->mode, FORMAT_SIZE(r->size), FORMAT_SIZE(r->usable), st, strempty(r->message));
        }
        fclose(f);
        CHECK_STR(got, want);
}
