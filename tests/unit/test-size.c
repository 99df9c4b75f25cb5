/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "tests.h"
#include "util/macro.h"
#include "util/size.h"

TEST(parse_size_units) {
        uint64_t v = 0;

        CHECK_INT(parse_size("4096", &v), 0);
        CHECK_U64(v, 4096);
        CHECK_INT(parse_size("130M", &v), 0);
        CHECK_U64(v, 130 * MiB);
        CHECK_INT(parse_size("1G", &v), 0);
        CHECK_U64(v, GiB);
        CHECK_INT(parse_size("2T", &v), 0);
        CHECK_U64(v, 2 * TiB);
        CHECK_INT(parse_size("64k", &v), 0);
        CHECK_U64(v, 64 * KiB);
        CHECK_INT(parse_size("16MiB", &v), 0);
        CHECK_U64(v, 16 * MiB);
        CHECK_INT(parse_size("0x200000", &v), 0);
        CHECK_U64(v, 2 * MiB);
}

TEST(parse_size_rejects) {
        uint64_t v = 77;

        CHECK_INT(parse_size("", &v), -EINVAL);
        CHECK_INT(parse_size("M", &v), -EINVAL);
        CHECK_INT(parse_size("12X", &v), -EINVAL);
        CHECK_INT(parse_size("1.5G", &v), -EINVAL);
        CHECK_INT(parse_size("-1", &v), -EINVAL);
        CHECK_INT(parse_size(" 1G", &v), -EINVAL);
        CHECK_INT(parse_size("1GG", &v), -EINVAL);
        CHECK_INT(parse_size("0x10M", &v), -EINVAL);
        CHECK_INT(parse_size("18446744073709551616", &v), -ERANGE);
        CHECK_INT(parse_size("17179869184G", &v), -ERANGE);
        CHECK_U64(v, 77); /* untouched on failure */
}

TEST(format_size_exact_and_fraction) {
        CHECK_STR(FORMAT_SIZE(130 * MiB), "130M");
        CHECK_STR(FORMAT_SIZE(GiB), "1G");
        CHECK_STR(FORMAT_SIZE(1536 * MiB), "1536M");
        CHECK_STR(FORMAT_SIZE(4096), "4K");
        CHECK_STR(FORMAT_SIZE(1000), "1000");
        CHECK_STR(FORMAT_SIZE(0), "0");
        CHECK_STR(FORMAT_SIZE(GiB + 1), "1.00G");
        CHECK_STR(FORMAT_SIZE(16 * MiB - 1), "15.99M"); /* truncated: never reads as the limit */
        CHECK_STR(FORMAT_SIZE(16 * MiB + 512 * KiB + 1), "16.50M");
}

TEST(rounding_helpers) {
        CHECK_U64(round_up_u64(130 * MiB, 16 * MiB), 144 * MiB);
        CHECK_U64(round_up_u64(130 * MiB, 2 * MiB), 130 * MiB);
        CHECK_U64(round_up_u64(130 * MiB, 128 * MiB), 256 * MiB);
        CHECK_U64(round_down_u64(130 * MiB, 16 * MiB), 128 * MiB);
        CHECK(is_pow2_u64(2 * MiB));
        CHECK(!is_pow2_u64(6 * MiB));
        CHECK(!is_pow2_u64(0));
}

TEST(rounding_near_2_64) {
        uint64_t v = 77;

        /* the macro.h helper wraps: what the planner used to do with usable-size near 2^64 */
        CHECK_U64(round_up_u64(UINT64_MAX, 16 * MiB), 0);

        CHECK(round_up_u64_checked(130 * MiB, 16 * MiB, &v));
        CHECK_U64(v, 144 * MiB);
        CHECK(round_up_u64_checked(0, 2 * MiB, &v));
        CHECK_U64(v, 0);
        CHECK(round_up_u64_checked(UINT64_MAX - 2 * MiB + 1, 2 * MiB, &v));
        CHECK_U64(v, UINT64_MAX - 2 * MiB + 1);
        v = 77;
        CHECK(!round_up_u64_checked(UINT64_MAX - 2 * MiB + 2, 2 * MiB, &v));
        CHECK(!round_up_u64_checked(UINT64_MAX, 16 * MiB, &v));
        CHECK(!round_up_u64_checked(5, 0, &v));
        CHECK_U64(v, 77); /* untouched on failure */
        CHECK(round_up_u64_checked(UINT64_MAX, 3, &v)); /* 2^64 - 1 is a multiple of 3 */
        CHECK_U64(v, UINT64_MAX);

        v = 77;
        CHECK(add_u64_checked(UINT64_MAX - 1, 1, &v));
        CHECK_U64(v, UINT64_MAX);
        CHECK(!add_u64_checked(UINT64_MAX, 1, &v));
        CHECK(!add_u64_checked(UINT64_MAX / 2 + 1, UINT64_MAX / 2 + 1, &v));
        CHECK_U64(v, UINT64_MAX);
}

TEST(parse_size_largest) {
        uint64_t v = 0;

        /* parse_size accepts what fits in 64 bits; config.c refuses sizes above 2^56 */
        CHECK_INT(parse_size("18446744073709551615", &v), 0);
        CHECK_U64(v, UINT64_MAX);
        CHECK_INT(parse_size("0xffffffffffffffff", &v), 0);
        CHECK_U64(v, UINT64_MAX);
        CHECK_INT(parse_size("0x10000000000000000", &v), -ERANGE);
        CHECK_INT(parse_size("16777215T", &v), 0);
        CHECK_U64(v, 16777215 * TiB);
        CHECK_INT(parse_size("16777216T", &v), -ERANGE);
}

/* Every example of SIZES in pmemnsd.conf(5), the grammar as documented. */
TEST(parse_size_as_documented) {
        static const struct {
                const char *s;
                int r;
                uint64_t v;
        } cases[] = {
                { "4096", 0, 4096 },
                { "0130", 0, 130 },
                { "0", 0, 0 },
                { "130M", 0, 130 * MiB },
                { "130m", 0, 130 * MiB },
                { "130MiB", 0, 130 * MiB },
                { "130MB", 0, 130 * MiB },
                { "130mB", 0, 130 * MiB },
                { "130miB", 0, 130 * MiB },
                { "64K", 0, 64 * KiB },
                { "1g", 0, GiB },
                { "2TiB", 0, 2 * TiB },
                { "0x8200000", 0, 130 * MiB },
                { "0X8200000", 0, 130 * MiB },
                { "0x82000aB", 0, 0x82000ab },
                { "1B", -EINVAL, 0 },
                { "130Mi", -EINVAL, 0 },
                { "130MIB", -EINVAL, 0 },
                { "130Mb", -EINVAL, 0 },
                { "130mib", -EINVAL, 0 },
                { "130 M", -EINVAL, 0 },
                { "130M ", -EINVAL, 0 },
                { "+130M", -EINVAL, 0 },
                { "1.5G", -EINVAL, 0 },
                { "1e6", -EINVAL, 0 },
                { "0x", -EINVAL, 0 },
                { "0x10M", -EINVAL, 0 },
                { "x10", -EINVAL, 0 },
                { "0b101", -EINVAL, 0 },
                { "1P", -EINVAL, 0 },
                { "18446744073709551615", 0, UINT64_MAX },
                { "0xffffffffffffffff", 0, UINT64_MAX },
                { "16777215T", 0, 16777215 * TiB },
                { "18446744073709551616", -ERANGE, 0 },
                { "16777216T", -ERANGE, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t v = 0;

                CHECK_INT(parse_size(cases[i].s, &v), cases[i].r);
                if (cases[i].r == 0)
                        CHECK_U64(v, cases[i].v);
        }
}
