/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.pmemnsd1.Region at /org/pmemnsd1/region/<dev>: one object per RegionState in the
 * Manager's cache. */
#include <stddef.h>

#include "bus.h"
#include "util/strv.h"

const char *region_policy(Manager *m, const StateIndex *x, const char *dev) {
        const RegionPlan *rp = state_index_region_plan(x, dev);
        if (!rp || rp->selector < 0 || (size_t) rp->selector >= m->config.n_selectors)
                return "";
        return m->config.selectors[rp->selector].name;
}

int region_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                       sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *dev = bus_object_path_to_dev(path, PMEMNSD_REGION_PREFIX);
        const RegionState *r = dev ? manager_find_region(m, dev) : NULL;

        if (!r)
                return 0;
        *found = (void *) r;
        return 1;
}

int region_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(strv_freep) char **l = calloc(1, sizeof(char *));
        size_t n = 0;

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_regions; i++) {
                _cleanup_free_ char *p = region_object_path(m->regions[i].dev);
                if (!p || strv_push(&l, &n, p) < 0)
                        return -ENOMEM;
        }
        *nodes = TAKE_PTR(l);
        return 1;
}

static int property_get_policy(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = bus_manager(bus);
        const RegionState *r = userdata;

        return bus_append_string(reply, region_policy(m, manager_index(m), r->dev));
}

static int property_get_namespaces(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        const RegionState *r = userdata;
        int k = sd_bus_message_open_container(reply, 'a', "o");

        for (size_t i = 0; k >= 0 && i < r->n_namespaces; i++) {
                _cleanup_free_ char *p = namespace_object_path(r->namespaces[i].dev);
                k = p ? sd_bus_message_append(reply, "o", p) : -ENOMEM;
        }
        if (k >= 0)
                k = sd_bus_message_close_container(reply);
        return k;
}

static int property_get_lost_to_alignment(sd_bus *bus, const char *path, const char *interface,
                                          const char *property, sd_bus_message *reply, void *userdata,
                                          sd_bus_error *error) {
        Manager *m = bus_manager(bus);
        const RegionState *r = userdata;
        const RegionPlan *rp = state_index_region_plan(manager_index(m), r->dev);

        return sd_bus_message_append(reply, "t", rp ? rp->lost_to_alignment : UINT64_C(0));
}

#define EMITS_CHANGE SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

const sd_bus_vtable region_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Device", "s", bus_property_get_string, offsetof(RegionState, dev),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Type", "s", bus_property_get_string, offsetof(RegionState, type), EMITS_CHANGE),
        SD_BUS_PROPERTY("Size", "t", NULL, offsetof(RegionState, size), EMITS_CHANGE),
        SD_BUS_PROPERTY("AvailableSize", "t", NULL, offsetof(RegionState, available_size), EMITS_CHANGE),
        SD_BUS_PROPERTY("MaxAvailableExtent", "t", NULL, offsetof(RegionState, max_available_extent),
                        EMITS_CHANGE),
        SD_BUS_PROPERTY("Align", "t", NULL, offsetof(RegionState, align), EMITS_CHANGE),
        SD_BUS_PROPERTY("NumaNode", "i", NULL, offsetof(RegionState, numa_node), EMITS_CHANGE),
        SD_BUS_PROPERTY("Labeled", "b", bus_property_get_bool, offsetof(RegionState, labeled), EMITS_CHANGE),
        SD_BUS_PROPERTY("Policy", "s", property_get_policy, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("Namespaces", "ao", property_get_namespaces, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("LostToAlignment", "t", property_get_lost_to_alignment, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("Provider", "s", bus_property_get_string, offsetof(RegionState, provider), EMITS_CHANGE),
        SD_BUS_PROPERTY("Memdevs", "as", bus_property_get_strv, offsetof(RegionState, memdevs), EMITS_CHANGE),
        SD_BUS_PROPERTY("InterleaveWays", "u", NULL, offsetof(RegionState, ways), EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

/* sd-bus's automatic getters read these fields with the D-Bus type's width */
_Static_assert(sizeof(((RegionState *) NULL)->numa_node) == sizeof(int32_t), "NumaNode is an 'i'");
_Static_assert(sizeof(((RegionState *) NULL)->size) == sizeof(uint64_t), "Size is a 't'");
_Static_assert(sizeof(((RegionState *) NULL)->ways) == sizeof(uint32_t), "InterleaveWays is a 'u'");
