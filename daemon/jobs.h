/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "cxl-state.h"
#include "plan/planner.h"
#include "state.h"

/* The operations that touch the kernel (Apply and the reconciles udev, start and Reload ask
 * for, CreateNamespace, DestroyNamespace, and reading the kernel state the cache is made of)
 * run one at a time, in the order asked, each in a worker process (pmemnsd-worker, jobs.c,
 * worker.c), systemd-homed's design: the daemon keeps the bus, the configuration in force,
 * the planner and the cache; the worker links libndctl, libdaxctl, libcxl and libkmod, which
 * the daemon does not (its footprint is sd-bus and sd-event's), reads or changes the kernel
 * and reports back. The event loop stays free meanwhile: properties, Plan() and
 * GetManagedObjects are answered from the cache, the watchdog is pinged, progress shows.
 *
 * Daemon to worker, on its stdin (a sealed memfd): one JSON object, the job and the
 * configuration in force as the text of its files (job-json.c). The files may have changed
 * since (a rejected reload keeps the old configuration in force), so the worker parses the
 * texts the daemon accepted, not the files. Worker to daemon, on its stdout (a pipe), one
 * JSON object per line: {"progress":[done,total]} per plan row, then {"result":{...}}: the
 * rows or the error, and the kernel state as the worker read it last (state-json.c), which
 * the daemon's cache becomes. A worker killed mid-create is the interrupted operation that
 * records.h's recovery settles at the next apply, and the daemon answers the caller with
 * the reason. */

typedef enum JobKind {
        JOB_APPLY,     /* Apply(): probe the kernel, then reconcile */
        JOB_RECONCILE, /* the start, a udev event, a reload: reconcile */
        JOB_CREATE,
        JOB_DESTROY,
        JOB_READ,      /* read the kernel state for the cache (start, udev events) */
        JOB_LOAD_MODULES, /* pmemnsd --load-modules, which the daemon cannot do itself */
        _JOB_KIND_MAX,
} JobKind;

typedef struct Job {
        JobKind kind;
        sd_bus_message *call; /* answered when done; NULL: nobody waits (start, udev, SIGHUP) */
        PlanRequest request;  /* JOB_CREATE; its strings are owned: */
        char *region, *name;
        char *ns_dev;         /* JOB_DESTROY; name is then its object path */
        bool start;           /* the first job: settle the auto_online_blocks hand-over and,
                               * with CAP_SYS_MODULE, load the kernel modules first */
        struct Job *next;
} Job;

/* What a worker sends back. */
typedef struct JobResult {
        int r;             /* 0 or a negative errno */
        char *error;       /* why, when the operation says */
        Plan plan;         /* apply: the rows as done (no region plans) */
        char *region_signature, *cxl_signature; /* apply: the regions it saw */
        char *ns_dev;      /* create: the namespace made */
        /* the kernel state as the worker last read it (has_state), for the cache */
        bool has_state;
        uint64_t read_usec; /* CLOCK_MONOTONIC when that read began */
        RegionState *regions;
        size_t n_regions;
        CxlState cxl;
        CxlRecord *cxl_records;
        size_t n_cxl_records;
} JobResult;

void job_result_done(JobResult *res);
Job *job_free(Job *j);
const char *job_kind_to_string(JobKind k);
JobKind job_kind_from_string(const char *s);

/* Where the worker is: PMEMNSD_WORKER_PATH (tests, the build tree) or where it is installed. */
const char *worker_path(void);

/* Limit of jobs waiting: beyond it a mutating call is answered Busy. Only root or polkit
 * grants get here, so this bounds a runaway script, not an attacker. */
#define JOBS_QUEUED_MAX 64
