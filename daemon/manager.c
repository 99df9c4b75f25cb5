/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid.h>

#include <systemd/sd-daemon.h>

#include <libkmod.h>

#include "manager.h"
#include "nvdimm/nvdimm.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/size.h"

/* Debounce for udev bursts: creating one namespace emits a dozen events. */
#define REFRESH_DELAY_USEC (300 * 1000)
#define REFRESH_SETTLE_USEC (2 * 1000 * 1000)

static const char *const manager_state_table[_MANAGER_STATE_MAX] = {
        [MANAGER_IDLE] = "idle",
        [MANAGER_APPLYING] = "applying",
        [MANAGER_DEGRADED] = "degraded",
};

const char *manager_state_to_string(ManagerState s) {
        return s < _MANAGER_STATE_MAX ? manager_state_table[s] : NULL;
}

static void failures_clear(Manager *m) {
        for (size_t i = 0; i < m->n_failures; i++) {
                free(m->failures[i].instance);
                free(m->failures[i].ns_dev);
                free(m->failures[i].message);
        }
        m->failures = mfree(m->failures);
        m->n_failures = 0;
}

int manager_new(const char *config_root, Manager **ret) {
        _cleanup_free_ Manager *m = calloc(1, sizeof(Manager));

        if (!m)
                return -ENOMEM;
        m->config_root = strdup(config_root);
        if (!m->config_root)
                return -ENOMEM;
        if (asprintf(&m->main_file, "%s/pmemnsd.conf", config_root) < 0 ||
            asprintf(&m->policy_dirs[0], "%s/policy.d", PMEMNSD_LIB_DIR) < 0 ||
            asprintf(&m->policy_dirs[1], "%s/policy.d", PMEMNSD_RUN_DIR) < 0 ||
            asprintf(&m->policy_dirs[2], "%s/policy.d", config_root) < 0)
                return -ENOMEM;
        m->state = MANAGER_IDLE;
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        sd_event_source_unref(m->refresh_timer);
        sd_device_monitor_unref(m->monitor);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        config_done(&m->config);
        region_states_free(m->regions, m->n_regions);
        plan_done(&m->plan);
        failures_clear(m);
        free(m->region_signature);
        free(m->config_root);
        free(m->main_file);
        for (size_t i = 0; i < ELEMENTSOF(m->policy_dirs); i++)
                free(m->policy_dirs[i]);
        free(m);
        return NULL;
}

int manager_probe_kernel(Manager *m) {
        NvCtx *c = NULL;
        bool seen = false;
        int r;

        r = kernel_probe(&m->kernel);
        if (r < 0)
                return r;
        if (nv_open(&c) >= 0) {
                seen = nv_region_align_seen(c);
                nv_close(c);
        }
        if (seen && !m->kernel.subsection_hotplug) {
                /* the region 'align' attribute proves a 5.7-era backport */
                m->kernel.subsection_hotplug = true;
                m->kernel.compat_align = SUBSECTION_SIZE;
        }
        return 0;
}

int manager_load_config(Manager *m, ConfDiags *diags) {
        ConfPaths paths = { .main_file = m->main_file, .policy_dirs = (const char *const *) m->policy_dirs };
        const char *why = NULL;
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
        config_done(&m->config);
        m->config = c;
        m->have_config = true;
        if (granularity_resolve(&m->config.daemon.granularity, &m->kernel, &m->granularity, &why) < 0)
                m->granularity = m->kernel.section_size;
        return 0;
}

const RegionState *manager_find_region(Manager *m, const char *dev) {
        for (size_t i = 0; i < m->n_regions; i++)
                if (streq(m->regions[i].dev, dev))
                        return &m->regions[i];
        return NULL;
}

const NsState *manager_find_namespace(Manager *m, const char *dev, const RegionState **ret_region) {
        for (size_t i = 0; i < m->n_regions; i++)
                for (size_t j = 0; j < m->regions[i].n_namespaces; j++)
                        if (streq(m->regions[i].namespaces[j].dev, dev)) {
                                if (ret_region)
                                        *ret_region = &m->regions[i];
                                return &m->regions[i].namespaces[j];
                        }
        return NULL;
}

const PlanRow *manager_namespace_row(Manager *m, const char *ns_dev) {
        for (size_t i = 0; i < m->plan.n_rows; i++) {
                const PlanRow *r = &m->plan.rows[i];
                if (r->ns_dev && streq(r->ns_dev, ns_dev) && !isempty(r->instance) &&
                    r->action != PLAN_CONFLICT)
                        return r;
        }
        return NULL;
}

const Failure *manager_find_failure(Manager *m, const char *instance, const char *ns_dev) {
        for (size_t i = 0; i < m->n_failures; i++) {
                const Failure *f = &m->failures[i];
                if ((instance && f->instance && streq(f->instance, instance)) ||
                    (ns_dev && f->ns_dev && streq(f->ns_dev, ns_dev)))
                        return f;
        }
        return NULL;
}

static int read_state(RegionState **ret, size_t *ret_n) {
        NvCtx *c = NULL;
        int r;

        r = nv_open(&c);
        if (r < 0)
                return log_error_errno(r, "Failed to open libndctl: %m");
        r = nv_read_regions(c, ret, ret_n);
        nv_close(c);
        if (r < 0)
                return log_error_errno(r, "Failed to read the nd bus: %m");
        return 0;
}

static int compute_plan(Manager *m, const RegionState *regions, size_t n, Plan *ret) {
        PlanInput in = {
                .config = &m->config,
                .kernel = &m->kernel,
                .regions = regions,
                .n_regions = n,
        };
        return plan_compute(&in, ret);
}

static char *region_signature(const RegionState *r, size_t n) {
        size_t len = 1;
        char *s;

        for (size_t i = 0; i < n; i++)
                len += strlen(r[i].dev) + 5;
        s = calloc(1, len);
        if (!s)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                strcat(s, r[i].dev);
                strcat(s, r[i].enabled ? "+" : "-");
                strcat(s, r[i].labeled ? "L" : "U");
                /* a label-less region is ready once its namespace is enabled (until then
                 * it cannot be probed for signatures) */
                strcat(s, !r[i].labeled && r[i].n_namespaces > 0 && r[i].namespaces[0].enabled ? "e " : " ");
        }
        return s;
}

int manager_refresh(Manager *m) {
        RegionState *regions = NULL, *old;
        size_t n = 0, n_old;
        Plan plan = {}, old_plan;
        int r;

        r = read_state(&regions, &n);
        if (r < 0)
                return r;
        r = compute_plan(m, regions, n, &plan);
        if (r < 0) {
                region_states_free(regions, n);
                return log_error_errno(r, "Failed to plan: %m");
        }

        old = m->regions;
        n_old = m->n_regions;
        old_plan = m->plan;
        m->regions = regions;
        m->n_regions = n;
        m->plan = plan;

        manager_bus_sync(m, old, n_old, &old_plan);
        region_states_free(old, n_old);
        plan_done(&old_plan);
        return 0;
}

int manager_plan(Manager *m, Plan *ret) {
        int r = manager_refresh(m);
        if (r < 0)
                return r;
        return compute_plan(m, m->regions, m->n_regions, ret);
}

static void set_state(Manager *m, ManagerState s) {
        if (m->state == s)
                return;
        m->state = s;
        manager_bus_emit_manager_changed(m, "State");
}

static int row_set_message(PlanRow *row, const char *format, ...) _printf_(2, 3);
static int row_set_message(PlanRow *row, const char *format, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(row->message);
        row->message = s;
        return 0;
}

static int failure_add(Manager *m, const PlanRow *row) {
        Failure *n = realloc(m->failures, sizeof(Failure) * (m->n_failures + 1));
        if (!n)
                return -ENOMEM;
        m->failures = n;
        m->failures[m->n_failures++] = (Failure) {
                .instance = strdup_or_null(row->instance),
                .ns_dev = strdup_or_null(row->ns_dev),
                .message = strdup_or_null(row->message),
        };
        return 0;
}

/* Just before acting: has someone else changed the region since the plan? ext is the
 * region's namespaces as sysfs shows them now (nv_region_now()). */
static const char *changed_since_plan(NvCtx *c, const PlanRow *row, const NsExtent *ext, size_t n_ext) {
        RegionState *regions = NULL;
        size_t n = 0;
        const char *why = NULL;

        if (!row->convert_existing) {
                for (size_t j = 0; j < n_ext && !why; j++) {
                        const NsExtent *ns = &ext[j];
                        if (ns->size == 0)
                                continue; /* the seed */
                        if (!isempty(ns->name) && streq(ns->name, row->instance))
                                why = "a namespace of this name appeared since the plan";
                        else if (ns->start < row->start + row->size && row->start < ns->start + ns->size)
                                why = "its planned space was taken since the plan";
                }
                return why;
        }

        /* Converting a label-less namespace in place also depends on its claim and its
         * content: read it fully (c is current for the region). */
        if (nv_read_regions(c, &regions, &n) < 0)
                return "the nd bus could not be read";
        for (size_t i = 0; i < n; i++) {
                const RegionState *r = &regions[i];
                if (!streq(r->dev, row->region))
                        continue;
                for (size_t j = 0; j < r->n_namespaces && !why; j++) {
                        const NsState *ns = &r->namespaces[j];
                        if (streq(ns->dev, strempty(row->ns_dev)) &&
                            (ns->mode != NS_MODE_RAW || ns->signature || (!isempty(ns->uuid) && !ns->blank)))
                                why = "the namespace changed since the plan";
                }
                region_states_free(regions, n);
                return why;
        }
        region_states_free(regions, n);
        return "the region is gone";
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
        r = nv_region_now(*c, row->region, ret_ext, ret_n, &current);
        if (r < 0 || current)
                return r;

        log_debug("%s changed outside our view of it; reading the nd bus again.", row->region);
        *ret_ext = mfree(*ret_ext);
        *c = nv_close(*c);
        if ((r = nv_open(c)) < 0)
                return r;
        /* If even a fresh view differs, sysfs is changing under us right now: act on what
         * we have; the create re-checks every step it depends on. */
        return nv_region_now(*c, row->region, ret_ext, ret_n, &current);
}

/* ---- interrupted operations ------------------------------------------------------------
 * Initialising labels disables a whole region; converting or destroying a namespace
 * disables it first. If we die in that window nothing else would enable them again, so a
 * file named after the device in the runtime directory marks it until the step is done.
 * systemd keeps the directory across restarts (RuntimeDirectoryPreserve=yes); a reboot
 * clears it, and the kernel enables everything at boot anyway. (An interrupted labelled
 * create or destroy is recognised by the policy name instead: nv_clean_seeds(),
 * nv_enable_interrupted().) */

static const char *pending_dir(void) {
        const char *d = getenv("RUNTIME_DIRECTORY"); /* set by RuntimeDirectory= */
        return !isempty(d) && !strchr(d, ':') ? d : "/run/pmemnsd";
}

static void pending_begin(const char *dev) {
        char path[PATH_MAX];
        int fd;

        if (strchr(dev, '/'))
                return; /* kernel device names never have one */
        (void) mkdir(pending_dir(), 0755);
        snprintf(path, sizeof(path), "%s/disabled.%s", pending_dir(), dev);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                log_warning("Cannot record that %s is about to be disabled (%s): %m; an "
                            "interruption now would leave it disabled.", dev, path);
        else
                close(fd);
}

static void pending_end(const char *dev) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/disabled.%s", pending_dir(), dev);
        (void) unlink(path);
}

static void pending_recover(void) {
        DIR *d = opendir(pending_dir());
        struct dirent *de;
        NvCtx *c = NULL;

        if (!d)
                return;
        if (nv_open(&c) < 0) {
                closedir(d);
                return;
        }
        while ((de = readdir(d))) {
                const char *dev;
                int r;

                if (!startswith(de->d_name, "disabled."))
                        continue;
                dev = de->d_name + strlen("disabled.");
                r = nv_recover_device(c, dev);
                if (r < 0)
                        log_error_errno(r, "%s was left disabled by an interrupted operation and "
                                        "cannot be enabled again: %m", dev);
                else if (r > 0)
                        log_notice("Enabled %s again: an interrupted operation had left it disabled.",
                                   dev);
                pending_end(dev);
        }
        nv_close(c);
        closedir(d);
}

static int apply_rows(Manager *m, Plan *plan, unsigned *ret_failed) {
        unsigned failed = 0;
        NvCtx *c = NULL;

        for (size_t i = 0; i < plan->n_rows; i++) {
                PlanRow *row = &plan->rows[i];
                _cleanup_free_ char *err = NULL;
                _cleanup_free_ NsExtent *ext = NULL;
                uint64_t predicted = row->start, predicted_usable = row->usable;
                const char *changed;
                size_t n_ext = 0;
                int r;

                if (row->action == PLAN_DRIFT || row->action == PLAN_CONFLICT ||
                    (row->action == PLAN_SKIP && !isempty(row->instance)))
                        log_notice("%s in %s: %s: %s", row->instance, row->region,
                                   plan_action_to_string(row->action), strempty(row->message));
                if (row->action != PLAN_CREATE)
                        continue;
                /* An apply runs inside one event-loop iteration and may outlast WatchdogSec=
                 * (many namespaces, slow hardware): tell systemd we are alive. No-op without
                 * a watchdog. */
                (void) sd_notify(0, "WATCHDOG=1");

                r = view_for_row(&c, row, &ext, &n_ext);
                if (r == -ENOENT || r >= 0) {
                        changed = r == -ENOENT ? "the region is gone" : changed_since_plan(c, row, ext, n_ext);
                        if (changed) {
                                row->action = PLAN_CONFLICT;
                                row_set_message(row, "not created: %s", changed);
                                log_warning("%s: %s", row->instance, row->message);
                                continue;
                        }
                }
                if (r >= 0 && row->convert_existing) {
                        pending_begin(row->ns_dev);
                        r = nv_create(c, row, &err);
                        pending_end(row->ns_dev);
                } else if (r >= 0)
                        r = nv_create(c, row, &err);
                if (r < 0) {
                        /* what a failed create rolled back, libndctl may not have seen */
                        c = nv_close(c);
                        row->action = PLAN_FAILED;
                        row_set_message(row, "%s", err ?: strerror(-r));
                        log_error("%s: creating %s %s in %s failed: %s", row->instance,
                                  FORMAT_SIZE(row->size), ns_mode_to_string(row->mode), row->region,
                                  row->message);
                        failure_add(m, row);
                        failed++;
                        continue;
                }
                row_set_message(row, "created %s: %s raw, %s usable at %#" PRIx64 "%s", row->ns_dev,
                                FORMAT_SIZE(row->size), FORMAT_SIZE(row->usable), row->start,
                                predicted != row->start || predicted_usable != row->usable
                                        ? " (differs from the plan)" : "");
                log_info("%s: %s", row->instance, row->message);
        }
        nv_close(c);
        *ret_failed = failed;
        return 0;
}

static bool name_is_policy_instance(const char *name, void *userdata) {
        Manager *m = userdata;

        for (size_t i = 0; i < m->config.n_policies; i++)
                for (unsigned k = 0; k < m->config.policies[i].count; k++) {
                        _cleanup_free_ char *inst = policy_instance_name(&m->config.policies[i], k);
                        if (inst && streq(inst, name))
                                return true;
                }
        return false;
}

int manager_apply(Manager *m, Plan *ret) {
        RegionState *regions = NULL;
        size_t n = 0;
        Plan plan = {};
        unsigned failed = 0;
        bool relabelled = false;
        int r;

        set_state(m, MANAGER_APPLYING);
        failures_clear(m);
        (void) manager_probe_kernel(m);

        /* Recovery, only in the first apply after start: what a killed creator left (ours
         * or, pmem/ndctl#114, an admin's killed ndctl's), what an interrupted destroy or
         * disable left. Later, a half-configured seed may be an admin's ndctl at work. */
        if (!m->recovered) {
                NvCtx *c = NULL;
                int k;

                m->recovered = true;
                pending_recover();
                if (nv_open(&c) >= 0) {
                        k = nv_clean_seeds(c, name_is_policy_instance, m);
                        if (k > 0)
                                log_notice("Reset %d half-configured seed device(s) left by an "
                                           "interrupted create.", k);
                        k = nv_enable_interrupted(c, name_is_policy_instance, m);
                        if (k > 0)
                                log_notice("Re-enabled %d policy namespace(s) left disabled, "
                                           "e.g. by an interrupted destroy.", k);
                        nv_close(c);
                }
        }

        r = read_state(&regions, &n);
        if (r < 0)
                goto finish;
        r = compute_plan(m, regions, n, &plan);
        if (r < 0)
                goto finish;

        for (size_t i = 0; i < plan.n_regions; i++) {
                _cleanup_free_ char *err = NULL;
                NvCtx *c = NULL;

                if (!plan.regions[i].init_labels)
                        continue;
                r = nv_open(&c);
                if (r >= 0) {
                        pending_begin(plan.regions[i].region);
                        r = nv_init_labels(c, plan.regions[i].region, &err);
                        pending_end(plan.regions[i].region);
                }
                nv_close(c);
                if (r < 0) {
                        log_error("Initialising labels on '%s' failed: %s", plan.regions[i].region,
                                  err ?: strerror(-r));
                        for (size_t j = 0; j < plan.n_rows; j++)
                                if (streq(plan.rows[j].region, plan.regions[i].region) &&
                                    plan.rows[j].action == PLAN_CREATE) {
                                        plan.rows[j].action = PLAN_FAILED;
                                        row_set_message(&plan.rows[j], "initialising labels on %s failed: %s",
                                                        plan.regions[i].region, err ?: strerror(-r));
                                        failure_add(m, &plan.rows[j]);
                                        failed++;
                                }
                        continue;
                }
                log_info("Initialised the label area of '%s'.", plan.regions[i].region);
                relabelled = true;
        }
        if (relabelled) {
                /* plan again on the now labelled regions; keep the failures above */
                Plan failed_rows = plan;
                region_states_free(regions, n);
                regions = NULL;
                r = read_state(&regions, &n);
                if (r >= 0)
                        r = compute_plan(m, regions, n, &plan);
                if (r < 0) {
                        plan_done(&failed_rows);
                        goto finish;
                }
                for (size_t j = 0; j < failed_rows.n_rows; j++)
                        if (failed_rows.rows[j].action == PLAN_FAILED)
                                for (size_t k = 0; k < plan.n_rows; k++)
                                        if (streq(plan.rows[k].instance, failed_rows.rows[j].instance)) {
                                                plan.rows[k].action = PLAN_FAILED;
                                                row_set_message(&plan.rows[k], "%s", failed_rows.rows[j].message);
                                        }
                plan_done(&failed_rows);
        }

        r = apply_rows(m, &plan, &failed);

finish:
        if (r >= 0) {
                /* The regions as this apply saw them, not as they are now: one enabled while
                 * we worked must still trigger the next reconcile. */
                free(m->region_signature);
                m->region_signature = region_signature(regions, n);
        }
        region_states_free(regions, n);
        if (r < 0) {
                log_error_errno(r, "Apply failed: %m");
                set_state(m, MANAGER_DEGRADED);
                plan_done(&plan);
                return r;
        }
        (void) manager_refresh(m);
        set_state(m, failed ? MANAGER_DEGRADED : MANAGER_IDLE);
        manager_bus_emit_applied(m, &plan);
        if (ret)
                *ret = plan;
        else
                plan_done(&plan);
        return 0;
}

int manager_reload(Manager *m, char **ret_error) {
        ConfDiags d = {};
        int r;

        (void) manager_probe_kernel(m);
        r = manager_load_config(m, &d);
        if (r != 0) {
                size_t len = 1;
                char *msg;

                for (size_t i = 0; i < d.n; i++)
                        len += strlen(d.items[i].file) + strlen(d.items[i].message) + 32;
                msg = calloc(1, len);
                for (size_t i = 0; msg && i < d.n; i++) {
                        char line[32];
                        log_error("%s:%u: %s", d.items[i].file, d.items[i].line, d.items[i].message);
                        snprintf(line, sizeof(line), ":%u: ", d.items[i].line);
                        strcat(msg, d.items[i].file);
                        strcat(msg, line);
                        strcat(msg, d.items[i].message);
                        if (i + 1 < d.n)
                                strcat(msg, "; ");
                }
                log_error("Configuration rejected; the previous one stays in force.");
                conf_diags_done(&d);
                if (ret_error)
                        *ret_error = msg;
                else
                        free(msg);
                return r < 0 ? r : -EINVAL;
        }
        manager_bus_emit_manager_changed(m, "PolicyFiles");
        manager_bus_emit_manager_changed(m, "Granularity");
        log_info("Configuration reloaded: %zu region selector(s), %zu namespace policy(ies).",
                 m->config.n_selectors, m->config.n_policies);
        if (m->config.daemon.apply == APPLY_AUTO)
                return manager_apply(m, NULL);
        return manager_refresh(m);
}

int manager_create_namespace(Manager *m, const PlanRequest *req, char **ret_ns_dev, char **ret_error) {
        Plan plan = {};
        PlanInput in;
        NvCtx *c = NULL;
        int r;

        r = manager_refresh(m);
        if (r < 0)
                return r;
        in = (PlanInput) { .config = &m->config, .kernel = &m->kernel, .regions = m->regions,
                           .n_regions = m->n_regions, .request = req };
        r = plan_compute(&in, &plan);
        if (r < 0)
                return r;
        if (plan.n_rows != 1 || plan.rows[0].action != PLAN_CREATE) {
                if (ret_error && plan.n_rows == 1)
                        *ret_error = strdup_or_null(plan.rows[0].message);
                plan_done(&plan);
                return -EINVAL;
        }
        r = nv_open(&c);
        if (r >= 0)
                r = nv_create(c, &plan.rows[0], ret_error);
        nv_close(c);
        if (r >= 0) {
                log_info("Created %s '%s' (%s %s) in %s on request.", plan.rows[0].ns_dev, req->name,
                         FORMAT_SIZE(plan.rows[0].size), ns_mode_to_string(req->mode), req->region);
                *ret_ns_dev = strdup_or_null(plan.rows[0].ns_dev);
        }
        plan_done(&plan);
        (void) manager_refresh(m);
        return r;
}

int manager_destroy_namespace(Manager *m, const char *ns_dev, char **ret_error) {
        const PlanRow *row;
        _cleanup_free_ char *instance = NULL;
        NvCtx *c = NULL;
        int r;

        (void) manager_refresh(m);
        row = manager_namespace_row(m, ns_dev);
        if (row)
                instance = strdup(row->instance);
        r = nv_open(&c);
        if (r >= 0) {
                pending_begin(ns_dev);
                r = nv_destroy(c, ns_dev, ret_error);
                pending_end(ns_dev);
        }
        nv_close(c);
        if (r >= 0) {
                log_info("Destroyed %s on request.", ns_dev);
                if (instance)
                        log_notice("%s belonged to policy instance '%s'; the next reconcile creates it "
                                   "again unless its policy is removed.", ns_dev, instance);
        }
        (void) manager_refresh(m);
        return r;
}

/* ---- modules ----------------------------------------------------------------------------- */

int manager_load_modules(Manager *m) {
        static const char *const modules[] = {
                "nfit", "nd_pmem", "nd_btt", "nd_e820", "dax_pmem", "device_dax", "kmem",
        };
        struct kmod_ctx *ctx;

        if (!m->config.daemon.load_modules)
                return 0;
        ctx = kmod_new(NULL, NULL);
        if (!ctx)
                return log_warning_errno(-ENOMEM, "Failed to set up libkmod, not loading modules.");
        kmod_load_resources(ctx);
        for (size_t i = 0; i < ELEMENTSOF(modules); i++) {
                struct kmod_list *list = NULL, *l;
                int r = kmod_module_new_from_lookup(ctx, modules[i], &list);
                if (r < 0 || !list) {
                        log_warning("Kernel module '%s' not found, ignoring.", modules[i]);
                        continue;
                }
                kmod_list_foreach(l, list) {
                        struct kmod_module *mod = kmod_module_get_module(l);
                        r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL,
                                                            NULL, NULL, NULL);
                        if (r < 0)
                                log_warning_errno(r, "Failed to load kernel module '%s', ignoring: %m",
                                                  kmod_module_get_name(mod));
                        else if (r > 0)
                                log_warning("Kernel module '%s' is blacklisted, ignoring.",
                                            kmod_module_get_name(mod));
                        else
                                log_debug("Kernel module '%s' loaded.", kmod_module_get_name(mod));
                        kmod_module_unref(mod);
                }
                kmod_module_unref_list(list);
        }
        kmod_unref(ctx);
        return 0;
}

/* ---- udev ---------------------------------------------------------------------------------- */

static int on_refresh_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *sig = NULL;

        (void) manager_refresh(m);
        /* Some changes show no uevent of their own: ndctl destroy-namespace unbinds
         * (events), then writes size 0 (none). Look once more after the dust settles. */
        if (!m->refresh_followup) {
                m->refresh_followup = true;
                if (sd_event_source_set_time(s, usec + REFRESH_SETTLE_USEC) >= 0)
                        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        sig = region_signature(m->regions, m->n_regions);
        /* Apply when a region appeared, vanished or was enabled, not on the events our own
         * namespace work causes: that would retry a failing create forever. */
        if (m->config.daemon.apply == APPLY_AUTO && sig &&
            (!m->region_signature || !streq(sig, m->region_signature))) {
                log_info("Regions changed, reconciling.");
                (void) manager_apply(m, NULL);
        }
        return 0;
}

static int on_device_event(sd_device_monitor *monitor, sd_device *d, void *userdata) {
        Manager *m = userdata;
        uint64_t now;
        int r;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        m->refresh_followup = false;
        if (m->refresh_timer) {
                r = sd_event_source_set_time(m->refresh_timer, now + REFRESH_DELAY_USEC);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->refresh_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(m->event, &m->refresh_timer, CLOCK_MONOTONIC,
                                      now + REFRESH_DELAY_USEC, 0, on_refresh_timer, m);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule a refresh, ignoring: %m");
        return 0;
}

int manager_connect_udev(Manager *m) {
        int r;

        r = sd_device_monitor_new(&m->monitor);
        if (r < 0)
                return log_error_errno(r, "Failed to create the udev monitor: %m");
        r = sd_device_monitor_filter_add_match_subsystem_devtype(m->monitor, "nd", NULL);
        if (r >= 0)
                r = sd_device_monitor_filter_add_match_subsystem_devtype(m->monitor, "dax", NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to filter udev events: %m");
        r = sd_device_monitor_attach_event(m->monitor, m->event);
        if (r >= 0)
                r = sd_device_monitor_start(m->monitor, on_device_event, m);
        if (r < 0)
                return log_error_errno(r, "Failed to start the udev monitor: %m");
        return 0;
}
