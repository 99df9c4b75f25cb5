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

/* ---- validity rules shared by the config, the bus and the client ----------------------
 * Each consumer words its own message around these, but the rule and the list of valid
 * values come from here, so that a policy file, CreateNamespace and pmemnsctl agree. */

/* Namespace name = policy instance name. The kernel stores it in the label's 64-byte
 * name field (NSLABEL_NAME_LEN, drivers/nvdimm/label.h), NUL included. */
#define NS_NAME_MAX 63
/* A policy (or selector) name: 1-(NS_NAME_MAX - 5) of A-Z a-z 0-9 '-' '_'; no '.', which
 * separates the policy from the instance index, and room left for ".NNNN". */
bool policy_name_is_valid(const char *name);
/* Any namespace name (CreateNamespace): 1-NS_NAME_MAX of A-Z a-z 0-9 '-' '_' '.'. */
bool namespace_name_is_valid(const char *name);

/* The valid values as messages list them after "expected". */
#define NS_MODE_VALID "fsdax, devdax, sector or raw"
#define NS_MAP_VALID "dev or mem"
#define SYSTEM_RAM_VALID "no, online or online-movable"
#define NS_ALIGN_VALID "4K, 2M or 1G"
#define NS_ALIGN_VALID_BYTES "4096, 2097152 or 1073741824" /* the bus takes bytes (t) */
#define BTT_SECTOR_SIZE_VALID "512, 520, 528, 4096, 4104, 4160 or 4224"

/* fsdax/devdax mapping sizes: the pfn/dax supported_alignments on x86_64, PAGE_SIZE,
 * HPAGE_PMD_SIZE, HPAGE_PUD_SIZE (drivers/nvdimm/pfn_devs.c:nd_pfn_supported_alignments). */
bool ns_align_supported(uint64_t align);
/* Sector sizes the BTT accepts: btt_lbasize_supported[] in drivers/nvdimm/btt_devs.c. */
bool btt_sector_size_supported(uint64_t s);

/* The settings that only some modes take (config keys and CreateNamespace options). */
typedef enum NsOption {
        NS_OPTION_MAP,
        NS_OPTION_ALIGN,
        NS_OPTION_SECTOR_SIZE,
        NS_OPTION_SYSTEM_RAM,
        _NS_OPTION_MAX,
        _NS_OPTION_INVALID = -EINVAL,
} NsOption;

/* The modes an option applies to, as messages say "applies only to ..." */
#define NS_OPTION_MODES_DAX "fsdax and devdax"
#define NS_OPTION_MODES_SECTOR "sector mode"
#define NS_OPTION_MODES_DEVDAX "devdax"

const char *ns_option_to_string(NsOption o); /* the key: "map", "align", ... */
bool ns_option_applies(NsOption o, NsMode m);
const char *ns_option_modes(NsOption o); /* NS_OPTION_MODES_* */

/* CreateNamespace's options against its mode: align 0, map NS_MAP_DEV and sector_size 0
 * are "not given". Returns 0, or -EINVAL with *ret_why the whole message. */
int ns_options_check(NsMode mode, uint64_t align, NsMap map, uint64_t sector_size,
                     const char **ret_why);
