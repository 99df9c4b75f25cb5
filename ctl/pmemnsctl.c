/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pmemnsctl: the command-line client of pmemnsd. It talks to the daemon over D-Bus only. */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include <json.h>

#include "bus-names.h"
#include "pmemns.h"
#include "util/macro.h"
#include "util/size.h"
#include "util/utf8.h"

#define APPLY_TIMEOUT_USEC (UINT64_C(15) * 60 * 1000000)

static bool arg_json;

static int die(const char *format, ...) _printf_(1, 2);
static int die(const char *format, ...) {
        va_list ap;
        fputs("pmemnsctl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        return -1;
}

/* Text from the daemon for a terminal: a label name, a file name or a message may hold
 * control characters (an escape sequence, a line break) that would act on the terminal or
 * forge output lines. In the human output they are written as \xNN, as is anything that is
 * not valid UTF-8 (the bus lets nothing of the kind through, but a direct connection to
 * another peer might); util/utf8.h has the rule. --json keeps the text as it is: json-c
 * escapes control characters itself. */
static char *text_dup(const char *s) {
        return arg_json ? strdup(strempty(s)) : utf8_escape(s, UTF8_ESCAPE_CONTROL);
}

/* ---- a property bag for what GetAll/GetManagedObjects return ---------------------------- */

typedef struct Prop {
        char *name;
        char type;
        char *s;    /* s, o */
        uint64_t u; /* t, u */
        int64_t i;  /* i, b */
        char **list; /* as, ao */
        size_t n_list;
} Prop;

typedef struct Object {
        char *path;
        char *iface;
        Prop *props;
        size_t n_props;
} Object;

typedef struct Objects {
        Object *items;
        size_t n;
} Objects;

static void objects_done(Objects *o) {
        for (size_t i = 0; i < o->n; i++) {
                for (size_t j = 0; j < o->items[i].n_props; j++) {
                        Prop *p = &o->items[i].props[j];
                        free(p->name);
                        free(p->s);
                        strv_free(p->list);
                }
                free(o->items[i].props);
                free(o->items[i].path);
                free(o->items[i].iface);
        }
        free(o->items);
        *o = (Objects) {};
}

static const Prop *prop(const Object *o, const char *name) {
        for (size_t i = 0; o && i < o->n_props; i++)
                if (streq(o->props[i].name, name))
                        return &o->props[i];
        return NULL;
}

static const char *prop_s(const Object *o, const char *name) {
        const Prop *p = prop(o, name);
        return p && p->s ? p->s : "";
}

static uint64_t prop_u(const Object *o, const char *name) {
        const Prop *p = prop(o, name);
        return p ? p->u : 0;
}

static int64_t prop_i(const Object *o, const char *name) {
        const Prop *p = prop(o, name);
        return p ? p->i : 0;
}

/* Read an a{sv} of properties into obj. */
static int read_props(sd_bus_message *m, Object *obj) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *contents;
                char type;
                Prop p = {};

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r < 0)
                        return r;
                p.name = strdup(name);
                p.type = contents[0];
                if (streq(contents, "s") || streq(contents, "o")) {
                        const char *v;
                        r = sd_bus_message_read_basic(m, contents[0], &v);
                        p.s = r >= 0 ? text_dup(v) : NULL;
                } else if (streq(contents, "t")) {
                        r = sd_bus_message_read(m, "t", &p.u);
                } else if (streq(contents, "i")) {
                        int32_t v;
                        r = sd_bus_message_read(m, "i", &v);
                        p.i = v;
                } else if (streq(contents, "b")) {
                        int v;
                        r = sd_bus_message_read(m, "b", &v);
                        p.i = v;
                } else if (streq(contents, "as") || streq(contents, "ao")) {
                        const char *v;
                        r = sd_bus_message_enter_container(m, 'a', contents + 1);
                        while (r >= 0 && (r = sd_bus_message_read_basic(m, contents[1], &v)) > 0) {
                                _cleanup_free_ char *t = text_dup(v);
                                if (!t || strv_push(&p.list, &p.n_list, t) < 0)
                                        r = -ENOMEM;
                        }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                        if (!p.list)
                                p.list = calloc(1, sizeof(char *));
                } else
                        r = sd_bus_message_skip(m, contents);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                Prop *np = realloc(obj->props, sizeof(Prop) * (obj->n_props + 1));
                if (!np)
                        return -ENOMEM;
                obj->props = np;
                obj->props[obj->n_props++] = p;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int objects_add(Objects *o, const char *path, const char *iface, Object **ret) {
        Object *n = realloc(o->items, sizeof(Object) * (o->n + 1));
        if (!n)
                return -ENOMEM;
        o->items = n;
        n[o->n] = (Object) { .path = strdup(path), .iface = strdup(iface) };
        *ret = &n[o->n++];
        return 0;
}

/* ---- bus --------------------------------------------------------------------------------- */

static sd_bus *bus;

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

static int connect_bus(void) {
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
        return 0;
}

static int get_managed_objects(Objects *ret) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        Objects o = {};
        int r;

        r = sd_bus_call_method(bus, PMEMNSD_BUS_NAME, PMEMNSD_ROOT_PATH, "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", &e, &reply, NULL);
        if (r < 0) {
                r = bus_error(&e, r, "GetManagedObjects");
                sd_bus_error_free(&e);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                const char *path;
                r = sd_bus_message_read(reply, "o", &path);
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                        const char *iface;
                        Object *obj;
                        r = sd_bus_message_read(reply, "s", &iface);
                        if (r >= 0 && (streq(iface, PMEMNSD_REGION_IFACE) || streq(iface, PMEMNSD_NAMESPACE_IFACE))) {
                                r = objects_add(&o, path, iface, &obj);
                                if (r >= 0)
                                        r = read_props(reply, obj);
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
        sd_bus_message_unref(reply);
        if (r < 0) {
                objects_done(&o);
                return die("cannot parse the reply of GetManagedObjects: %s", strerror(-r));
        }
        *ret = o;
        return 0;
}

static int get_manager(Object *ret) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, PMEMNSD_BUS_NAME, PMEMNSD_ROOT_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                               &e, &reply, "s", PMEMNSD_MANAGER_IFACE);
        if (r < 0) {
                r = bus_error(&e, r, "GetAll");
                sd_bus_error_free(&e);
                return r;
        }
        *ret = (Object) { .path = strdup(PMEMNSD_ROOT_PATH), .iface = strdup(PMEMNSD_MANAGER_IFACE) };
        r = read_props(reply, ret);
        sd_bus_message_unref(reply);
        if (r < 0)
                return die("cannot parse the manager's properties: %s", strerror(-r));
        return 0;
}

/* ---- output ------------------------------------------------------------------------------ */

static json_object *object_to_json(const Object *o) {
        json_object *j = json_object_new_object();
        for (size_t i = 0; i < o->n_props; i++) {
                const Prop *p = &o->props[i];
                json_object *v;
                switch (p->type) {
                case 's': case 'o': v = json_object_new_string(strempty(p->s)); break;
                case 't': v = json_object_new_uint64(p->u); break;
                case 'i': v = json_object_new_int64(p->i); break;
                case 'b': v = json_object_new_boolean((json_bool) p->i); break;
                case 'a':
                        v = json_object_new_array();
                        for (size_t k = 0; k < p->n_list; k++)
                                json_object_array_add(v, json_object_new_string(p->list[k]));
                        break;
                default: v = NULL;
                }
                json_object_object_add(j, p->name, v);
        }
        return j;
}

static void print_json(json_object *j) {
        printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
}

static const char *basename_of(const char *path) {
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

static void print_regions(const Objects *o) {
        printf("%-10s %-5s %9s %9s %9s %8s %5s %-7s %-10s %9s %s\n", "REGION", "TYPE", "SIZE",
               "AVAILABLE", "MAXEXTENT", "ALIGN", "NODE", "LABELED", "POLICY", "LOST", "NAMESPACES");
        for (size_t i = 0; i < o->n; i++) {
                const Object *r = &o->items[i];
                const Prop *ns = prop(r, "Namespaces");
                if (!streq(r->iface, PMEMNSD_REGION_IFACE))
                        continue;
                printf("%-10s %-5s %9s %9s %9s %8s %5" PRIi64 " %-7s %-10s %9s %zu\n", prop_s(r, "Device"),
                       prop_s(r, "Type"), FORMAT_SIZE(prop_u(r, "Size")), FORMAT_SIZE(prop_u(r, "AvailableSize")),
                       FORMAT_SIZE(prop_u(r, "MaxAvailableExtent")), FORMAT_SIZE(prop_u(r, "Align")),
                       prop_i(r, "NumaNode"), prop_i(r, "Labeled") ? "yes" : "no",
                       isempty(prop_s(r, "Policy")) ? "-" : prop_s(r, "Policy"),
                       FORMAT_SIZE(prop_u(r, "LostToAlignment")), ns ? ns->n_list : 0);
        }
}

static void print_namespaces(const Objects *o) {
        printf("%-14s %-8s %-14s %-6s %9s %9s %-14s %-12s %-8s %s\n", "NAMESPACE", "REGION", "NAME", "MODE",
               "SIZE", "USABLE", "START", "DEVICE", "STATE", "POLICY");
        for (size_t i = 0; i < o->n; i++) {
                const Object *n = &o->items[i];
                const char *dev;
                char start[24];
                if (!streq(n->iface, PMEMNSD_NAMESPACE_IFACE))
                        continue;
                dev = !isempty(prop_s(n, "BlockDevice")) ? prop_s(n, "BlockDevice") : prop_s(n, "CharDevice");
                snprintf(start, sizeof(start), "%#" PRIx64, prop_u(n, "Start"));
                printf("%-14s %-8s %-14s %-6s %9s %9s %-14s %-12s %-8s %s\n", prop_s(n, "Device"),
                       basename_of(prop_s(n, "Region")), isempty(prop_s(n, "Name")) ? "-" : prop_s(n, "Name"),
                       prop_s(n, "Mode"), FORMAT_SIZE(prop_u(n, "Size")), FORMAT_SIZE(prop_u(n, "UsableSize")),
                       start, isempty(dev) ? "-" : dev, prop_s(n, "State"),
                       isempty(prop_s(n, "Policy")) ? "-" : prop_s(n, "Policy"));
                if (!isempty(prop_s(n, "Error")))
                        printf("    %s\n", prop_s(n, "Error"));
        }
}

static int json_list(const Objects *o, const char *iface, json_object *into) {
        for (size_t i = 0; i < o->n; i++)
                if (streq(o->items[i].iface, iface))
                        json_object_array_add(into, object_to_json(&o->items[i]));
        return 0;
}

/* ---- commands ----------------------------------------------------------------------------- */

static int cmd_status(int argc, char *argv[]) {
        Object m = {};
        Objects o = {};
        int r;

        r = get_manager(&m);
        if (r >= 0)
                r = get_managed_objects(&o);
        if (r < 0)
                goto out;
        if (arg_json) {
                json_object *j = object_to_json(&m), *regions = json_object_new_array();
                json_list(&o, PMEMNSD_REGION_IFACE, regions);
                json_object_object_add(j, "Regions", regions);
                print_json(j);
        } else {
                const Prop *files = prop(&m, "PolicyFiles");
                printf("Version:            %s\n", prop_s(&m, "Version"));
                printf("State:              %s\n", prop_s(&m, "State"));
                printf("Kernel:             %s (sub-section hotplug: %s)\n", prop_s(&m, "KernelRelease"),
                       prop_i(&m, "SubsectionHotplug") ? "yes" : "no");
                printf("Granularity:        %s\n", FORMAT_SIZE(prop_u(&m, "Granularity")));
                printf("Subsection/section: %s / %s\n", FORMAT_SIZE(prop_u(&m, "SubsectionSize")),
                       FORMAT_SIZE(prop_u(&m, "SectionSize")));
                printf("Memory block:       %s\n", FORMAT_SIZE(prop_u(&m, "MemoryBlockSize")));
                printf("Policy files:      ");
                for (size_t i = 0; files && i < files->n_list; i++)
                        printf(" %s", files->list[i]);
                printf("%s\n\n", files && files->n_list ? "" : " (none)");
                print_regions(&o);
        }
out:
        for (size_t j = 0; j < m.n_props; j++) {
                free(m.props[j].name);
                free(m.props[j].s);
                strv_free(m.props[j].list);
        }
        free(m.props);
        free(m.path);
        free(m.iface);
        objects_done(&o);
        return r;
}

static int cmd_list(int argc, char *argv[]) {
        bool regions = true, namespaces = true;
        Objects o = {};
        int r;

        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--regions"))
                        namespaces = false;
                else if (streq(argv[i], "--namespaces"))
                        regions = false;
                else
                        return die("list: unknown argument '%s' (expected --regions or --namespaces)", argv[i]);
        }
        r = get_managed_objects(&o);
        if (r < 0)
                return r;
        if (arg_json) {
                json_object *j = json_object_new_object();
                if (regions) {
                        json_object *a = json_object_new_array();
                        json_list(&o, PMEMNSD_REGION_IFACE, a);
                        json_object_object_add(j, "regions", a);
                }
                if (namespaces) {
                        json_object *a = json_object_new_array();
                        json_list(&o, PMEMNSD_NAMESPACE_IFACE, a);
                        json_object_object_add(j, "namespaces", a);
                }
                print_json(j);
        } else {
                if (regions)
                        print_regions(&o);
                if (regions && namespaces)
                        printf("\n");
                if (namespaces)
                        print_namespaces(&o);
        }
        objects_done(&o);
        return 0;
}

static int print_rows(sd_bus_message *reply) {
        json_object *ja = arg_json ? json_object_new_array() : NULL;
        const char *action, *inst, *region, *mode, *msg;
        uint64_t size, usable, start;
        bool failed = false;
        int r;

        if (!arg_json)
                printf("%-8s %-14s %-8s %-6s %9s %9s %-14s %s\n", "ACTION", "INSTANCE", "REGION", "MODE",
                       "SIZE", "USABLE", "START", "MESSAGE");
        r = sd_bus_message_enter_container(reply, 'a', "(ssssttts)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ssssttts)", &action, &inst, &region, &mode,
                                                   &size, &usable, &start, &msg)) > 0) {
                failed = failed || streq(action, "failed");
                if (ja) {
                        json_object *j = json_object_new_object();
                        json_object_object_add(j, "action", json_object_new_string(action));
                        json_object_object_add(j, "instance", json_object_new_string(inst));
                        json_object_object_add(j, "region", json_object_new_string(region));
                        json_object_object_add(j, "mode", json_object_new_string(mode));
                        json_object_object_add(j, "size", json_object_new_uint64(size));
                        json_object_object_add(j, "usable_size", json_object_new_uint64(usable));
                        json_object_object_add(j, "start", json_object_new_uint64(start));
                        json_object_object_add(j, "message", json_object_new_string(msg));
                        json_object_array_add(ja, j);
                } else {
                        _cleanup_free_ char *a = text_dup(action), *i = text_dup(inst), *rg = text_dup(region),
                                            *md = text_dup(mode), *ms = text_dup(msg);
                        char st[24] = "-";
                        if (!a || !i || !rg || !md || !ms) {
                                r = -ENOMEM;
                                break;
                        }
                        if (start)
                                snprintf(st, sizeof(st), "%#" PRIx64, start);
                        printf("%-8s %-14s %-8s %-6s %9s %9s %-14s %s\n", a, isempty(i) ? "-" : i, rg, md,
                               FORMAT_SIZE(size), FORMAT_SIZE(usable), st, ms);
                }
        }
        if (r < 0) {
                json_object_put(ja);
                return die("cannot parse the plan: %s", strerror(-r));
        }
        if (ja)
                print_json(ja);
        return failed ? die("some namespaces failed, see above") : 0;
}

static int call_rows(const char *method) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *msg = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &msg, PMEMNSD_BUS_NAME, PMEMNSD_ROOT_PATH, PMEMNSD_MANAGER_IFACE, method);
        if (r >= 0)
                r = sd_bus_call(bus, msg, APPLY_TIMEOUT_USEC, &e, &reply);
        sd_bus_message_unref(msg);
        if (r < 0) {
                r = bus_error(&e, r, method);
                sd_bus_error_free(&e);
                return r;
        }
        r = print_rows(reply);
        sd_bus_message_unref(reply);
        return r;
}

static int cmd_plan(int argc, char *argv[]) {
        return call_rows("Plan");
}

static int cmd_apply(int argc, char *argv[]) {
        return call_rows("Apply");
}

static int cmd_reload(int argc, char *argv[]) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, PMEMNSD_BUS_NAME, PMEMNSD_ROOT_PATH, PMEMNSD_MANAGER_IFACE, "Reload", &e, NULL, NULL);
        if (r < 0) {
                r = bus_error(&e, r, "reload");
                sd_bus_error_free(&e);
        }
        return r;
}

static int cmd_create(int argc, char *argv[]) {
        enum { OPT_REGION = 0x100, OPT_MODE, OPT_SIZE, OPT_NAME, OPT_ALIGN, OPT_MAP, OPT_SECTOR };
        static const struct option options[] = {
                { "region", required_argument, NULL, OPT_REGION },
                { "mode", required_argument, NULL, OPT_MODE },
                { "size", required_argument, NULL, OPT_SIZE },
                { "name", required_argument, NULL, OPT_NAME },
                { "align", required_argument, NULL, OPT_ALIGN },
                { "map", required_argument, NULL, OPT_MAP },
                { "sector-size", required_argument, NULL, OPT_SECTOR },
                {},
        };
        const char *region = NULL, *mode = NULL, *name = NULL, *map = NULL;
        uint64_t size = 0, align = 0, sector = 0;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *msg = NULL, *reply = NULL;
        const char *path;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case OPT_REGION: region = optarg; break;
                case OPT_MODE:
                        if (ns_mode_from_string(optarg) < 0)
                                return die("invalid --mode '%s': expected fsdax, devdax, sector or raw", optarg);
                        mode = optarg;
                        break;
                case OPT_SIZE:
                        if (parse_size(optarg, &size) < 0 || size == 0)
                                return die("invalid --size '%s': expected a size such as 130M or 1G", optarg);
                        break;
                case OPT_NAME: name = optarg; break;
                case OPT_ALIGN:
                        if (parse_size(optarg, &align) < 0)
                                return die("invalid --align '%s': expected 4K, 2M or 1G", optarg);
                        break;
                case OPT_MAP:
                        if (ns_map_from_string(optarg) < 0)
                                return die("invalid --map '%s': expected dev or mem", optarg);
                        map = optarg;
                        break;
                case OPT_SECTOR:
                        if (parse_size(optarg, &sector) < 0)
                                return die("invalid --sector-size '%s'", optarg);
                        break;
                default:
                        return die("create: invalid option; see pmemnsctl --help");
                }
        }
        if (!region || !mode || !size)
                return die("create needs --region, --mode and --size");

        r = sd_bus_message_new_method_call(bus, &msg, PMEMNSD_BUS_NAME, PMEMNSD_ROOT_PATH, PMEMNSD_MANAGER_IFACE, "CreateNamespace");
        if (r >= 0)
                r = sd_bus_message_append(msg, "sst", region, mode, size);
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'a', "{sv}");
        if (r >= 0 && name)
                r = sd_bus_message_append(msg, "{sv}", "name", "s", name);
        if (r >= 0 && align)
                r = sd_bus_message_append(msg, "{sv}", "align", "t", align);
        if (r >= 0 && map)
                r = sd_bus_message_append(msg, "{sv}", "map", "s", map);
        if (r >= 0 && sector)
                r = sd_bus_message_append(msg, "{sv}", "sector-size", "t", sector);
        if (r >= 0)
                r = sd_bus_message_close_container(msg);
        if (r >= 0)
                r = sd_bus_call(bus, msg, APPLY_TIMEOUT_USEC, &e, &reply);
        sd_bus_message_unref(msg);
        if (r < 0) {
                r = bus_error(&e, r, "create");
                sd_bus_error_free(&e);
                return r;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0) {
                if (arg_json) {
                        json_object *j = json_object_new_object();
                        json_object_object_add(j, "object", json_object_new_string(path));
                        print_json(j);
                } else
                        printf("%s\n", path);
        }
        sd_bus_message_unref(reply);
        return r < 0 ? die("cannot parse the reply: %s", strerror(-r)) : 0;
}

static int cmd_destroy(int argc, char *argv[]) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        if (argc != 2)
                return die("destroy needs exactly one NAMESPACE (namespace0.1 or its object path)");
        path = argv[1][0] == '/' ? strdup(argv[1]) : namespace_object_path(argv[1]);
        if (!path)
                return die("destroy: %s", strerror(errno));
        r = sd_bus_call_method(bus, PMEMNSD_BUS_NAME, PMEMNSD_ROOT_PATH, PMEMNSD_MANAGER_IFACE, "DestroyNamespace", &e, NULL, "o", path);
        if (r < 0) {
                r = bus_error(&e, r, "destroy");
                sd_bus_error_free(&e);
        }
        return r;
}

/* A picture of each region's address space: namespaces, free space, in proportion. */
static int cmd_map(int argc, char *argv[]) {
        const int width = 64;
        Objects o = {};
        int r;

        r = get_managed_objects(&o);
        if (r < 0)
                return r;
        for (size_t i = 0; i < o.n; i++) {
                const Object *reg = &o.items[i];
                const Prop *nsl = prop(reg, "Namespaces");
                uint64_t size = prop_u(reg, "Size"), base = UINT64_MAX;
                char bar[128];

                if (!streq(reg->iface, PMEMNSD_REGION_IFACE))
                        continue;
                if (argc > 1 && !streq(argv[1], prop_s(reg, "Device")))
                        continue;
                memset(bar, '.', (size_t) width);
                bar[width] = '\0';
                /* the region's start is not a property: the lowest namespace start, or the
                 * end of the used space when the region is full from its start */
                for (size_t k = 0; nsl && k < nsl->n_list; k++)
                        for (size_t j = 0; j < o.n; j++)
                                if (streq(o.items[j].path, nsl->list[k]))
                                        base = MIN(base, prop_u(&o.items[j], "Start"));
                printf("%s (%s, %s free, %s lost to alignment)\n", prop_s(reg, "Device"), FORMAT_SIZE(size),
                       FORMAT_SIZE(prop_u(reg, "AvailableSize")), FORMAT_SIZE(prop_u(reg, "LostToAlignment")));
                for (size_t k = 0; nsl && k < nsl->n_list; k++)
                        for (size_t j = 0; j < o.n; j++) {
                                const Object *n = &o.items[j];
                                uint64_t s, e;
                                char mark;
                                if (!streq(n->path, nsl->list[k]) || size == 0)
                                        continue;
                                s = (prop_u(n, "Start") - base) * (uint64_t) width / size;
                                e = (prop_u(n, "Start") - base + prop_u(n, "Size")) * (uint64_t) width / size;
                                mark = (char) ('A' + (int) (k % 26));
                                for (uint64_t x = s; x < e && x < (uint64_t) width; x++)
                                        bar[x] = mark;
                                if (e == s && s < (uint64_t) width)
                                        bar[s] = mark;
                                printf("  %c %-14s %-14s %-6s %9s at +%s\n", mark, prop_s(n, "Device"),
                                       isempty(prop_s(n, "Name")) ? "-" : prop_s(n, "Name"), prop_s(n, "Mode"),
                                       FORMAT_SIZE(prop_u(n, "Size")), FORMAT_SIZE(prop_u(n, "Start") - base));
                        }
                printf("  [%s]  ('.' free)\n\n", bar);
        }
        objects_done(&o);
        return 0;
}

static void help(void) {
        printf("Usage: pmemnsctl [--json] COMMAND [ARGS...]\n\n"
               "Query and drive pmemnsd over D-Bus.\n\n"
               "Commands:\n"
               "  status                        daemon state, kernel facts, regions\n"
               "  list [--regions|--namespaces] regions and namespaces\n"
               "  plan                          what reconciling would do (a dry run)\n"
               "  apply                         reconcile now (root)\n"
               "  reload                        re-read the configuration (root)\n"
               "  create --region R --mode M --size S [--name N] [--align A] [--map dev|mem]\n"
               "         [--sector-size S]     create one namespace (root)\n"
               "  destroy NAMESPACE             disable and delete one namespace (root)\n"
               "  map [REGION]                  a picture of each region's address space\n\n"
               "Options:\n"
               "  --json        JSON output for scripts\n"
               "  --no-pager    accepted for compatibility; output is never paged\n"
               "  -h --help     this help\n"
               "  --version     the version\n\n"
               "Sizes accept K, M, G and T (binary). See pmemnsctl(1).\n");
}

int main(int argc, char *argv[]) {
        static const struct {
                const char *name;
                int (*func)(int argc, char *argv[]);
        } commands[] = {
                { "status", cmd_status }, { "list", cmd_list }, { "plan", cmd_plan },
                { "apply", cmd_apply },   { "reload", cmd_reload }, { "create", cmd_create },
                { "destroy", cmd_destroy }, { "map", cmd_map },
        };
        int i, r;

        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                if (streq(argv[i], "--json"))
                        arg_json = true;
                else if (streq(argv[i], "--no-pager"))
                        ;
                else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
                        help();
                        return 0;
                } else if (streq(argv[i], "--version")) {
                        printf("pmemnsctl %s\n", PACKAGE_VERSION);
                        return 0;
                } else
                        return die("unknown option '%s'; see pmemnsctl --help", argv[i]), 1;
        }
        if (i >= argc)
                return die("no command given; see pmemnsctl --help"), 1;

        for (size_t k = 0; k < ELEMENTSOF(commands); k++)
                if (streq(argv[i], commands[k].name)) {
                        /* options after the command: --json anywhere */
                        int n = 0;
                        char **args = calloc((size_t) (argc - i + 1), sizeof(char *));
                        for (int j = i; j < argc; j++) {
                                if (j > i && streq(argv[j], "--json"))
                                        arg_json = true;
                                else if (j > i && streq(argv[j], "--no-pager"))
                                        ;
                                else
                                        args[n++] = argv[j];
                        }
                        if (connect_bus() < 0)
                                return 1;
                        r = commands[k].func(n, args);
                        free(args);
                        sd_bus_flush_close_unref(bus);
                        return r < 0 ? 1 : 0;
                }
        return die("unknown command '%s'; see pmemnsctl --help", argv[i]), 1;
}
