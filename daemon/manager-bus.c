/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.pmemnsd1.Manager at /org/pmemnsd1 (with the ObjectManager), and the connection: the
 * region and namespace objects are in region-bus.c and namespace-bus.c, the signals after a
 * refresh in bus-sync.c. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include "bus.h"
#include "polkit.h"
#include "util/log.h"
#include "util/size.h"

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_kernel_release(sd_bus *bus, const char *path, const char *interface,
                                       const char *property, sd_bus_message *reply, void *userdata,
                                       sd_bus_error *error) {
        Manager *m = userdata;
        return bus_append_string(reply, m->kernel.release);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", manager_state_to_string(m->state));
}

static int property_get_progress(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "(uu)", m->progress_done, m->progress_total);
}

/* Mutating methods: root, or a user polkit grants the method's action to (polkit.h). On
 * the first dispatch of a non-root caller's call polkit is asked and the handler returns 1
 * (handled, no reply yet); the call is dispatched again with polkit's answer. */
#define AUTHORIZE(m, msg, action, method, error)                                        \
        do {                                                                            \
                int _r = polkit_verify(&(m)->polkit, (msg), (action), (method), (error)); \
                if (_r < 0)                                                             \
                        return _r;                                                      \
                if (_r == 0)                                                            \
                        return 1; /* asked polkit: dispatched again with its answer */  \
        } while (0)

int bus_append_plan_rows(sd_bus_message *reply, const Plan *plan) {
        int r = sd_bus_message_open_container(reply, 'a', PMEMNSD_PLAN_ROW_SIGNATURE);
        for (size_t i = 0; r >= 0 && i < plan->n_rows; i++) {
                const PlanRow *row = &plan->rows[i];
                /* instance, region and message may quote a label name or a file name */
                r = sd_bus_message_open_container(reply, 'r', "ssssttts");
                if (r >= 0)
                        r = bus_append_string(reply, plan_action_to_string(row->action));
                if (r >= 0)
                        r = bus_append_string(reply, row->spec.name);
                if (r >= 0)
                        r = bus_append_string(reply, row->spec.region);
                if (r >= 0)
                        r = bus_append_string(reply, plan_row_mode(row));
                if (r >= 0)
                        r = sd_bus_message_append(reply, "ttt", row->spec.size, row->spec.usable, row->spec.start);
                if (r >= 0)
                        r = bus_append_string(reply, row->message);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int reply_rows(sd_bus_message *msg, const Plan *plan) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = bus_append_plan_rows(reply, plan);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* With no valid configuration there is nothing to plan or apply: say why, instead of the
 * empty answer of a machine without policies. */
static int refuse_config_error(Manager *m, sd_bus_error *error) {
        return bus_error_setf(error, PMEMNSD_ERROR_INVALID_CONFIG,
                              "No valid configuration in force (fix it, then reload): %s",
                              strempty(m->config_error));
}

static int method_plan(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(plan_done) Plan plan = {};
        int r;

        if (m->state == MANAGER_CONFIG_ERROR)
                return refuse_config_error(m, error);
        r = manager_plan(m, &plan);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to plan: %m");
        return reply_rows(msg, &plan);
}

static Job *job_new(JobKind kind, sd_bus_message *msg) {
        Job *j = calloc(1, sizeof(Job));

        if (!j)
                return NULL;
        j->kind = kind;
        j->call = sd_bus_message_ref(msg);
        return j;
}

/* Queue the job: the reply comes when its worker is done (manager_bus_reply_job()). */
static int enqueue(Manager *m, Job *j, sd_bus_error *error) {
        int r;

        if (!j)
                return -ENOMEM;
        r = manager_enqueue(m, j);
        if (r == -EBUSY)
                return bus_error_setf(error, PMEMNSD_ERROR_BUSY,
                                      "%d operations are waiting already; try again later", JOBS_QUEUED_MAX);
        return r < 0 ? r : 1;
}

static int method_apply(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        AUTHORIZE(m, msg, POLKIT_ACTION_APPLY, "Apply", error);
        if (m->state == MANAGER_CONFIG_ERROR)
                return refuse_config_error(m, error);
        return enqueue(m, job_new(JOB_APPLY, msg), error);
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *err = NULL;
        int r;

        AUTHORIZE(m, msg, POLKIT_ACTION_RELOAD, "Reload", error);
        r = manager_reload(m, msg, &err);
        if (r == -EBUSY)
                return bus_error_setf(error, PMEMNSD_ERROR_BUSY,
                                      "configuration reloaded, but %d operations are waiting already: "
                                      "no reconcile queued", JOBS_QUEUED_MAX);
        if (r < 0 && err)
                return bus_error_setf(error, PMEMNSD_ERROR_INVALID_CONFIG,
                                      "Configuration rejected, the previous one stays: %s", err);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to reload: %m");
        if (r > 0)
                return 1; /* answered when the reconcile is done */
        return sd_bus_reply_method_return(msg, NULL);
}

static int read_options(sd_bus_message *msg, PlanRequest *req, const char **name,
                        sd_bus_error *error) {
        static const char *const known[] = { "name", "map", "align", "sector-size" };
        bool seen[ELEMENTSOF(known)] = {};
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key, *contents;
                char type;

                r = sd_bus_message_read(msg, "s", &key);
                if (r < 0)
                        return r;
                /* as in the config files: a key given twice is an error, not "last wins" */
                for (size_t i = 0; i < ELEMENTSOF(known); i++)
                        if (streq(key, known[i])) {
                                if (seen[i])
                                        return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                              "option '%s' given twice", key);
                                seen[i] = true;
                        }
                r = sd_bus_message_peek_type(msg, &type, &contents);
                if (r < 0)
                        return r;
                if (streq(key, "name") || streq(key, "map")) {
                        const char *v;
                        if (!streq(contents, "s"))
                                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                      "option '%s' must be a string (s), not '%s'",
                                                      key, contents);
                        r = sd_bus_message_read(msg, "v", "s", &v);
                        if (r < 0)
                                return r;
                        if (streq(key, "name")) {
                                if (!namespace_name_is_valid(v))
                                        return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                              "invalid name '%.64s': use 1-%d characters "
                                                              "from A-Z, a-z, 0-9, '.', '-' and '_'",
                                                              v, NS_NAME_MAX);
                                *name = v;
                        } else {
                                req->map = ns_map_from_string(v);
                                if (req->map < 0)
                                        return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                              "invalid map '%.32s': expected " NS_MAP_VALID, v);
                        }
                } else if (streq(key, "align") || streq(key, "sector-size")) {
                        uint64_t v;
                        if (!streq(contents, "t"))
                                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                      "option '%s' must be an unsigned 64-bit "
                                                      "integer (t), not '%s'", key, contents);
                        r = sd_bus_message_read(msg, "v", "t", &v);
                        if (r < 0)
                                return r;
                        if (streq(key, "align")) {
                                if (!ns_align_supported(v))
                                        return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                              "invalid align %" PRIu64 ": expected "
                                                              NS_ALIGN_VALID_BYTES, v);
                                req->align = v;
                        } else {
                                if (!btt_sector_size_supported(v))
                                        return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                              "invalid sector-size %" PRIu64 ": expected "
                                                              BTT_SECTOR_SIZE_VALID, v);
                                req->sector_size = v;
                        }
                } else
                        return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                              "unknown option '%.64s': expected name, align, map or "
                                              "sector-size", key);
                r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static int method_create_namespace(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *region, *mode, *name = NULL, *why;
        char generated[32];
        PlanRequest req = { .map = NS_MAP_DEV };
        const RegionState *rs;
        uint64_t size;
        int r;

        AUTHORIZE(m, msg, POLKIT_ACTION_CREATE_NAMESPACE, "CreateNamespace", error);
        r = sd_bus_message_read(msg, "sst", &region, &mode, &size);
        if (r < 0)
                return r;
        r = read_options(msg, &req, &name, error);
        if (r < 0)
                return r;

        rs = manager_find_region(m, region);
        if (!rs)
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "no region '%.64s'", region);
        req.mode = ns_mode_from_string(mode);
        if (req.mode < 0)
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                      "invalid mode '%.32s': expected " NS_MODE_VALID, mode);
        if (size == 0)
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "size must be greater than 0");
        if (size > rs->size)
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                      "size %s exceeds the %s of %s", FORMAT_SIZE(size),
                                      FORMAT_SIZE(rs->size), region);
        if (ns_options_check(req.mode, req.align, req.map, req.sector_size, &why) < 0)
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s", why);
        if (!name) {
                sd_id128_t u;
                r = sd_id128_randomize(&u);
                if (r < 0)
                        return r;
                snprintf(generated, sizeof(generated), "ns-%.8s", SD_ID128_TO_STRING(u));
                name = generated;
        }
        /* the name's uniqueness is the manager's to judge: it re-checks on a fresh view */
        req.region = region;
        req.name = name;
        req.size = size;

        Job *j = job_new(JOB_CREATE, msg);
        if (!j)
                return -ENOMEM;
        j->region = strdup(region);
        j->name = strdup(name);
        if (!j->region || !j->name) {
                job_free(j);
                return -ENOMEM;
        }
        j->request = req;
        j->request.region = j->region;
        j->request.name = j->name;
        return enqueue(m, j, error);
}

static int reply_create(const Job *j, const JobResult *res, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL;
        const char *err = res->error;
        int r = res->r;

        if (r == -ENODEV && !err) /* gone since the cache was read: the planner found no region */
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "no region '%.64s'", j->region);
        if (r == -EINVAL && err)
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s", err);
        if (r < 0)
                return bus_error_setf(error, PMEMNSD_ERROR_FAILED, "creating the namespace failed: %s",
                                      err ?: strerror(-r));
        path = res->ns_dev ? namespace_object_path(res->ns_dev) : NULL;
        if (!path)
                return -ENOMEM;
        return sd_bus_reply_method_return(j->call, "o", path);
}

static int method_destroy_namespace(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *path;
        _cleanup_free_ char *dev = NULL;
        int r;

        AUTHORIZE(m, msg, POLKIT_ACTION_DESTROY_NAMESPACE, "DestroyNamespace", error);
        r = sd_bus_message_read(msg, "o", &path);
        if (r < 0)
                return r;
        dev = bus_object_path_to_dev(path, PMEMNSD_NAMESPACE_PREFIX);
        if (!dev || !manager_find_namespace(m, dev, NULL))
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                      "no namespace object '%.128s'", path);
        Job *j = job_new(JOB_DESTROY, msg);
        if (!j)
                return -ENOMEM;
        j->ns_dev = TAKE_PTR(dev);
        j->name = strdup(path); /* for the reply */
        if (!j->name) {
                job_free(j);
                return -ENOMEM;
        }
        return enqueue(m, j, error);
}

static int reply_destroy(const Job *j, const JobResult *res, sd_bus_error *error) {
        const char *err = res->error, *dev = j->ns_dev;
        int r = res->r;

        if (r == -ENODEV) /* gone since the cache was read: as if it had never been there */
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "no namespace object '%.128s'",
                                      strempty(j->name));
        if (r == -EBUSY)
                return bus_error_setf(error, PMEMNSD_ERROR_BUSY, "%s", err ?: "namespace is busy");
        if (r == -EPERM) /* foreign: the spec's Authorization section, a refusal */
                return bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "%s", err ?: "foreign namespace");
        if (r < 0)
                return bus_error_setf(error, PMEMNSD_ERROR_FAILED, "destroying %s failed: %s", dev,
                                      err ?: strerror(-r));
        return sd_bus_reply_method_return(j->call, NULL);
}

void manager_bus_reply_job(Manager *m, const Job *j, const JobResult *res) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        switch (j->kind) {
        case JOB_APPLY:
                if (res->r < 0)
                        r = bus_error_setf(&error, PMEMNSD_ERROR_FAILED, "Failed to apply: %s",
                                           res->error ?: strerror(-res->r));
                else
                        r = reply_rows(j->call, &res->plan);
                break;
        case JOB_RECONCILE: /* a Reload's */
                if (res->r < 0)
                        r = bus_error_setf(&error, PMEMNSD_ERROR_FAILED,
                                           "Configuration reloaded, but the reconcile failed: %s",
                                           res->error ?: strerror(-res->r));
                else
                        r = sd_bus_reply_method_return(j->call, NULL);
                break;
        case JOB_CREATE:
                r = reply_create(j, res, &error);
                break;
        case JOB_DESTROY:
                r = reply_destroy(j, res, &error);
                break;
        default:
                r = -EOPNOTSUPP;
        }
        if (r < 0 && !sd_bus_error_is_set(&error))
                (void) sd_bus_error_set_errno(&error, r);
        if (sd_bus_error_is_set(&error))
                r = sd_bus_reply_method_error(j->call, &error);
        if (r < 0)
                log_debug_errno(r, "Failed to answer %s, ignoring: %m", strempty(sd_bus_message_get_member(j->call)));
        (void) m;
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("KernelRelease", "s", property_get_kernel_release, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("SubsectionHotplug", "b", bus_property_get_bool,
                        offsetof(Manager, kernel.subsection_hotplug), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("SubsectionSize", "t", NULL, offsetof(Manager, kernel.subsection_size),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("SectionSize", "t", NULL, offsetof(Manager, kernel.section_size),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MemoryBlockSize", "t", NULL, offsetof(Manager, kernel.memory_block_size),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Granularity", "t", NULL, offsetof(Manager, granularity),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PolicyFiles", "as", bus_property_get_strv, offsetof(Manager, config.files),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Progress", "(uu)", property_get_progress, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Plan", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssssttts)", rows),
                                method_plan, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Apply", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssssttts)", rows),
                                method_apply, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reload,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CreateNamespace",
                                SD_BUS_ARGS("s", region, "s", mode, "t", size, "a{sv}", options),
                                SD_BUS_RESULT("o", namespace), method_create_namespace,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DestroyNamespace", SD_BUS_ARGS("o", namespace), SD_BUS_NO_RESULT,
                                method_destroy_namespace, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("Applied", SD_BUS_ARGS("a(ssssttts)", rows), 0),
        SD_BUS_VTABLE_END,
};


void manager_bus_emit_applied(Manager *m, const Plan *rows) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *sig = NULL;
        int r;

        if (!m->bus)
                return;
        r = sd_bus_message_new_signal(m->bus, &sig, PMEMNSD_ROOT_PATH, PMEMNSD_MANAGER_IFACE, "Applied");
        if (r >= 0)
                r = bus_append_plan_rows(sig, rows);
        if (r >= 0)
                r = sd_bus_send(m->bus, sig, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit Applied, ignoring: %m");
}

void manager_bus_emit_manager_changed(Manager *m, const char *property) {
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, PMEMNSD_ROOT_PATH, PMEMNSD_MANAGER_IFACE, property, NULL);
}

/* The objects on m->bus, by the systemd pattern: the Manager at the root with the
 * ObjectManager, one fallback vtable per kind of object, found by path, enumerated from
 * the cache. */
int manager_bus_add_objects(Manager *m) {
        int r;

        r = sd_bus_add_object_vtable(m->bus, NULL, PMEMNSD_ROOT_PATH, PMEMNSD_MANAGER_IFACE, manager_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_manager(m->bus, NULL, PMEMNSD_ROOT_PATH);
        if (r < 0)
                return r;
        r = sd_bus_add_fallback_vtable(m->bus, NULL, PMEMNSD_REGION_PREFIX, PMEMNSD_REGION_IFACE,
                                       region_vtable, region_object_find, m);
        if (r < 0)
                return r;
        r = sd_bus_add_node_enumerator(m->bus, NULL, PMEMNSD_REGION_PREFIX, region_node_enumerator, m);
        if (r < 0)
                return r;
        r = sd_bus_add_fallback_vtable(m->bus, NULL, PMEMNSD_NAMESPACE_PREFIX, PMEMNSD_NAMESPACE_IFACE,
                                       namespace_vtable, namespace_object_find, m);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(m->bus, NULL, PMEMNSD_NAMESPACE_PREFIX, namespace_node_enumerator, m);
}

int manager_connect_bus(Manager *m) {
        int r;

        r = sd_bus_error_add_map(pmemnsd_bus_errors);
        if (r < 0)
                return log_error_errno(r, "Failed to register the D-Bus error names: %m");
        r = sd_bus_default_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = manager_bus_add_objects(m);
        if (r < 0)
                return log_error_errno(r, "Failed to register D-Bus objects: %m");
        r = sd_bus_request_name(m->bus, PMEMNSD_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire the bus name %s: %m", PMEMNSD_BUS_NAME);
        r = sd_bus_attach_event(m->bus, m->event, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        return 0;
}
