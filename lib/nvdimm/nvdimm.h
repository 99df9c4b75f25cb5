/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The thin adapter over libndctl/libdaxctl/libblkid: reads the kernel's regions and
 * namespaces (state.h) and carries out one NsSpec at a time. Every call that changes the
 * kernel undoes what it made when a later step fails. */

#include <uuid.h>

#include "kernel.h"
#include "state.h"
#include "util/fault.h"

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
 * cache: what the check before each create needs. The first call reads three small
 * attributes per namespace; later calls in the same context (kept current by its creates)
 * read the region's available_size and the directory, and only the namespaces not seen
 * before, as long as available_size is unchanged. *ret_current says whether c's cached view of
 * the region still matches: the same namespace, pfn, dax and btt devices, and the same
 * size and name of each namespace. -ENOENT if the region is gone. */
int nv_region_now(NvCtx *c, const char *region, NsExtent **ret, size_t *ret_n, bool *ret_current);

/* The uuids a create writes, chosen (and recorded, see daemon/records.h) by the caller
 * before the first write to the kernel. claim is unused for raw namespaces. */
typedef struct NvCreateIds {
        uuid_t ns;
        uuid_t claim;
} NvCreateIds;

/* Create one namespace (labelled create or label-less conversion of spec->ns_dev). On
 * success the spec's start, size and usable are updated from the kernel and its ns_dev names
 * the new namespace. On failure everything this call made is undone and *ret_error explains. */
int nv_create(NvCtx *c, NsSpec *spec, const NvCreateIds *ids, char **ret_error);

/* What is left on the bus of one recorded create. */
typedef enum NvInflight {
        NV_INFLIGHT_GONE,      /* nothing (never written, rolled back, or reset now) */
        NV_INFLIGHT_DONE,      /* it completed: an active namespace */
        NV_INFLIGHT_UNCLAIMED, /* sized, named, enabled raw, never claimed: may be finished */
        NV_INFLIGHT_KEPT,      /* sized but not active after a reboot: may hold data, kept */
} NvInflight;

/* Settle one recorded create, identified by the uuids we wrote (never by name): a claim
 * seed carrying claim_uuid but attached to nothing is reset; a namespace carrying ns_uuid
 * is deleted only when it is sized but was never enabled in this boot (same_boot: the
 * record was written in this boot; after a reboot the kernel probed it, so one that is not
 * active has an info block whose driver is missing: kept). *ret_ns_dev names the namespace
 * if one is left. */
NvInflight nv_settle_inflight(NvCtx *c, const char *ns_uuid, const char *claim_uuid, NsMode mode,
                              bool same_boot, char **ret_ns_dev);

/* Enable again a region or namespace that an interrupted operation left disabled (a
 * namespace's never-enabled claim is dropped first). 1 if it did, 0 if there was nothing
 * to do. */
int nv_recover_device(NvCtx *c, const char *dev);

/* Put back /sys/devices/system/memory/auto_online_blocks if a system-ram hand-over that
 * changed it for the time kmem binds was interrupted (a record in the runtime directory);
 * call at start. 1 if it did, 0 if there was nothing to do, -errno. *ret_message (if given)
 * says what was put back (1) or why not (-errno), for the caller to log; NULL for 0. */
int nv_recover_auto_online(char **ret_message);

/* Initialise the label area of a label-less region's DIMMs (ndctl init-labels). */
int nv_init_labels(NvCtx *c, const char *region, char **ret_error);

/* Disable and delete one namespace (label-less: return it to raw, zeroing its info
 * block); refuses a busy one, and with -ESTALE one whose uuid is not expect_uuid (the
 * namespace the caller judged was replaced meanwhile; NULL or "": no check). */
int nv_destroy(NvCtx *c, const char *ns_dev, const char *expect_uuid, char **ret_error);
