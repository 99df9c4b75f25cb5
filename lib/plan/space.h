/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The free space of a region, in offsets from its start, and first-fit placement in it the
 * way the kernel allocates (drivers/nvdimm/namespace_devs.c). Pure: no I/O, no kernel
 * state types; the planner feeds it the namespaces' ranges. */

typedef struct Extent {
        uint64_t start, end; /* [start, end) */
} Extent;

typedef struct Space {
        Extent *ext; /* free, sorted by start, disjoint, none empty */
        size_t n;
} Space;

/* All of [0, size) free. */
int space_init(Space *s, uint64_t size);
void space_done(Space *s);

/* Mark [off, off + size) used: in any order, over free and used space alike (only what is
 * free changes), clipped at the region's end. */
int space_reserve(Space *s, uint64_t off, uint64_t size);

/* Take [off, off + size) for a new namespace: it must lie whole in one free extent,
 * -ENOSPC otherwise (and nothing changes). */
int space_take(Space *s, uint64_t off, uint64_t size);

/* The part of a free extent the kernel can allocate from, aligned up at the start and down
 * at the end (align > 0): its length, 0 if nothing is left; its start in *ret_start. */
uint64_t extent_aligned(const Extent *e, uint64_t align, uint64_t *ret_start);

/* The first aligned start, in address order, with `size` bytes free behind it in one
 * extent. */
bool space_first_fit(const Space *s, uint64_t size, uint64_t align, uint64_t *ret);

/* The largest aligned free extent: the most a first fit can place. */
uint64_t space_largest(const Space *s, uint64_t align);

/* All free bytes, and the free bytes an aligned allocation can reach: the difference is
 * lost to alignment. */
uint64_t space_total(const Space *s);
uint64_t space_aligned_total(const Space *s, uint64_t align);
