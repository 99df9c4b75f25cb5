/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Vocabulary shared by the config parser, the planner, the kernel adapter and the
 * daemon. Pure data; no I/O. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum NsMode {
        NS_MODE_FSDAX,
        NS_MODE_DEVDAX,
        NS_MODE_SECTOR,
        NS_MODE_RAW,
        _NS_MODE_MAX,
        _NS_MODE_INVALID = -EINVAL,
} NsMode;

typedef enum NsMap {
        NS_MAP_DEV,   /* struct page array in the namespace itself (pfn "pmem") */
        NS_MAP_MEM,   /* struct page array in System RAM (pfn "ram") */
        _NS_MAP_MAX,
        _NS_MAP_INVALID = -EINVAL,
} NsMap;

typedef enum SystemRam {
        SYSTEM_RAM_NO,
        SYSTEM_RAM_ONLINE,
        SYSTEM_RAM_ONLINE_MOVABLE,
        _SYSTEM_RAM_MAX,
        _SYSTEM_RAM_INVALID = -EINVAL,
} SystemRam;

typedef enum GranularityKind {
        GRANULARITY_AUTO,
        GRANULARITY_SUBSECTION,
        GRANULARITY_COMPAT,
        GRANULARITY_SECTION,
        GRANULARITY_BYTES,
        _GRANULARITY_MAX,
        _GRANULARITY_INVALID = -EINVAL,
} GranularityKind;

typedef struct Granularity {
        GranularityKind kind;
        uint64_t bytes; /* only for GRANULARITY_BYTES */
} Granularity;

typedef enum ApplyMode {
        APPLY_AUTO,
        APPLY_MANUAL,
        _APPLY_MAX,
        _APPLY_INVALID = -EINVAL,
} ApplyMode;

const char *ns_mode_to_string(NsMode m);
NsMode ns_mode_from_string(const char *s);
const char *ns_map_to_string(NsMap m);
NsMap ns_map_from_string(const char *s);
const char *system_ram_to_string(SystemRam s);
SystemRam system_ram_from_string(const char *s);
const char *apply_mode_to_string(ApplyMode m);
ApplyMode apply_mode_from_string(const char *s);
/* "auto", "subsection", "compat", "section" or a power-of-two size >= 4K. */
int granularity_from_string(const char *s, Granularity *ret);
char *granularity_to_string(const Granularity *g, char *buf, size_t len);

/* Namespace name = policy instance name. The kernel stores it in the label's 64-byte
 * name field (NSLABEL_NAME_LEN, drivers/nvdimm/label.h), NUL included. */
#define NS_NAME_MAX 63
bool policy_name_is_valid(const char *name);

/* Sector sizes the BTT accepts: btt_lbasize_supported[] in drivers/nvdimm/btt_devs.c. */
bool btt_sector_size_supported(uint64_t s);
