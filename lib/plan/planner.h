/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/config.h"
#include "kernel.h"
#include "pmemns.h"

/* The pure planning core: region state and policies in, actions out. No I/O. */

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
        unsigned ways;  /* interleave ways (mappings) */
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

typedef enum PlanAction {
        PLAN_CREATE,
        PLAN_ADOPT,
        PLAN_DRIFT,
        PLAN_CONFLICT,
        PLAN_SKIP,
        PLAN_FAILED,
        _PLAN_ACTION_MAX,
        _PLAN_ACTION_INVALID = -EINVAL,
} PlanAction;

const char *plan_action_to_string(PlanAction a);

typedef struct PlanRow {
        PlanAction action;
        char *instance; /* policy instance name, "" for a foreign namespace */
        char *region;   /* region device */
        NsMode mode;
        uint64_t size;   /* raw */
        uint64_t usable;
        uint64_t start;  /* physical */
        char *message;

        /* for the executor */
        ssize_t policy;       /* index into Config.policies, -1 for none */
        char *ns_dev;         /* existing namespace (adopt, drift, conversion) */
        bool convert_existing;
        NsMap map;
        uint64_t align;
        uint64_t sector_size;
        SystemRam system_ram;
        uint64_t region_align; /* region align to write before creating */
        uint64_t lost;         /* bytes lost to rounding and placement */
        uint64_t kmem_lost;    /* system-ram: bytes kmem will not online */
} PlanRow;

typedef struct RegionPlan {
        char *region;
        ssize_t selector;      /* index into Config.selectors, -1: no selector matched */
        uint64_t granularity;  /* bytes, 0 if no selector */
        uint64_t region_align; /* what the region align must be for new namespaces */
        bool init_labels;      /* initialise labels before creating */
        uint64_t lost_to_alignment;
} RegionPlan;

typedef struct Plan {
        PlanRow *rows;
        size_t n_rows;
        RegionPlan *regions;
        size_t n_regions;
} Plan;

typedef struct PlanInput {
        const Config *config;
        const KernelInfo *kernel;
        const RegionState *regions;
        size_t n_regions;
        /* Imperative CreateNamespace: plan just this request instead of the policies. */
        const struct PlanRequest *request;
} PlanInput;

/* An imperative request (CreateNamespace). */
typedef struct PlanRequest {
        const char *region;
        const char *name;
        NsMode mode;
        uint64_t size;
        NsMap map;
        uint64_t align;
        uint64_t sector_size;
} PlanRequest;

int plan_compute(const PlanInput *in, Plan *ret);
void plan_done(Plan *p);

/* Does a selector match a region? (all given match.* keys must hold) */
bool selector_matches(const RegionSelector *s, const RegionState *r);

/* The region align to write for a granularity on a region with this many ways,
 * mirroring drivers/nvdimm/region_devs.c:default_align(). */
uint64_t region_align_for(uint64_t granularity, unsigned ways);

void ns_state_done(NsState *n);
void region_state_done(RegionState *r);
void region_states_free(RegionState *r, size_t n);

/* Sort rows and report: used by the daemon and --plan. */
const PlanRow *plan_find_instance(const Plan *p, const char *instance);
