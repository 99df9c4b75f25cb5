/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* The CXL side of an nd region on the "CXL" bus, read from sysfs under SYSFS ("/sys", or a
 * test's tree): the serials of its memdevs as decimal strings in interleave position order
 * (*ret_memdevs, NULL-terminated, never NULL on success) and the CXL region's interleave
 * ways (*ret_ways). Linux gives the nd region the CXL region's id (drivers/cxl/pmem.c passes
 * cxlr->id as memregion), so nd regionM is CXL regionM; START (the nd region's physical
 * address, 0: unknown) guards that pairing. -ENOENT when there is no such CXL region or it
 * is not the same memory, -ENODATA when a target or serial is missing (a list with a gap
 * would misstate positions), -ENOMEM. */
int cxl_region_read(const char *sysfs, const char *nd_region, uint64_t start, char ***ret_memdevs,
                    unsigned *ret_ways);
