/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "manager.h"
#include "nvdimm/nvdimm.h"
#include "pmemnsd-messages.h"
#include "records.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/size.h"

/* The imperative operations of the D-Bus API: CreateNamespace and DestroyNamespace. */

/* Freshness: the handlers validate against the cache, which udev events keep fresh; these
 * operations re-check against the kernel right before acting (sysfs for a create, the
 * namespace's uuid for a destroy). Only when that shows the cache stale is it refreshed
 * and the request judged again. They run in a worker (jobs.c); the daemon refreshes its
 * cache when the worker is done and before it replies, so the reply's object exists (or
 * is gone) when the caller looks. */

/* Plan one request on the cached state: the one PLAN_CREATE row, or -EINVAL and why. */
static int plan_request(Manager *m, const PlanRequest *req, Plan *ret, char **ret_error) {
        const RegionState *rs = manager_find_region(m, req->region);
        PlanInput in = { .config = &m->config, .kernel = &m->kernel, .regions = m->regions,
                         .n_regions = m->n_regions, .request = req };
        int r;

        const NsState *same = rs ? region_state_find_ns_by_name(rs, req->name) : NULL;
        if (same) {
                if (asprintf(ret_error, "%s already has a namespace named '%s' (%s)", req->region,
                             req->name, same->dev) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        r = plan_compute(&in, ret);
        if (r < 0)
                return r;
        if (ret->n_rows != 1 || ret->rows[0].action != PLAN_CREATE) {
                if (ret->n_rows == 1)
                        *ret_error = strdup_or_null(ret->rows[0].message);
                plan_done(ret);
                return -EINVAL;
        }
        return 0;
}

int manager_create_namespace(Manager *m, const PlanRequest *req, char **ret_ns_dev, char **ret_error) {
        _cleanup_free_ char *uuid = NULL;
        const char *changed = NULL;
        Plan plan = {};
        NvCtx *c = NULL;
        int r;

        for (unsigned attempt = 0;; attempt++) {
                r = plan_request(m, req, &plan, ret_error);
                if (r < 0)
                        return r;
                r = manager_create_row(&c, &plan.rows[0], m->regions, m->n_regions, &uuid, &changed,
                                       ret_error);
                if (r != -ESTALE || attempt > 0)
                        break;
                /* the cache was behind the kernel: judge the request again on a fresh one */
                log_debug("%s changed since it was read (%s); reading it again.", req->region, changed);
                plan_done(&plan);
                c = nv_close(c);
                r = manager_refresh(m);
                if (r < 0)
                        return r;
        }
        nv_close(c);
        if (r == -ESTALE) {
                if (asprintf(ret_error, "not created: %s", changed) < 0)
                        *ret_error = NULL;
                plan_done(&plan);
                return -EAGAIN;
        }
        /* DestroyNamespace accepts the foreign namespaces CreateNamespace made: remember */
        if (r >= 0 && made_add(uuid) < 0)
                log_warning("Cannot record that %s was made by CreateNamespace; DestroyNamespace will "
                            "treat it as foreign.", plan.rows[0].spec.ns_dev);
        if (r >= 0) {
                log_struct(LOG_INFO, LOG_FIELDS(PMEMNSD_MESSAGE_CREATED_STR, .region = req->region,
                                                .namespace = plan.rows[0].spec.ns_dev),
                           "Created %s '%s' (%s %s) in %s on request.", plan.rows[0].spec.ns_dev, req->name,
                         FORMAT_SIZE(plan.rows[0].spec.size), ns_mode_to_string(req->mode), req->region);
                *ret_ns_dev = strdup_or_null(plan.rows[0].spec.ns_dev);
        }
        plan_done(&plan);
        return r;
}

/* May ns_dev be destroyed on request? 0 with its uuid, -ENODEV, or -EPERM: foreign. */
static int destroy_allowed(Manager *m, const char *ns_dev, char **ret_uuid, char **ret_instance,
                           char **ret_error) {
        const NsState *ns = manager_find_namespace(m, ns_dev, NULL);
        const PlanRow *row;

        if (!ns) {
                if (asprintf(ret_error, "no namespace %s", ns_dev) < 0)
                        *ret_error = NULL;
                return -ENODEV;
        }
        row = manager_namespace_row(m, ns_dev);
        if (!row && !made_has(ns->uuid)) {
                /* the README's promise: foreign namespaces are never destroyed */
                if (asprintf(ret_error, "%s%s%s%s is foreign: no policy manages it and "
                             "CreateNamespace did not make it; pmemnsd never destroys it "
                             "(ndctl destroy-namespace does)", ns_dev,
                             isempty(ns->name) ? "" : " '", strempty(ns->name),
                             isempty(ns->name) ? "" : "'") < 0)
                        *ret_error = NULL;
                return -EPERM;
        }
        *ret_uuid = strdup(ns->uuid);
        *ret_instance = row ? strdup(row->spec.name) : NULL;
        if (!*ret_uuid || (row && !*ret_instance))
                return -ENOMEM;
        return 0;
}

int manager_destroy_namespace(Manager *m, const char *ns_dev, char **ret_error) {
        _cleanup_free_ char *instance = NULL, *uuid = NULL;
        int r;

        for (unsigned attempt = 0;; attempt++) {
                NvCtx *c = NULL;

                r = destroy_allowed(m, ns_dev, &uuid, &instance, ret_error);
                if (r < 0)
                        return r;
                r = nv_open(&c);
                if (r >= 0) {
                        disabled_begin(ns_dev);
                        /* the uuid judged on: the kernel refuses nothing, so we check */
                        r = nv_destroy(c, ns_dev, uuid, ret_error);
                        disabled_end(ns_dev);
                }
                nv_close(c);
                if (r != -ESTALE || attempt > 0)
                        break;
                log_debug("%s changed since it was read; reading it again.", ns_dev);
                *ret_error = mfree(*ret_error);
                uuid = mfree(uuid);
                instance = mfree(instance);
                r = manager_refresh(m);
                if (r < 0)
                        return r;
        }
        if (r >= 0) {
                made_remove(uuid);
                log_info("Destroyed %s on request.", ns_dev);
                if (instance)
                        log_notice("%s belonged to policy instance '%s'; the next reconcile creates it "
                                   "again unless its policy is removed.", ns_dev, instance);
        }
        return r;
}
