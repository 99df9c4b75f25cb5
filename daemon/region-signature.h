/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "state.h"

/* Which regions exist and which are ready for namespaces: enabled, labelled, and for a
 * label-less region whether its namespace is enabled. The daemon reconciles when this
 * changes (a region appeared, vanished or was enabled), not on the udev events its own
 * namespace work causes: that would retry a failing create forever. A string to compare;
 * NULL on allocation failure. */
char *region_signature(const RegionState *r, size_t n);
