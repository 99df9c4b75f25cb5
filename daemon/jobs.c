/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-daemon.h>

#include "bus-names.h"
#include "job-json.h"
#include "jobs.h"
#include "manager.h"
#include "util/log.h"
#include "util/macro.h"

/* The queue of kernel operations and the worker process (pmemnsd-worker) that carries out
 * the first one: the daemon's side of jobs.h. */

void job_result_done(JobResult *res) {
        free(res->error);
        plan_done(&res->plan);
        free(res->region_signature);
        free(res->cxl_signature);
        free(res->ns_dev);
        region_states_free(res->regions, res->n_regions);
        cxl_state_done(&res->cxl);
        cxl_records_free(res->cxl_records, res->n_cxl_records);
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

const char *worker_path(void) {
        const char *p = getenv("PMEMNSD_WORKER_PATH");
        return p && *p ? p : PMEMNSD_WORKER;
}

static int safe_close(int fd) {
        if (fd >= 0)
                (void) close(fd);
        return -1;
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
                if (job_result_from_json(v, &m->worker_result) < 0) {
                        job_result_done(&m->worker_result);
                        log_warning("Worker %d sent a result that cannot be read.", (int) m->worker_pid);
                        return;
                }
                m->worker_result_seen = true;
        }
}

static void job_start_next(Manager *m);

void job_result_take_state(JobResult *res, Manager *m, uint64_t read_usec) {
        res->has_state = true;
        res->read_usec = read_usec;
        res->regions = TAKE_PTR(m->regions);
        res->n_regions = m->n_regions;
        res->cxl = m->cxl;
        m->cxl = (CxlState) {};
        res->cxl_records = TAKE_PTR(m->cxl_records);
        res->n_cxl_records = m->n_cxl_records;
        m->n_regions = m->n_cxl_records = 0;
        manager_index_invalidate(m);
}

void job_result_install_state(Manager *m, JobResult *res) {
        manager_install_state(m, TAKE_PTR(res->regions), res->n_regions, &res->cxl,
                              TAKE_PTR(res->cxl_records), res->n_cxl_records);
        res->n_regions = res->n_cxl_records = 0;
}

/* In the daemon, a job is over (its worker reported, died, or never started): bring the
 * cache and the state up to date, answer the caller, and at start tell systemd. */
static void job_done(Manager *m, const Job *j, JobResult *res) {
        bool reconcile = j->kind == JOB_APPLY || j->kind == JOB_RECONCILE;

        /* the cache becomes what the worker read last; a worker that died mid-way read
         * nothing to trust: read again */
        if (res->has_state) {
                job_result_install_state(m, res);
                m->state_read_usec = res->read_usec;
                if (m->refresh_pending && res->read_usec >= m->refresh_pending_since)
                        m->refresh_pending = false;
        }
        else if (j->kind != JOB_LOAD_MODULES && j->kind != JOB_READ)
                m->refresh_pending = true; /* (a read that failed waits for the next event) */
        if (reconcile)
                manager_reconcile_finish(m, res);
        else
                manager_check_regions(m);
        m->progress_done = m->progress_total = 0;
        manager_bus_emit_manager_changed(m, "Progress");
        if (j->call)
                manager_bus_reply_job(m, j, res);
        /* READY=1 after the first reconcile (the spec), or after the first read when no
         * reconcile follows (apply=manual, a rejected configuration) */
        if (!m->ready && (reconcile || !m->jobs)) {
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
        m->worker_buf_len = m->worker_buf_size = 0;
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
        /* the result's JSON and the cache it replaced were many small allocations, freed
         * now: give their pages back, the daemon lives long (its footprint, issue 15) */
        (void) malloc_trim(0);
        job_start_next(m);
}

/* The worker's pipe is read straight into the heap buffer, not through a buffer on the
 * stack: stack pages touched once stay resident for the daemon's lifetime, heap pages are
 * given back after the job (malloc_trim in worker_finished()). */
#define WORKER_READ_SIZE ((size_t) 65536) /* a read result carries the whole kernel state */

static int on_worker_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        ssize_t k;

        if (m->worker_buf_size < m->worker_buf_len + WORKER_READ_SIZE + 1) {
                size_t n = m->worker_buf_len + WORKER_READ_SIZE + 1;
                char *nb = realloc(m->worker_buf, n);
                if (!nb) {
                        log_error("Out of memory reading worker %d's output.", (int) m->worker_pid);
                        return 0;
                }
                m->worker_buf = nb;
                m->worker_buf_size = n;
        }
        k = read(fd, m->worker_buf + m->worker_buf_len, WORKER_READ_SIZE);
        if (k < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (k <= 0) {
                worker_finished(m);
                return 0;
        }
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

/* The job for the worker, on a sealed memfd: it reads it whole at its pace, and a large
 * configuration cannot fill a pipe that nobody reads yet. */
static int job_request_fd(Manager *m, const Job *j) {
        _cleanup_(json_object_putp) json_object *o = job_to_json(j, &m->config);
        const char *s;
        size_t len, done = 0;
        int fd;

        if (!o)
                return -ENOMEM;
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        len = strlen(s);
        fd = memfd_create("pmemnsd-job", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        while (done < len) {
                ssize_t k = write(fd, s + done, len - done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        int r = k < 0 ? -errno : -EIO;
                        close(fd);
                        return r;
                }
                done += (size_t) k;
        }
        (void) fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
        if (lseek(fd, 0, SEEK_SET) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/* fork() and exec() the worker, its stdin the job, its stdout the pipe's write end; stderr
 * stays the daemon's (the journal stream). */
int worker_spawn(Manager *m, const Job *j, pid_t *ret_pid, int *ret_fd) {
        int fds[2], in, r;
        pid_t pid;

        in = job_request_fd(m, j);
        if (in < 0)
                return in;
        if (pipe2(fds, O_CLOEXEC) < 0) {
                r = -errno;
                close(in);
                return r;
        }
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                r = -errno;
                safe_close(in);
                safe_close(fds[0]);
                safe_close(fds[1]);
                return r;
        }
        if (pid == 0) {
                const char *path = worker_path();

                /* The signal mask stays the daemon's (exec keeps it): SIGTERM, SIGINT and
                 * SIGHUP blocked. systemctl stop signals the whole cgroup; the worker
                 * finishes its job and the daemon, which waits for it, exits then
                 * (manager_shutdown()). SIGKILL at TimeoutStopSec= is the crash recovery
                 * handles. */
                if (dup2(in, STDIN_FILENO) < 0 || dup2(fds[1], STDOUT_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                /* every other descriptor is O_CLOEXEC (sd-bus, sd-event, udev, the pipe) */
                execl(path, "pmemnsd-worker", (char *) NULL);
                fprintf(stderr, "Cannot run the worker %s: %s\n", path, strerror(errno));
                _exit(127);
        }
        safe_close(in);
        safe_close(fds[1]);
        *ret_pid = pid;
        *ret_fd = fds[0];
        return 0;
}

static const char *job_description(JobKind k) {
        switch (k) {
        case JOB_CREATE:
                return "CreateNamespace";
        case JOB_DESTROY:
                return "DestroyNamespace";
        case JOB_READ:
                return "reading the kernel state";
        case JOB_LOAD_MODULES:
                return "loading the kernel modules";
        default:
                return "a reconcile";
        }
}

static int job_start(Manager *m, Job *j) {
        pid_t pid;
        int fd, r;

        /* an Apply probes the kernel first (the region 'align' attribute may have shown up
         * with a new region): the daemon plans on it too */
        if (j->kind == JOB_APPLY)
                (void) manager_probe_kernel(m);
        if (j->kind == JOB_APPLY || j->kind == JOB_RECONCILE) {
                manager_failures_clear(m);
                manager_set_state(m, MANAGER_APPLYING);
        }
        /* this job's result brings the state, read after what the refresh timer saw */
        uint64_t now = 0;
        if (j->kind != JOB_LOAD_MODULES && m->event && sd_event_now(m->event, CLOCK_MONOTONIC, &now) >= 0 &&
            now >= m->refresh_pending_since)
                m->refresh_pending = false;
        r = worker_spawn(m, j, &pid, &fd);
        if (r < 0)
                return r;
        m->job = j;
        m->worker_pid = pid;
        m->worker_fd = fd;
        r = sd_event_add_io(m->event, &m->worker_source, fd, EPOLLIN, on_worker_output, m);
        if (r < 0) {
                /* cannot listen: wait for it here rather than lose its result */
                log_warning_errno(r, "Cannot watch worker %d, waiting for it: %m", (int) pid);
                while (m->worker_pid == pid)
                        (void) on_worker_output(NULL, fd, EPOLLIN, m);
                return 0;
        }
        (void) sd_event_source_set_description(m->worker_source, "worker");
        log_debug("Worker %d started for %s.", (int) pid, job_description(j->kind));
        manager_status_update(m);
        return 0;
}

/* Run a job to its end without an event loop: pmemnsd --plan, --load-modules. */
int worker_run_sync(Manager *m, const Job *j, JobResult *res) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int status = 0, fd, r;
        bool seen = false;
        pid_t pid;

        r = worker_spawn(m, j, &pid, &fd);
        if (r < 0)
                return r;
        for (;;) {
                char chunk[4096];
                ssize_t k = read(fd, chunk, sizeof(chunk));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                char *nb = realloc(buf, len + (size_t) k + 1);
                if (!nb)
                        break;
                buf = nb;
                memcpy(buf + len, chunk, (size_t) k);
                len += (size_t) k;
                buf[len] = 0;
        }
        close(fd);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
                nl = strchr(line, '\n');
                if (nl)
                        *nl = 0;
                _cleanup_(json_object_putp) json_object *o = json_tokener_parse(line);
                json_object *v;
                if (o && json_object_object_get_ex(o, "result", &v)) {
                        job_result_done(res);
                        if (job_result_from_json(v, res) < 0)
                                return -EBADMSG;
                        seen = true;
                }
        }
        if (!seen)
                return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOEXEC : -EPROTO;
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
                log_error_errno(r, "Cannot start a worker (%s): %m", worker_path());
                job_done(m, j, &(JobResult) { .r = r });
                job_free(j);
        }
        /* udev asked for a read while a worker ran */
        if (!m->job && m->refresh_pending && !m->exit_when_idle)
                (void) manager_enqueue_read(m, false);
        if (!m->job && m->exit_when_idle && m->event)
                (void) sd_event_exit(m->event, 0);
}

int manager_enqueue(Manager *m, Job *j) {
        if (m->exit_when_idle) {
                job_free(j);
                return -ESHUTDOWN;
        }
        /* a read merges into any job waiting (each brings the state back) */
        if (j->kind == JOB_READ && m->jobs) {
                job_free(j);
                return 0;
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

int manager_enqueue_read(Manager *m, bool start) {
        Job *j = calloc(1, sizeof(Job));

        if (!j)
                return -ENOMEM;
        j->kind = JOB_READ;
        j->start = start;
        return manager_enqueue(m, j);
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
        else if (m->job && (m->job->kind == JOB_CREATE || m->job->kind == JOB_DESTROY))
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

