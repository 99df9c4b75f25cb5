/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pmemnsctl: the command-line client of pmemnsd. It talks to the daemon over D-Bus only:
 * bus-objects.c reads what the daemon serves into typed objects, output.c prints them. */
#include <getopt.h>
#include <stdio.h>

#include <systemd/sd-bus.h>

#include "bus-names.h"
#include "bus-objects.h"
#include "output.h"
#include "pmemns.h"
#include "pmemnsctl.h"
#include "util/macro.h"
#include "util/strv.h"
#include "util/size.h"

JsonFormat arg_json = JSON_OFF;
bool arg_legend = true;

/* the verbs' options: parsed with the global ones (as systemctl does), each allowed only
 * with its verb */
static bool arg_regions = true, arg_namespaces = true;
static const char *arg_region, *arg_mode, *arg_name, *arg_map;
static uint64_t arg_size, arg_align, arg_sector;

enum {
        OPT_JSON = 0x100,
        OPT_NO_LEGEND,
        OPT_NO_PAGER,
        OPT_VERSION,
        OPT_REGIONS,
        OPT_NAMESPACES,
        OPT_REGION,
        OPT_MODE,
        OPT_SIZE,
        OPT_NAME,
        OPT_ALIGN,
        OPT_MAP,
        OPT_SECTOR,
        _OPT_MAX,
};

#define VERB_OPT(o) (UINT32_C(1) << ((o) - OPT_REGIONS))
#define LIST_OPTS (VERB_OPT(OPT_REGIONS) | VERB_OPT(OPT_NAMESPACES))
#define CREATE_OPTS                                                                                     \
        (VERB_OPT(OPT_REGION) | VERB_OPT(OPT_MODE) | VERB_OPT(OPT_SIZE) | VERB_OPT(OPT_NAME) |        \
         VERB_OPT(OPT_ALIGN) | VERB_OPT(OPT_MAP) | VERB_OPT(OPT_SECTOR))

static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { "json", optional_argument, NULL, OPT_JSON },
        { "no-legend", no_argument, NULL, OPT_NO_LEGEND },
        { "no-pager", no_argument, NULL, OPT_NO_PAGER },
        { "regions", no_argument, NULL, OPT_REGIONS },
        { "namespaces", no_argument, NULL, OPT_NAMESPACES },
        { "region", required_argument, NULL, OPT_REGION },
        { "mode", required_argument, NULL, OPT_MODE },
        { "size", required_argument, NULL, OPT_SIZE },
        { "name", required_argument, NULL, OPT_NAME },
        { "align", required_argument, NULL, OPT_ALIGN },
        { "map", required_argument, NULL, OPT_MAP },
        { "sector-size", required_argument, NULL, OPT_SECTOR },
        {},
};

static const char *option_name(int c) {
        for (const struct option *o = options; o->name; o++)
                if (o->val == c)
                        return o->name;
        return "?";
}

static int cmd_status(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_(manager_info_done) ManagerInfo m = {};
        _cleanup_(objects_done) Objects o = {};
        int r;

        r = get_manager(bus, &m);
        if (r >= 0)
                r = get_managed_objects(bus, &o);
        if (r < 0)
                return r;
        if (arg_json != JSON_OFF) {
                print_json(manager_to_json(&m, &o));
                return 0;
        }
        r = print_status(&m, &o);
        return r < 0 ? die("status: %s", strerror(-r)) : 0;
}

static int cmd_list(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_(objects_done) Objects o = {};
        int r;

        r = get_managed_objects(bus, &o);
        if (r < 0)
                return r;
        if (arg_json != JSON_OFF) {
                json_object *j = json_object_new_object();
                if (arg_regions)
                        json_object_object_add(j, "regions", regions_to_json(&o));
                if (arg_namespaces)
                        json_object_object_add(j, "namespaces", namespaces_to_json(&o));
                print_json(j);
                return 0;
        }
        if (arg_regions)
                r = print_regions(&o);
        if (r >= 0 && arg_regions && arg_namespaces && arg_legend)
                printf("\n");
        if (r >= 0 && arg_namespaces)
                r = print_namespaces(&o);
        return r < 0 ? die("list: %s", strerror(-r)) : 0;
}

/* Plan and Apply: the rows, and a failure when one failed */
static int call_rows(sd_bus *bus, const char *method, uint64_t usec) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        RowInfo *rows = NULL;
        size_t n = 0;
        bool failed = false;
        int r;

        r = bus_call_method(bus, PMEMNSD_MANAGER_IFACE, method, usec, method, &reply, NULL);
        if (r < 0)
                return r;
        r = read_plan_rows(reply, &rows, &n);
        if (r < 0)
                return die("cannot parse the plan: %s", strerror(-r));
        for (size_t i = 0; i < n; i++)
                failed = failed || streq(rows[i].action, "failed");
        if (arg_json != JSON_OFF) {
                json_object *j = rows_to_json(rows, n);
                if (j)
                        print_json(j);
                else
                        r = -ENOMEM;
        } else
                r = print_rows(rows, n);
        rows_free(rows, n);
        if (r < 0)
                return die("%s: %s", method, strerror(-r));
        return failed ? die("some namespaces failed, see above") : 0;
}

static int cmd_plan(sd_bus *bus, int argc, char *argv[]) {
        return call_rows(bus, "Plan", PLAN_TIMEOUT_USEC);
}

static int cmd_apply(sd_bus *bus, int argc, char *argv[]) {
        return call_rows(bus, "Apply", MUTATING_TIMEOUT_USEC);
}

static int cmd_reload(sd_bus *bus, int argc, char *argv[]) {
        return bus_call_method(bus, PMEMNSD_MANAGER_IFACE, "Reload", MUTATING_TIMEOUT_USEC, "reload", NULL, NULL);
}

static int cmd_create(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL, *reply = NULL;
        _cleanup_free_ char *dev = NULL;
        const char *path;
        int r;

        r = bus_new_manager_call(bus, "CreateNamespace", &msg);
        if (r >= 0)
                r = sd_bus_message_append(msg, "sst", arg_region, arg_mode, arg_size);
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'a', "{sv}");
        if (r >= 0 && arg_name)
                r = sd_bus_message_append(msg, "{sv}", "name", "s", arg_name);
        if (r >= 0 && arg_align)
                r = sd_bus_message_append(msg, "{sv}", "align", "t", arg_align);
        if (r >= 0 && arg_map)
                r = sd_bus_message_append(msg, "{sv}", "map", "s", arg_map);
        if (r >= 0 && arg_sector)
                r = sd_bus_message_append(msg, "{sv}", "sector-size", "t", arg_sector);
        if (r >= 0)
                r = sd_bus_message_close_container(msg);
        if (r < 0)
                return die("create: %s", strerror(-r));
        r = bus_call(bus, msg, MUTATING_TIMEOUT_USEC, "create", &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return die("cannot parse the reply: %s", strerror(-r));
        if (arg_json != JSON_OFF) {
                json_object *j = json_object_new_object();
                dev = bus_object_path_to_dev(path, PMEMNSD_NAMESPACE_PREFIX);
                json_object_object_add(j, "dev", json_object_new_string(strempty(dev)));
                json_object_object_add(j, "object", json_object_new_string(path));
                print_json(j);
        } else
                printf("%s\n", path);
        return 0;
}

static int cmd_destroy(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_free_ char *path = NULL;

        path = argv[1][0] == '/' ? strdup(argv[1]) : namespace_object_path(argv[1]);
        if (!path)
                return die("destroy: %s", strerror(errno));
        return bus_call_method(bus, PMEMNSD_MANAGER_IFACE, "DestroyNamespace", MUTATING_TIMEOUT_USEC, "destroy",
                               NULL, "o", path);
}

static int cmd_map(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_(objects_done) Objects o = {};
        int r;

        r = get_managed_objects(bus, &o);
        if (r < 0)
                return r;
        if (argc > 1 && !objects_find_region_by_dev(&o, argv[1]))
                return die("map: no region '%s' on the nd bus", argv[1]);
        if (arg_json != JSON_OFF)
                print_json(map_to_json(&o, argc > 1 ? argv[1] : NULL));
        else
                print_map(&o, argc > 1 ? argv[1] : NULL);
        return 0;
}

static const struct {
        const char *name;
        int min_args, max_args; /* after the verb */
        uint32_t options;       /* VERB_OPT()s it takes */
        int (*func)(sd_bus *bus, int argc, char *argv[]);
} commands[] = {
        { "status", 0, 0, 0, cmd_status },
        { "list", 0, 0, LIST_OPTS, cmd_list },
        { "plan", 0, 0, 0, cmd_plan },
        { "apply", 0, 0, 0, cmd_apply },
        { "reload", 0, 0, 0, cmd_reload },
        { "create", 0, 0, CREATE_OPTS, cmd_create },
        { "destroy", 1, 1, 0, cmd_destroy },
        { "map", 0, 1, 0, cmd_map },
};
static void help(void) {
        printf("Usage: pmemnsctl [OPTIONS...] COMMAND [ARGS...]\n\n"
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
               "  --json[=MODE] JSON output for scripts: pretty (the default), short (one\n"
               "                line) or off\n"
               "  -j            --json=pretty on a terminal, --json=short otherwise\n"
               "  --no-legend   tables without their header, nothing for an empty list\n"
               "  --no-pager    accepted for compatibility; output is never paged\n"
               "  -h --help     this help\n"
               "  --version     the version\n\n"
               "Sizes accept K, M, G and T (binary). See pmemnsctl(1).\n");
}

/* One verb's option: checked and kept, before any connection. */
static int parse_verb_option(int c, const char *value) {
        switch (c) {
        case OPT_REGIONS:
        case OPT_NAMESPACES:
                return 0; /* main() reads them from the mask */
        case OPT_REGION:
                arg_region = value;
                return 0;
        case OPT_MODE:
                if (ns_mode_from_string(value) < 0)
                        return die("invalid --mode '%s': expected " NS_MODE_VALID, value);
                arg_mode = value;
                return 0;
        case OPT_SIZE:
                if (parse_size(value, &arg_size) < 0 || arg_size == 0)
                        return die("invalid --size '%s': expected a size such as 130M or 1G", value);
                return 0;
        case OPT_NAME:
                arg_name = value;
                return 0;
        case OPT_ALIGN:
                if (parse_size(value, &arg_align) < 0)
                        return die("invalid --align '%s': expected " NS_ALIGN_VALID, value);
                return 0;
        case OPT_MAP:
                if (ns_map_from_string(value) < 0)
                        return die("invalid --map '%s': expected " NS_MAP_VALID, value);
                arg_map = value;
                return 0;
        case OPT_SECTOR:
                if (parse_size(value, &arg_sector) < 0)
                        return die("invalid --sector-size '%s': expected a size such as 512 or 4K", value);
                return 0;
        }
        return die("internal error: option %d", c);
}

/* argv as systemctl reads it: options anywhere, then the verb and its arguments. Returns
 * 1 to go on, 0 when done (--help, --version), < 0 on a bad command line. */
static int parse_argv(int argc, char *argv[], uint32_t *ret_verb_options) {
        uint32_t given = 0;
        int c, r;

        opterr = 0; /* our own one-line reasons */
        while ((c = getopt_long(argc, argv, ":hj", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case OPT_VERSION:
                        printf("pmemnsctl %s\n", PACKAGE_VERSION);
                        return 0;
                case OPT_JSON:
                        r = json_format_from_string(optarg);
                        if (r < 0)
                                return die("invalid --json mode '%s': expected " JSON_FORMAT_VALID, optarg);
                        arg_json = r;
                        break;
                case 'j':
                        arg_json = json_format_auto(stdout);
                        break;
                case OPT_NO_LEGEND:
                        arg_legend = false;
                        break;
                case OPT_NO_PAGER: /* nothing is paged */
                        break;
                case ':':
                        return die("option '%s' needs an argument", argv[optind - 1]);
                case '?':
                        if (optopt && optopt < 0x100)
                                return die("unknown option '-%c'; see pmemnsctl --help", optopt);
                        return die("unknown option '%s'; see pmemnsctl --help", argv[optind - 1]);
                default:
                        r = parse_verb_option(c, optarg);
                        if (r < 0)
                                return r;
                        given |= VERB_OPT(c);
                        break;
                }
        }
        *ret_verb_options = given;
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        uint32_t given = 0;
        const char *verb;
        size_t k;
        int r, n_args;

        r = parse_argv(argc, argv, &given);
        if (r <= 0)
                return r < 0 ? 1 : 0;
        if (optind >= argc)
                return die("no command given; see pmemnsctl --help"), 1;
        verb = argv[optind];
        for (k = 0; k < ELEMENTSOF(commands); k++)
                if (streq(verb, commands[k].name))
                        break;
        if (k >= ELEMENTSOF(commands))
                return die("unknown command '%s'; see pmemnsctl --help", verb), 1;

        /* everything checked before connecting: a bad command line fails the same with and
         * without a daemon or a bus */
        n_args = argc - optind - 1;
        if (n_args > commands[k].max_args)
                return die("%s: unexpected argument '%s'", verb, argv[optind + 1 + commands[k].max_args]), 1;
        if (n_args < commands[k].min_args)
                return die("%s needs a NAMESPACE (namespace0.1 or its object path)", verb), 1;
        for (int c = OPT_REGIONS; c < _OPT_MAX; c++)
                if ((given & VERB_OPT(c)) && !(commands[k].options & VERB_OPT(c)))
                        return die("%s does not take --%s; see pmemnsctl --help", verb, option_name(c)), 1;
        if (given & LIST_OPTS) { /* one of them: only that; both: both */
                arg_regions = given & VERB_OPT(OPT_REGIONS);
                arg_namespaces = given & VERB_OPT(OPT_NAMESPACES);
        }
        if (streq(verb, "create") && (!arg_region || !arg_mode || !arg_size))
                return die("create needs --region, --mode and --size"), 1;
        if (n_args > 0 && isempty(argv[optind + 1]))
                return die("%s: empty argument", verb), 1;

        if (bus_connect(&bus) < 0)
                return 1;
        return commands[k].func(bus, argc - optind, argv + optind) < 0 ? 1 : 0;
}
