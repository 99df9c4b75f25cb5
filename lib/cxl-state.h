/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The CXL side of the kernel-state model (state.h holds the nd side): what the libcxl adapter
 * (lib/cxl/) reads, and the pure decisions on it that the adapter carries out and the planner
 * can show as a skip reason before anything is written. No I/O here. */

/* A type-3 memory device. Named by its serial: memN names are not stable across boots. */
typedef struct CxlMemdevState {
        char *dev;            /* "mem0" */
        uint64_t serial;
        uint64_t pmem_size;   /* persistent capacity */
        uint64_t pmem_free;   /* pmem_size less the DPA its pmem-mode decoders hold */
        char *host;           /* its PCI device, "0000:0d:00.0" */
        char *port;           /* the CXL port it hangs below (host bridge or switch), "port1" */
        char *endpoint;       /* its endpoint port, "endpoint2"; NULL if not enumerated */
        char *free_decoder;   /* the endpoint decoder the next allocation takes (the kernel
                               * allocates them in order), NULL if none is free */
        bool enabled;         /* bound to cxl_mem */
} CxlMemdevState;

/* A root decoder: a CFMWS window of the platform, what regions are created under. */
typedef struct CxlRootDecoderState {
        char *dev;            /* "decoder0.0" */
        bool pmem_capable;
        uint64_t start, size;
        uint64_t available;   /* largest free extent of its window */
        unsigned ways;        /* its own (host bridge) interleave */
        unsigned granularity;
        char **targets;       /* host bridge dports in position order, NULL-terminated */
        uint64_t *reachable;  /* serials of the memdevs below its targets */
        size_t n_reachable;
} CxlRootDecoderState;

typedef struct CxlRegionState {
        char *dev;            /* "region0" */
        char *decoder;        /* its root decoder */
        char uuid[37];        /* "" while unset (a region is made without one) */
        char *type;           /* "pmem" (6.1 makes nothing else) */
        uint64_t start, size; /* size 0: no HPA allocated yet */
        unsigned ways, granularity;
        uint64_t *targets;    /* memdev serials by position, 0 where no target is set */
        char **target_decoders; /* endpoint decoders by position, NULL where none */
        size_t n_targets;     /* = ways */
        bool committed;
        bool enabled;
        char *nd_region;      /* the nd region it produced, "region1"; NULL if none */
        char *nd_bus;         /* "ndbus1" */
} CxlRegionState;

typedef struct CxlState {
        CxlMemdevState *memdevs;
        size_t n_memdevs;
        CxlRootDecoderState *decoders;
        size_t n_decoders;
        CxlRegionState *regions;
        size_t n_regions;
} CxlState;

void cxl_state_done(CxlState *s);

/* What pmemnsd wrote down about a [cxl-region] it assembles (the daemon keeps it in
 * $STATE_DIRECTORY/cxl/NAME, written before the first kernel write): the uuid that proves a
 * region ours, and the layout that re-assembly must repeat exactly. The nd region's
 * interleave-set cookie, and with it every namespace label, hangs on each memdev's serial,
 * position and DPA offset (drivers/cxl/pmem.c: info[i].offset, info[i].serial), so a
 * re-assembly that differs in any of them would show the region empty and free to carve. */
typedef struct CxlRecord {
        char *name;
        char uuid[37];
        uint64_t *memdevs;   /* serials by position */
        uint64_t *dpa_before; /* per position: pmem DPA other decoders held before ours */
        size_t n_memdevs;
        uint64_t size;
        unsigned granularity;
        char **decoders;     /* endpoint decoders given (or about to get) DPA, NULL-terminated */
        bool assembled;      /* it was assembled completely once: its layout is fixed */
        char *creating;      /* the region an assembly was about to create, NULL when none */
        char boot_id[37];    /* the boot that assembly ran in */
} CxlRecord;

void cxl_record_done(CxlRecord *r);
void cxl_records_free(CxlRecord *r, size_t n);
const CxlRecord *cxl_record_find(const CxlRecord *r, size_t n, const char *name);
/* The record whose uuid this region carries: ownership by uuid, never by name. */
const CxlRecord *cxl_record_of_region(const CxlRecord *r, size_t n, const CxlRegionState *region);

const CxlMemdevState *cxl_state_find_memdev(const CxlState *s, uint64_t serial);
const CxlRegionState *cxl_state_find_region(const CxlState *s, const char *dev);
/* The region carrying this uuid (canonical lower case), NULL if none: ownership is proven by
 * the uuid pmemnsd wrote, never by a name. */
const CxlRegionState *cxl_state_find_region_by_uuid(const CxlState *s, const char *uuid);

/* What to assemble: the policy's [cxl-region]. */
typedef struct CxlAssembleSpec {
        const uint64_t *memdevs; /* serials in interleave position order; ways = n_memdevs */
        size_t n_memdevs;
        uint64_t size;           /* bytes, 0: all the memdevs offer */
        unsigned granularity;    /* bytes, 0: what the cxl tool picks (the root decoder's) */
        /* called with each endpoint decoder before DPA goes to it, for the caller to record
         * durably: DPA given to a decoder that a crash kept from reaching the region carries
         * no uuid, only that record proves it ours (cxl_free_stray_dpa()). NULL: none; < 0
         * fails the assembly. */
        int (*will_allocate)(const char *endpoint_decoder, void *userdata);
        /* called with the name the region will get before it is created, and again with the
         * one it got if that differs: a crash before the uuid is written leaves an empty
         * region that only this record names. NULL: none; < 0 fails the assembly. */
        int (*will_create)(const char *region, void *userdata);
        void *userdata;
} CxlAssembleSpec;

/* The resolved assembly: what cxl_assemble() writes. */
typedef struct CxlAssemblyPlan {
        const CxlRootDecoderState *decoder;
        const CxlMemdevState *memdevs[16]; /* by position */
        size_t ways;
        uint64_t size;           /* region size: a multiple of 256 MiB x ways */
        unsigned granularity;
} CxlAssemblyPlan;

#define CXL_MAX_WAYS 16

/* What the kernel accepts: ways 1, 2, 4, 8, 16 and 3, 6, 12 (the HDM decoder's encodable
 * ways, drivers/cxl/cxl.h ways_to_eiw()); granularity 256 B to 16 KiB, powers of two
 * (granularity_to_eig()). */
bool cxl_ways_valid(size_t ways);
bool cxl_granularity_valid(uint64_t g);

/* "4660,4661": serials as the plan rows and errors list them (cut at len) */
void cxl_serials_format(const uint64_t *serials, size_t n, char *buf, size_t len);
/* The kernel sizes a region in units of 256 MiB per way (drivers/cxl/core/region.c). */
#define CXL_REGION_UNIT (UINT64_C(256) << 20)

/* Decide an assembly on state s as `cxl create-region -t pmem -w N [-g G] [-s S] MEMDEVS`
 * would, but picking the root decoder itself (the first pmem-capable one whose targets reach
 * every memdev and whose window has room), and granularity and size as the tool defaults
 * them. -ENODEV (a memdev is missing or disabled), -EBUSY (no free endpoint decoder),
 * -ENOSPC (capacity short), -EINVAL (the spec cannot be made: ways, granularity, size); the
 * reason names the device and is for the plan row's skip. */
int cxl_plan_assembly(const CxlState *s, const CxlAssembleSpec *spec, CxlAssemblyPlan *ret,
                      char **ret_reason);

/* The granularity the cxl tool gives a region under root decoder d when none is asked for:
 * the root decoder's own; an asked-for one must equal it when the root interleaves (ways > 1).
 * 0 if the asked-for one cannot be used. */
unsigned cxl_granularity_resolve(const CxlRootDecoderState *d, unsigned asked);
