/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "bus-objects.h"
#include "output.h"
#include "util/macro.h"
#include "util/strv.h"
#include "util/utf8.h"

#define FIELD(n, j, sig, type, member) \
        { .name = n, .json = j, .signature = sig, .offset = offsetof(type, member) }

const BusField manager_fields[] = {
        FIELD("Version", "version", "s", ManagerInfo, version),
        FIELD("KernelRelease", "kernel_release", "s", ManagerInfo, kernel_release),
        FIELD("SubsectionHotplug", "subsection_hotplug", "b", ManagerInfo, subsection_hotplug),
        FIELD("SubsectionSize", "subsection_size", "t", ManagerInfo, subsection_size),
        FIELD("SectionSize", "section_size", "t", ManagerInfo, section_size),
        FIELD("MemoryBlockSize", "memory_block_size", "t", ManagerInfo, memory_block_size),
        FIELD("Granularity", "granularity", "t", ManagerInfo, granularity),
        FIELD("PolicyFiles", "policy_files", "as", ManagerInfo, policy_files),
        FIELD("State", "state", "s", ManagerInfo, state),
        {},
};

const BusField region_fields[] = {
        FIELD("Device", "dev", "s", RegionInfo, device),
        FIELD("Type", "type", "s", RegionInfo, type),
        FIELD("Size", "size", "t", RegionInfo, size),
        FIELD("AvailableSize", "available_size", "t", RegionInfo, available_size),
        FIELD("MaxAvailableExtent", "max_available_extent", "t", RegionInfo, max_available_extent),
        FIELD("Align", "align", "t", RegionInfo, align),
        FIELD("NumaNode", "numa_node", "i", RegionInfo, numa_node),
        FIELD("Labeled", "labeled", "b", RegionInfo, labeled),
        FIELD("Policy", "policy", "s", RegionInfo, policy),
        FIELD("Namespaces", "namespaces", "ao", RegionInfo, namespaces),
        FIELD("LostToAlignment", "lost_to_alignment", "t", RegionInfo, lost_to_alignment),
        FIELD("Provider", "provider", "s", RegionInfo, provider),
        FIELD("Memdevs", "memdevs", "as", RegionInfo, memdevs),
        FIELD("InterleaveWays", "interleave_ways", "u", RegionInfo, interleave_ways),
        {},
};

const BusField namespace_fields[] = {
        FIELD("Device", "dev", "s", NamespaceInfo, device),
        FIELD("Region", "region", "o", NamespaceInfo, region),
        FIELD("Name", "name", "s", NamespaceInfo, name),
        FIELD("UUID", "uuid", "s", NamespaceInfo, uuid),
        FIELD("Mode", "mode", "s", NamespaceInfo, mode),
        FIELD("Size", "size", "t", NamespaceInfo, size),
        FIELD("UsableSize", "usable_size", "t", NamespaceInfo, usable_size),
        FIELD("Start", "start", "t", NamespaceInfo, start),
        FIELD("Align", "align", "t", NamespaceInfo, align),
        FIELD("Map", "map", "s", NamespaceInfo, map),
        FIELD("BlockDevice", "block_device", "s", NamespaceInfo, block_device),
        FIELD("CharDevice", "char_device", "s", NamespaceInfo, char_device),
        FIELD("Policy", "policy", "s", NamespaceInfo, policy),
        FIELD("State", "state", "s", NamespaceInfo, state),
        FIELD("Error", "error", "s", NamespaceInfo, error),
        {},
};

static void fields_done(const BusField *fields, void *obj) {
        for (const BusField *f = fields; f->name; f++) {
                void *p = (uint8_t *) obj + f->offset;
                if (f->signature[0] == 's' || f->signature[0] == 'o')
                        free(*(char **) p);
                else if (f->signature[0] == 'a')
                        strv_free(*(char ***) p);
        }
}

/* ---- calls ------------------------------------------------------------------------------- */

static int bus_error(const sd_bus_error *e, int r, const char *what) {
        /* stderr is a terminal's too, with --json as without */
        _cleanup_free_ char *msg = utf8_escape(e->message ?: e->name, UTF8_ESCAPE_CONTROL);

        if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                   "org.freedesktop.systemd1.NoSuchUnit"))
                return die("pmemnsd is not running (%s is not on the system bus)", PMEMNSD_BUS_NAME);
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED))
                return die("permission denied: %s", e->message ? strempty(msg) : what);
        if (sd_bus_error_is_set(e))
                return die("%s: %s", what, strempty(msg));
        return die("%s: %s", what, strerror(-r));
}

int bus_connect(sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        const char *address = getenv("PMEMNSCTL_BUS_ADDRESS");
        int r;

        (void) sd_bus_error_add_map(pmemnsd_bus_errors);
        if (address) {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_start(bus);
        } else
                r = sd_bus_open_system(&bus);
        if (r < 0)
                return die("cannot connect to the system bus: %s", strerror(-r));
        /* as systemctl: on a terminal, polkit may ask the user's agent to authenticate for
         * the mutating calls (auth_admin_keep); a script is refused at once instead */
        if (isatty(STDIN_FILENO))
                (void) sd_bus_set_allow_interactive_authorization(bus, true);
        *ret = TAKE_PTR(bus);
        return 0;
}

int bus_new_manager_call(sd_bus *bus, const char *member, sd_bus_message **ret) {
        return sd_bus_message_new_method_call(bus, ret, PMEMNSD_BUS_NAME, PMEMNSD_ROOT_PATH, PMEMNSD_MANAGER_IFACE,
                                              member);
}

int bus_call(sd_bus *bus, sd_bus_message *m, uint64_t usec, const char *what, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_call(bus, m, usec, &e, ret_reply);

        return r < 0 ? bus_error(&e, r, what) : r;
}

int bus_call_method(sd_bus *bus, const char *interface, const char *member, uint64_t usec, const char *what,
                    sd_bus_message **ret_reply, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const sd_bus_error e = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, PMEMNSD_BUS_NAME, PMEMNSD_ROOT_PATH, interface, member);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0) /* as when the call fails: "what: reason" */
                return bus_error(&e, r, what);
        return bus_call(bus, m, usec, what, ret_reply);
}

/* ---- decoding ------------------------------------------------------------------------------ */

static int read_field(sd_bus_message *m, const BusField *f, void *p) {
        const char *v;
        int b, r;

        switch (f->signature[0]) {
        case 's':
        case 'o': {
                char *t;
                r = sd_bus_message_read_basic(m, f->signature[0], &v);
                if (r < 0)
                        return r;
                t = text_dup(v);
                if (!t)
                        return -ENOMEM;
                free(*(char **) p);
                *(char **) p = t;
                return 0;
        }
        case 't':
        case 'i':
        case 'u':
                return sd_bus_message_read_basic(m, f->signature[0], p);
        case 'b':
                r = sd_bus_message_read_basic(m, 'b', &b);
                if (r >= 0)
                        *(bool *) p = b;
                return r;
        case 'a': {
                _cleanup_(strv_freep) char **l = calloc(1, sizeof(char *));
                size_t n = 0;

                if (!l)
                        return -ENOMEM;
                r = sd_bus_message_enter_container(m, 'a', f->signature + 1);
                while (r >= 0 && (r = sd_bus_message_read_basic(m, f->signature[1], &v)) > 0) {
                        _cleanup_free_ char *t = text_dup(v);
                        if (!t || strv_push(&l, &n, t) < 0)
                                r = -ENOMEM;
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                strv_free(*(char ***) p);
                *(char ***) p = TAKE_PTR(l);
                return 0;
        }
        }
        return -EINVAL;
}

/* An a{sv} of properties into obj, by the fields table; properties it does not know are
 * skipped. */
static int read_props(sd_bus_message *m, const BusField *fields, void *obj) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const BusField *f = fields;
                const char *name, *contents;
                char type;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        return r;
                while (f->name && !(streq(f->name, name) && streq(f->signature, contents)))
                        f++;
                if (f->name) {
                        r = sd_bus_message_enter_container(m, 'v', contents);
                        if (r >= 0)
                                r = read_field(m, f, (uint8_t *) obj + f->offset);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int get_manager(sd_bus *bus, ManagerInfo *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = bus_call_method(bus, "org.freedesktop.DBus.Properties", "GetAll", 0, "GetAll", &reply, "s",
                            PMEMNSD_MANAGER_IFACE);
        if (r < 0)
                return r;
        r = read_props(reply, manager_fields, ret);
        if (r < 0)
                return die("cannot parse the manager's properties: %s", strerror(-r));
        return 0;
}

_Static_assert(offsetof(RegionInfo, path) == 0 && offsetof(NamespaceInfo, path) == 0, "path comes first");

/* room for one more object of size bytes at the end of *array, zeroed, with its path */
static void *array_add(void **array, size_t *n, size_t size, const char *path) {
        uint8_t *a = realloc(*array, size * (*n + 1)), *p;
        char *copy = strdup(path);

        if (a)
                *array = a;
        if (!a || !copy) {
                free(copy);
                return NULL;
        }
        p = a + size * (*n)++;
        memset(p, 0, size);
        *(char **) p = copy; /* path is the first member of RegionInfo and NamespaceInfo */
        return p;
}

static int read_managed_objects(sd_bus_message *reply, Objects *o) {
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                const char *path;
                r = sd_bus_message_read(reply, "o", &path);
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                        const char *iface;
                        void *obj;
                        r = sd_bus_message_read(reply, "s", &iface);
                        if (r >= 0 && streq(iface, PMEMNSD_REGION_IFACE)) {
                                obj = array_add((void **) &o->regions, &o->n_regions, sizeof(RegionInfo), path);
                                r = obj ? read_props(reply, region_fields, obj) : -ENOMEM;
                        } else if (r >= 0 && streq(iface, PMEMNSD_NAMESPACE_IFACE)) {
                                obj = array_add((void **) &o->namespaces, &o->n_namespaces, sizeof(NamespaceInfo),
                                                path);
                                r = obj ? read_props(reply, namespace_fields, obj) : -ENOMEM;
                        } else if (r >= 0)
                                r = sd_bus_message_skip(reply, "a{sv}");
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        return r;
}

int get_managed_objects(sd_bus *bus, Objects *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(objects_done) Objects o = {};
        int r;

        r = bus_call_method(bus, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", 0,
                            "GetManagedObjects", &reply, NULL);
        if (r < 0)
                return r;
        r = read_managed_objects(reply, &o);
        if (r < 0)
                return die("cannot parse the reply of GetManagedObjects: %s", strerror(-r));
        *ret = o;
        o = (Objects) {};
        return 0;
}

int read_plan_rows(sd_bus_message *reply, RowInfo **ret, size_t *ret_n) {
        const char *action, *inst, *region, *mode, *msg;
        uint64_t size, usable, start;
        RowInfo *rows = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', PMEMNSD_PLAN_ROW_SIGNATURE);
        while (r >= 0 && (r = sd_bus_message_read(reply, PMEMNSD_PLAN_ROW_SIGNATURE, &action, &inst, &region, &mode,
                                                   &size, &usable, &start, &msg)) > 0) {
                RowInfo *a = realloc(rows, sizeof(RowInfo) * (n + 1));
                if (!a) {
                        r = -ENOMEM;
                        break;
                }
                rows = a;
                rows[n++] = (RowInfo) {
                        .action = text_dup(action), .instance = text_dup(inst), .region = text_dup(region),
                        .mode = text_dup(mode), .size = size, .usable_size = usable, .start = start,
                        .message = text_dup(msg),
                };
                if (!rows[n - 1].action || !rows[n - 1].instance || !rows[n - 1].region || !rows[n - 1].mode ||
                    !rows[n - 1].message)
                        r = -ENOMEM;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0) {
                rows_free(rows, n);
                return r;
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

const NamespaceInfo *objects_find_namespace(const Objects *o, const char *path) {
        for (size_t i = 0; i < o->n_namespaces; i++)
                if (streq(o->namespaces[i].path, path))
                        return &o->namespaces[i];
        return NULL;
}

const RegionInfo *objects_find_region(const Objects *o, const char *path) {
        for (size_t i = 0; i < o->n_regions; i++)
                if (streq(o->regions[i].path, path))
                        return &o->regions[i];
        return NULL;
}

const RegionInfo *objects_find_region_by_dev(const Objects *o, const char *dev) {
        for (size_t i = 0; i < o->n_regions; i++)
                if (streq(strempty(o->regions[i].device), dev))
                        return &o->regions[i];
        return NULL;
}

void manager_info_done(ManagerInfo *m) {
        fields_done(manager_fields, m);
        *m = (ManagerInfo) {};
}

void objects_done(Objects *o) {
        for (size_t i = 0; i < o->n_regions; i++) {
                free(o->regions[i].path);
                fields_done(region_fields, &o->regions[i]);
        }
        for (size_t i = 0; i < o->n_namespaces; i++) {
                free(o->namespaces[i].path);
                fields_done(namespace_fields, &o->namespaces[i]);
        }
        free(o->regions);
        free(o->namespaces);
        *o = (Objects) {};
}

void rows_free(RowInfo *rows, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(rows[i].action);
                free(rows[i].instance);
                free(rows[i].region);
                free(rows[i].mode);
                free(rows[i].message);
        }
        free(rows);
}
