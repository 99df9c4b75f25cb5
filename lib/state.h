/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmemns.h"

/* The kernel-state model shared by the adapter (which reads and changes it), the planner
 * (which decides on it) and the daemon (which caches and shows it): no I/O here. */

typedef struct NsState {
        char *dev;   /* "namespace0.1" */
        char *name;  /* label name, "" if none */
        char *uuid;  /* "" if none */
        NsMode mode; /* personality: pfn -> fsdax, dax -> devdax, btt -> sector, none -> raw */
        uint64_t start; /* physical address */
        uint64_t size;  /* raw size */
        uint64_t usable; /* as the kernel reports it, 0 if not known */
        NsMap map;
        uint64_t align;
        bool enabled;
        char *signature; /* raw namespaces: blkid's TYPE (e.g. "ext4"), NULL if none */
        bool blank;      /* labelled, raw, no signature and zeros where an info block would be:
                          * what a create cut short between sizing and claiming leaves */
        char *blockdev;  /* "pmem0", "pmem0s" or NULL */
        char *chardev;   /* "dax0.0" or NULL */
        bool system_ram; /* its dax device is onlined as System RAM */
        char *inactive;  /* why a sized namespace is not active (the kernel's side), NULL if active */
        bool inflight;   /* its uuid is a create pmemnsd recorded and has not finished (a crash
                          * or power cut stopped it): the only raw namespace it may claim */
} NsState;

typedef struct RegionState {
        char *dev;      /* "region0" */
        char *type;     /* "pmem" or "blk" */
        char *provider; /* bus provider: "ACPI.NFIT", "e820", ... */
        int numa_node;
        uint64_t start; /* physical address */
        uint64_t size;
        uint64_t align; /* region 'align' attribute, 0 when the kernel has none */
        unsigned ways;  /* interleave ways: the CXL region's, else the nd mappings */
        char **memdevs; /* CXL: memdev serials (decimal) in interleave position order; NULL
                         * (shown as empty) elsewhere or when sysfs does not tell */
        char *assembled_as; /* the [cxl-region] pmemnsd assembled it from (its recorded uuid
                             * is on the CXL region), NULL otherwise */
        bool labeled;   /* namespaces can be carved (label-capable DIMMs, labels initialised) */
        bool can_init_labels; /* label-less now, but its DIMMs have a label area */
        bool labels_v1_2; /* BTT2 claim class (label-capable DIMMs without v1.1 labels):
                           * no initial BTT offset */
        bool enabled;
        uint64_t available_size;       /* as the kernel reports it */
        uint64_t max_available_extent; /* as the kernel reports it */
        NsState *namespaces; /* every namespace with a size, sorted by start */
        size_t n_namespaces;
} RegionState;

/* One namespace to create, as the executor (nv_create()) carries it out: the planner's
 * decision without the planner. start, size and usable are the plan's on input and the
 * kernel's on output; ns_dev names the namespace to convert on input and the new one on
 * output. */
typedef struct NsSpec {
        char *region;    /* region device */
        char *name;      /* label name (the policy instance), "" for a foreign namespace */
        NsMode mode;
        uint64_t size;   /* raw */
        uint64_t usable;
        uint64_t start;  /* physical */
        char *ns_dev;    /* existing namespace (adopt, drift, conversion) */
        bool convert_existing; /* label-less: claim ns_dev instead of carving a new one */
        NsMap map;
        uint64_t align;
        uint64_t sector_size;
        SystemRam system_ram;
        uint64_t region_align; /* region align to write before creating, 0: leave it */
} NsSpec;

void ns_state_done(NsState *n);
void region_state_done(RegionState *r);
void region_states_free(RegionState *r, size_t n);
void ns_spec_done(NsSpec *s);

/* Lookups in an array of regions as the adapter returns it. NULL if there is none. */
const RegionState *region_state_find(const RegionState *regions, size_t n, const char *dev);
/* A namespace by device across all regions; *ret_region (if given) is its region. */
const NsState *ns_state_find(const RegionState *regions, size_t n, const char *dev,
                             const RegionState **ret_region);
/* A namespace of one region by label name (names are unique per region, not globally). */
const NsState *region_state_find_ns_by_name(const RegionState *r, const char *name);
