/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The thin adapter over libcxl (the ndctl project's library): reads memdevs, root decoders
 * and regions (cxl-state.h) and assembles or tears down one PMEM region at a time, as
 * `cxl create-region` / `destroy-region` do. Every call that changes the kernel undoes what
 * it made when a later step fails. Logs at debug only. */

#include <uuid.h>

#include "cxl-state.h"
#include "util/fault.h"

typedef struct CxlCtx CxlCtx;

/* A fresh view of the cxl bus: libcxl caches what it has read (open one per reconcile). */
int cxl_open(CxlCtx **ret);
CxlCtx *cxl_close(CxlCtx *c);

int cxl_read(CxlCtx *c, CxlState *ret);

/* What an assembly produced. */
typedef struct CxlAssembled {
        char *region;    /* "region0" (cxl bus) */
        char *nd_region; /* "region1" (nd bus, provider CXL) */
        char *nd_bus;    /* "ndbus1" */
        uint64_t size;
        unsigned granularity;
} CxlAssembled;

void cxl_assembled_done(CxlAssembled *a);

/* Assemble a PMEM region: pick the root decoder (cxl_plan_assembly()), create the region,
 * write uuid (chosen and recorded by the caller before this call: it is what proves the
 * region ours after a crash), granularity, ways and size, allocate DPA on a free endpoint
 * decoder of each memdev (mode pmem, size / ways), set the targets by position, commit,
 * enable, and wait for the nd region. On failure everything this call made is undone (decode
 * reset, targets cleared, DPA freed, region deleted) and *ret_error names the step and the
 * device. Fault points: cxl-after-create, -uuid, -size, -dpa (each memdev), -target (each
 * position), -commit, -enable. */
int cxl_assemble(CxlCtx *c, const CxlAssembleSpec *spec, const uuid_t uuid, CxlAssembled *ret,
                 char **ret_error);

/* Tear down a region this daemon assembled, also a half-made one (a crash in
 * cxl_assemble()): disable, reset the decode, clear the targets, free their DPA, delete.
 * -ESTALE (nothing done) if its uuid is not expect_uuid: ownership is proven by the uuid,
 * never by the name. -ENOENT if there is no such region. -EBUSY if the nd region is in use
 * (an active namespace keeps it). Fault points: cxl-teardown-after-disable, -reset. */
int cxl_disassemble(CxlCtx *c, const char *region, const char *expect_uuid, char **ret_error);

/* Delete a region that holds nothing: no uuid, no size, no target (what a crash right after
 * creating it leaves). Deleting it cannot lose data; the caller deletes only the one it
 * recorded creating in this boot. -EBUSY if it holds anything, -ENOENT if there is none. */
int cxl_delete_empty_region(CxlCtx *c, const char *region, char **ret_error);

/* Give back the DPA of an endpoint decoder that is in no region: what a crash between
 * allocating DPA and setting the target leaves (cxl-after-dpa), for a decoder the caller
 * recorded through will_allocate. 1 if it freed some, 0 if the decoder holds none, -EBUSY
 * if it is in a region, -ENOENT if there is no such endpoint decoder. */
int cxl_free_stray_dpa(CxlCtx *c, const char *decoder, char **ret_error);
