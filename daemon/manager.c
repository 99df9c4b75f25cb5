/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "manager.h"
#include "pmemnsd-messages.h"
#include "polkit.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/size.h"
#include "util/string-table.h"

static const char *const manager_state_table[_MANAGER_STATE_MAX] = {
        [MANAGER_IDLE] = "idle",
        [MANAGER_APPLYING] = "applying",
        [MANAGER_DEGRADED] = "degraded",
        [MANAGER_CONFIG_ERROR] = "config-error",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(manager_state, ManagerState, _MANAGER_STATE_MAX)

void manager_failures_clear(Manager *m) {
        for (size_t i = 0; i < m->n_failures; i++) {
                free(m->failures[i].instance);
                free(m->failures[i].ns_dev);
                free(m->failures[i].message);
        }
        m->failures = mfree(m->failures);
        m->n_failures = 0;
        manager_index_invalidate(m);
}

int manager_new(const char *config_root, Manager **ret) {
        _cleanup_free_ Manager *m = calloc(1, sizeof(Manager));

        if (!m)
                return -ENOMEM;
        if (asprintf(&m->main_file, "%s/pmemnsd.conf", config_root) < 0 ||
            asprintf(&m->policy_dirs[0], "%s/policy.d", PMEMNSD_LIB_DIR) < 0 ||
            asprintf(&m->policy_dirs[1], "%s/policy.d", PMEMNSD_RUN_DIR) < 0 ||
            asprintf(&m->policy_dirs[2], "%s/policy.d", config_root) < 0)
                return -ENOMEM;
        m->state = MANAGER_IDLE;
        m->worker_fd = -1;
        m->progress_fd = -1;
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        sd_event_source_unref(m->refresh_timer);
        sd_event_source_disable_unref(m->worker_source);
        if (m->worker_fd >= 0)
                (void) close(m->worker_fd);
        free(m->worker_buf);
        job_result_done(&m->worker_result);
        job_free(m->job);
        while (m->jobs) {
                Job *next = m->jobs->next;
                job_free(m->jobs);
                m->jobs = next;
        }
        free(m->config_error);
        sd_device_monitor_unref(m->monitor);
        manager_bus_sync_done(m);
        polkit_registry_free(m->polkit); /* before the bus: its queries hold messages of it */
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        config_done(&m->config);
        manager_index_free(m);
        region_states_free(m->regions, m->n_regions);
        plan_done(&m->plan);
        manager_failures_clear(m);
        free(m->region_signature);
        free(m->cxl_signature);
        cxl_state_done(&m->cxl);
        cxl_records_free(m->cxl_records, m->n_cxl_records);
        free(m->main_file);
        for (size_t i = 0; i < ELEMENTSOF(m->policy_dirs); i++)
                free(m->policy_dirs[i]);
        free(m);
        return NULL;
}

int manager_probe_kernel(Manager *m) {
        return kernel_probe(&m->kernel);
}

int manager_load_config(Manager *m, ConfDiags *diags) {
        ConfPaths paths = { .main_file = m->main_file, .policy_dirs = (const char *const *) m->policy_dirs };
        Config c;
        int r;

        r = config_load(&paths, &c, diags);
        if (r != 0)
                return r;
        r = config_check_kernel(&c, &m->kernel, diags);
        if (r != 0) {
                config_done(&c);
                return r < 0 ? r : 1;
        }
        manager_use_config(m, &c);
        return 0;
}

void manager_use_config(Manager *m, Config *c) {
        const char *why = NULL;

        config_done(&m->config);
        m->config = *c;
        *c = (Config) {};
        if (granularity_resolve(&m->config.daemon.granularity, &m->kernel, &m->granularity, &why) < 0)
                m->granularity = m->kernel.section_size;
}

int manager_compute_plan(Manager *m, const RegionState *regions, size_t n, Plan *ret) {
        PlanInput in = {
                .config = &m->config,
                .kernel = &m->kernel,
                .regions = regions,
                .n_regions = n,
                .cxl = manager_has_cxl(m) ? &m->cxl : NULL,
                .cxl_records = m->cxl_records,
                .n_cxl_records = m->n_cxl_records,
        };
        return plan_compute(&in, ret);
}

/* Put a fresh view of the kernel in place of the cached one (taking the arrays), plan on
 * it, and tell the bus what changed. The daemon's is a worker's result; a worker's is its
 * own read (work-state.c). */
void manager_install_state(Manager *m, RegionState *regions, size_t n, CxlState *cxl, CxlRecord *cxl_records,
                           size_t n_cxl_records) {
        RegionState *old = m->regions;
        size_t n_old = m->n_regions;
        Plan plan = {}, old_plan = m->plan;
        int r;

        cxl_state_done(&m->cxl);
        m->cxl = *cxl;
        *cxl = (CxlState) {};
        cxl_records_free(m->cxl_records, m->n_cxl_records);
        m->cxl_records = cxl_records;
        m->n_cxl_records = n_cxl_records;

        r = manager_compute_plan(m, regions, n, &plan);
        if (r < 0)
                log_error_errno(r, "Failed to plan: %m");
        manager_bus_sync_removed(m, regions, n);
        m->regions = regions;
        m->n_regions = n;
        m->plan = plan;
        manager_index_invalidate(m);

        manager_bus_sync(m, old, n_old, &old_plan);
        region_states_free(old, n_old);
        plan_done(&old_plan);
}

/* The cache planned again, for a new configuration. */
static void manager_replan(Manager *m) {
        Plan plan = {}, old_plan = m->plan;
        int r;

        r = manager_compute_plan(m, m->regions, m->n_regions, &plan);
        if (r < 0) {
                log_error_errno(r, "Failed to plan: %m");
                return;
        }
        m->plan = plan;
        manager_index_invalidate(m);
        manager_bus_sync(m, m->regions, m->n_regions, &old_plan);
        plan_done(&old_plan);
}

/* From the cached state, which udev events keep fresh: a Plan() costs no bus scan, label
 * read or blkid probe, so unprivileged callers cannot queue up work ahead of an Apply. */
int manager_plan(Manager *m, Plan *ret) {
        return manager_compute_plan(m, m->regions, m->n_regions, ret);
}

void manager_set_state(Manager *m, ManagerState s) {
        if (m->state == s)
                return;
        m->state = s;
        manager_bus_emit_manager_changed(m, "State");
}

int manager_failure_add(Manager *m, const PlanRow *row) {
        Failure *n = realloc(m->failures, sizeof(Failure) * (m->n_failures + 1));
        if (!n)
                return -ENOMEM;
        m->failures = n;
        m->failures[m->n_failures++] = (Failure) {
                .instance = strdup_or_null(row->spec.name),
                .ns_dev = strdup_or_null(row->spec.ns_dev),
                .message = strdup_or_null(row->message),
        };
        manager_index_invalidate(m);
        return 0;
}

static void log_diags(const ConfDiags *d) {
        for (size_t i = 0; i < d->n; i++) {
                _cleanup_free_ char *line = conf_diag_format(&d->items[i]);
                log_error("%s", strempty(line));
        }
}

void manager_config_rejected_at_start(Manager *m, const ConfDiags *d) {
        log_diags(d);
        free(m->config_error);
        m->config_error = conf_diags_join(d, "; ");
        log_struct(LOG_ERR, LOG_FIELDS(PMEMNSD_MESSAGE_CONFIG_REJECTED_STR),
                   "Configuration rejected: %zu problem%s; no policy is in force until a Reload "
                   "(systemctl reload pmemnsd) succeeds.", d->n, d->n == 1 ? "" : "s");
        manager_set_state(m, MANAGER_CONFIG_ERROR);
}

int manager_reload(Manager *m, sd_bus_message *call, char **ret_error) {
        ConfDiags d = {};
        Job *j;
        int r;

        (void) manager_probe_kernel(m);
        r = manager_load_config(m, &d);
        if (r != 0) {
                log_diags(&d);
                if (m->state == MANAGER_CONFIG_ERROR)
                        log_struct(LOG_ERR, LOG_FIELDS(PMEMNSD_MESSAGE_CONFIG_REJECTED_STR),
                                   "Configuration rejected; still no policy in force.");
                else
                        log_struct(LOG_ERR, LOG_FIELDS(PMEMNSD_MESSAGE_CONFIG_REJECTED_STR),
                                   "Configuration rejected; the previous one stays in force.");
                if (ret_error)
                        *ret_error = conf_diags_join(&d, "; ");
                if (m->state == MANAGER_CONFIG_ERROR) {
                        free(m->config_error);
                        m->config_error = conf_diags_join(&d, "; ");
                        manager_status_update(m);
                }
                conf_diags_done(&d);
                return r < 0 ? r : -EINVAL;
        }
        m->config_error = mfree(m->config_error);
        if (m->state == MANAGER_CONFIG_ERROR)
                manager_set_state(m, MANAGER_IDLE);
        manager_bus_emit_manager_changed(m, "PolicyFiles");
        manager_bus_emit_manager_changed(m, "Granularity");
        log_info("Configuration reloaded: %zu region selector(s), %zu namespace policy(ies).",
                 m->config.n_selectors, m->config.n_policies);
        if (m->config.daemon.apply != APPLY_AUTO) {
                /* the plan on the cache at once; a read for the cxl bus, which the new
                 * configuration may ask for */
                manager_replan(m);
                (void) manager_enqueue_read(m, false);
                manager_status_update(m);
                return 0;
        }
        /* probed above: one probe per reload */
        j = calloc(1, sizeof(Job));
        if (!j)
                return -ENOMEM;
        j->kind = JOB_RECONCILE;
        j->call = sd_bus_message_ref(call);
        r = manager_enqueue(m, j);
        return r < 0 ? r : 1;
}

/* In the daemon when a reconcile's worker is done (its state already in the cache):
 * failures, signatures, state, Applied. */
void manager_reconcile_finish(Manager *m, const JobResult *res) {
        unsigned failed = 0;

        if (res->r >= 0) {
                free(m->region_signature);
                m->region_signature = strdup_or_null(res->region_signature);
                free(m->cxl_signature);
                m->cxl_signature = strdup_or_null(res->cxl_signature);
        }
        /* the Namespace objects show the failures of the last apply */
        manager_failures_clear(m);
        for (size_t i = 0; i < res->plan.n_rows; i++)
                if (res->plan.rows[i].action == PLAN_FAILED) {
                        (void) manager_failure_add(m, &res->plan.rows[i]);
                        failed++;
                }
        if (m->state == MANAGER_CONFIG_ERROR)
                return;
        if (res->r < 0) {
                manager_set_state(m, MANAGER_DEGRADED);
                return;
        }
        manager_set_state(m, failed ? MANAGER_DEGRADED : MANAGER_IDLE);
        manager_bus_emit_applied(m, &res->plan);

        /* a region enabled (or a memdev come) while the worker ran: the udev refresh left
         * it to us; reconcile again, as the event would have (the cache is the worker's
         * last read, made after its work) */
        if (m->config.daemon.apply == APPLY_AUTO && m->region_signature && m->cxl_signature) {
                const char *why = manager_regions_changed(m);
                if (why) {
                        log_info("%s, reconciling: they changed while the last apply ran.", why);
                        (void) manager_enqueue_reconcile(m, true);
                }
        }
}
