/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The [cxl-region] rows of a plan: for each, adopt the complete region pmemnsd assembled
 * (proven by the uuid it recorded), or assemble it, again exactly as recorded when it was
 * assembled before, or say why not (skip). Pure: CXL state, records and policy in. */
#include <inttypes.h>
#include <stdio.h>

#include "plan/planner.h"
#include "util/macro.h"
#include "util/size.h"

/* the same memdevs in the same positions */
static bool same_serials(const uint64_t *a, size_t n_a, const uint64_t *b, size_t n_b) {
        return n_a == n_b && (n_a == 0 || memcmp(a, b, n_a * sizeof(uint64_t)) == 0);
}

/* The size the policy asks for: 0 for rest (cxl_plan_assembly() takes all that is free), a
 * percentage of the capacity the memdevs have together, in whole 256M-per-way units. */
static uint64_t policy_size(const CxlRegionPolicy *x, const CxlState *s) {
        uint64_t per_dev = UINT64_MAX, unit = CXL_REGION_UNIT * x->n_memdevs;

        if (x->size_kind == SIZE_BYTES)
                return x->size;
        if (x->size_kind != SIZE_PERCENT)
                return 0;
        for (size_t i = 0; i < x->n_memdevs; i++) {
                const CxlMemdevState *m = cxl_state_find_memdev(s, x->memdevs[i]);
                if (!m)
                        return 0; /* the assembly check names the missing memdev */
                per_dev = MIN(per_dev, m->pmem_size);
        }
        uint64_t want = (uint64_t) ((unsigned __int128) per_dev * x->n_memdevs * x->percent / 100);
        return MAX(want / unit * unit, unit);
}

/* Re-assembly must give each memdev the DPA offset it had: the kernel allocates pmem DPA after
 * what the memdev's decoders already hold (drivers/cxl/core/hdm.c: cxl_dpa_alloc()), so the
 * pmem held before ours must be what it was. */
static int dpa_moved(const CxlRecord *rec, const CxlState *s, char *why, size_t len) {
        for (size_t i = 0; i < rec->n_memdevs && rec->dpa_before; i++) {
                const CxlMemdevState *m = cxl_state_find_memdev(s, rec->memdevs[i]);
                uint64_t held;

                if (!m)
                        continue; /* the assembly check names it */
                held = m->pmem_size - m->pmem_free;
                if (held != rec->dpa_before[i]) {
                        snprintf(why, len, "memdev %" PRIu64 " (%s) now has %s of pmem held by other "
                                 "decoders before this region's, %s when it was assembled",
                                 m->serial, strempty(m->dev), FORMAT_SIZE(held),
                                 FORMAT_SIZE(rec->dpa_before[i]));
                        return 1;
                }
        }
        return 0;
}

static int plan_one(const PlanInput *in, size_t index, Plan *plan) {
        const CxlRegionPolicy *x = &in->config->cxl_regions[index];
        const CxlState *s = in->cxl;
        const CxlRecord *rec = cxl_record_find(in->cxl_records, in->n_cxl_records, x->name);
        const CxlRegionState *ours = NULL;
        _cleanup_free_ char *reason = NULL;
        char want[400], had[400], why[400];
        CxlAssemblyPlan ap = {};
        PlanRow *row;
        int r;

        if (rec && !isempty(rec->uuid))
                ours = cxl_state_find_region_by_uuid(s, rec->uuid);
        cxl_serials_format(x->memdevs, x->n_memdevs, want, sizeof(want));

        row = plan_add_row(plan, PLAN_SKIP, x->name, ours ? ours->nd_region : NULL);
        if (!row)
                return -ENOMEM;
        row->cxl = calloc(1, sizeof(CxlRow));
        if (!row->cxl)
                return -ENOMEM;
        row->cxl->policy = index;

        /* assembled and working: adopt it, or report how it differs from the policy */
        if (ours && ours->committed && ours->enabled && ours->nd_region) {
                row->spec.size = row->spec.usable = ours->size;
                row->spec.start = ours->start;
                row->cxl->cxl_region = strdup(ours->dev);
                if (!row->cxl->cxl_region)
                        return -ENOMEM;
                cxl_serials_format(ours->targets, ours->n_targets, had, sizeof(had));
                if (!same_serials(ours->targets, ours->n_targets, x->memdevs, x->n_memdevs) ||
                    (x->granularity && x->granularity != ours->granularity) ||
                    (x->size_kind == SIZE_BYTES && x->size != ours->size)) {
                        row->action = PLAN_DRIFT;
                        return plan_row_set_message(row, "%s (%s) was assembled from memdevs %s, %s, granularity %u; "
                                       "the policy asks for memdevs %s%s%s: not changed", ours->dev,
                                       ours->nd_region, had, FORMAT_SIZE(ours->size), ours->granularity,
                                       want, x->granularity ? ", a different granularity" : "",
                                       x->size_kind == SIZE_BYTES && x->size != ours->size ? ", another size" : "");
                }
                row->action = PLAN_ADOPT;
                return plan_row_set_message(row, "%s (%s): %u-way from memdevs %s, granularity %u", ours->dev,
                               ours->nd_region, ours->ways, had, ours->granularity);
        }

        /* a memdev in a region we did not assemble (by hand, or another tool's): foreign,
         * left as it is */
        for (size_t i = 0; i < s->n_regions; i++) {
                const CxlRegionState *o = &s->regions[i];
                if (o == ours)
                        continue;
                for (size_t j = 0; j < o->n_targets; j++)
                        for (size_t k = 0; k < x->n_memdevs; k++)
                                if (o->targets[j] == x->memdevs[k])
                                        return plan_row_set_message(row, "memdev %" PRIu64 " is in %s (uuid %s), which "
                                                       "pmemnsd did not assemble: left as it is",
                                                       x->memdevs[k], o->dev,
                                                       isempty(o->uuid) ? "none" : o->uuid);
        }

        /* assembled once: only the same layout brings its namespaces back */
        if (rec && rec->assembled) {
                cxl_serials_format(rec->memdevs, rec->n_memdevs, had, sizeof(had));
                if (!same_serials(rec->memdevs, rec->n_memdevs, x->memdevs, x->n_memdevs))
                        return plan_row_set_message(row, "it was assembled from memdevs %s before, the policy now names "
                                       "%s: assembling it so would hide its namespaces (their labels "
                                       "follow the memdevs' order) and offer their space as free; "
                                       "restore the policy, or remove the record cxl/%s in the state "
                                       "directory to assemble it anew", had, want, x->name);
                if (dpa_moved(rec, s, why, sizeof(why)))
                        return plan_row_set_message(row, "%s: re-assembled now, its namespaces' labels would not match; "
                                       "free that capacity first", why);
        }

        row->cxl->size = rec && rec->assembled ? rec->size : policy_size(x, s);
        row->cxl->granularity = rec && rec->assembled ? rec->granularity : x->granularity;
        if (rec)
                memcpy(row->cxl->uuid, rec->uuid, sizeof(row->cxl->uuid));

        /* half-made by an interrupted assembly of ours: take it down, then assemble */
        if (ours) {
                row->cxl->teardown = strdup(ours->dev);
                if (!row->cxl->teardown)
                        return -ENOMEM;
                row->action = PLAN_ASSEMBLE;
                row->spec.size = row->spec.usable = row->cxl->size;
                return plan_row_set_message(row, "%s was left half-made by an interrupted assembly: take it down and "
                               "assemble %zu-way from memdevs %s", ours->dev, x->n_memdevs, want);
        }

        r = cxl_plan_assembly(s, &(CxlAssembleSpec) {
                                      .memdevs = x->memdevs,
                                      .n_memdevs = x->n_memdevs,
                                      .size = row->cxl->size,
                                      .granularity = row->cxl->granularity,
                              }, &ap, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return plan_row_set_message(row, "cannot be assembled: %s", reason ?: "unknown reason");
        row->action = PLAN_ASSEMBLE;
        row->spec.size = row->spec.usable = ap.size;
        return plan_row_set_message(row, "%zu-way from memdevs %s under %s, granularity %u%s", ap.ways, want,
                       ap.decoder->dev, ap.granularity,
                       rec && rec->assembled ? ", as assembled before" : "");
}

/* The namespace policies that draw from a [cxl-region] with no nd region yet: a skip row per
 * instance, so the plan shows them (Apply plans them again once it is assembled). */
static int plan_waiting(const PlanInput *in, const CxlRegionPolicy *x, PlanAction cxl_action, Plan *plan) {
        const Config *c = in->config;

        for (size_t i = 0; i < in->n_regions; i++)
                if (streq(strempty(in->regions[i].assembled_as), x->name))
                        return 0;
        for (size_t p = 0; p < c->n_policies; p++) {
                const NamespacePolicy *n = &c->policies[p];
                const RegionSelector *sel = n->selector_index < c->n_selectors ? &c->selectors[n->selector_index] : NULL;

                if (!sel || !sel->match_cxl_region || !streq(sel->match_cxl_region, x->name))
                        continue;
                for (unsigned k = 0; k < n->count; k++) {
                        _cleanup_free_ char *inst = policy_instance_name(n, k);
                        PlanRow *row;

                        if (!inst)
                                return -ENOMEM;
                        row = plan_add_row(plan, PLAN_SKIP, inst, NULL);
                        if (!row)
                                return -ENOMEM;
                        row->spec.mode = n->mode;
                        row->policy = (ssize_t) p;
                        if (plan_row_set_message(row, "region selector '%s' waits for cxl-region '%s' (%s)", sel->name,
                                    x->name, cxl_action == PLAN_ASSEMBLE ? "to be assembled first" :
                                    "not assembled") < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

int plan_cxl_regions(const PlanInput *in, Plan *plan) {
        for (size_t i = 0; i < in->config->n_cxl_regions; i++) {
                int r = plan_one(in, i, plan);
                if (r >= 0)
                        r = plan_waiting(in, &in->config->cxl_regions[i], plan->rows[plan->n_rows - 1].action, plan);
                if (r < 0)
                        return r;
        }
        return 0;
}
