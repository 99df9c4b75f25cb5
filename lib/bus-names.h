/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The names of pmemnsd's D-Bus API (the spec's section 3), for the daemon and pmemnsctl
 * alike, and the one codec between kernel device names and object paths. */

#include <systemd/sd-bus.h>

#define PMEMNSD_BUS_NAME "org.pmemnsd1"
#define PMEMNSD_ROOT_PATH "/org/pmemnsd1"
#define PMEMNSD_REGION_PREFIX "/org/pmemnsd1/region"
#define PMEMNSD_NAMESPACE_PREFIX "/org/pmemnsd1/namespace"

#define PMEMNSD_MANAGER_IFACE "org.pmemnsd1.Manager"
#define PMEMNSD_REGION_IFACE "org.pmemnsd1.Region"
#define PMEMNSD_NAMESPACE_IFACE "org.pmemnsd1.Namespace"

#define PMEMNSD_ERROR_BUSY "org.pmemnsd1.Error.Busy"
#define PMEMNSD_ERROR_FAILED "org.pmemnsd1.Error.Failed"
#define PMEMNSD_ERROR_INVALID_CONFIG "org.pmemnsd1.Error.InvalidConfig"

/* One row of Plan(), Apply() and Applied: (action, instance, region, mode, size, usable
 * size, start, message). */
#define PMEMNSD_PLAN_ROW_SIGNATURE "(ssssttts)"

/* Our error names and the errno each maps to; register with sd_bus_error_add_map(). */
extern const sd_bus_error_map pmemnsd_bus_errors[];

/* Kernel device names hold [a-z0-9.]; in an object path '.' is written as '_'
 * (namespace0.1 -> /org/pmemnsd1/namespace/namespace0_1). Encoding does not judge the
 * name (pmemnsctl passes what the user typed, the daemon answers for it); NULL only on
 * an empty name or out of memory. */
char *bus_object_path(const char *prefix, const char *dev);

/* The kernel name for an object path directly under prefix, or NULL (errno set: EINVAL
 * for a path that no kernel name maps to, ENOMEM). */
char *bus_object_path_to_dev(const char *path, const char *prefix);

static inline char *region_object_path(const char *dev) {
        return bus_object_path(PMEMNSD_REGION_PREFIX, dev);
}

static inline char *namespace_object_path(const char *dev) {
        return bus_object_path(PMEMNSD_NAMESPACE_PREFIX, dev);
}
