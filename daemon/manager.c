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
#include "records.h"
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
        manager_bus_sync_done(m);
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

/* Mark the namespaces whose uuid is a create we recorded and have not finished. */
static void mark_inflight(RegionState *regions, size_t n) {
        _cleanup_free_ InflightRecord *recs = NULL;
        size_t n_recs = 0;

        if (inflight_load(&recs, &n_recs) < 0)
                return;
        for (size_t k = 0; k < n_recs; k++)
                for (size_t i = 0; i < n; i++)
                        for (size_t j = 0; j < regions[i].n_namespaces; j++)
                                if (streq(regions[i].namespaces[j].uuid, recs[k].ns_uuid))
                                        regions[i].namespaces[j].inflight = true;
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
        mark_inflight(*ret, *ret_n);
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

        manager_bus_sync_removed(m, regions, n);
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

/* From the cached state, which udev events keep fresh: a Plan() costs no bus scan, label
 * read or blkid probe, so unprivileged callers cannot queue up work ahead of an Apply. */
int manager_plan(Manager *m, Plan *ret) {
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
static void recover_interrupted(void) {
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
        InflightRecord rec = { .mode = row->mode };
        NvCreateIds ids = {};
        int r;

        if (row->convert_existing) {
                /* claiming an existing namespace: label-less (recorded as disabled) or a
                 * recorded create finished in place (its record stays until then) */
                uuid_generate(ids.claim);
                disabled_begin(row->ns_dev);
                r = nv_create(c, row, &ids, err);
                disabled_end(row->ns_dev);
                if (r >= 0 && ns_uuid)
                        inflight_end(ns_uuid);
                return r;
        }

        uuid_generate(ids.ns);
        uuid_unparse_lower(ids.ns, rec.ns_uuid);
        if (row->mode != NS_MODE_RAW) {
                uuid_generate(ids.claim);
                uuid_unparse_lower(ids.claim, rec.claim_uuid);
        }
        snprintf(rec.region, sizeof(rec.region), "%s", row->region);
        snprintf(rec.instance, sizeof(rec.instance), "%s", row->instance);
        snprintf(rec.boot_id, sizeof(rec.boot_id), "%s", current_boot_id());
        r = inflight_begin(&rec);
        if (r < 0) {
                free(*err);
                *err = strdup("cannot record the create in the state directory; nothing done");
                return r;
        }
        r = nv_create(c, row, &ids, err);
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
        for (size_t i = 0; ns_dev && i < n; i++)
                for (size_t j = 0; j < regions[i].n_namespaces; j++)
                        if (streq(regions[i].namespaces[j].dev, ns_dev))
                                return regions[i].namespaces[j].inflight ? regions[i].namespaces[j].uuid
                                                                         : NULL;
        return NULL;
}

static int apply_rows(Manager *m, Plan *plan, const RegionState *regions, size_t n_regions,
                      unsigned *ret_failed) {
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
                /* the first reconcile runs before READY=1: on a big machine it may take longer
                 * than TimeoutStartSec=; each create asks for another minute */
                if (!m->ready)
                        (void) sd_notify(0, "EXTEND_TIMEOUT_USEC=60000000");

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
                if (r >= 0)
                        r = create_recorded(c, row, inflight_uuid(regions, n_regions, row->ns_dev), NULL,
                                            &err);
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

/* Is the region bound to its driver (enabled)? */
static bool region_is_enabled(const char *region) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/driver", region);
        return access(path, F_OK) == 0;
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

        /* What an interrupted create, destroy or disable of ours left: only recorded work
         * (records.h), so this is safe at every apply, with an admin's ndctl at work too. */
        recover_interrupted();

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
                        disabled_begin(plan.regions[i].region);
                        r = nv_init_labels(c, plan.regions[i].region, &err);
                        /* a region it could not enable again stays recorded: the next
                         * apply's recovery enables it (recover_interrupted()) */
                        if (r >= 0 || region_is_enabled(plan.regions[i].region))
                                disabled_end(plan.regions[i].region);
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

        r = apply_rows(m, &plan, regions, n, &failed);

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
        _cleanup_free_ char *uuid = NULL;
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
                r = create_recorded(c, &plan.rows[0], NULL, &uuid, ret_error);
        nv_close(c);
        /* DestroyNamespace accepts the foreign namespaces CreateNamespace made: remember */
        if (r >= 0 && made_add(uuid) < 0)
                log_warning("Cannot record that %s was made by CreateNamespace; DestroyNamespace will "
                            "treat it as foreign.", plan.rows[0].ns_dev);
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
        const NsState *ns;
        _cleanup_free_ char *instance = NULL, *uuid = NULL;
        NvCtx *c = NULL;
        int r;

        (void) manager_refresh(m);
        ns = manager_find_namespace(m, ns_dev, NULL);
        if (!ns) {
                if (ret_error && asprintf(ret_error, "no namespace %s", ns_dev) < 0)
                        *ret_error = NULL;
                return -ENODEV;
        }
        uuid = strdup(ns->uuid);
        if (!uuid)
                return -ENOMEM;
        row = manager_namespace_row(m, ns_dev);
        if (row)
                instance = strdup(row->instance);
        else if (!made_has(uuid)) {
                /* the README's promise: foreign namespaces are never destroyed */
                if (ret_error && asprintf(ret_error, "%s%s%s%s is foreign: no policy manages it and "
                                          "CreateNamespace did not make it; pmemnsd never destroys it "
                                          "(ndctl destroy-namespace does)", ns_dev,
                                          isempty(ns->name) ? "" : " '", strempty(ns->name),
                                          isempty(ns->name) ? "" : "'") < 0)
                        *ret_error = NULL;
                return -EPERM;
        }
        r = nv_open(&c);
        if (r >= 0) {
                disabled_begin(ns_dev);
                r = nv_destroy(c, ns_dev, ret_error);
                disabled_end(ns_dev);
        }
        nv_close(c);
        if (r >= 0)
                made_remove(uuid);
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
