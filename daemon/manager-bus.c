/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <uuid.h>

#include <systemd/sd-bus.h>

#include "bus-names.h"
#include "manager.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/size.h"
#include "util/utf8.h"

/* ---- text from outside on the bus ----------------------------------------------------------
 * sd-bus refuses (-EINVAL) a string that is not valid UTF-8, and the whole reply, property
 * read or signal then fails for every caller. Every string that does not come from this
 * file's own constants (kernel names and label names, file names, config values, plan and
 * error messages, and what callers sent, which %.64s may have cut inside a character) goes
 * on the bus through append_string(), append_strv() or bus_error_setf(): invalid bytes are
 * written as \xNN (util/utf8.h has the rule). Valid text goes through unchanged. */
static int append_string(sd_bus_message *m, const char *s) {
        _cleanup_free_ char *e = NULL;

        s = strempty(s);
        if (!utf8_is_valid(s)) {
                e = utf8_escape(s, UTF8_ESCAPE_INVALID);
                if (!e)
                        return -ENOMEM;
                s = e;
        }
        return sd_bus_message_append_basic(m, 's', s);
}

static int append_strv(sd_bus_message *m, char *const *l) {
        int r = sd_bus_message_open_container(m, 'a', "s");
        for (size_t i = 0; r >= 0 && l && l[i]; i++)
                r = append_string(m, l[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int bus_error_setf(sd_bus_error *error, const char *name, const char *format, ...) _printf_(3, 4);
static int bus_error_setf(sd_bus_error *error, const char *name, const char *format, ...) {
        _cleanup_free_ char *s = NULL, *e = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        e = utf8_escape(s, UTF8_ESCAPE_INVALID);
        if (!e)
                return -ENOMEM;
        return sd_bus_error_set(error, name, e);
}

/* ---- what an object shows, from cached state ---------------------------------------------- */

typedef struct NsView {
        const NsState *ns;
        const RegionState *region;
        const char *policy;
        const char *state;
        const char *error;
} NsView;

static const PlanRow *row_for_ns(const Plan *plan, const char *ns_dev, bool *ret_conflict) {
        *ret_conflict = false;
        for (size_t i = 0; i < plan->n_rows; i++) {
                const PlanRow *r = &plan->rows[i];
                if (!r->ns_dev || !streq(r->ns_dev, ns_dev) || isempty(r->instance))
                        continue;
                if (r->action == PLAN_CONFLICT) {
                        *ret_conflict = true;
                        continue;
                }
                return r;
        }
        return NULL;
}

static NsView ns_view(Manager *m, const RegionState *regions, size_t n, const Plan *plan,
                      const char *dev) {
        NsView v = { .policy = "", .state = "foreign", .error = "" };
        bool conflict;

        for (size_t i = 0; i < n && !v.ns; i++)
                for (size_t j = 0; j < regions[i].n_namespaces; j++)
                        if (streq(regions[i].namespaces[j].dev, dev)) {
                                v.ns = &regions[i].namespaces[j];
                                v.region = &regions[i];
                                break;
                        }
        if (!v.ns)
                return v;
        const PlanRow *row = row_for_ns(plan, dev, &conflict);
        if (row) {
                v.policy = row->instance;
                /* a managed namespace planned as skip did not come up (driver missing,
                 * disabled): failed, with the kernel side's reason */
                v.state = row->action == PLAN_DRIFT ? "drift" : row->action == PLAN_SKIP ? "failed" : "active";
                if (row->action == PLAN_DRIFT || row->action == PLAN_SKIP)
                        v.error = strempty(row->message);
        } else if (conflict) {
                for (size_t i = 0; i < plan->n_rows; i++)
                        if (plan->rows[i].ns_dev && streq(plan->rows[i].ns_dev, dev))
                                v.error = strempty(plan->rows[i].message);
        }
        const Failure *f = manager_find_failure(m, NULL, dev);
        if (f) {
                v.state = "failed";
                v.error = strempty(f->message);
                if (f->instance)
                        v.policy = f->instance;
        }
        return v;
}

static const RegionPlan *region_plan(const Plan *plan, const char *dev) {
        for (size_t i = 0; i < plan->n_regions; i++)
                if (streq(plan->regions[i].region, dev))
                        return &plan->regions[i];
        return NULL;
}

static const char *region_policy(Manager *m, const Plan *plan, const char *dev) {
        const RegionPlan *rp = region_plan(plan, dev);
        if (!rp || rp->selector < 0 || (size_t) rp->selector >= m->config.n_selectors)
                return "";
        return m->config.selectors[rp->selector].name;
}

/* ---- Manager ------------------------------------------------------------------------------ */

static int property_get_version(sd_bus *bus, const char *path, const char *interface,
                                const char *property, sd_bus_message *reply, void *userdata,
                                sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_kernel(sd_bus *bus, const char *path, const char *interface,
                               const char *property, sd_bus_message *reply, void *userdata,
                               sd_bus_error *error) {
        Manager *m = userdata;

        if (streq(property, "KernelRelease"))
                return append_string(reply, m->kernel.release);
        if (streq(property, "SubsectionHotplug"))
                return sd_bus_message_append(reply, "b", (int) m->kernel.subsection_hotplug);
        if (streq(property, "SubsectionSize"))
                return sd_bus_message_append(reply, "t", m->kernel.subsection_size);
        if (streq(property, "SectionSize"))
                return sd_bus_message_append(reply, "t", m->kernel.section_size);
        if (streq(property, "MemoryBlockSize"))
                return sd_bus_message_append(reply, "t", m->kernel.memory_block_size);
        if (streq(property, "Granularity"))
                return sd_bus_message_append(reply, "t", m->granularity);
        return -EINVAL;
}

static int property_get_policy_files(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply, void *userdata,
                                     sd_bus_error *error) {
        Manager *m = userdata;
        return append_strv(reply, m->config.files);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface,
                              const char *property, sd_bus_message *reply, void *userdata,
                              sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", manager_state_to_string(m->state));
}

/* Mutating methods: root only, decided here from the caller's credentials and not only by
 * the bus policy. Checked before the arguments, so that an unprivileged caller learns
 * nothing about them. A caller whose credentials cannot be read is refused: typically one
 * that sent its call without waiting for the answer and disconnected, after which the bus
 * no longer knows its sender name (sd-bus gives -ENXIO, or -ESRCH when its process went away
 * between the bus's answer and the look-up in /proc). */
static int verify_root(sd_bus_message *msg, const char *method, sd_bus_error *error) {
        const char *sender = sd_bus_message_get_sender(msg) ?: "unknown";
        sd_bus_creds *creds = NULL;
        uid_t uid;
        pid_t pid = 0;
        int r;

        r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID | SD_BUS_CREDS_PID |
                                                   SD_BUS_CREDS_AUGMENT, &creds);
        if (r == -ENXIO || r == -ESRCH) {
                log_warning("Denied %s(): the caller (sender %s) disconnected before its credentials "
                            "could be read.", method, sender);
                return bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                      "%s() is for root only, and the caller's credentials could not "
                                      "be read", method);
        }
        if (r < 0) {
                log_warning_errno(r, "Denied %s(): the credentials of the caller (sender %s) could not "
                                  "be read: %m", method, sender);
                return bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                      "%s() is for root only, and the caller's credentials could not "
                                      "be read", method);
        }
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                r = sd_bus_creds_get_uid(creds, &uid);
        (void) sd_bus_creds_get_pid(creds, &pid);
        sd_bus_creds_unref(creds);
        if (r < 0) {
                log_warning_errno(r, "Denied %s(): the bus gave no user id for the caller (sender %s, "
                                  "pid %d): %m", method, sender, (int) pid);
                return bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                      "%s() is for root only, and the caller's user id could not be read",
                                      method);
        }
        if (uid == 0)
                return 0;
        log_warning("Denied %s() to uid %u pid %d (sender %s): root only.", method, (unsigned) uid,
                    (int) pid, sender);
        return bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                              "%s() changes namespaces and is for root only", method);
}

static int append_rows(sd_bus_message *reply, const Plan *plan) {
        int r = sd_bus_message_open_container(reply, 'a', PMEMNSD_PLAN_ROW_SIGNATURE);
        for (size_t i = 0; r >= 0 && i < plan->n_rows; i++) {
                const PlanRow *row = &plan->rows[i];
                /* instance, region and message may quote a label name or a file name */
                r = sd_bus_message_open_container(reply, 'r', "ssssttts");
                if (r >= 0)
                        r = append_string(reply, plan_action_to_string(row->action));
                if (r >= 0)
                        r = append_string(reply, row->instance);
                if (r >= 0)
                        r = append_string(reply, row->region);
                if (r >= 0)
                        r = append_string(reply, ns_mode_to_string(row->mode));
                if (r >= 0)
                        r = sd_bus_message_append(reply, "ttt", row->size, row->usable, row->start);
                if (r >= 0)
                        r = append_string(reply, row->message);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int reply_rows(sd_bus_message *msg, const Plan *plan) {
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = append_rows(reply, plan);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static int method_plan(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Plan plan = {};
        int r;

        r = manager_plan(m, &plan);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to plan: %m");
        r = reply_rows(msg, &plan);
        plan_done(&plan);
        return r;
}

static int method_apply(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Plan plan = {};
        int r;

        r = verify_root(msg, "Apply", error);
        if (r < 0)
                return r;
        r = manager_apply(m, &plan);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to apply: %m");
        r = reply_rows(msg, &plan);
        plan_done(&plan);
        return r;
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *err = NULL;
        int r;

        r = verify_root(msg, "Reload", error);
        if (r < 0)
                return r;
        r = manager_reload(m, &err);
        if (r < 0 && err)
                return bus_error_setf(error, PMEMNSD_ERROR_INVALID_CONFIG,
                                      "Configuration rejected, the previous one stays: %s", err);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to reload: %m");
        return sd_bus_reply_method_return(msg, NULL);
}

static bool namespace_name_is_valid(const char *s) {
        size_t n = 0;
        if (isempty(s))
                return false;
        for (; *s; s++, n++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      *s == '-' || *s == '_' || *s == '.'))
                        return false;
        return n <= NS_NAME_MAX;
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
                                                              "invalid map '%.32s': expected dev or mem", v);
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
                                if (v != 4 * KiB && v != 2 * MiB && v != GiB)
                                        return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                              "invalid align %" PRIu64 ": expected "
                                                              "4096, 2097152 or 1073741824", v);
                                req->align = v;
                        } else {
                                if (!btt_sector_size_supported(v))
                                        return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                              "invalid sector-size %" PRIu64 ": expected 512, "
                                                              "520, 528, 4096, 4104, 4160 or 4224", v);
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
        const char *region, *mode, *name = NULL;
        _cleanup_free_ char *ns_dev = NULL, *err = NULL, *path = NULL;
        char generated[32];
        PlanRequest req = { .map = NS_MAP_DEV };
        const RegionState *rs;
        uint64_t size;
        int r;

        r = verify_root(msg, "CreateNamespace", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "sst", &region, &mode, &size);
        if (r < 0)
                return r;
        r = read_options(msg, &req, &name, error);
        if (r < 0)
                return r;

        (void) manager_refresh(m);
        rs = manager_find_region(m, region);
        if (!rs)
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "no region '%.64s'", region);
        req.mode = ns_mode_from_string(mode);
        if (req.mode < 0)
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                      "invalid mode '%.32s': expected fsdax, devdax, sector or raw", mode);
        if (size == 0)
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "size must be greater than 0");
        if (size > rs->size)
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                      "size %s exceeds the %s of %s", FORMAT_SIZE(size),
                                      FORMAT_SIZE(rs->size), region);
        if ((req.align || req.map != NS_MAP_DEV) && req.mode != NS_MODE_FSDAX && req.mode != NS_MODE_DEVDAX)
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                      "options align and map apply only to fsdax and devdax");
        if (req.sector_size && req.mode != NS_MODE_SECTOR)
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                      "option sector-size applies only to sector mode");
        if (!name) {
                uuid_t u;
                char s[40];
                uuid_generate(u);
                uuid_unparse_lower(u, s);
                snprintf(generated, sizeof(generated), "ns-%.8s", s);
                name = generated;
        }
        for (size_t i = 0; i < rs->n_namespaces; i++)
                if (streq(rs->namespaces[i].name, name))
                        return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                              "%s already has a namespace named '%s' (%s)", region,
                                              name, rs->namespaces[i].dev);
        req.region = region;
        req.name = name;
        req.size = size;

        r = manager_create_namespace(m, &req, &ns_dev, &err);
        if (r == -EINVAL && err)
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s", err);
        if (r < 0)
                return bus_error_setf(error, PMEMNSD_ERROR_FAILED, "creating the namespace failed: %s",
                                      err ?: strerror(-r));
        path = namespace_object_path(ns_dev);
        if (!path)
                return -ENOMEM;
        return sd_bus_reply_method_return(msg, "o", path);
}

static int method_destroy_namespace(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *path;
        _cleanup_free_ char *dev = NULL, *err = NULL;
        int r;

        r = verify_root(msg, "DestroyNamespace", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "o", &path);
        if (r < 0)
                return r;
        dev = bus_object_path_to_dev(path, PMEMNSD_NAMESPACE_PREFIX);
        (void) manager_refresh(m);
        if (!dev || !manager_find_namespace(m, dev, NULL))
                return bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                      "no namespace object '%.128s'", path);
        r = manager_destroy_namespace(m, dev, &err);
        if (r == -EBUSY)
                return bus_error_setf(error, PMEMNSD_ERROR_BUSY, "%s", err ?: "namespace is busy");
        if (r == -EPERM) /* foreign: the spec's Authorization section, a refusal */
                return bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "%s", err ?: "foreign namespace");
        if (r < 0)
                return bus_error_setf(error, PMEMNSD_ERROR_FAILED, "destroying %s failed: %s", dev,
                                      err ?: strerror(-r));
        return sd_bus_reply_method_return(msg, NULL);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("KernelRelease", "s", property_get_kernel, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("SubsectionHotplug", "b", property_get_kernel, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("SubsectionSize", "t", property_get_kernel, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("SectionSize", "t", property_get_kernel, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MemoryBlockSize", "t", property_get_kernel, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Granularity", "t", property_get_kernel, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PolicyFiles", "as", property_get_policy_files, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
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

/* ---- Region ------------------------------------------------------------------------------- */

static int region_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                       void **found, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *dev = bus_object_path_to_dev(path, PMEMNSD_REGION_PREFIX);

        if (!dev || !manager_find_region(m, dev))
                return 0;
        *found = m;
        return 1;
}

static int region_append_namespaces(sd_bus_message *reply, const RegionState *r) {
        int k = sd_bus_message_open_container(reply, 'a', "o");
        for (size_t i = 0; k >= 0 && i < r->n_namespaces; i++) {
                _cleanup_free_ char *p = namespace_object_path(r->namespaces[i].dev);
                k = p ? sd_bus_message_append(reply, "o", p) : -ENOMEM;
        }
        if (k >= 0)
                k = sd_bus_message_close_container(reply);
        return k;
}

static int property_get_region(sd_bus *bus, const char *path, const char *interface,
                               const char *property, sd_bus_message *reply, void *userdata,
                               sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *dev = bus_object_path_to_dev(path, PMEMNSD_REGION_PREFIX);
        const RegionState *r = dev ? manager_find_region(m, dev) : NULL;
        const RegionPlan *rp;

        if (!r)
                return bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "no region at %s", path);
        rp = region_plan(&m->plan, r->dev);

        if (streq(property, "Device"))
                return append_string(reply, r->dev);
        if (streq(property, "Type"))
                return append_string(reply, r->type);
        if (streq(property, "Size"))
                return sd_bus_message_append(reply, "t", r->size);
        if (streq(property, "AvailableSize"))
                return sd_bus_message_append(reply, "t", r->available_size);
        if (streq(property, "MaxAvailableExtent"))
                return sd_bus_message_append(reply, "t", r->max_available_extent);
        if (streq(property, "Align"))
                return sd_bus_message_append(reply, "t", r->align);
        if (streq(property, "NumaNode"))
                return sd_bus_message_append(reply, "i", (int32_t) r->numa_node);
        if (streq(property, "Labeled"))
                return sd_bus_message_append(reply, "b", (int) r->labeled);
        if (streq(property, "Policy"))
                return append_string(reply, region_policy(m, &m->plan, r->dev));
        if (streq(property, "Namespaces"))
                return region_append_namespaces(reply, r);
        if (streq(property, "LostToAlignment"))
                return sd_bus_message_append(reply, "t", rp ? rp->lost_to_alignment : UINT64_C(0));
        return -EINVAL;
}

#define REGION_PROPERTY(name, sig) \
        SD_BUS_PROPERTY(name, sig, property_get_region, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)

static const sd_bus_vtable region_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Device", "s", property_get_region, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        REGION_PROPERTY("Type", "s"),
        REGION_PROPERTY("Size", "t"),
        REGION_PROPERTY("AvailableSize", "t"),
        REGION_PROPERTY("MaxAvailableExtent", "t"),
        REGION_PROPERTY("Align", "t"),
        REGION_PROPERTY("NumaNode", "i"),
        REGION_PROPERTY("Labeled", "b"),
        REGION_PROPERTY("Policy", "s"),
        REGION_PROPERTY("Namespaces", "ao"),
        REGION_PROPERTY("LostToAlignment", "t"),
        SD_BUS_VTABLE_END,
};

/* ---- Namespace ---------------------------------------------------------------------------- */

static int namespace_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                          void **found, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *dev = bus_object_path_to_dev(path, PMEMNSD_NAMESPACE_PREFIX);

        if (!dev || !manager_find_namespace(m, dev, NULL))
                return 0;
        *found = m;
        return 1;
}

static int property_get_namespace(sd_bus *bus, const char *path, const char *interface,
                                  const char *property, sd_bus_message *reply, void *userdata,
                                  sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *dev = bus_object_path_to_dev(path, PMEMNSD_NAMESPACE_PREFIX);
        NsView v;

        if (!dev)
                return bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "no namespace at %s", path);
        v = ns_view(m, m->regions, m->n_regions, &m->plan, dev);
        if (!v.ns)
                return bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "no namespace at %s", path);

        if (streq(property, "Device"))
                return append_string(reply, v.ns->dev);
        if (streq(property, "Region")) {
                _cleanup_free_ char *p = region_object_path(v.region->dev);
                return p ? sd_bus_message_append(reply, "o", p) : -ENOMEM;
        }
        if (streq(property, "Name"))
                return append_string(reply, v.ns->name);
        if (streq(property, "UUID"))
                return append_string(reply, v.ns->uuid);
        if (streq(property, "Mode"))
                return sd_bus_message_append(reply, "s", ns_mode_to_string(v.ns->mode));
        if (streq(property, "Size"))
                return sd_bus_message_append(reply, "t", v.ns->size);
        if (streq(property, "UsableSize"))
                return sd_bus_message_append(reply, "t", v.ns->usable);
        if (streq(property, "Start"))
                return sd_bus_message_append(reply, "t", v.ns->start);
        if (streq(property, "Align"))
                return sd_bus_message_append(reply, "t", v.ns->align);
        if (streq(property, "Map"))
                return sd_bus_message_append(reply, "s",
                                             v.ns->mode == NS_MODE_FSDAX || v.ns->mode == NS_MODE_DEVDAX
                                                     ? ns_map_to_string(v.ns->map) : "");
        if (streq(property, "BlockDevice") || streq(property, "CharDevice")) {
                const char *d = streq(property, "BlockDevice") ? v.ns->blockdev : v.ns->chardev;
                char buf[128] = "";
                if (d)
                        snprintf(buf, sizeof(buf), "/dev/%s", d);
                return append_string(reply, buf);
        }
        if (streq(property, "Policy"))
                return append_string(reply, v.policy);
        if (streq(property, "State"))
                return append_string(reply, v.state);
        if (streq(property, "Error"))
                return append_string(reply, v.error);
        return -EINVAL;
}

#define NS_PROPERTY(name, sig) \
        SD_BUS_PROPERTY(name, sig, property_get_namespace, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)

static const sd_bus_vtable namespace_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Device", "s", property_get_namespace, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        NS_PROPERTY("Region", "o"),
        NS_PROPERTY("Name", "s"),
        NS_PROPERTY("UUID", "s"),
        NS_PROPERTY("Mode", "s"),
        NS_PROPERTY("Size", "t"),
        NS_PROPERTY("UsableSize", "t"),
        NS_PROPERTY("Start", "t"),
        NS_PROPERTY("Align", "t"),
        NS_PROPERTY("Map", "s"),
        NS_PROPERTY("BlockDevice", "s"),
        NS_PROPERTY("CharDevice", "s"),
        NS_PROPERTY("Policy", "s"),
        NS_PROPERTY("State", "s"),
        NS_PROPERTY("Error", "s"),
        SD_BUS_VTABLE_END,
};

/* ---- enumeration, signals ------------------------------------------------------------------ */

/* sd-bus calls enumerators with the path being enumerated, which is the ObjectManager's
 * root for GetManagedObjects: so one enumerator per kind, not one that looks at path. */
static int enumerate(Manager *m, bool regions, char ***nodes) {
        char **l = NULL;
        size_t n = 0;

        for (size_t i = 0; i < m->n_regions; i++) {
                if (regions) {
                        _cleanup_free_ char *p = region_object_path(m->regions[i].dev);
                        if (!p || strv_push(&l, &n, p) < 0)
                                goto oom;
                        continue;
                }
                for (size_t j = 0; j < m->regions[i].n_namespaces; j++) {
                        _cleanup_free_ char *p = namespace_object_path(m->regions[i].namespaces[j].dev);
                        if (!p || strv_push(&l, &n, p) < 0)
                                goto oom;
                }
        }
        if (!l)
                l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        *nodes = l;
        return 1;
oom:
        strv_free(l);
        return -ENOMEM;
}

static int region_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                             sd_bus_error *error) {
        return enumerate(userdata, true, nodes);
}

static int namespace_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                                sd_bus_error *error) {
        return enumerate(userdata, false, nodes);
}

/* Everything an object shows, as one string: objects whose string changed get a
 * PropertiesChanged. */
static char *region_fingerprint(Manager *m, const RegionState *r, const Plan *plan) {
        const RegionPlan *rp = region_plan(plan, r->dev);
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return NULL;
        fprintf(f, "%s|%s|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%d|%d|%s|%" PRIu64, r->type,
                r->dev, r->size, r->available_size, r->max_available_extent, r->align, r->numa_node,
                r->labeled, region_policy(m, plan, r->dev), rp ? rp->lost_to_alignment : 0);
        for (size_t i = 0; i < r->n_namespaces; i++)
                fprintf(f, "|%s", r->namespaces[i].dev);
        fclose(f);
        return s;
}

static char *namespace_fingerprint(Manager *m, const RegionState *regions, size_t n, const Plan *plan,
                                   const char *dev) {
        NsView v = ns_view(m, regions, n, plan, dev);
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

static void emit_removed(Manager *m, const char *path, const char *iface) {
        sd_bus_message *sig = NULL;
        int r;

        r = sd_bus_message_new_signal(m->bus, &sig, PMEMNSD_ROOT_PATH, "org.freedesktop.DBus.ObjectManager",
                                      "InterfacesRemoved");
        if (r >= 0)
                r = sd_bus_message_append(sig, "o", path);
        if (r >= 0)
                r = sd_bus_message_append(sig, "as", 4, iface, "org.freedesktop.DBus.Peer",
                                          "org.freedesktop.DBus.Introspectable",
                                          "org.freedesktop.DBus.Properties");
        if (r >= 0)
                r = sd_bus_send(m->bus, sig, NULL);
        sd_bus_message_unref(sig);
        if (r < 0)
                log_debug_errno(r, "Failed to emit InterfacesRemoved for %s: %m", path);
}

static bool has_region(const RegionState *r, size_t n, const char *dev) {
        for (size_t i = 0; i < n; i++)
                if (streq(r[i].dev, dev))
                        return true;
        return false;
}

static bool has_namespace(const RegionState *r, size_t n, const char *dev) {
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < r[i].n_namespaces; j++)
                        if (streq(r[i].namespaces[j].dev, dev))
                                return true;
        return false;
}

void manager_bus_sync(Manager *m, RegionState *old, size_t n_old, const Plan *old_plan) {
        if (!m->bus)
                return;

        /* vanished first, then new, then changed */
        for (size_t i = 0; i < n_old; i++) {
                for (size_t j = 0; j < old[i].n_namespaces; j++)
                        if (!has_namespace(m->regions, m->n_regions, old[i].namespaces[j].dev)) {
                                _cleanup_free_ char *p = namespace_object_path(old[i].namespaces[j].dev);
                                if (p)
                                        emit_removed(m, p, PMEMNSD_NAMESPACE_IFACE);
                        }
                if (!has_region(m->regions, m->n_regions, old[i].dev)) {
                        _cleanup_free_ char *p = region_object_path(old[i].dev);
                        if (p)
                                emit_removed(m, p, PMEMNSD_REGION_IFACE);
                }
        }
        for (size_t i = 0; i < m->n_regions; i++) {
                const RegionState *r = &m->regions[i];
                _cleanup_free_ char *p = region_object_path(r->dev);

                if (!p)
                        continue;
                if (!has_region(old, n_old, r->dev))
                        (void) sd_bus_emit_object_added(m->bus, p);
                for (size_t j = 0; j < r->n_namespaces; j++) {
                        _cleanup_free_ char *np = namespace_object_path(r->namespaces[j].dev);
                        if (!np)
                                continue;
                        if (!has_namespace(old, n_old, r->namespaces[j].dev)) {
                                (void) sd_bus_emit_object_added(m->bus, np);
                                continue;
                        }
                        _cleanup_free_ char *a = namespace_fingerprint(m, old, n_old, old_plan,
                                                                       r->namespaces[j].dev);
                        _cleanup_free_ char *b = namespace_fingerprint(m, m->regions, m->n_regions,
                                                                       &m->plan, r->namespaces[j].dev);
                        if (!a || !b || !streq(a, b))
                                (void) sd_bus_emit_properties_changed_strv(m->bus, np, PMEMNSD_NAMESPACE_IFACE, NULL);
                }
                if (has_region(old, n_old, r->dev)) {
                        const RegionState *o = NULL;
                        for (size_t k = 0; k < n_old; k++)
                                if (streq(old[k].dev, r->dev))
                                        o = &old[k];
                        _cleanup_free_ char *a = region_fingerprint(m, o, old_plan);
                        _cleanup_free_ char *b = region_fingerprint(m, r, &m->plan);
                        if (!a || !b || !streq(a, b))
                                (void) sd_bus_emit_properties_changed_strv(m->bus, p, PMEMNSD_REGION_IFACE, NULL);
                }
        }
}

void manager_bus_emit_applied(Manager *m, const Plan *rows) {
        sd_bus_message *sig = NULL;
        int r;

        if (!m->bus)
                return;
        r = sd_bus_message_new_signal(m->bus, &sig, PMEMNSD_ROOT_PATH, PMEMNSD_MANAGER_IFACE, "Applied");
        if (r >= 0)
                r = append_rows(sig, rows);
        if (r >= 0)
                r = sd_bus_send(m->bus, sig, NULL);
        sd_bus_message_unref(sig);
        if (r < 0)
                log_warning_errno(r, "Failed to emit Applied, ignoring: %m");
}

void manager_bus_emit_manager_changed(Manager *m, const char *property) {
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, PMEMNSD_ROOT_PATH, PMEMNSD_MANAGER_IFACE, property, NULL);
}

int manager_connect_bus(Manager *m) {
        int r;

        r = sd_bus_error_add_map(pmemnsd_bus_errors);
        if (r < 0)
                return log_error_errno(r, "Failed to register the D-Bus error names: %m");
        r = sd_bus_default_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = sd_bus_add_object_vtable(m->bus, NULL, PMEMNSD_ROOT_PATH, PMEMNSD_MANAGER_IFACE, manager_vtable, m);
        if (r >= 0)
                r = sd_bus_add_object_manager(m->bus, NULL, PMEMNSD_ROOT_PATH);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(m->bus, NULL, PMEMNSD_REGION_PREFIX, PMEMNSD_REGION_IFACE, region_vtable,
                                               region_find, m);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(m->bus, NULL, PMEMNSD_REGION_PREFIX, region_enumerator, m);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(m->bus, NULL, PMEMNSD_NAMESPACE_PREFIX, PMEMNSD_NAMESPACE_IFACE,
                                               namespace_vtable, namespace_find, m);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(m->bus, NULL, PMEMNSD_NAMESPACE_PREFIX, namespace_enumerator, m);
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
