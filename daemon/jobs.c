/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-daemon.h>

#include "bus-names.h"
#include "jobs.h"
#include "manager.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/macro.h"

/* The queue of mutating operations and the worker process that carries out the first one
 * (jobs.h says why a fork). Protocol, worker to daemon, one JSON object per line:
 *   {"progress":[done,total]}      rows of the apply carried out so far
 *   {"result":{...}}               the last line: JobResult */

void job_result_done(JobResult *res) {
        free(res->error);
        plan_done(&res->plan);
        free(res->region_signature);
        free(res->cxl_signature);
        free(res->ns_dev);
        *res = (JobResult) {};
}

Job *job_free(Job *j) {
        if (!j)
                return NULL;
        sd_bus_message_unref(j->call);
        free(j->region);
        free(j->name);
        free(j->ns_dev);
        free(j);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(Job *, job_free);

static inline void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

static int safe_close(int fd) {
        if (fd >= 0)
                (void) close(fd);
        return -1;
}

/* ---- in the worker ----------------------------------------------------------------- */

static void write_line(int fd, json_object *o) {
        _cleanup_free_ char *line = NULL;
        size_t len, done = 0;

        if (asprintf(&line, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) < 0)
                return;
        len = strlen(line);
        while (done < len) {
                ssize_t k = write(fd, line + done, len - done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return; /* the daemon is gone: nobody to tell */
                done += (size_t) k;
        }
}

void manager_progress(Manager *m, unsigned done, unsigned total) {
        json_object *o, *a;

        if (m->progress_fd < 0)
                return;
        o = json_object_new_object();
        a = json_object_new_array();
        json_object_array_add(a, json_object_new_uint64(done));
        json_object_array_add(a, json_object_new_uint64(total));
        json_object_object_add(o, "progress", a);
        write_line(m->progress_fd, o);
        json_object_put(o);
}

static void add_string(json_object *o, const char *key, const char *value) {
        if (value)
                json_object_object_add(o, key, json_object_new_string(value));
}

static json_object *row_to_json(const PlanRow *row) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "action", json_object_new_int(row->action));
        add_string(o, "name", row->spec.name);
        add_string(o, "region", row->spec.region);
        add_string(o, "ns_dev", row->spec.ns_dev);
        add_string(o, "message", row->message);
        json_object_object_add(o, "mode", json_object_new_int(row->spec.mode));
        json_object_object_add(o, "cxl", json_object_new_boolean(row->cxl != NULL));
        json_object_object_add(o, "size", json_object_new_uint64(row->spec.size));
        json_object_object_add(o, "usable", json_object_new_uint64(row->spec.usable));
        json_object_object_add(o, "start", json_object_new_uint64(row->spec.start));
        return o;
}

static void write_result(int fd, const JobResult *res) {
        json_object *o = json_object_new_object(), *r = json_object_new_object(), *rows;

        json_object_object_add(r, "r", json_object_new_int(res->r));
        add_string(r, "error", res->error);
        add_string(r, "region_signature", res->region_signature);
        add_string(r, "cxl_signature", res->cxl_signature);
        add_string(r, "ns_dev", res->ns_dev);
        rows = json_object_new_array();
        for (size_t i = 0; i < res->plan.n_rows; i++)
                json_object_array_add(rows, row_to_json(&res->plan.rows[i]));
        json_object_object_add(r, "rows", rows);
        json_object_object_add(o, "result", r);
        write_line(fd, o);
        json_object_put(o);
}

/* The worker: a copy of the daemon that must not touch the bus, the event loop or udev
 * (they stay the daemon's; sd-bus and sd-event refuse use after a fork anyway). */
__attribute__((noreturn)) static void worker_run(Manager *m, const Job *j, int fd) {
        JobResult res = {};

        m->bus = NULL;
        m->event = NULL;
        m->monitor = NULL;
        m->refresh_timer = NULL;
        m->bus_changes_event = NULL;
        m->in_worker = true;
        m->progress_fd = fd;
        fault_also_hit(getppid());

        switch (j->kind) {
        case JOB_APPLY:
        case JOB_RECONCILE:
                res.r = manager_reconcile_work(m, &res.plan, &res.region_signature, &res.cxl_signature);
                break;
        case JOB_CREATE:
                res.r = manager_create_namespace(m, &j->request, &res.ns_dev, &res.error);
                break;
        case JOB_DESTROY:
                res.r = manager_destroy_namespace(m, j->ns_dev, &res.error);
                break;
        default:
                res.r = -EOPNOTSUPP;
        }
        write_result(fd, &res);
        _exit(EXIT_SUCCESS);
}

/* ---- in the daemon ----------------------------------------------------------------- */

/* A copy of o's string member key in *dst (left alone when o has none). */
static int dup_string(json_object *o, const char *key, char **dst) {
        json_object *v;

        if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) &&
            !(*dst = strdup(json_object_get_string(v))))
                return -ENOMEM;
        return 0;
}

static int row_from_json(json_object *o, PlanRow *row) {
        json_object *v;

        *row = (PlanRow) { .policy = -1 };
        if (json_object_object_get_ex(o, "action", &v))
                row->action = json_object_get_int(v);
        if (row->action < 0 || row->action >= _PLAN_ACTION_MAX)
                return -EBADMSG;
        if (dup_string(o, "name", &row->spec.name) < 0 || dup_string(o, "region", &row->spec.region) < 0 ||
            dup_string(o, "ns_dev", &row->spec.ns_dev) < 0 || dup_string(o, "message", &row->message) < 0)
                return -ENOMEM;
        if (json_object_object_get_ex(o, "mode", &v))
                row->spec.mode = json_object_get_int(v);
        if (json_object_object_get_ex(o, "size", &v))
                row->spec.size = json_object_get_uint64(v);
        if (json_object_object_get_ex(o, "usable", &v))
                row->spec.usable = json_object_get_uint64(v);
        if (json_object_object_get_ex(o, "start", &v))
                row->spec.start = json_object_get_uint64(v);
        if (json_object_object_get_ex(o, "cxl", &v) && json_object_get_boolean(v) &&
            !(row->cxl = calloc(1, sizeof(CxlRow))))
                return -ENOMEM;
        /* strings the rows are shown with must be there */
        if (!row->spec.name && !(row->spec.name = strdup("")))
                return -ENOMEM;
        if (!row->spec.region && !(row->spec.region = strdup("")))
                return -ENOMEM;
        return 0;
}

static int result_from_json(json_object *o, JobResult *res) {
        json_object *v, *rows;
        int r;

        if (json_object_object_get_ex(o, "r", &v))
                res->r = json_object_get_int(v);
        if (dup_string(o, "error", &res->error) < 0 ||
            dup_string(o, "region_signature", &res->region_signature) < 0 ||
            dup_string(o, "cxl_signature", &res->cxl_signature) < 0 || dup_string(o, "ns_dev", &res->ns_dev) < 0)
                return -ENOMEM;
        if (!json_object_object_get_ex(o, "rows", &rows) || !json_object_is_type(rows, json_type_array))
                return 0;
        size_t n = json_object_array_length(rows);
        if (n == 0)
                return 0;
        res->plan.rows = calloc(n, sizeof(PlanRow));
        if (!res->plan.rows)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = row_from_json(json_object_array_get_idx(rows, i), &res->plan.rows[i]);
                res->plan.n_rows = i + 1;
                if (r < 0)
                        return r;
        }
        return 0;
}

static void handle_line(Manager *m, const char *line) {
        _cleanup_(json_object_putp) json_object *o = json_tokener_parse(line);
        json_object *v;

        if (!o) {
                log_warning("Worker %d sent a line that is not JSON, ignoring: %.80s", (int) m->worker_pid, line);
                return;
        }
        if (json_object_object_get_ex(o, "progress", &v) && json_object_is_type(v, json_type_array) &&
            json_object_array_length(v) == 2) {
                m->progress_done = (unsigned) json_object_get_uint64(json_object_array_get_idx(v, 0));
                m->progress_total = (unsigned) json_object_get_uint64(json_object_array_get_idx(v, 1));
                manager_bus_emit_manager_changed(m, "Progress");
                manager_status_update(m);
                /* the first reconcile runs before READY=1, and systemctl reload waits for
                 * a reload's: on a big machine either may outlast TimeoutStartSec=; each row
                 * done asks for another minute (systemd ignores it outside those jobs) */
                (void) sd_notify(false, "EXTEND_TIMEOUT_USEC=60000000");
                return;
        }
        if (json_object_object_get_ex(o, "result", &v)) {
                job_result_done(&m->worker_result);
                if (result_from_json(v, &m->worker_result) < 0) {
                        job_result_done(&m->worker_result);
                        log_warning("Worker %d sent a result that cannot be read.", (int) m->worker_pid);
                        return;
                }
                m->worker_result_seen = true;
        }
}

static void job_start_next(Manager *m);

/* In the daemon, a job is over (its worker reported, died, or never started): bring the
 * cache and the state up to date, answer the caller, and at start tell systemd. */
static void job_done(Manager *m, const Job *j, const JobResult *res) {
        switch (j->kind) {
        case JOB_APPLY:
        case JOB_RECONCILE:
                manager_reconcile_finish(m, res);
                break;
        default:
                (void) manager_refresh(m);
        }
        m->progress_done = m->progress_total = 0;
        manager_bus_emit_manager_changed(m, "Progress");
        if (j->call)
                manager_bus_reply_job(m, j, res);
        if (!m->ready && (j->kind == JOB_RECONCILE || j->kind == JOB_APPLY)) {
                (void) sd_notify(false, "READY=1");
                m->ready = true;
        }
        manager_status_update(m);
}

/* The worker is gone (its pipe closed): reap it, finish its job, start the next. */
static void worker_finished(Manager *m) {
        _cleanup_(job_freep) Job *j = TAKE_PTR(m->job);
        int status = 0;

        m->worker_source = sd_event_source_disable_unref(m->worker_source);
        m->worker_fd = safe_close(m->worker_fd);
        m->worker_buf = mfree(m->worker_buf);
        m->worker_buf_len = 0;
        while (waitpid(m->worker_pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!m->worker_result_seen) {
                /* killed or crashed mid-operation: what it left is an interrupted operation
                 * of ours, settled by the next apply's recovery (records.h) */
                job_result_done(&m->worker_result);
                m->worker_result.r = -EPROTO;
                if (WIFSIGNALED(status))
                        (void) asprintf(&m->worker_result.error, "the worker process %d was killed (%s); "
                                        "the next apply settles what it left", (int) m->worker_pid,
                                        strsignal(WTERMSIG(status)));
                else
                        (void) asprintf(&m->worker_result.error, "the worker process %d exited with status %d "
                                        "without a result", (int) m->worker_pid,
                                        WIFEXITED(status) ? WEXITSTATUS(status) : -1);
                log_error("%s", strempty(m->worker_result.error));
        }
        m->worker_pid = 0;
        m->worker_result_seen = false;

        job_done(m, j, &m->worker_result);
        job_result_done(&m->worker_result);
        job_start_next(m);
}

static int on_worker_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        char buf[4096];
        ssize_t k;

        k = read(fd, buf, sizeof(buf));
        if (k < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (k <= 0) {
                worker_finished(m);
                return 0;
        }
        char *nb = realloc(m->worker_buf, m->worker_buf_len + (size_t) k + 1);
        if (!nb) {
                log_error("Out of memory reading worker %d's output.", (int) m->worker_pid);
                return 0;
        }
        m->worker_buf = nb;
        memcpy(m->worker_buf + m->worker_buf_len, buf, (size_t) k);
        m->worker_buf_len += (size_t) k;
        m->worker_buf[m->worker_buf_len] = 0;

        char *p = m->worker_buf, *nl;
        while ((nl = memchr(p, '\n', m->worker_buf_len - (size_t) (p - m->worker_buf)))) {
                *nl = 0;
                handle_line(m, p);
                p = nl + 1;
        }
        m->worker_buf_len -= (size_t) (p - m->worker_buf);
        memmove(m->worker_buf, p, m->worker_buf_len + 1);
        return 0;
}

static int job_start(Manager *m, Job *j) {
        int fds[2];
        pid_t pid;
        int r;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        /* the configuration and the cache the worker copies: as fresh as the daemon has
         * them; an Apply probes the kernel first (the region 'align' attribute may have
         * shown up with a new region), here so that both processes agree on it */
        if (j->kind == JOB_APPLY)
                (void) manager_probe_kernel(m);
        if (j->kind == JOB_APPLY || j->kind == JOB_RECONCILE) {
                manager_failures_clear(m);
                manager_set_state(m, MANAGER_APPLYING);
        }
        /* the worker must not keep the bus connection (and with it the name) alive should
         * the daemon die first */
        int bus_fd = m->bus ? sd_bus_get_fd(m->bus) : -1;

        fflush(stdout);
        fflush(stderr);
        m->job = j; /* the worker's copy holds it too, until it _exit()s */
        pid = fork();
        if (pid < 0) {
                r = -errno;
                m->job = NULL;
                safe_close(fds[0]);
                safe_close(fds[1]);
                return r;
        }
        if (pid == 0) {
                safe_close(fds[0]);
                safe_close(bus_fd);
                worker_run(m, j, fds[1]);
        }
        safe_close(fds[1]);
        m->worker_pid = pid;
        m->worker_fd = fds[0];
        r = sd_event_add_io(m->event, &m->worker_source, fds[0], EPOLLIN, on_worker_output, m);
        if (r < 0) {
                /* cannot listen: wait for it here rather than lose its result */
                log_warning_errno(r, "Cannot watch worker %d, waiting for it: %m", (int) pid);
                while (m->worker_pid == pid)
                        (void) on_worker_output(NULL, fds[0], EPOLLIN, m);
                return 0;
        }
        (void) sd_event_source_set_description(m->worker_source, "worker");
        log_debug("Worker %d started for %s.", (int) pid,
                  j->kind == JOB_CREATE ? "CreateNamespace" : j->kind == JOB_DESTROY ? "DestroyNamespace"
                                                                                     : "a reconcile");
        manager_status_update(m);
        return 0;
}

static void job_start_next(Manager *m) {
        while (!m->job && m->jobs) {
                Job *j = m->jobs;
                int r;

                m->jobs = j->next;
                if (!m->jobs)
                        m->jobs_tail = NULL;
                m->n_jobs_queued--;
                j->next = NULL;
                r = job_start(m, j);
                if (r >= 0)
                        continue;
                log_error_errno(r, "Cannot start a worker: %m");
                job_done(m, j, &(JobResult) { .r = r });
                job_free(j);
        }
        if (!m->job && m->exit_when_idle && m->event)
                (void) sd_event_exit(m->event, 0);
}

int manager_enqueue(Manager *m, Job *j) {
        if (m->exit_when_idle) {
                job_free(j);
                return -ESHUTDOWN;
        }
        /* a reconcile nobody waits for merges into one already waiting */
        if (!j->call && (j->kind == JOB_RECONCILE || j->kind == JOB_APPLY))
                for (Job *q = m->jobs; q; q = q->next)
                        if (q->kind == JOB_APPLY || (q->kind == JOB_RECONCILE && j->kind == JOB_RECONCILE)) {
                                job_free(j);
                                return 0;
                        }
        if (m->n_jobs_queued >= JOBS_QUEUED_MAX) {
                job_free(j);
                return -EBUSY;
        }
        if (m->jobs_tail)
                m->jobs_tail->next = j;
        else
                m->jobs = j;
        m->jobs_tail = j;
        m->n_jobs_queued++;
        job_start_next(m);
        return 1;
}

int manager_enqueue_reconcile(Manager *m, bool probe) {
        Job *j = calloc(1, sizeof(Job));

        if (!j)
                return -ENOMEM;
        j->kind = probe ? JOB_APPLY : JOB_RECONCILE;
        return manager_enqueue(m, j);
}

void manager_shutdown(Manager *m) {
        while (m->jobs) {
                Job *j = m->jobs;
                m->jobs = j->next;
                if (j->call)
                        (void) sd_bus_reply_method_errorf(j->call, PMEMNSD_ERROR_FAILED,
                                                          "pmemnsd is stopping; nothing was done");
                job_free(j);
        }
        m->jobs_tail = NULL;
        m->n_jobs_queued = 0;
        m->exit_when_idle = true;
        if (m->job)
                log_info("Stopping when worker %d is done.", (int) m->worker_pid);
        else
                (void) sd_event_exit(m->event, 0);
}

bool manager_busy(const Manager *m) {
        return m->job || m->jobs;
}

/* STATUS=: what the daemon is doing, or a summary of what it manages. */
void manager_status_update(Manager *m) {
        _cleanup_free_ char *s = NULL;
        unsigned managed = 0, drift = 0;

        if (m->in_worker)
                return;
        if (m->job && (m->job->kind == JOB_APPLY || m->job->kind == JOB_RECONCILE))
                (void) asprintf(&s, "STATUS=applying %u/%u", m->progress_done, m->progress_total);
        else if (m->job)
                (void) asprintf(&s, "STATUS=%s", m->job->kind == JOB_CREATE ? "creating a namespace"
                                                                           : "destroying a namespace");
        else if (m->state == MANAGER_CONFIG_ERROR)
                (void) asprintf(&s, "STATUS=config-error: no policy in force: %s", strempty(m->config_error));
        else {
                for (size_t i = 0; i < m->plan.n_rows; i++) {
                        const PlanRow *row = &m->plan.rows[i];
                        if (row->cxl || isempty(row->spec.name) || !row->spec.ns_dev)
                                continue;
                        if (row->action == PLAN_ADOPT)
                                managed++;
                        else if (row->action == PLAN_DRIFT)
                                managed++, drift++;
                }
                if (drift)
                        (void) asprintf(&s, "STATUS=%u managed, %zu failed, %u drifted", managed,
                                        m->n_failures, drift);
                else
                        (void) asprintf(&s, "STATUS=%u managed, %zu failed", managed, m->n_failures);
        }
        if (s)
                (void) sd_notify(false, s);
}

