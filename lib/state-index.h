/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan/planner.h"
#include "state.h"
#include "util/str-index.h"

/* The kernel state and the plan computed on it, indexed by device: regions by dev,
 * namespaces by dev (with their region), plan rows by the namespace they are about, region
 * plans by region. What the bus objects look up per object, in O(log n) instead of a scan
 * of everything (GetManagedObjects and the refresh diff would be quadratic). The answers
 * are those of the linear scans (the first match in array order); if the index could not
 * be built (out of memory) the lookups fall back to those scans. The index borrows: it is
 * valid as long as the arrays it was built on are not changed or freed. */

typedef struct StateIndex {
        const RegionState *regions;
        size_t n_regions;
        const Plan *plan; /* may be NULL: no plan, no rows */
        bool indexed;
        StrIndex regions_by_dev;   /* i: region */
        StrIndex ns_by_dev;        /* i: region, j: namespace */
        StrIndex rows_by_ns_dev;   /* i: row */
        StrIndex plans_by_region;  /* i: RegionPlan */
} StateIndex;

/* Build on regions and plan (NULL for none). Never fails: without memory the index scans. */
void state_index_build(StateIndex *x, const RegionState *regions, size_t n, const Plan *plan);
void state_index_done(StateIndex *x);

const RegionState *state_index_region(const StateIndex *x, const char *dev);
const NsState *state_index_namespace(const StateIndex *x, const char *dev, const RegionState **ret_region);

/* The row of the policy instance that owns namespace ns_dev (not a conflict), or NULL;
 * *ret_conflict (if given) is whether an instance's conflict row names it. */
const PlanRow *state_index_ns_row(const StateIndex *x, const char *ns_dev, bool *ret_conflict);
/* The last row of any kind about namespace ns_dev, or NULL. */
const PlanRow *state_index_ns_last_row(const StateIndex *x, const char *ns_dev);
const RegionPlan *state_index_region_plan(const StateIndex *x, const char *dev);
