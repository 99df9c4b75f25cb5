/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one plan-row table of pmemnsd --plan and pmemnsctl plan/apply: sized to its content,
 * --no-legend, the empty plan, and the rows' JSON (one shape, snake_case, sizes in bytes). */
#include <inttypes.h>

#include "json-format.h"
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

static char *print(const PlanTableRow *r, size_t n, bool legend) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        CHECK_INT(plan_table_print(f, r, n, legend), 0);
        fclose(f);
        return s;
}

TEST(table_sized_to_content) {
        _cleanup_free_ char *got = print(rows, ELEMENTSOF(rows), true), *want = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&want, &n);

        /* columns as wide as their widest cell, one space apart, numbers right-aligned,
         * "-" for nothing; the last column is not padded */
        fprintf(f, "%-6s %-28s %-11s %-6s %4s %6s %-18s %s\n", "ACTION", "INSTANCE", "REGION", "MODE", "SIZE",
                "USABLE", "START", "MESSAGE");
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                const PlanTableRow *r = &rows[i];
                char start[32] = "-";
                if (r->start)
                        snprintf(start, sizeof(start), "%#" PRIx64, r->start);
                fprintf(f, "%-6s %-28s %-11s %-6s %4s %6s %-18s %s\n", r->action,
                        isempty(r->instance) ? "-" : r->instance, r->region, isempty(r->mode) ? "-" : r->mode,
                        FORMAT_SIZE(r->size), FORMAT_SIZE(r->usable), start,
                        isempty(r->message) ? "-" : r->message);
        }
        fclose(f);
        CHECK_STR(got, want);
}

TEST(no_legend) {
        _cleanup_free_ char *with = print(rows, ELEMENTSOF(rows), true);
        _cleanup_free_ char *without = print(rows, ELEMENTSOF(rows), false);

        /* the same rows without the header line */
        CHECK(strncmp(with, "ACTION ", 7) == 0);
        CHECK_STR(without, strchr(with, '\n') + 1);
}

TEST(empty_says_so) {
        _cleanup_free_ char *with = print(rows, 0, true), *without = print(rows, 0, false);

        CHECK_STR(with, "No plan rows.\n");
        CHECK_STR(without, "");
}

TEST(rows_json) {
        json_object *j = plan_rows_to_json(rows, ELEMENTSOF(rows)), *a, *r, *v;

        CHECK(json_object_object_get_ex(j, "rows", &a));
        CHECK_INT(json_object_array_length(a), ELEMENTSOF(rows));
        r = json_object_array_get_idx(a, 2);
        CHECK(json_object_object_get_ex(r, "size", &v));
        CHECK(json_object_is_type(v, json_type_int));
        CHECK_U64(json_object_get_uint64(v), UINT64_C(3) << 40);
        CHECK(json_object_object_get_ex(r, "start", &v));
        CHECK_U64(json_object_get_uint64(v), UINT64_C(0xffffffffffffffff));
        CHECK(json_object_object_get_ex(r, "usable_size", &v));
        r = json_object_array_get_idx(a, 3);
        CHECK(json_object_object_get_ex(r, "instance", &v));
        CHECK_STR(json_object_get_string(v), "");
        CHECK(json_object_object_get_ex(r, "message", &v));
        CHECK_STR(json_object_get_string(v), "");
        json_object_put(j);
        j = plan_rows_to_json(rows, 0);
        CHECK_STR(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), "{\"rows\":[]}");
        json_object_put(j);
}

TEST(json_formats) {
        char *s = NULL;
        size_t n = 0;
        FILE *f;

        CHECK_INT(json_format_from_string(NULL), JSON_PRETTY);
        CHECK_INT(json_format_from_string("pretty"), JSON_PRETTY);
        CHECK_INT(json_format_from_string("short"), JSON_SHORT);
        CHECK_INT(json_format_from_string("off"), JSON_OFF);
        CHECK(json_format_from_string("yes") < 0);
        CHECK(json_format_from_string("") < 0);

        f = open_memstream(&s, &n);
        json_print(f, plan_rows_to_json(rows, 2), JSON_SHORT);
        fclose(f);
        /* one line */
        CHECK(strchr(s, '\n') == s + strlen(s) - 1);
        CHECK(strncmp(s, "{\"rows\":[{\"action\":\"create\",\"instance\":\"db\"", 42) == 0);
        free(s);
}

TEST(cells_escaped_once) {
        /* pmemnsd's \xNN for an invalid byte stays as it is (libsmartcols would write
         * \x5cxNN), valid UTF-8 stays and is one column wide, raw invalid bytes and control
         * characters become \xNN: the table cannot hang or act on a terminal */
        static const PlanTableRow odd[] = {
                { "skip", "bad\\xffname", "region0", "raw", 0, 0, 0, "caf\xc3\xa9" },
                { "skip", "esc\x1b[2J", "region0", "raw", 0, 0, 0, "raw\xff" },
        };
        _cleanup_free_ char *got = print(odd, ELEMENTSOF(odd), false);

        /* (with --no-legend too, a column is as wide as its header) */
        CHECK_STR(got, "skip   bad\\xffname region0 raw     0      0 -     caf\xc3\xa9\n"
                       "skip   esc\\x1b[2J  region0 raw     0      0 -     raw\\xff\n");
}
