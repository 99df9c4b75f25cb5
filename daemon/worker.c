/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pmemnsd-worker: carries out one job of the daemon (jobs.h) and exits. It reads the job
 * and the configuration in force from stdin, does the kernel work through libndctl,
 * libdaxctl, libcxl and libkmod with the same code the daemon once ran itself, and writes
 * progress and the result, with the kernel state it read last, to stdout. pmemnsd --plan
 * becomes this program too (plan-command.h). Not for humans: installed under libexecdir,
 * run by pmemnsd only. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include "job-json.h"
#include "manager.h"
#include "nvdimm/nvdimm.h"
#include "plan-command.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/macro.h"

/* the job: what the daemon wrote on the memfd, whole (it is sealed) */
#define JOB_SIZE_MAX (UINT64_C(64) << 20)

static int read_job(char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;

        for (;;) {
                char *nb = realloc(buf, len + 65536 + 1);
                ssize_t k;

                if (!nb)
                        return -ENOMEM;
                buf = nb;
                k = read(STDIN_FILENO, buf + len, 65536);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > JOB_SIZE_MAX)
                        return -EFBIG;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* A system-ram hand-over killed while auto_online_blocks was changed: put it back. */
static void recover_auto_online(void) {
        _cleanup_free_ char *msg = NULL;
        int r = nv_recover_auto_online(&msg);

        if (r > 0 && msg)
                log_notice("%s", msg);
        else if (r < 0 && msg)
                log_warning("%s", msg);
}

/* pmemnsd --log-level L sets PMEMNSD_LOG_LEVEL for its workers */
static void set_log_level_from_env(void) {
        const char *level = getenv("PMEMNSD_LOG_LEVEL");

        if (level && log_parse_level(level) >= 0)
                log_set_max_level(log_parse_level(level));
}

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void run_job(Manager *m, const Job *j, JobResult *res) {
        if (j->start) {
                /* under pmemnsd.service, pmemnsd-modules.service did it and this process
                 * lacks CAP_SYS_MODULE; started by hand as root, load them */
                if (prctl(PR_CAPBSET_READ, CAP_SYS_MODULE) > 0 && m->config.daemon.load_modules)
                        (void) manager_load_modules(m);
                recover_auto_online();
        }
        switch (j->kind) {
        case JOB_APPLY:
        case JOB_RECONCILE:
                res->r = manager_reconcile_work(m, &res->plan, &res->region_signature, &res->cxl_signature);
                break;
        case JOB_CREATE:
        case JOB_DESTROY:
                /* judged on a view read now, and re-checked against the kernel right
                 * before acting (requests.c) */
                res->r = manager_refresh(m);
                if (res->r < 0)
                        break;
                if (j->kind == JOB_CREATE)
                        res->r = manager_create_namespace(m, &j->request, &res->ns_dev, &res->error);
                else
                        res->r = manager_destroy_namespace(m, j->ns_dev, &res->error);
                break;
        case JOB_READ:
                break;
        case JOB_LOAD_MODULES:
                res->r = manager_load_modules(m);
                return;
        default:
                res->r = -EOPNOTSUPP;
                return;
        }
        /* the state the daemon's cache becomes: read after the work */
        uint64_t t = now_usec();
        if (manager_refresh(m) >= 0)
                job_result_take_state(res, m, t);
}

static int run(void) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL, *out = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_(job_result_done) JobResult res = {};
        ConfDiags d = {};
        Config c = {};
        Job j = {};
        int r;

        /* a kill at a fault point in the worker is the daemon's crash too: the service crash
         * and power cut the fault suite simulates (kill-worker kills the worker alone) */
        fault_also_hit(getppid());

        r = read_job(&text);
        if (r < 0)
                return log_error_errno(r, "pmemnsd-worker: cannot read the job from stdin: %m");
        o = json_tokener_parse(text);
        if (!o)
                return log_error_errno(-EBADMSG, "pmemnsd-worker: the job on stdin is not JSON "
                                       "(this program is run by pmemnsd, not by hand)");
        r = job_from_json(o, &j, &c, &d);
        if (r < 0) {
                for (size_t i = 0; i < d.n; i++) {
                        _cleanup_free_ char *line = conf_diag_format(&d.items[i]);
                        log_error("%s", strempty(line));
                }
                conf_diags_done(&d);
                free(j.region);
                free(j.name);
                free(j.ns_dev);
                return log_error_errno(r, "pmemnsd-worker: the job on stdin cannot be read: %m");
        }
        r = manager_new(PMEMNSD_CONF_DIR, &m);
        if (r >= 0)
                r = kernel_probe(&m->kernel);
        if (r < 0) {
                config_done(&c);
                free(j.region);
                free(j.name);
                free(j.ns_dev);
                return log_error_errno(r, "pmemnsd-worker: %m");
        }
        manager_use_config(m, &c);
        m->in_worker = true;
        m->progress_fd = STDOUT_FILENO;

        run_job(m, &j, &res);

        out = job_result_to_json(&res);
        if (out)
                json_write_line(STDOUT_FILENO, out);
        free(j.region);
        free(j.name);
        free(j.ns_dev);
        return out ? 0 : -ENOMEM;
}

/* pmemnsd --plan, which execs this program with its options checked and spelled out:
 * --plan --config DIR --json MODE [--no-legend] */
static int run_plan(int argc, char *argv[]) {
        static const struct option options[] = {
                { "plan", no_argument, NULL, 'p' },
                { "config", required_argument, NULL, 'c' },
                { "json", required_argument, NULL, 'j' },
                { "no-legend", no_argument, NULL, 'n' },
                {},
        };
        const char *config = PMEMNSD_CONF_DIR;
        JsonFormat json = JSON_OFF;
        bool legend = true;
        int c, l;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        break;
                case 'c':
                        config = optarg;
                        break;
                case 'j':
                        l = json_format_from_string(optarg);
                        if (l < 0)
                                return log_error_errno(l, "Invalid --json mode '%s'.", optarg);
                        json = l;
                        break;
                case 'n':
                        legend = false;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Unexpected argument '%s'.", argv[optind]);
        return plan_command(config, json, legend);
}

int main(int argc, char *argv[]) {
        /* journalctl -t pmemnsd finds the worker's entries with the daemon's (log-struct.c) */
        program_invocation_short_name = (char *) "pmemnsd";
        log_set_target(getenv("JOURNAL_STREAM") || getenv("INVOCATION_ID") ? LOG_TARGET_JOURNAL
                                                                           : LOG_TARGET_STDERR);
        set_log_level_from_env();
        if (argc > 1 && streq(argv[1], "--plan"))
                return run_plan(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        if (argc > 1) {
                fprintf(stderr, "%s takes no arguments: it is run by pmemnsd, which writes the job "
                        "on its stdin.\n", argv[0]);
                return EXIT_FAILURE;
        }
        return run() < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
