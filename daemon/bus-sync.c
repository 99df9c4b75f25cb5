/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* After every refresh of the cache, the signals that keep a client's picture of the objects
 * right: InterfacesRemoved for what vanished, sent while the object still exists (sd-bus
 * reads its interfaces from the vtables), InterfacesAdded for what appeared, and
 * PropertiesChanged for what differs, deferred to the next event-loop iteration so that the
 * several refreshes of one operation announce each object once, with its final values. */
#include <inttypes.h>
#include <stdio.h>

#include "bus.h"
#include "util/log.h"
#include "util/str-index.h"
#include "util/strv.h"

/* Everything an object shows, as one string: objects whose string changed get a
 * PropertiesChanged. */
static char *region_fingerprint(Manager *m, const RegionState *r, const StateIndex *x) {
        const RegionPlan *rp = state_index_region_plan(x, r->dev);
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return NULL;
        fprintf(f, "%s|%s|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%d|%d|%s|%" PRIu64 "|%s|%u", r->type,
                r->dev, r->size, r->available_size, r->max_available_extent, r->align, r->numa_node,
                r->labeled, region_policy(m, x, r->dev), rp ? rp->lost_to_alignment : 0,
                strempty(r->provider), r->ways);
        for (size_t i = 0; r->memdevs && r->memdevs[i]; i++)
                fprintf(f, "|m:%s", r->memdevs[i]);
        for (size_t i = 0; i < r->n_namespaces; i++)
                fprintf(f, "|%s", r->namespaces[i].dev);
        fclose(f);
        return s;
}

static char *namespace_fingerprint(Manager *m, const StateIndex *x, const char *dev) {
        NsView v = ns_view(m, x, dev);
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
        _cleanup_(state_index_done) StateIndex x = {};

        if (!m->bus)
                return;
        state_index_build(&x, next, n_next, NULL);
        for (size_t i = 0; i < m->n_regions; i++) {
                const RegionState *r = &m->regions[i];

                for (size_t j = 0; j < r->n_namespaces; j++)
                        if (!state_index_namespace(&x, r->namespaces[j].dev, NULL))
                                emit_removed(m, namespace_object_path(r->namespaces[j].dev));
                if (!state_index_region(&x, r->dev))
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

/* Which of paths[0, n) are the first of their value: the queue takes duplicates (checking
 * each path against the whole queue would be quadratic in the objects that changed). */
static bool *first_occurrences(char **paths, size_t n) {
        _cleanup_(str_index_done) StrIndex x = {};
        bool *first = calloc(n + 1, sizeof(bool));

        if (!first)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (str_index_add(&x, paths[i], i, 0) < 0) {
                        /* no memory for the index: the quadratic way */
                        for (size_t k = 0; k < n; k++) {
                                first[k] = true;
                                for (size_t j = 0; j < k && first[k]; j++)
                                        first[k] = !streq(paths[j], paths[k]);
                        }
                        return first;
                }
        str_index_sort(&x);
        for (size_t k = 0; k < x.n; k++)
                if (k == 0 || !streq(x.entries[k - 1].key, x.entries[k].key))
                        first[x.entries[k].i] = true;
        return first;
}

static void emit_changed(Manager *m) {
        _cleanup_(strv_freep) char **paths = TAKE_PTR(m->bus_changed);
        size_t n = m->n_bus_changed;
        _cleanup_free_ bool *first = NULL;

        m->n_bus_changed = 0;
        if (!paths)
                return;
        first = first_occurrences(paths, n);
        if (!first)
                return (void) log_debug_errno(-ENOMEM, "Failed to emit PropertiesChanged: %m");
        for (size_t i = 0; i < n; i++) {
                /* one that vanished since had its InterfacesRemoved: nothing to say */
                const char *iface = first[i] ? object_interface(m, paths[i]) : NULL;
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
        _cleanup_(state_index_done) StateIndex x = {};
        const StateIndex *now;

        /* the cache was just replaced: whoever did it may not have said so */
        manager_index_invalidate(m);
        if (!m->bus)
                return;
        state_index_build(&x, old, n_old, old_plan);
        now = manager_index(m);

        for (size_t i = 0; i < m->n_regions; i++) {
                const RegionState *r = &m->regions[i];
                _cleanup_free_ char *p = region_object_path(r->dev);
                const RegionState *o = state_index_region(&x, r->dev);

                if (!p)
                        continue;
                if (!o)
                        emit_added(m, p);
                for (size_t j = 0; j < r->n_namespaces; j++) {
                        const char *dev = r->namespaces[j].dev;
                        _cleanup_free_ char *np = namespace_object_path(dev);
                        if (!np)
                                continue;
                        if (!state_index_namespace(&x, dev, NULL)) {
                                emit_added(m, np);
                                continue;
                        }
                        _cleanup_free_ char *a = namespace_fingerprint(m, &x, dev);
                        _cleanup_free_ char *b = namespace_fingerprint(m, now, dev);
                        if (!a || !b || !streq(a, b))
                                queue_changed(m, np);
                }
                if (o) {
                        _cleanup_free_ char *a = region_fingerprint(m, o, &x);
                        _cleanup_free_ char *b = region_fingerprint(m, r, now);
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
