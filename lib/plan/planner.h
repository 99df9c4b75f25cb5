/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/config.h"
#include "cxl-state.h"
#include "kernel.h"
#include "pmemns.h"
#include "state.h"

/* The pure planning core: region state and policies in, actions out. No I/O. */

typedef enum PlanAction {
        PLAN_CREATE,
        PLAN_ADOPT,
        PLAN_DRIFT,
        PLAN_CONFLICT,
        PLAN_SKIP,
        PLAN_FAILED,
        PLAN_ASSEMBLE,  /* a [cxl-region]: assemble it (Plan), assembled (Apply) */
        _PLAN_ACTION_MAX,
        _PLAN_ACTION_INVALID = -EINVAL,
} PlanAction;

const char *plan_action_to_string(PlanAction a);

/* What a [cxl-region] row carries out. */
typedef struct CxlRow {
        size_t policy;         /* index into Config.cxl_regions */
        char uuid[37];         /* the recorded uuid to assemble with again, "" for a new one */
        uint64_t size;         /* 0: all the memdevs offer */
        unsigned granularity;  /* 0: what the cxl tool would pick */
        char *teardown;        /* a half-made CXL region of ours to take down first, or NULL */
        char *cxl_region;      /* the CXL region (adopt, drift; Apply: what was assembled) */
} CxlRow;

/* The mode column of a [cxl-region] row */
#define PLAN_CXL_MODE "cxl-pmem"

typedef struct PlanRow {
        PlanAction action;
        NsSpec spec;   /* the namespace: what a create hands the executor, what the other
                        * actions describe (name "" for a foreign namespace) */
        char *message;
        ssize_t policy;   /* index into Config.policies, -1 for none */
        uint64_t lost;    /* bytes lost to rounding and placement */
        uint64_t kmem_lost; /* system-ram: bytes kmem will not online */
        CxlRow *cxl;      /* a [cxl-region] row (spec.name is its name, spec.region the nd
                           * region it made); NULL: a namespace row */
} PlanRow;

/* Replace a row's message; -ENOMEM (the old message stays) if it cannot be formatted. */
int plan_row_set_message(PlanRow *row, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* The mode column: the namespace mode, or PLAN_CXL_MODE. */
const char *plan_row_mode(const PlanRow *row);

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
        /* CXL: the bus and what the daemon recorded of its assemblies. NULL: no CXL rows. */
        const CxlState *cxl;
        const CxlRecord *cxl_records;
        size_t n_cxl_records;
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
/* cxl-rows.c: the [cxl-region] rows, appended to p (plan_compute() puts them first). */
int plan_cxl_regions(const PlanInput *in, Plan *p);
/* Append a row (its strings are copied): for plan_compute's parts. */
PlanRow *plan_add_row(Plan *p, PlanAction action, const char *name, const char *region);
void plan_done(Plan *p);

/* Does a selector match a region? (all given match.* keys must hold) */
bool selector_matches(const RegionSelector *s, const RegionState *r);

/* The region align to write for a granularity on a region with this many ways,
 * mirroring drivers/nvdimm/region_devs.c:default_align(). */
uint64_t region_align_for(uint64_t granularity, unsigned ways);

/* The namespace row of a policy instance (never a [cxl-region] row). */
const PlanRow *plan_find_instance(const Plan *p, const char *instance);
