/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tests.h"

int test_failures;

extern const TestCase __start_pmemnsd_tests[];
extern const TestCase __stop_pmemnsd_tests[];

int main(int argc, char *argv[]) {
        size_t n = (size_t) (__stop_pmemnsd_tests - __start_pmemnsd_tests);
        int failed_tests = 0;

        printf("1..%zu\n", n);
        for (size_t i = 0; i < n; i++) {
                const TestCase *t = &__start_pmemnsd_tests[i];
                int before = test_failures;

                if (argc > 1 && strcmp(argv[1], t->name) != 0) {
                        printf("ok %zu - %s # SKIP not selected\n", i + 1, t->name);
                        continue;
                }
                t->func();
                if (test_failures != before) {
                        printf("not ok %zu - %s\n", i + 1, t->name);
                        failed_tests++;
                } else
                        printf("ok %zu - %s\n", i + 1, t->name);
                fflush(stdout);
        }
        return failed_tests ? EXIT_FAILURE : EXIT_SUCCESS;
}
