/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The validity rules that the config, the bus and the client share (lib/pmemns.c). */
#include "pmemns.h"
#include "tests.h"
#include "util/macro.h"

TEST(policy_names) {
        char longest[NS_NAME_MAX - 5 + 2];

        CHECK(policy_name_is_valid("db"));
        CHECK(policy_name_is_valid("A-z_09"));
        CHECK(!policy_name_is_valid(NULL));
        CHECK(!policy_name_is_valid(""));
        CHECK(!policy_name_is_valid("db.0")); /* '.' separates the instance index */
        CHECK(!policy_name_is_valid("a b"));
        CHECK(!policy_name_is_valid("ä"));

        /* room for ".NNNN" is left in the label's name field */
        memset(longest, 'x', sizeof(longest));
        longest[NS_NAME_MAX - 5] = '\0';
        CHECK(policy_name_is_valid(longest));
        longest[NS_NAME_MAX - 5] = 'x';
        longest[NS_NAME_MAX - 5 + 1] = '\0';
        CHECK(!policy_name_is_valid(longest));
}

TEST(namespace_names) {
        char longest[NS_NAME_MAX + 2];

        CHECK(namespace_name_is_valid("db"));
        CHECK(namespace_name_is_valid("db.0"));
        CHECK(namespace_name_is_valid("ns-1a2b3c4d"));
        CHECK(!namespace_name_is_valid(NULL));
        CHECK(!namespace_name_is_valid(""));
        CHECK(!namespace_name_is_valid("a/b"));
        CHECK(!namespace_name_is_valid("a\nb"));

        memset(longest, 'x', sizeof(longest));
        longest[NS_NAME_MAX] = '\0';
        CHECK(namespace_name_is_valid(longest));
        longest[NS_NAME_MAX] = 'x';
        longest[NS_NAME_MAX + 1] = '\0';
        CHECK(!namespace_name_is_valid(longest));
}

TEST(aligns) {
        CHECK(ns_align_supported(4 * KiB));
        CHECK(ns_align_supported(2 * MiB));
        CHECK(ns_align_supported(GiB));
        CHECK(!ns_align_supported(0));
        CHECK(!ns_align_supported(64 * KiB));
        CHECK(!ns_align_supported(16 * MiB));
        CHECK(!ns_align_supported(2 * GiB));
}

TEST(sector_sizes) {
        static const uint64_t good[] = { 512, 520, 528, 4096, 4104, 4160, 4224 };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                CHECK(btt_sector_size_supported(good[i]));
        CHECK(!btt_sector_size_supported(0));
        CHECK(!btt_sector_size_supported(1024));
        CHECK(!btt_sector_size_supported(8192));
}

TEST(options_per_mode) {
        CHECK(ns_option_applies(NS_OPTION_MAP, NS_MODE_FSDAX));
        CHECK(ns_option_applies(NS_OPTION_MAP, NS_MODE_DEVDAX));
        CHECK(!ns_option_applies(NS_OPTION_MAP, NS_MODE_SECTOR));
        CHECK(!ns_option_applies(NS_OPTION_MAP, NS_MODE_RAW));
        CHECK(ns_option_applies(NS_OPTION_ALIGN, NS_MODE_FSDAX));
        CHECK(ns_option_applies(NS_OPTION_ALIGN, NS_MODE_DEVDAX));
        CHECK(!ns_option_applies(NS_OPTION_ALIGN, NS_MODE_SECTOR));
        CHECK(!ns_option_applies(NS_OPTION_ALIGN, NS_MODE_RAW));
        CHECK(ns_option_applies(NS_OPTION_SECTOR_SIZE, NS_MODE_SECTOR));
        CHECK(!ns_option_applies(NS_OPTION_SECTOR_SIZE, NS_MODE_FSDAX));
        CHECK(!ns_option_applies(NS_OPTION_SECTOR_SIZE, NS_MODE_RAW));
        CHECK(ns_option_applies(NS_OPTION_SYSTEM_RAM, NS_MODE_DEVDAX));
        CHECK(!ns_option_applies(NS_OPTION_SYSTEM_RAM, NS_MODE_FSDAX));
        CHECK(!ns_option_applies(_NS_OPTION_INVALID, NS_MODE_FSDAX));
        CHECK(!ns_option_applies(NS_OPTION_MAP, _NS_MODE_INVALID));

        CHECK_STR(ns_option_to_string(NS_OPTION_SECTOR_SIZE), "sector-size");
        CHECK_STR(ns_option_modes(NS_OPTION_MAP), "fsdax and devdax");
        CHECK_STR(ns_option_modes(NS_OPTION_SECTOR_SIZE), "sector mode");
        CHECK_STR(ns_option_modes(NS_OPTION_SYSTEM_RAM), "devdax");
        CHECK(!ns_option_modes(_NS_OPTION_MAX));
}

/* The messages are CreateNamespace's, word for word (tests/vm/cases grep them). */
TEST(options_check) {
        const char *why = NULL;

        CHECK_INT(ns_options_check(NS_MODE_FSDAX, 2 * MiB, NS_MAP_MEM, 0, &why), 0);
        CHECK_INT(ns_options_check(NS_MODE_DEVDAX, GiB, NS_MAP_DEV, 0, &why), 0);
        CHECK_INT(ns_options_check(NS_MODE_SECTOR, 0, NS_MAP_DEV, 4096, &why), 0);
        CHECK_INT(ns_options_check(NS_MODE_RAW, 0, NS_MAP_DEV, 0, &why), 0);

        CHECK_INT(ns_options_check(NS_MODE_SECTOR, 2 * MiB, NS_MAP_DEV, 0, &why), -EINVAL);
        CHECK_STR(why, "options align and map apply only to fsdax and devdax");
        why = NULL;
        CHECK_INT(ns_options_check(NS_MODE_RAW, 0, NS_MAP_MEM, 0, &why), -EINVAL);
        CHECK_STR(why, "options align and map apply only to fsdax and devdax");
        why = NULL;
        CHECK_INT(ns_options_check(NS_MODE_FSDAX, 0, NS_MAP_DEV, 512, &why), -EINVAL);
        CHECK_STR(why, "option sector-size applies only to sector mode");
        /* align and map are reported first */
        why = NULL;
        CHECK_INT(ns_options_check(NS_MODE_RAW, 4 * KiB, NS_MAP_DEV, 512, &why), -EINVAL);
        CHECK_STR(why, "options align and map apply only to fsdax and devdax");
}

TEST(valid_value_lists) {
        /* each list names exactly the values its rule accepts */
        CHECK_STR(NS_MODE_VALID, "fsdax, devdax, sector or raw");
        for (NsMode m = 0; m < _NS_MODE_MAX; m++)
                CHECK(strstr(NS_MODE_VALID, ns_mode_to_string(m)));
        for (NsMap m = 0; m < _NS_MAP_MAX; m++)
                CHECK(strstr(NS_MAP_VALID, ns_map_to_string(m)));
        for (SystemRam s = 0; s < _SYSTEM_RAM_MAX; s++)
                CHECK(strstr(SYSTEM_RAM_VALID, system_ram_to_string(s)));
        CHECK_STR(NS_ALIGN_VALID, "4K, 2M or 1G");
        CHECK_STR(NS_ALIGN_VALID_BYTES, "4096, 2097152 or 1073741824");
        CHECK_STR(BTT_SECTOR_SIZE_VALID, "512, 520, 528, 4096, 4104, 4160 or 4224");
}
