/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the files of lib/cxl/ only: the context and the helpers one operation lends
 * another. */

#include <uuid.h>

/* libcxl.h typedefs its own uuid_t unless told that <uuid/uuid.h> is in */
#define HAVE_UUID 1
#include <cxl/libcxl.h>

#include "cxl/cxl.h"
#include "util/error.h"
#include "util/macro.h"

struct CxlCtx {
        struct cxl_ctx *cxl;
};

/* context.c */
struct cxl_memdev *find_memdev(CxlCtx *c, uint64_t serial);
struct cxl_region *find_cxl_region(CxlCtx *c, const char *name);
/* "" for a null uuid */
void region_uuid_string(struct cxl_region *region, char ret[static 37]);

/* read.c */
/* The nd region (provider CXL) that sits at physical address start, and its bus. -ENOENT if
 * there is none (yet). */
int nd_region_at(uint64_t start, char **ret_region, char **ret_bus);
/* Does the nd region hold an enabled namespace (one a user may have mapped or mounted)? */
bool nd_region_busy(const char *nd_region);

/* disassemble.c */
/* Undo a region's decode, targets, DPA and the region itself, as far as it got. The targets'
 * endpoint decoders are given by position (NULL: none set); ways of them. */
int region_teardown(struct cxl_region *region, struct cxl_decoder **targets, size_t ways,
                    char **err);
