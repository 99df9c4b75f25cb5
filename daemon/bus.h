/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the bus objects share: manager-bus.c (org.pmemnsd1.Manager, the connection),
 * region-bus.c and namespace-bus.c (one fallback vtable each, a find callback that decodes
 * the path once and hands the getters the object itself), bus-sync.c (the signals after a
 * refresh). Every property is served from the Manager's cache; nothing here reads the
 * kernel. */

#include "bus-names.h"
#include "bus-util.h"
#include "manager.h"

/* The Manager a vtable was registered with, from inside a getter or find callback. The
 * find callbacks hand the getters the RegionState or NsState, so that plain fields are
 * served by offsetof(); the few computed properties that also need the plan or the
 * failures reach the Manager through the slot that sd-bus is dispatching (it sets the
 * current slot around every find, getter and method call: sd_bus_get_current_slot(3)). */
static inline Manager *bus_manager(sd_bus *bus) {
        return sd_bus_slot_get_userdata(sd_bus_get_current_slot(bus));
}

/* manager-bus.c */
int manager_bus_add_objects(Manager *m);
int bus_append_plan_rows(sd_bus_message *m, const Plan *plan);

/* region-bus.c */
extern const sd_bus_vtable region_vtable[];
int region_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                       sd_bus_error *error);
int region_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);
/* The selector name of a region's plan in x ("" for none). */
const char *region_policy(Manager *m, const StateIndex *x, const char *dev);

/* namespace-bus.c */
extern const sd_bus_vtable namespace_vtable[];
int namespace_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                          void **found, sd_bus_error *error);
int namespace_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                              sd_bus_error *error);

/* What a namespace shows beyond its kernel state: its policy instance, state and error,
 * from a cache (the Manager's, manager_index(), or the one a refresh replaces) and the
 * failures of the last apply. */
typedef struct NsView {
        const NsState *ns; /* NULL: no such namespace */
        const RegionState *region;
        const char *policy;
        const char *state;
        const char *error;
} NsView;

NsView ns_view(Manager *m, const StateIndex *x, const char *dev);
