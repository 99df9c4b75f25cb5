/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "state-index.h"
#include "util/macro.h"

static int build(StateIndex *x) {
        const Plan *p = x->plan;

        for (size_t i = 0; i < x->n_regions; i++) {
                const RegionState *r = &x->regions[i];
                if (str_index_add(&x->regions_by_dev, r->dev, i, 0) < 0)
                        return -ENOMEM;
                for (size_t j = 0; j < r->n_namespaces; j++)
                        if (str_index_add(&x->ns_by_dev, r->namespaces[j].dev, i, j) < 0)
                                return -ENOMEM;
        }
        for (size_t i = 0; p && i < p->n_rows; i++)
                if (str_index_add(&x->rows_by_ns_dev, p->rows[i].spec.ns_dev, i, 0) < 0)
                        return -ENOMEM;
        for (size_t i = 0; p && i < p->n_regions; i++)
                if (str_index_add(&x->plans_by_region, p->regions[i].region, i, 0) < 0)
                        return -ENOMEM;
        str_index_sort(&x->regions_by_dev);
        str_index_sort(&x->ns_by_dev);
        str_index_sort(&x->rows_by_ns_dev);
        str_index_sort(&x->plans_by_region);
        return 0;
}

static void drop(StateIndex *x) {
        str_index_done(&x->regions_by_dev);
        str_index_done(&x->ns_by_dev);
        str_index_done(&x->rows_by_ns_dev);
        str_index_done(&x->plans_by_region);
        x->indexed = false;
}

void state_index_build(StateIndex *x, const RegionState *regions, size_t n, const Plan *plan) {
        *x = (StateIndex) { .regions = regions, .n_regions = n, .plan = plan };
        if (build(x) < 0)
                drop(x); /* the lookups scan */
        else
                x->indexed = true;
}

void state_index_done(StateIndex *x) {
        drop(x);
        *x = (StateIndex) {};
}

const RegionState *state_index_region(const StateIndex *x, const char *dev) {
        const StrIndexEntry *e;

        if (!x->indexed)
                return region_state_find(x->regions, x->n_regions, dev);
        e = str_index_find(&x->regions_by_dev, dev);
        return e ? &x->regions[e->i] : NULL;
}

const NsState *state_index_namespace(const StateIndex *x, const char *dev, const RegionState **ret_region) {
        const StrIndexEntry *e;

        if (!x->indexed)
                return ns_state_find(x->regions, x->n_regions, dev, ret_region);
        e = str_index_find(&x->ns_by_dev, dev);
        if (!e)
                return NULL;
        if (ret_region)
                *ret_region = &x->regions[e->i];
        return &x->regions[e->i].namespaces[e->j];
}

/* The rows about ns_dev, in plan order: by the index, or by a scan from row *i. */
static const PlanRow *next_row(const StateIndex *x, const char *ns_dev, const StrIndexEntry **e, size_t *i) {
        const Plan *p = x->plan;

        if (!p)
                return NULL;
        if (x->indexed) {
                *e = *e ? str_index_next(&x->rows_by_ns_dev, *e) : str_index_find(&x->rows_by_ns_dev, ns_dev);
                return *e ? &p->rows[(*e)->i] : NULL;
        }
        for (; *i < p->n_rows; (*i)++)
                if (p->rows[*i].spec.ns_dev && streq(p->rows[*i].spec.ns_dev, ns_dev))
                        return &p->rows[(*i)++];
        return NULL;
}

const PlanRow *state_index_ns_row(const StateIndex *x, const char *ns_dev, bool *ret_conflict) {
        const StrIndexEntry *e = NULL;
        const PlanRow *row;
        bool conflict = false;
        size_t i = 0;

        while ((row = next_row(x, ns_dev, &e, &i))) {
                if (isempty(row->spec.name))
                        continue;
                if (row->action == PLAN_CONFLICT) {
                        conflict = true;
                        continue;
                }
                break;
        }
        if (ret_conflict)
                *ret_conflict = conflict;
        return row;
}

const PlanRow *state_index_ns_last_row(const StateIndex *x, const char *ns_dev) {
        const StrIndexEntry *e = NULL;
        const PlanRow *row, *last = NULL;
        size_t i = 0;

        while ((row = next_row(x, ns_dev, &e, &i)))
                last = row;
        return last;
}

const RegionPlan *state_index_region_plan(const StateIndex *x, const char *dev) {
        const Plan *p = x->plan;
        const StrIndexEntry *e;

        if (!p)
                return NULL;
        if (x->indexed) {
                e = str_index_find(&x->plans_by_region, dev);
                return e ? &p->regions[e->i] : NULL;
        }
        for (size_t i = 0; i < p->n_regions; i++)
                if (streq(p->regions[i].region, dev))
                        return &p->regions[i];
        return NULL;
}
