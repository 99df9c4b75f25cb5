/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "pmemns.h"
#include "util/macro.h"
#include "util/size.h"
#include "util/string-table.h"

static const char *const ns_mode_table[_NS_MODE_MAX] = {
        [NS_MODE_FSDAX] = "fsdax",
        [NS_MODE_DEVDAX] = "devdax",
        [NS_MODE_SECTOR] = "sector",
        [NS_MODE_RAW] = "raw",
};

static const char *const ns_map_table[_NS_MAP_MAX] = {
        [NS_MAP_DEV] = "dev",
        [NS_MAP_MEM] = "mem",
};

static const char *const system_ram_table[_SYSTEM_RAM_MAX] = {
        [SYSTEM_RAM_NO] = "no",
        [SYSTEM_RAM_ONLINE] = "online",
        [SYSTEM_RAM_ONLINE_MOVABLE] = "online-movable",
};

static const char *const apply_mode_table[_APPLY_MAX] = {
        [APPLY_AUTO] = "auto",
        [APPLY_MANUAL] = "manual",
};

static const char *const granularity_table[_GRANULARITY_MAX] = {
        [GRANULARITY_AUTO] = "auto",
        [GRANULARITY_SUBSECTION] = "subsection",
        [GRANULARITY_COMPAT] = "compat",
        [GRANULARITY_SECTION] = "section",
};

DEFINE_STRING_TABLE_LOOKUP(ns_mode, NsMode, _NS_MODE_MAX)
DEFINE_STRING_TABLE_LOOKUP(ns_map, NsMap, _NS_MAP_MAX)
DEFINE_STRING_TABLE_LOOKUP(system_ram, SystemRam, _SYSTEM_RAM_MAX)
DEFINE_STRING_TABLE_LOOKUP(apply_mode, ApplyMode, _APPLY_MAX)

int granularity_from_string(const char *s, Granularity *ret) {
        uint64_t bytes;
        int k, r;

        k = string_table_lookup(granularity_table, GRANULARITY_BYTES, s);
        if (k >= 0) {
                *ret = (Granularity) { .kind = (GranularityKind) k };
                return 0;
        }
        r = parse_size(s, &bytes);
        if (r < 0)
                return r;
        if (!is_pow2_u64(bytes) || bytes < 4 * KiB)
                return -EDOM;
        *ret = (Granularity) { .kind = GRANULARITY_BYTES, .bytes = bytes };
        return 0;
}

char *granularity_to_string(const Granularity *g, char *buf, size_t len) {
        if (g->kind == GRANULARITY_BYTES)
                return format_size(buf, len, g->bytes);
        snprintf(buf, len, "%s", granularity_table[g->kind]);
        return buf;
}

static bool name_char_is_valid(char c, bool dot) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || (dot && c == '.');
}

static bool name_is_valid(const char *name, bool dot, size_t max) {
        size_t n = 0;

        if (isempty(name))
                return false;
        for (const char *p = name; *p; p++, n++)
                if (!name_char_is_valid(*p, dot))
                        return false;
        return n <= max;
}

bool policy_name_is_valid(const char *name) {
        /* '.' is reserved: it separates the policy name from the instance index; leave room
         * for ".NNNN" instance suffixes within the label's name field. */
        return name_is_valid(name, false, NS_NAME_MAX - 5);
}

bool namespace_name_is_valid(const char *name) {
        return name_is_valid(name, true, NS_NAME_MAX);
}

bool ns_align_supported(uint64_t align) {
        return align == 4 * KiB || align == 2 * MiB || align == GiB;
}

bool btt_sector_size_supported(uint64_t s) {
        static const uint64_t sizes[] = { 512, 520, 528, 4096, 4104, 4160, 4224 };
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++)
                if (sizes[i] == s)
                        return true;
        return false;
}

static const struct {
        const char *name;
        unsigned modes; /* bit per NsMode */
        const char *modes_text;
} ns_option_table[_NS_OPTION_MAX] = {
        [NS_OPTION_MAP] = { "map", 1U << NS_MODE_FSDAX | 1U << NS_MODE_DEVDAX, NS_OPTION_MODES_DAX },
        [NS_OPTION_ALIGN] = { "align", 1U << NS_MODE_FSDAX | 1U << NS_MODE_DEVDAX, NS_OPTION_MODES_DAX },
        [NS_OPTION_SECTOR_SIZE] = { "sector-size", 1U << NS_MODE_SECTOR, NS_OPTION_MODES_SECTOR },
        [NS_OPTION_SYSTEM_RAM] = { "system-ram", 1U << NS_MODE_DEVDAX, NS_OPTION_MODES_DEVDAX },
};

const char *ns_option_to_string(NsOption o) {
        return o >= 0 && o < _NS_OPTION_MAX ? ns_option_table[o].name : NULL;
}

bool ns_option_applies(NsOption o, NsMode m) {
        if (o < 0 || o >= _NS_OPTION_MAX || m < 0 || m >= _NS_MODE_MAX)
                return false;
        return ns_option_table[o].modes & (1U << m);
}

const char *ns_option_modes(NsOption o) {
        return o >= 0 && o < _NS_OPTION_MAX ? ns_option_table[o].modes_text : NULL;
}

int ns_options_check(NsMode mode, uint64_t align, NsMap map, uint64_t sector_size,
                     const char **ret_why) {
        /* align and map share one rule and one message */
        if ((align && !ns_option_applies(NS_OPTION_ALIGN, mode)) ||
            (map != NS_MAP_DEV && !ns_option_applies(NS_OPTION_MAP, mode))) {
                *ret_why = "options align and map apply only to " NS_OPTION_MODES_DAX;
                return -EINVAL;
        }
        if (sector_size && !ns_option_applies(NS_OPTION_SECTOR_SIZE, mode)) {
                *ret_why = "option sector-size applies only to " NS_OPTION_MODES_SECTOR;
                return -EINVAL;
        }
        return 0;
}
