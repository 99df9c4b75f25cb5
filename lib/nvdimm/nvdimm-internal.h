/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the files of lib/nvdimm/ only (not installed, not included outside this directory):
 * the context, the claim being set up, and the helpers one operation lends another. */

#include <uuid.h>

#include <daxctl/libdaxctl.h>
#include <ndctl/libndctl.h>

#include "nvdimm/nvdimm.h"
#include "util/error.h"
#include "util/macro.h"

/* From the kernel uapi <linux/ndctl.h>; Debian's <ndctl/ndctl.h> copy needs ccan headers
 * that are not installed. */
#ifndef ND_DEVICE_REGION_PMEM
#define ND_DEVICE_REGION_PMEM 2
#define ND_DEVICE_NAMESPACE_IO 4
#define ND_DEVICE_NAMESPACE_PMEM 5
#define ND_CMD_GET_CONFIG_SIZE 4
#define ND_CMD_GET_CONFIG_DATA 5
#define ND_CMD_SET_CONFIG_DATA 6
#endif

struct NvCtx {
        struct ndctl_ctx *ndctl;
        bool enabled; /* something was enabled through it: nv_close() waits for udev */
        /* nv_region_now()'s last reading of one region, kept current by our own creates:
         * while the region's available_size is what it was then, the namespaces it listed
         * are not read again (one read per row instead of three per namespace) */
        char snap_region[32];
        char snap_avail[32];
        NsExtent *snap;
        size_t n_snap;
};

/* read.c: after a create in c, or anything else that changed a region */
void snap_created(NvCtx *c, const char *region, const NsSpec *spec);
void snap_drop(NvCtx *c);

/* pfn/dax info block: struct nd_pfn_sb at 4K inside the first 8K (drivers/nvdimm/pfn.h);
 * the BTT1.1 info block is at 4K too. */
#define INFO_BLOCK_SIZE 8192

typedef struct Claim {
        struct ndctl_pfn *pfn;
        struct ndctl_dax *dax;
        struct ndctl_btt *btt;
        char seed[64]; /* the claim device we configured, by name: libndctl frees its
                        * objects when it deletes them */
        bool ram_stuck; /* to_system_ram() could not take its memory offline again: leave the
                         * namespace as it is (an unbind would strand online memory) */
} Claim;

/* context.c */
struct ndctl_region *find_region(NvCtx *c, const char *name);
struct ndctl_namespace *find_namespace(NvCtx *c, const char *name,
                                       struct ndctl_region **ret_region);
int nd_attr_read(const char *dev, const char *attr, char *buf, size_t len);
struct daxctl_dev *dax_first_dev(struct ndctl_dax *dax);
int sysfs_write_nd(const char *dev, const char *attr, const char *value);

/* read.c */
int probe_signature(const char *blockdev, char **ret);

/* labels.c */
bool region_dimms_can_label(struct ndctl_region *region);

/* claim.c */
void claim_reset(const char *seed);
int claim_setup(struct ndctl_region *region, struct ndctl_namespace *ndns, const NsSpec *spec,
                const uuid_t claim_uuid, Claim *cl, char **err);
void read_back(struct ndctl_namespace *ndns, const Claim *cl, NsSpec *spec);
int zero_info_block(struct ndctl_namespace *ndns, char **err);

/* system-ram.c */
int to_system_ram(Claim *cl, SystemRam how, char **err);
