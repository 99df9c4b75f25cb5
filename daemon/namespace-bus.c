/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.pmemnsd1.Namespace at /org/pmemnsd1/namespace/<dev>: one object per NsState in the
 * Manager's cache. */
#include <stddef.h>
#include <stdio.h>

#include "bus.h"
#include "util/strv.h"

NsView ns_view(Manager *m, const StateIndex *x, const char *dev) {
        NsView v = { .policy = "", .state = "foreign", .error = "" };
        bool conflict;

        v.ns = state_index_namespace(x, dev, &v.region);
        if (!v.ns)
                return v;
        const PlanRow *row = state_index_ns_row(x, dev, &conflict);
        if (row) {
                v.policy = row->spec.name;
                /* a managed namespace planned as skip did not come up (driver missing,
                 * disabled): failed, with the kernel side's reason */
                v.state = row->action == PLAN_DRIFT ? "drift" : row->action == PLAN_SKIP ? "failed" : "active";
                if (row->action == PLAN_DRIFT || row->action == PLAN_SKIP)
                        v.error = strempty(row->message);
        } else if (conflict)
                v.error = strempty(state_index_ns_last_row(x, dev)->message);
        const Failure *f = manager_find_failure(m, NULL, dev);
        if (f) {
                v.state = "failed";
                v.error = strempty(f->message);
                if (f->instance)
                        v.policy = f->instance;
        }
        return v;
}

int namespace_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                          void **found, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *dev = bus_object_path_to_dev(path, PMEMNSD_NAMESPACE_PREFIX);
        const NsState *ns = dev ? manager_find_namespace(m, dev, NULL) : NULL;

        if (!ns)
                return 0;
        *found = (void *) ns;
        return 1;
}

int namespace_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                              sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(strv_freep) char **l = calloc(1, sizeof(char *));
        size_t n = 0;

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_regions; i++)
                for (size_t j = 0; j < m->regions[i].n_namespaces; j++) {
                        _cleanup_free_ char *p = namespace_object_path(m->regions[i].namespaces[j].dev);
                        if (!p || strv_push(&l, &n, p) < 0)
                                return -ENOMEM;
                }
        *nodes = TAKE_PTR(l);
        return 1;
}

static NsView view_of(sd_bus *bus, const NsState *ns) {
        Manager *m = bus_manager(bus);
        return ns_view(m, manager_index(m), ns->dev);
}

static int property_get_region(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const NsState *ns = userdata;
        const RegionState *r = NULL;
        _cleanup_free_ char *p = NULL;

        (void) manager_find_namespace(bus_manager(bus), ns->dev, &r);
        if (!r)
                return -ENOENT;
        p = region_object_path(r->dev);
        return p ? sd_bus_message_append(reply, "o", p) : -ENOMEM;
}

static int property_get_mode(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const NsState *ns = userdata;
        return sd_bus_message_append(reply, "s", ns_mode_to_string(ns->mode));
}

/* where the memmap lives: fsdax and devdax only */
static int property_get_map(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const NsState *ns = userdata;
        return sd_bus_message_append(reply, "s",
                                     ns->mode == NS_MODE_FSDAX || ns->mode == NS_MODE_DEVDAX
                                             ? ns_map_to_string(ns->map) : "");
}

/* BlockDevice, CharDevice: the kernel name of a device node (by offsetof), as its path */
static int property_get_dev_node(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const char *d = *(const char **) userdata;
        char buf[128] = "";

        if (d)
                snprintf(buf, sizeof(buf), "/dev/%s", d);
        return bus_append_string(reply, buf);
}

static int property_get_policy(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return bus_append_string(reply, view_of(bus, userdata).policy);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return bus_append_string(reply, view_of(bus, userdata).state);
}

static int property_get_error(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return bus_append_string(reply, view_of(bus, userdata).error);
}

#define EMITS_CHANGE SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

const sd_bus_vtable namespace_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Device", "s", bus_property_get_string, offsetof(NsState, dev),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Region", "o", property_get_region, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("Name", "s", bus_property_get_string, offsetof(NsState, name), EMITS_CHANGE),
        SD_BUS_PROPERTY("UUID", "s", bus_property_get_string, offsetof(NsState, uuid), EMITS_CHANGE),
        SD_BUS_PROPERTY("Mode", "s", property_get_mode, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("Size", "t", NULL, offsetof(NsState, size), EMITS_CHANGE),
        SD_BUS_PROPERTY("UsableSize", "t", NULL, offsetof(NsState, usable), EMITS_CHANGE),
        SD_BUS_PROPERTY("Start", "t", NULL, offsetof(NsState, start), EMITS_CHANGE),
        SD_BUS_PROPERTY("Align", "t", NULL, offsetof(NsState, align), EMITS_CHANGE),
        SD_BUS_PROPERTY("Map", "s", property_get_map, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("BlockDevice", "s", property_get_dev_node, offsetof(NsState, blockdev), EMITS_CHANGE),
        SD_BUS_PROPERTY("CharDevice", "s", property_get_dev_node, offsetof(NsState, chardev), EMITS_CHANGE),
        SD_BUS_PROPERTY("Policy", "s", property_get_policy, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("Error", "s", property_get_error, 0, EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};
