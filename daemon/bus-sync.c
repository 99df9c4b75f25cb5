/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* After every refresh of the cache, the signals that keep a client's picture of the objects
 * right: InterfacesRemoved for what vanished, sent while the object still exists (sd-bus
 * reads its interfaces from the vtables), InterfacesAdded for what appeared, and
 * PropertiesChanged for what differs, deferred to the next event-loop iteration so that the
 * several refreshes of one operation announce each object once, with its final values. */
#include <inttypes.h>
#include <stdio.h>

#include "bus.h"
#include "util/strv.h"
#include "util/log.h"

/* Everything an object shows, as one string: objects whose string changed get a
 * PropertiesChanged. */
static char *region_fingerprint(Manager *m, const RegionState *r, const Plan *plan) {
        const RegionPlan *rp = region_plan(plan, r->dev);
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return NULL;
        fprintf(f, "%s|%s|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%d|%d|%s|%" PRIu64 "|%s|%u", r->type,
                r->dev, r->size, r->available_size, r->max_available_extent, r->align, r->numa_node,
                r->labeled, region_policy(m, plan, r->dev), rp ? rp->lost_to_alignment : 0,
                strempty(r->provider), r->ways);
        for (size_t i = 0; r->memdevs && r->memdevs[i]; i++)
                fprintf(f, "|m:%s", r->memdevs[i]);
        for (size_t i = 0; i < r->n_namespaces; i++)
                fprintf(f, "|%s", r->namespaces[i].dev);
        fclose(f);
        return s;
}

static char *namespace_fingerprint(Manager *m, const RegionState *regions, size_t n, const Plan *plan,
                                   const char *dev) {
        NsView v = ns_view(m, regions, n, plan, dev);
        char *s = NULL;

        if (!v.ns)
                return NULL;
        if (asprintf(&s, "%s|%s|%s|%d|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%d|%s|%s|%s|%s|%s",
                     v.region->dev, strempty(v.ns->name), strempty(v.ns->uuid), v.ns->mode, v.ns->size,
                     v.ns->usable, v.ns->start, v.ns->align, v.ns->map, strempty(v.ns->blockdev),
                     strempty(v.ns->chardev), v.policy, v.state, v.error) < 0)
                return NULL;
        return s;
}

static void emit_removed(Manager *m, char *path) {
        _cleanup_free_ char *p = path;
        int r;

        if (!p)
                return (void) log_debug_errno(-ENOMEM, "Failed to emit InterfacesRemoved: %m");
        r = sd_bus_emit_object_removed(m->bus, p);
        if (r < 0)
                log_debug_errno(r, "Failed to emit InterfacesRemoved for %s: %m", p);
}

void manager_bus_sync_removed(Manager *m, const RegionState *next, size_t n_next) {
        if (!m->bus)
                return;
        for (size_t i = 0; i < m->n_regions; i++) {
                const RegionState *r = &m->regions[i];

                for (size_t j = 0; j < r->n_namespaces; j++)
                        if (!ns_state_find(next, n_next, r->namespaces[j].dev, NULL))
                                emit_removed(m, namespace_object_path(r->namespaces[j].dev));
                if (!region_state_find(next, n_next, r->dev))
                        emit_removed(m, region_object_path(r->dev));
        }
}

static void emit_added(Manager *m, const char *path) {
        int r = sd_bus_emit_object_added(m->bus, path);
        if (r < 0)
                log_debug_errno(r, "Failed to emit InterfacesAdded for %s: %m", path);
}

/* The interface of a path that still names an object in the cache, or NULL. */
static const char *object_interface(Manager *m, const char *path) {
        _cleanup_free_ char *region = bus_object_path_to_dev(path, PMEMNSD_REGION_PREFIX);
        _cleanup_free_ char *ns = region ? NULL : bus_object_path_to_dev(path, PMEMNSD_NAMESPACE_PREFIX);

        if (region && manager_find_region(m, region))
                return PMEMNSD_REGION_IFACE;
        if (ns && manager_find_namespace(m, ns, NULL))
                return PMEMNSD_NAMESPACE_IFACE;
        return NULL;
}

static void emit_changed(Manager *m) {
        _cleanup_(strv_freep) char **paths = TAKE_PTR(m->bus_changed);

        m->n_bus_changed = 0;
        for (size_t i = 0; paths && paths[i]; i++) {
                /* one that vanished since had its InterfacesRemoved: nothing to say */
                const char *iface = object_interface(m, paths[i]);
                int r;

                if (!iface)
                        continue;
                r = sd_bus_emit_properties_changed_strv(m->bus, paths[i], iface, NULL);
                if (r < 0)
                        log_debug_errno(r, "Failed to emit PropertiesChanged for %s: %m", paths[i]);
        }
}

static int on_deferred_changes(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        m->bus_changes_event = sd_event_source_disable_unref(m->bus_changes_event);
        emit_changed(m);
        return 0;
}

static void queue_changed(Manager *m, const char *path) {
        int r;

        for (size_t i = 0; i < m->n_bus_changed; i++)
                if (streq(m->bus_changed[i], path))
                        return;
        if (strv_push(&m->bus_changed, &m->n_bus_changed, path) < 0)
                return (void) log_debug_errno(-ENOMEM, "Failed to queue PropertiesChanged for %s: %m", path);
        if (m->bus_changes_event)
                return;
        r = m->event ? sd_event_add_defer(m->event, &m->bus_changes_event, on_deferred_changes, m) : -ENXIO;
        if (r >= 0)
                (void) sd_event_source_set_description(m->bus_changes_event, "bus-changes");
        else
                emit_changed(m); /* no loop to wait for: say it now */
}

void manager_bus_sync(Manager *m, const RegionState *old, size_t n_old, const Plan *old_plan) {
        if (!m->bus)
                return;

        for (size_t i = 0; i < m->n_regions; i++) {
                const RegionState *r = &m->regions[i];
                _cleanup_free_ char *p = region_object_path(r->dev);
                const RegionState *o = region_state_find(old, n_old, r->dev);

                if (!p)
                        continue;
                if (!o)
                        emit_added(m, p);
                for (size_t j = 0; j < r->n_namespaces; j++) {
                        const char *dev = r->namespaces[j].dev;
                        _cleanup_free_ char *np = namespace_object_path(dev);
                        if (!np)
                                continue;
                        if (!ns_state_find(old, n_old, dev, NULL)) {
                                emit_added(m, np);
                                continue;
                        }
                        _cleanup_free_ char *a = namespace_fingerprint(m, old, n_old, old_plan, dev);
                        _cleanup_free_ char *b = namespace_fingerprint(m, m->regions, m->n_regions, &m->plan, dev);
                        if (!a || !b || !streq(a, b))
                                queue_changed(m, np);
                }
                if (o) {
                        _cleanup_free_ char *a = region_fingerprint(m, o, old_plan);
                        _cleanup_free_ char *b = region_fingerprint(m, r, &m->plan);
                        if (!a || !b || !streq(a, b))
                                queue_changed(m, p);
                }
        }
}

void manager_bus_sync_done(Manager *m) {
        m->bus_changes_event = sd_event_source_disable_unref(m->bus_changes_event);
        strv_free(TAKE_PTR(m->bus_changed));
        m->n_bus_changed = 0;
}
