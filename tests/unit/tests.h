/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A tiny test registry in the spirit of systemd's tests.h: TEST(name) { ... } registers a
 * function; main() runs them all and prints TAP. A failed check prints file:line and the
 * values, and the test binary exits non-zero. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct TestCase {
        const char *name;
        void (*func)(void);
} TestCase;

extern int test_failures;

#define TEST(n)                                                                          \
        static void test_##n(void);                                                      \
        static const TestCase test_case_##n                                              \
                __attribute__((used, section("pmemnsd_tests"), aligned(sizeof(void *)))) = { \
                        .name = #n,                                                      \
                        .func = test_##n,                                                \
                };                                                                       \
        static void test_##n(void)

#define CHECK(expr)                                                                      \
        do {                                                                             \
                if (!(expr)) {                                                           \
                        printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
                        test_failures++;                                                 \
                }                                                                        \
        } while (0)

#define CHECK_U64(a, b)                                                                  \
        do {                                                                             \
                uint64_t _a = (uint64_t) (a), _b = (uint64_t) (b);                       \
                if (_a != _b) {                                                          \
                        printf("#   %s:%d: %s == %s failed: %" PRIu64 " (%#" PRIx64 ") != %" PRIu64 \
                               " (%#" PRIx64 ")\n", __FILE__, __LINE__, #a, #b, _a, _a, _b, _b); \
                        test_failures++;                                                 \
                }                                                                        \
        } while (0)

#define CHECK_INT(a, b)                                                                  \
        do {                                                                             \
                long long _a = (long long) (a), _b = (long long) (b);                    \
                if (_a != _b) {                                                          \
                        printf("#   %s:%d: %s == %s failed: %lld != %lld\n", __FILE__,   \
                               __LINE__, #a, #b, _a, _b);                                \
                        test_failures++;                                                 \
                }                                                                        \
        } while (0)

#define CHECK_STR(a, b)                                                                  \
        do {                                                                             \
                const char *_a = (a), *_b = (b);                                         \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                 \
                        printf("#   %s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, \
                               __LINE__, #a, #b, _a ? _a : "(null)", _b ? _b : "(null)"); \
                        test_failures++;                                                 \
                }                                                                        \
        } while (0)

#define CHECK_CONTAINS(hay, needle)                                                      \
        do {                                                                             \
                const char *_h = (hay), *_n = (needle);                                  \
                if (!_h || !strstr(_h, _n)) {                                            \
                        printf("#   %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__,  \
                               __LINE__, _h ? _h : "(null)", _n);                        \
                        test_failures++;                                                 \
                }                                                                        \
        } while (0)
