/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pmemnsctl: the command-line client of pmemnsd. It talks to the daemon over D-Bus only:
 * bus-objects.c reads what the daemon serves into typed objects, output.c prints them. */
#include <getopt.h>
#include <stdio.h>

#include <systemd/sd-bus.h>

#include "bus-objects.h"
#include "output.h"
#include "pmemns.h"
#include "pmemnsctl.h"
#include "util/macro.h"
#include "util/strv.h"
#include "util/size.h"

bool arg_json;

static int cmd_status(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_(manager_info_done) ManagerInfo m = {};
        _cleanup_(objects_done) Objects o = {};
        int r;

        r = get_manager(bus, &m);
        if (r >= 0)
                r = get_managed_objects(bus, &o);
        if (r < 0)
                return r;
        if (arg_json) {
                json_object *j = fields_to_json(manager_fields, &m);
                json_object_object_add(j, "Regions", regions_to_json(&o));
                print_json(j);
        } else
                print_status(&m, &o);
        return 0;
}

static int cmd_list(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_(objects_done) Objects o = {};
        bool regions = true, namespaces = true;
        int r;

        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--regions"))
                        namespaces = false;
                else if (streq(argv[i], "--namespaces"))
                        regions = false;
                else
                        return die("list: unknown argument '%s' (expected --regions or --namespaces)", argv[i]);
        }
        r = get_managed_objects(bus, &o);
        if (r < 0)
                return r;
        if (arg_json) {
                json_object *j = json_object_new_object();
                if (regions)
                        json_object_object_add(j, "regions", regions_to_json(&o));
                if (namespaces)
                        json_object_object_add(j, "namespaces", namespaces_to_json(&o));
                print_json(j);
        } else {
                if (regions)
                        print_regions(&o);
                if (regions && namespaces)
                        printf("\n");
                if (namespaces)
                        print_namespaces(&o);
        }
        return 0;
}

/* Plan and Apply: the rows, and a failure when one failed */
static int call_rows(sd_bus *bus, const char *method) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        RowInfo *rows = NULL;
        size_t n = 0;
        bool failed = false;
        int r;

        r = bus_call_method(bus, PMEMNSD_MANAGER_IFACE, method, APPLY_TIMEOUT_USEC, method, &reply, NULL);
        if (r < 0)
                return r;
        r = read_plan_rows(reply, &rows, &n);
        if (r < 0)
                return die("cannot parse the plan: %s", strerror(-r));
        for (size_t i = 0; i < n; i++)
                failed = failed || streq(rows[i].action, "failed");
        if (arg_json)
                print_json(rows_to_json(rows, n));
        else
                print_rows(rows, n);
        rows_free(rows, n);
        return failed ? die("some namespaces failed, see above") : 0;
}

static int cmd_plan(sd_bus *bus, int argc, char *argv[]) {
        return call_rows(bus, "Plan");
}

static int cmd_apply(sd_bus *bus, int argc, char *argv[]) {
        return call_rows(bus, "Apply");
}

static int cmd_reload(sd_bus *bus, int argc, char *argv[]) {
        return bus_call_method(bus, PMEMNSD_MANAGER_IFACE, "Reload", 0, "reload", NULL, NULL);
}

static int cmd_create(sd_bus *bus, int argc, char *argv[]) {
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
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL, *reply = NULL;
        const char *path;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case OPT_REGION: region = optarg; break;
                case OPT_MODE:
                        if (ns_mode_from_string(optarg) < 0)
                                return die("invalid --mode '%s': expected " NS_MODE_VALID, optarg);
                        mode = optarg;
                        break;
                case OPT_SIZE:
                        if (parse_size(optarg, &size) < 0 || size == 0)
                                return die("invalid --size '%s': expected a size such as 130M or 1G", optarg);
                        break;
                case OPT_NAME: name = optarg; break;
                case OPT_ALIGN:
                        if (parse_size(optarg, &align) < 0)
                                return die("invalid --align '%s': expected " NS_ALIGN_VALID, optarg);
                        break;
                case OPT_MAP:
                        if (ns_map_from_string(optarg) < 0)
                                return die("invalid --map '%s': expected " NS_MAP_VALID, optarg);
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

        r = bus_new_manager_call(bus, "CreateNamespace", &msg);
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
        if (r < 0)
                return die("create: %s", strerror(-r));
        r = bus_call(bus, msg, APPLY_TIMEOUT_USEC, "create", &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return die("cannot parse the reply: %s", strerror(-r));
        if (arg_json) {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "object", json_object_new_string(path));
                print_json(j);
        } else
                printf("%s\n", path);
        return 0;
}

static int cmd_destroy(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_free_ char *path = NULL;

        if (argc != 2)
                return die("destroy needs exactly one NAMESPACE (namespace0.1 or its object path)");
        path = argv[1][0] == '/' ? strdup(argv[1]) : namespace_object_path(argv[1]);
        if (!path)
                return die("destroy: %s", strerror(errno));
        return bus_call_method(bus, PMEMNSD_MANAGER_IFACE, "DestroyNamespace", 0, "destroy", NULL, "o", path);
}

static int cmd_map(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_(objects_done) Objects o = {};
        int r;

        r = get_managed_objects(bus, &o);
        if (r < 0)
                return r;
        print_map(&o, argc > 1 ? argv[1] : NULL);
        return 0;
}

static const struct {
        const char *name;
        int (*func)(sd_bus *bus, int argc, char *argv[]);
} commands[] = {
        { "status", cmd_status },
        { "list", cmd_list },
        { "plan", cmd_plan },
        { "apply", cmd_apply },
        { "reload", cmd_reload },
        { "create", cmd_create },
        { "destroy", cmd_destroy },
        { "map", cmd_map },
};

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

/* A command with its arguments; --json and --no-pager may also come after the command. */
static int run_command(size_t k, int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char **args = calloc((size_t) argc + 1, sizeof(char *));
        int n = 0;

        if (!args)
                return die("out of memory");
        for (int j = 0; j < argc; j++) {
                if (j > 0 && streq(argv[j], "--json"))
                        arg_json = true;
                else if (j > 0 && streq(argv[j], "--no-pager"))
                        ;
                else
                        args[n++] = argv[j];
        }
        if (bus_connect(&bus) < 0)
                return -1;
        return commands[k].func(bus, n, args);
}

int main(int argc, char *argv[]) {
        int i;

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
                if (streq(argv[i], commands[k].name))
                        return run_command(k, argc - i, argv + i) < 0 ? 1 : 0;
        return die("unknown command '%s'; see pmemnsctl --help", argv[i]), 1;
}
