/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What pmemnsctl reads from the daemon, decoded into typed structs: the Manager's, the
 * Regions' and the Namespaces' properties, and the rows of Plan and Apply. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "bus-names.h"

/* Plan may take long on a big machine */
#define PLAN_TIMEOUT_USEC (UINT64_C(15) * 60 * 1000000)
/* The mutating calls wait as long as they take, as systemctl's do: Apply and Reload (a
 * full Apply) may create many namespaces, and an interactive polkit authentication waits
 * for the user. sd-bus takes UINT64_MAX as no timeout. */
#define MUTATING_TIMEOUT_USEC UINT64_MAX

typedef struct ManagerInfo {
        char *version;
        char *kernel_release;
        bool subsection_hotplug;
        uint64_t subsection_size;
        uint64_t section_size;
        uint64_t memory_block_size;
        uint64_t granularity;
        char **policy_files;
        char *state;
} ManagerInfo;

typedef struct RegionInfo {
        char *path;
        char *device;
        char *type;
        uint64_t size;
        uint64_t available_size;
        uint64_t max_available_extent;
        uint64_t align;
        int32_t numa_node;
        bool labeled;
        char *policy;
        char **namespaces; /* object paths */
        uint64_t lost_to_alignment;
        char *provider;
        char **memdevs; /* CXL memdev serials in position order */
        uint32_t interleave_ways;
} RegionInfo;

typedef struct NamespaceInfo {
        char *path;
        char *device;
        char *region; /* object path */
        char *name;
        char *uuid;
        char *mode;
        uint64_t size;
        uint64_t usable_size;
        uint64_t start;
        uint64_t align;
        char *map;
        char *block_device;
        char *char_device;
        char *policy;
        char *state;
        char *error;
} NamespaceInfo;

typedef struct Objects {
        RegionInfo *regions;
        size_t n_regions;
        NamespaceInfo *namespaces;
        size_t n_namespaces;
} Objects;

/* One row of Plan(), Apply(). */
typedef struct RowInfo {
        char *action;
        char *instance;
        char *region;
        char *mode;
        uint64_t size;
        uint64_t usable_size;
        uint64_t start;
        char *message;
} RowInfo;

/* A property and where it goes, in the order the daemon's vtable lists them (--json
 * prints them in this order). */
typedef struct BusField {
        const char *name;
        const char *json; /* the key in --json: lower snake_case, as ndctl names them */
        const char *signature; /* s, o, t, i, u, b, as, ao */
        size_t offset;
} BusField;

extern const BusField manager_fields[];
extern const BusField region_fields[];
extern const BusField namespace_fields[];

/* The system bus, or the peer at $PMEMNSCTL_BUS_ADDRESS. */
int bus_connect(sd_bus **ret);

/* Send m and wait for the answer (usec 0: sd-bus's default timeout); on failure print the
 * one-line reason, "what: ..." and return < 0. */
int bus_call(sd_bus *bus, sd_bus_message *m, uint64_t usec, const char *what, sd_bus_message **ret_reply);
/* A method call at the daemon's root object, made and sent in one. */
int bus_call_method(sd_bus *bus, const char *interface, const char *member, uint64_t usec, const char *what,
                    sd_bus_message **ret_reply, const char *types, ...);
int bus_new_manager_call(sd_bus *bus, const char *member, sd_bus_message **ret);

int get_manager(sd_bus *bus, ManagerInfo *ret);
int get_managed_objects(sd_bus *bus, Objects *ret);
int read_plan_rows(sd_bus_message *reply, RowInfo **ret, size_t *ret_n);

void manager_info_done(ManagerInfo *m);
void objects_done(Objects *o);
void rows_free(RowInfo *rows, size_t n);

const NamespaceInfo *objects_find_namespace(const Objects *o, const char *path);
const RegionInfo *objects_find_region(const Objects *o, const char *path);
const RegionInfo *objects_find_region_by_dev(const Objects *o, const char *dev);
