/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <uuid.h>

#include <systemd/sd-daemon.h>

#include "manager.h"
#include "nvdimm/nvdimm.h"
#include "pmemnsd-messages.h"
#include "records.h"
#include "region-signature.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/size.h"

/* Reconcile: carry out a plan against the kernel, one recorded create at a time, after
 * settling what an interrupted run left. */

/* Just before acting: has someone else changed the region since the plan? ext is the
 * region's namespaces as sysfs shows them now (nv_region_now()). */
static const char *changed_since_plan(NvCtx *c, const PlanRow *row, const NsExtent *ext, size_t n_ext) {
        RegionState *regions = NULL;
        const RegionState *r;
        const NsState *ns;
        size_t n = 0;
        const char *why = NULL;

        if (!row->spec.convert_existing) {
                for (size_t j = 0; j < n_ext && !why; j++) {
                        const NsExtent *e = &ext[j];
                        if (e->size == 0)
                                continue; /* the seed */
                        if (!isempty(e->name) && streq(e->name, row->spec.name))
                                why = "a namespace of this name appeared since the plan";
                        else if (e->start < row->spec.start + row->spec.size && row->spec.start < e->start + e->size)
                                why = "its planned space was taken since the plan";
                }
                return why;
        }

        /* Converting a label-less namespace in place also depends on its claim and its
         * content: read it fully (c is current for the region). */
        if (nv_read_regions(c, &regions, &n) < 0)
                return "the nd bus could not be read";
        r = region_state_find(regions, n, row->spec.region);
        ns = r ? ns_state_find(r, 1, strempty(row->spec.ns_dev), NULL) : NULL;
        if (!r)
                why = "the region is gone";
        else if (ns && (ns->mode != NS_MODE_RAW || ns->signature || (!isempty(ns->uuid) && !ns->blank)))
                why = "the namespace changed since the plan";
        region_states_free(regions, n);
        return why;
}

/* The libndctl view to act on for a row, and the region's namespaces as sysfs shows them
 * now. One view serves the whole apply while it matches sysfs: libndctl refreshes a
 * region's devices itself when it enables what it created, and a fresh view costs a scan
 * of every device on the bus (the bench's Apply profile). When an admin changed the region
 * meanwhile, or a create failed half-way, the view is opened again. */
static int view_for_row(NvCtx **c, const PlanRow *row, NsExtent **ret_ext, size_t *ret_n) {
        bool current = false;
        int r;

        if (!*c && (r = nv_open(c)) < 0)
                return r;
        r = nv_region_now(*c, row->spec.region, ret_ext, ret_n, &current);
        if (r < 0 || current)
                return r;

        log_debug("%s changed outside our view of it; reading the nd bus again.", row->spec.region);
        *ret_ext = mfree(*ret_ext);
        *c = nv_close(*c);
        if ((r = nv_open(c)) < 0)
                return r;
        /* If even a fresh view differs, sysfs is changing under us right now: act on what
         * we have; the create re-checks every step it depends on. */
        return nv_region_now(*c, row->spec.region, ret_ext, ret_n, &current);
}

/* ---- interrupted operations ------------------------------------------------------------
 * Recovery acts only on what records.h says we did: a create recorded in flight (by the
 * uuids it writes), a device recorded as about to be disabled. Nothing is recognised by
 * its name, so an admin's namespace, or ours whose driver is missing after a reboot, is
 * never deleted, re-made or re-enabled. */

static void recover_disabled(const char *dev, void *userdata) {
        NvCtx *c = userdata;
        int r = nv_recover_device(c, dev);

        if (r < 0)
                log_error_errno(r, "%s was left disabled by an interrupted operation and cannot be "
                                "enabled again: %m", dev);
        else if (r > 0)
                log_notice("Enabled %s again: an interrupted operation had left it disabled.", dev);
}

/* Settle every recorded create: what completed or is gone loses its record; a half-made
 * namespace of this boot is deleted; one a reboot left not active is kept and reported. */
void manager_recover_interrupted(void) {
        _cleanup_free_ InflightRecord *recs = NULL;
        size_t n = 0;
        NvCtx *c = NULL;

        /* usually nothing is recorded: then no libndctl context (a scan) on the apply path */
        if (inflight_load(&recs, &n) < 0)
                n = 0;
        if (n == 0 && !disabled_any())
                return;
        if (nv_open(&c) < 0)
                return;
        disabled_foreach(recover_disabled, c);
        if (n == 0) {
                nv_close(c);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                const InflightRecord *rec = &recs[i];
                _cleanup_free_ char *dev = NULL;
                bool same_boot = !isempty(rec->boot_id) && streq(rec->boot_id, current_boot_id());
                NvInflight k = nv_settle_inflight(c, rec->ns_uuid, rec->claim_uuid, rec->mode,
                                                  same_boot, &dev);

                switch (k) {
                case NV_INFLIGHT_GONE:
                        log_notice("Interrupted create of '%s' in %s (uuid %s) rolled back%s%s.",
                                   rec->instance, rec->region, rec->ns_uuid, dev ? ": " : "", strempty(dev));
                        inflight_end(rec->ns_uuid);
                        break;
                case NV_INFLIGHT_DONE:
                        inflight_end(rec->ns_uuid);
                        break;
                case NV_INFLIGHT_UNCLAIMED:
                        log_info("%s ('%s') is an interrupted create of ours: named and sized, not "
                                 "yet claimed; the plan finishes it.", strempty(dev), rec->instance);
                        break;
                case NV_INFLIGHT_KEPT:
                        log_warning("%s ('%s', uuid %s) was being created by pmemnsd before a reboot and "
                                    "is not active now; it is kept as it is (it may hold data).",
                                    strempty(dev), rec->instance, rec->ns_uuid);
                        break;
                }
                /* a deletion changes the region under libndctl's cached view */
                if (k == NV_INFLIGHT_GONE && dev) {
                        c = nv_close(c);
                        if (nv_open(&c) < 0)
                                return;
                }
        }
        nv_close(c);
}

/* Create one row with its uuids recorded first: no kernel object exists that recovery
 * could not identify. */
static int create_recorded(NvCtx *c, PlanRow *row, const char *ns_uuid, char **ret_uuid, char **err) {
        InflightRecord rec = { .mode = row->spec.mode };
        NvCreateIds ids = {};
        int r;

        if (row->spec.convert_existing) {
                /* claiming an existing namespace: label-less (recorded as disabled) or a
                 * recorded create finished in place (its record stays until then) */
                uuid_generate(ids.claim);
                disabled_begin(row->spec.ns_dev);
                r = nv_create(c, &row->spec, &ids, err);
                disabled_end(row->spec.ns_dev);
                if (r >= 0 && ns_uuid)
                        inflight_end(ns_uuid);
                return r;
        }

        uuid_generate(ids.ns);
        uuid_unparse_lower(ids.ns, rec.ns_uuid);
        if (row->spec.mode != NS_MODE_RAW) {
                uuid_generate(ids.claim);
                uuid_unparse_lower(ids.claim, rec.claim_uuid);
        }
        snprintf(rec.region, sizeof(rec.region), "%s", row->spec.region);
        snprintf(rec.instance, sizeof(rec.instance), "%s", row->spec.name);
        snprintf(rec.boot_id, sizeof(rec.boot_id), "%s", current_boot_id());
        r = inflight_begin(&rec);
        if (r < 0) {
                free(*err);
                *err = strdup("cannot record the create in the state directory; nothing done");
                return r;
        }
        r = nv_create(c, &row->spec, &ids, err);
        if (r >= 0) {
                inflight_end(rec.ns_uuid);
                if (ret_uuid)
                        *ret_uuid = strdup(rec.ns_uuid);
                return r;
        }
        /* Rolled back: check on a fresh view that nothing is left before dropping the
         * record; if something is, the record stays and the next apply settles it. */
        NvCtx *fresh = NULL;
        if (nv_open(&fresh) >= 0) {
                if (nv_settle_inflight(fresh, rec.ns_uuid, rec.claim_uuid, rec.mode, true, NULL) ==
                    NV_INFLIGHT_GONE)
                        inflight_end(rec.ns_uuid);
                nv_close(fresh);
        }
        return r;
}

/* The uuid of a namespace we recorded as an unfinished create, NULL for any other. */
static const char *inflight_uuid(const RegionState *regions, size_t n, const char *ns_dev) {
        const NsState *ns = ns_dev ? ns_state_find(regions, n, ns_dev, NULL) : NULL;

        return ns && ns->inflight ? ns->uuid : NULL;
}

/* Create one planned row on the view *c: re-check the region against sysfs now, then
 * create with the uuids recorded first. 0 done; -ESTALE when the region changed since the
 * plan (*ret_changed says how; nothing was done); another error when the create failed
 * and was rolled back (*err may say why; *c is closed, as libndctl may not have seen what
 * the rollback undid). */
int manager_create_row(NvCtx **c, PlanRow *row, const RegionState *regions, size_t n_regions,
                       char **ret_uuid, const char **ret_changed, char **err) {
        _cleanup_free_ NsExtent *ext = NULL;
        size_t n_ext = 0;
        int r;

        r = view_for_row(c, row, &ext, &n_ext);
        if (r == -ENOENT || r >= 0) {
                *ret_changed = r == -ENOENT ? "the region is gone" : changed_since_plan(*c, row, ext, n_ext);
                if (*ret_changed)
                        return -ESTALE;
        }
        if (r >= 0)
                r = create_recorded(*c, row, inflight_uuid(regions, n_regions, row->spec.ns_dev), ret_uuid, err);
        if (r < 0)
                *c = nv_close(*c);
        return r;
}

static int apply_rows(Manager *m, Plan *plan, const RegionState *regions, size_t n_regions,
                      unsigned *ret_failed) {
        unsigned failed = 0;
        NvCtx *c = NULL;

        manager_progress(m, 0, (unsigned) plan->n_rows);
        for (size_t i = 0; i < plan->n_rows; manager_progress(m, (unsigned) ++i, (unsigned) plan->n_rows)) {
                PlanRow *row = &plan->rows[i];
                _cleanup_free_ char *err = NULL;
                uint64_t predicted = row->spec.start, predicted_usable = row->spec.usable;
                const char *changed = NULL;
                int r;

                if (row->action == PLAN_DRIFT || row->action == PLAN_CONFLICT ||
                    (row->action == PLAN_SKIP && !isempty(row->spec.name))) {
                        /* a [cxl-region] not assembled, or a policy no region matches */
                        const LogFields *lf = LOG_FIELDS(row->action == PLAN_DRIFT ? PMEMNSD_MESSAGE_DRIFT_STR :
                                                         row->action == PLAN_CONFLICT ? PMEMNSD_MESSAGE_CONFLICT_STR : NULL,
                                                         .region = row->spec.region, .namespace = row->spec.ns_dev,
                                                         .policy = row->spec.name);
                        if (isempty(row->spec.region))
                                log_struct(LOG_NOTICE, lf, "%s: %s: %s", row->spec.name,
                                           plan_action_to_string(row->action), strempty(row->message));
                        else
                                log_struct(LOG_NOTICE, lf, "%s in %s: %s: %s", row->spec.name, row->spec.region,
                                           plan_action_to_string(row->action), strempty(row->message));
                }
                if (row->action != PLAN_CREATE)
                        continue;
                r = manager_create_row(&c, row, regions, n_regions, NULL, &changed, &err);
                if (r == -ESTALE) {
                        row->action = PLAN_CONFLICT;
                        plan_row_set_message(row, "not created: %s", changed);
                        log_struct(LOG_WARNING, LOG_FIELDS(PMEMNSD_MESSAGE_CONFLICT_STR, .region = row->spec.region,
                                                           .policy = row->spec.name),
                                   "%s: %s", row->spec.name, row->message);
                        continue;
                }
                if (r < 0) {
                        row->action = PLAN_FAILED;
                        plan_row_set_message(row, "%s", err ?: strerror(-r));
                        log_struct(LOG_ERR, LOG_FIELDS(PMEMNSD_MESSAGE_FAILED_STR, .region = row->spec.region,
                                                       .policy = row->spec.name),
                                  "%s: creating %s %s in %s failed: %s", row->spec.name,
                                  FORMAT_SIZE(row->spec.size), ns_mode_to_string(row->spec.mode), row->spec.region,
                                  row->message);
                        manager_failure_add(m, row);
                        failed++;
                        continue;
                }
                plan_row_set_message(row, "created %s: %s raw, %s usable at %#" PRIx64 "%s", row->spec.ns_dev,
                                FORMAT_SIZE(row->spec.size), FORMAT_SIZE(row->spec.usable), row->spec.start,
                                predicted != row->spec.start || predicted_usable != row->spec.usable
                                ? " (differs from the plan)" : "");
                log_struct(LOG_INFO, LOG_FIELDS(PMEMNSD_MESSAGE_CREATED_STR, .region = row->spec.region,
                                                .namespace = row->spec.ns_dev, .policy = row->spec.name),
                           "%s: %s", row->spec.name, row->message);
        }
        nv_close(c);
        *ret_failed += failed;
        return 0;
}

/* Is the region bound to its driver (enabled)? */
static bool region_is_enabled(const char *region) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/driver", region);
        return access(path, F_OK) == 0;
}

/* Initialise the label areas the plan asks for. The create rows of a region whose labels
 * could not be initialised fail (counted in *failed); true if any region was relabelled. */
static bool init_labels(Manager *m, Plan *plan, unsigned *failed) {
        bool relabelled = false;

        for (size_t i = 0; i < plan->n_regions; i++) {
                const char *region = plan->regions[i].region;
                _cleanup_free_ char *err = NULL;
                NvCtx *c = NULL;
                int r;

                if (!plan->regions[i].init_labels)
                        continue;
                r = nv_open(&c);
                if (r >= 0) {
                        disabled_begin(region);
                        r = nv_init_labels(c, region, &err);
                        /* a region it could not enable again stays recorded: the next
                         * apply's recovery enables it (manager_recover_interrupted()) */
                        if (r >= 0 || region_is_enabled(region))
                                disabled_end(region);
                }
                nv_close(c);
                if (r < 0) {
                        log_error("Initialising labels on '%s' failed: %s", region, err ?: strerror(-r));
                        for (size_t j = 0; j < plan->n_rows; j++) {
                                PlanRow *row = &plan->rows[j];
                                if (!streq(row->spec.region, region) || row->action != PLAN_CREATE)
                                        continue;
                                row->action = PLAN_FAILED;
                                plan_row_set_message(row, "initialising labels on %s failed: %s", region,
                                                err ?: strerror(-r));
                                manager_failure_add(m, row);
                                (*failed)++;
                        }
                        continue;
                }
                log_info("Initialised the label area of '%s'.", region);
                relabelled = true;
        }
        return relabelled;
}

/* Plan again on the now assembled or labelled regions, keeping what the rows above did. */
static int replan_keeping_failures(Manager *m, RegionState **regions, size_t *n, Plan *plan) {
        _cleanup_(plan_done) Plan failed_rows = *plan;
        int r;

        *plan = (Plan) {};
        region_states_free(*regions, *n);
        *regions = NULL;
        *n = 0;
        r = manager_read_state(m, regions, n);
        if (r >= 0)
                r = manager_compute_plan(m, *regions, *n, plan);
        if (r < 0)
                return r;
        for (size_t j = 0; j < failed_rows.n_rows; j++) {
                const PlanRow *done = &failed_rows.rows[j];

                /* what was done already: a failure, an assembly (now an adopt row) */
                if (done->action != PLAN_FAILED && !(done->cxl && done->action == PLAN_ASSEMBLE))
                        continue;
                for (size_t k = 0; k < plan->n_rows; k++)
                        if (!plan->rows[k].cxl == !done->cxl &&
                            streq(plan->rows[k].spec.name, done->spec.name)) {
                                plan->rows[k].action = done->action;
                                plan_row_set_message(&plan->rows[k], "%s", done->message);
                        }
        }
        return 0;
}

int manager_reconcile_work(Manager *m, Plan *ret, char **ret_region_signature, char **ret_cxl_signature) {
        RegionState *regions = NULL;
        size_t n = 0;
        Plan plan = {};
        unsigned failed = 0;
        int r;

        /* What an interrupted create, destroy or disable of ours left: only recorded work
         * (records.h), so this is safe at every apply, with an admin's ndctl at work too. */
        manager_recover_interrupted();

        r = manager_read_state(m, &regions, &n);
        if (r < 0)
                goto finish;
        /* What an interrupted assembly left, on the cxl bus as just read (read again only if
         * this changed it). It deletes no region that has a uuid and drops no record that a
         * region carries, so the nd regions' marks (assembled_as) stay true. */
        if (manager_has_cxl(m))
                manager_cxl_recover(m);
        r = manager_compute_plan(m, regions, n, &plan);
        if (r < 0)
                goto finish;
        /* the CXL regions first: the namespace rows are planned again on what they made */
        if (manager_cxl_assemble(m, &plan, &failed) > 0) {
                r = replan_keeping_failures(m, &regions, &n, &plan);
                if (r < 0)
                        goto finish;
        }
        if (init_labels(m, &plan, &failed)) {
                r = replan_keeping_failures(m, &regions, &n, &plan);
                if (r < 0)
                        goto finish;
        }

        r = apply_rows(m, &plan, regions, n, &failed);

finish:
        if (r >= 0) {
                /* The regions as this apply saw them, not as they are now: one enabled while
                 * we worked must still trigger the next reconcile. */
                *ret_region_signature = region_signature(regions, n);
                *ret_cxl_signature = manager_cxl_signature(m);
        }
        region_states_free(regions, n);
        if (r < 0) {
                log_error_errno(r, "Apply failed: %m");
                plan_done(&plan);
                return r;
        }
        *ret = plan;
        return 0;
}
