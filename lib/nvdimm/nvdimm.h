/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The thin adapter over libndctl/libdaxctl/libblkid: reads the kernel's regions and
 * namespaces into planner input, and carries out plan rows. Every call that changes the
 * kernel undoes what it made when a later step fails. */

#include "kernel.h"
#include "plan/planner.h"

typedef struct NvCtx NvCtx;

/* A fresh view of the nd bus: libndctl caches what it has read, so the daemon opens a new
 * context for every reconcile instead of trusting a cache that an admin's ndctl may have
 * made stale (within one Apply, nv_region_now() says when the cache still holds). */
int nv_open(NvCtx **ret);
NvCtx *nv_close(NvCtx *c);

int nv_read_regions(NvCtx *c, RegionState **ret, size_t *ret_n);

/* One namespace of a region as sysfs shows it at the moment of asking. */
typedef struct NsExtent {
        char dev[32];   /* "namespace0.1" */
        char name[64];  /* alt_name, "" if none (label-less namespaces have none) */
        uint64_t start, size;
} NsExtent;

/* The namespaces (seeds included) of one region read from sysfs now, past libndctl's
 * cache: what the check before each create needs, at the cost of three small reads per
 * namespace instead of a scan of the bus. *ret_current says whether c's cached view of
 * the region still matches: the same namespace, pfn, dax and btt devices, and the same
 * size and name of each namespace. -ENOENT if the region is gone. */
int nv_region_now(NvCtx *c, const char *region, NsExtent **ret, size_t *ret_n, bool *ret_current);

/* Does some region show the 'align' attribute (5.7's 2522afb86a8c)? */
bool nv_region_align_seen(NvCtx *c);

/* Carry out a PLAN_CREATE row (labelled create or label-less conversion). On success the
 * row's start, size and usable are updated from the kernel and its ns_dev names the new
 * namespace. On failure everything this call made is undone and *ret_error explains. */
int nv_create(NvCtx *c, PlanRow *row, char **ret_error);

/* Reset what a creator killed half-way left behind: a seed namespace with a uuid, one of
 * ours (ours() says which names are) sized but never enabled, a pfn/dax/btt seed
 * configured for no namespace. Returns how many were reset. */
int nv_clean_seeds(NvCtx *c, bool (*ours)(const char *name, void *userdata), void *userdata);

/* Enable again our namespaces that a killed destroy left disabled (not the seed: that is a
 * half-made one, see nv_clean_seeds()); the kernel finds their personality again from
 * the info block, as at boot. Returns how many. */
int nv_enable_interrupted(NvCtx *c, bool (*ours)(const char *name, void *userdata), void *userdata);

/* Enable again a region or namespace that an interrupted operation left disabled (a
 * namespace's never-enabled claim is dropped first). 1 if it did, 0 if there was nothing
 * to do. */
int nv_recover_device(NvCtx *c, const char *dev);

/* Initialise the label area of a label-less region's DIMMs (ndctl init-labels). */
int nv_init_labels(NvCtx *c, const char *region, char **ret_error);

/* Disable and delete one namespace (label-less: return it to raw, zeroing its info
 * block); refuses a busy one. */
int nv_destroy(NvCtx *c, const char *ns_dev, char **ret_error);

/* Fault injection for tests (-Dfault-injection=true; a no-op returning 0 otherwise):
 * PMEMNSD_FAULT=POINT[@N][:kill|fail|stop] kills the process, makes the step fail with
 * -EIO (returned: the caller rolls back) or stops the process at the Nth hit of POINT
 * (@0: at every hit). */
int fault_point(const char *name);
