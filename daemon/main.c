/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config-report.h"
#include "json-format.h"
#include "manager.h"
#include "pmemnsd-messages.h"
#include "util/conf-files.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/size.h"
#include "util/strv.h"

static const char *arg_config = PMEMNSD_CONF_DIR;
static bool arg_config_given = false;
static enum { ACTION_RUN, ACTION_CHECK, ACTION_PLAN, ACTION_LOAD_MODULES } arg_action = ACTION_RUN;
/* --plan's output: pmemnsctl's options and shapes (plan-command.h) */
static JsonFormat arg_json = JSON_OFF;
static bool arg_legend = true;

static void help(void) {
        printf("Usage: pmemnsd [OPTIONS...]\n\n"
               "Provision persistent-memory namespaces following the policies in\n"
               "%s/policy.d, at the finest granularity the running kernel supports.\n\n"
               "  -h --help          Show this help\n"
               "     --version       Show the version\n"
               "     --config DIR    Root of the config tree (default: %s)\n"
               "     --check         Parse all configuration, print problems with file:line,\n"
               "                     exit 0 if there are none, 1 otherwise; touches nothing\n"
               "     --plan          Read the regions, print what would be done, exit;\n"
               "                     touches nothing\n"
               "     --json[=MODE]   With --plan: the rows as JSON, pretty (default), short\n"
               "                     or off; -j: pretty on a terminal, short otherwise\n"
               "     --no-legend     With --plan: no header and no region summary\n"
               "     --load-modules  Load the kernel modules (load-modules in pmemnsd.conf),\n"
               "                     exit; pmemnsd.service runs it before the daemon\n"
               "     --log-level L   debug, info, notice, warning or err (default: info)\n\n"
               "As a service it runs under systemd as pmemnsd.service and is driven over\n"
               "D-Bus (org.pmemnsd1) with pmemnsctl(1). See pmemnsd(8), pmemnsd.conf(5).\n",
               PMEMNSD_CONF_DIR, PMEMNSD_CONF_DIR);
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_CONFIG,
                ARG_CHECK,
                ARG_PLAN,
                ARG_LOAD_MODULES,
                ARG_LOG_LEVEL,
                ARG_JSON,
                ARG_NO_LEGEND,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "check", no_argument, NULL, ARG_CHECK },
                { "plan", no_argument, NULL, ARG_PLAN },
                { "load-modules", no_argument, NULL, ARG_LOAD_MODULES },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "json", optional_argument, NULL, ARG_JSON },
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                {},
        };
        bool output_options = false;
        int c, l;

        while ((c = getopt_long(argc, argv, "hj", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("pmemnsd %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_CONFIG:
                        arg_config = optarg;
                        arg_config_given = true;
                        break;
                case ARG_CHECK:
                        arg_action = ACTION_CHECK;
                        break;
                case ARG_PLAN:
                        arg_action = ACTION_PLAN;
                        break;
                case ARG_LOAD_MODULES:
                        arg_action = ACTION_LOAD_MODULES;
                        break;
                case ARG_LOG_LEVEL:
                        l = log_parse_level(optarg);
                        if (l < 0)
                                return log_error_errno(l, "Invalid log level '%s'.", optarg);
                        log_set_max_level(l);
                        /* and the worker's */
                        (void) setenv("PMEMNSD_LOG_LEVEL", optarg, 1);
                        break;
                case ARG_JSON:
                        l = json_format_from_string(optarg);
                        if (l < 0)
                                return log_error_errno(l, "Invalid --json mode '%s', expected " JSON_FORMAT_VALID ".",
                                                       optarg);
                        arg_json = l;
                        output_options = true;
                        break;
                case 'j':
                        arg_json = json_format_auto(stdout);
                        output_options = true;
                        break;
                case ARG_NO_LEGEND:
                        arg_legend = false;
                        output_options = true;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Unexpected argument '%s'.", argv[optind]);
        /* a config root given by hand that is not there is a typo, not "no policies"; the
         * default may be missing (nothing configured yet) */
        if (arg_config_given) {
                struct stat st;
                if (stat(arg_config, &st) < 0)
                        return log_error_errno(-errno, "--config %s: %m", arg_config);
                if (!S_ISDIR(st.st_mode))
                        return log_error_errno(SYNTHETIC_ERRNO(ENOTDIR),
                                               "--config %s: not a directory (give the root of the config "
                                               "tree, the directory holding pmemnsd.conf and policy.d)",
                                               arg_config);
        }
        if (output_options && arg_action != ACTION_PLAN)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "--json, -j and --no-legend go with --plan.");
        return 1;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        struct timespec ts;
        char buf[64];

        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
                 (unsigned long long) ts.tv_sec * 1000000ULL + (unsigned long long) ts.tv_nsec / 1000);
        (void) sd_notify(false, buf);
        log_info("Reloading on SIGHUP.");
        (void) manager_reload(m, NULL, NULL); /* a reconcile it queues runs on */
        (void) sd_notify(false, "READY=1");
        manager_status_update(m);
        return 0;
}

/* SIGTERM/SIGINT: a worker in the middle of a create finishes it first (the rows it made
 * are then known, not left for recovery); what waits is answered and dropped. */
static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        (void) sd_notify(false, "STOPPING=1\nSTATUS=stopping");
        manager_shutdown(m);
        return 0;
}

static void print_files(Manager *m) {
        _cleanup_(strv_freep) char **hidden = NULL;
        size_t n_hidden = 0;

        for (size_t i = 0; i < m->config.n_files; i++)
                printf("Read %s\n", m->config.files[i]);
        if (conf_files_list_hidden((const char *const *) m->policy_dirs, &hidden, &n_hidden) >= 0)
                for (size_t i = 0; i < n_hidden; i++)
                        printf("Skipped %s\n", hidden[i]);
}

static int run_check(Manager *m) {
        int r = manager_load_config_or_print(m);

        if (r != 0)
                return r < 0 ? r : -EINVAL;
        print_files(m);
        printf("Configuration OK: %zu file%s, %zu region selector%s, %zu namespace polic%s.\n",
               m->config.n_files, m->config.n_files == 1 ? "" : "s", m->config.n_selectors,
               m->config.n_selectors == 1 ? "" : "s", m->config.n_policies,
               m->config.n_policies == 1 ? "y" : "ies");
        return 0;
}

/* pmemnsd-modules.service (pmemnsd --load-modules), the only unit of pmemnsd with
 * CAP_SYS_MODULE. With a bad config nothing is loaded: the daemon reports it and does not
 * start. */
static int run_load_modules(Manager *m) {
        _cleanup_(job_result_done) JobResult res = {};
        ConfDiags d = {};
        int r;

        r = manager_load_config(m, &d);
        conf_diags_done(&d);
        if (r != 0 || !m->config.daemon.load_modules)
                return 0;
        /* libkmod is the worker's: this process does not link it */
        r = worker_run_sync(m, &(Job) { .kind = JOB_LOAD_MODULES }, &res);
        if (r < 0)
                log_warning_errno(r, "Cannot run %s to load the kernel modules: %m", worker_path());
        return 0;
}

/* pmemnsd --plan becomes pmemnsd-worker (plan-command.h): reading the kernel state needs
 * libndctl and libcxl, and the table libsmartcols, which the daemon does not link. The
 * options were checked here; the worker gets them in one spelling. */
static int run_plan(void) {
        const char *path = worker_path();
        const char *argv[] = {
                "pmemnsd", "--plan", "--config", arg_config, "--json", json_format_to_string(arg_json),
                arg_legend ? NULL : "--no-legend", NULL,
        };

        (void) fflush(stdout);
        execv(path, (char **) argv);
        return log_error_errno(-errno, "Cannot run %s for --plan: %m", path);
}

static int setup_signals(Manager *m) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(-errno, "Failed to block signals: %m");
        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_terminate, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_terminate, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up signal handling: %m");
        return 0;
}

static int run_daemon(Manager *m) {
        int r;

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        r = setup_signals(m);
        if (r < 0)
                return r;
        (void) sd_event_set_watchdog(m->event, true);

        (void) manager_probe_kernel(m);

        r = manager_connect_udev(m);
        if (r < 0)
                return r;
        r = manager_connect_bus(m);
        if (r < 0)
                return r;

        log_info("pmemnsd %s on Linux %s: sub-section hotplug %s, default granularity %s.",
                 PACKAGE_VERSION, m->kernel.release, m->kernel.subsection_hotplug ? "yes" : "no",
                 FORMAT_SIZE(m->granularity));

        /* The first worker reads the kernel state (and settles a system-ram hand-over cut
         * short, loads modules when started by hand): the objects are on the bus from its
         * end on, while the first reconcile runs too. READY=1 when that reconcile is done
         * (the spec), or after the read when none follows (jobs.c). */
        r = manager_enqueue_read(m, true);
        if (r >= 0 && m->state != MANAGER_CONFIG_ERROR && m->config.daemon.apply == APPLY_AUTO)
                r = manager_enqueue_reconcile(m, false); /* probed above */
        if (r < 0) {
                log_error_errno(r, "Cannot queue the first jobs: %m");
                (void) sd_notify(false, "READY=1");
                m->ready = true;
                manager_status_update(m);
        }

        return sd_event_loop(m->event);
}

static int run(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        log_set_target(getenv("JOURNAL_STREAM") || getenv("INVOCATION_ID") ? LOG_TARGET_JOURNAL
                                                                           : LOG_TARGET_STDERR);
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        if (arg_action == ACTION_PLAN)
                return run_plan();

        r = manager_new(arg_config, &m);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the manager: %m");

        r = manager_probe_kernel(m);
        if (r < 0)
                return log_error_errno(r, "Failed to probe the running kernel: %m");

        switch (arg_action) {
        case ACTION_CHECK:
                return run_check(m);
        case ACTION_LOAD_MODULES:
                return run_load_modules(m);
        default:
                break;
        }

        /* The daemon with a bad configuration stays up with none in force, on the bus to
         * say why, instead of crash-looping into the start limit (gone from the bus). */
        {
                ConfDiags d = {};
                r = manager_load_config(m, &d);
                if (r > 0)
                        manager_config_rejected_at_start(m, &d);
                conf_diags_done(&d);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the configuration: %m");
        }
        return run_daemon(m);
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
