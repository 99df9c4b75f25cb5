/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Manager's cache (regions, plan, failures) indexed by device, for the lookups every bus
 * object makes (lib/state-index.h): built on first use after the cache changed, so a refresh
 * costs one O(n log n) build, and GetManagedObjects O(n log n) instead of O(n^2). */
#include "manager.h"
#include "state-index.h"
#include "util/str-index.h"

struct CacheIndex {
        bool valid;
        /* what it was built on: a cache replaced without manager_index_invalidate() (a new
         * place that sets m->regions) still gets a new index */
        const RegionState *regions;
        size_t n_regions;
        const PlanRow *rows;
        size_t n_rows;
        const RegionPlan *plans;
        size_t n_plans;
        const Failure *failures;
        size_t n_failures;

        StateIndex state;
        bool failures_indexed;
        StrIndex failures_by_instance; /* i: failure */
        StrIndex failures_by_ns_dev;
};

static void cache_index_clear(CacheIndex *x) {
        state_index_done(&x->state);
        str_index_done(&x->failures_by_instance);
        str_index_done(&x->failures_by_ns_dev);
        *x = (CacheIndex) {};
}

void manager_index_free(Manager *m) {
        if (!m->index)
                return;
        cache_index_clear(m->index);
        m->index = mfree(m->index);
}

void manager_index_invalidate(Manager *m) {
        if (m->index)
                m->index->valid = false;
}

static bool cache_index_current(const CacheIndex *x, const Manager *m) {
        return x->valid && x->regions == m->regions && x->n_regions == m->n_regions &&
               x->rows == m->plan.rows && x->n_rows == m->plan.n_rows && x->plans == m->plan.regions &&
               x->n_plans == m->plan.n_regions && x->failures == m->failures && x->n_failures == m->n_failures;
}

static int index_failures(CacheIndex *x, const Failure *f, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (str_index_add(&x->failures_by_instance, f[i].instance, i, 0) < 0 ||
                    str_index_add(&x->failures_by_ns_dev, f[i].ns_dev, i, 0) < 0)
                        return -ENOMEM;
        str_index_sort(&x->failures_by_instance);
        str_index_sort(&x->failures_by_ns_dev);
        return 0;
}

/* The index of the cache as it is now; NULL only when there is no memory for it. */
static CacheIndex *cache_index(Manager *m) {
        CacheIndex *x = m->index;

        if (x && cache_index_current(x, m))
                return x;
        if (!x) {
                x = m->index = calloc(1, sizeof(CacheIndex));
                if (!x)
                        return NULL;
        }
        cache_index_clear(x);
        *x = (CacheIndex) {
                .valid = true,
                .regions = m->regions, .n_regions = m->n_regions,
                .rows = m->plan.rows, .n_rows = m->plan.n_rows,
                .plans = m->plan.regions, .n_plans = m->plan.n_regions,
                .failures = m->failures, .n_failures = m->n_failures,
        };
        state_index_build(&x->state, m->regions, m->n_regions, &m->plan);
        if (index_failures(x, m->failures, m->n_failures) >= 0)
                x->failures_indexed = true;
        else {
                str_index_done(&x->failures_by_instance);
                str_index_done(&x->failures_by_ns_dev);
        }
        return x;
}

const StateIndex *manager_index(Manager *m) {
        /* no memory even for the index's header: one that scans (the daemon has one thread) */
        static StateIndex scan;
        CacheIndex *x = cache_index(m);

        if (x)
                return &x->state;
        scan = (StateIndex) { .regions = m->regions, .n_regions = m->n_regions, .plan = &m->plan };
        return &scan;
}

const RegionState *manager_find_region(Manager *m, const char *dev) {
        return state_index_region(manager_index(m), dev);
}

const NsState *manager_find_namespace(Manager *m, const char *dev, const RegionState **ret_region) {
        return state_index_namespace(manager_index(m), dev, ret_region);
}

const PlanRow *manager_namespace_row(Manager *m, const char *ns_dev) {
        return state_index_ns_row(manager_index(m), ns_dev, NULL);
}

const Failure *manager_find_failure(Manager *m, const char *instance, const char *ns_dev) {
        CacheIndex *x = cache_index(m);
        const StrIndexEntry *a, *b;

        if (!x || !x->failures_indexed) {
                for (size_t i = 0; i < m->n_failures; i++) {
                        const Failure *f = &m->failures[i];
                        if ((instance && f->instance && streq(f->instance, instance)) ||
                            (ns_dev && f->ns_dev && streq(f->ns_dev, ns_dev)))
                                return f;
                }
                return NULL;
        }
        /* the first failure that matches either, as a scan would find it */
        a = instance ? str_index_find(&x->failures_by_instance, instance) : NULL;
        b = ns_dev ? str_index_find(&x->failures_by_ns_dev, ns_dev) : NULL;
        if (a && b)
                return &m->failures[MIN(a->i, b->i)];
        return a ? &m->failures[a->i] : b ? &m->failures[b->i] : NULL;
}
