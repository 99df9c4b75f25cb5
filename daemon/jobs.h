/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "plan/planner.h"

/* The mutating operations (Apply and the reconciles udev, start and Reload ask for,
 * CreateNamespace, DestroyNamespace) run one at a time, in the order asked, each in a
 * worker process forked for it (jobs.c). The event loop stays free meanwhile: properties,
 * Plan() and GetManagedObjects are answered, the watchdog is pinged, progress shows.
 *
 * Why a fork and not systemd-homed's exec of a separate worker binary: the work needs the
 * configuration in force (which may no longer be what the files say: a rejected reload
 * keeps the old one), the planner and the cache, all in this process's memory; a forked
 * child has them without a protocol to serialise the policies and the kernel state. What
 * comes back is small: progress, and the rows or the error, as JSON lines on a pipe. The
 * kernel work and its crashes stay out of the process that holds the bus: a worker killed
 * mid-create is the interrupted operation that records.h's recovery settles at the next
 * apply, and the daemon answers the caller with the reason. */

typedef enum JobKind {
        JOB_APPLY,     /* Apply(): probe the kernel, then reconcile */
        JOB_RECONCILE, /* the start, a udev event, a reload: reconcile */
        JOB_CREATE,
        JOB_DESTROY,
        _JOB_KIND_MAX,
} JobKind;

typedef struct Job {
        JobKind kind;
        sd_bus_message *call; /* answered when done; NULL: nobody waits (start, udev, SIGHUP) */
        PlanRequest request;  /* JOB_CREATE; its strings are owned: */
        char *region, *name;
        char *ns_dev;         /* JOB_DESTROY; name is then its object path */
        struct Job *next;
} Job;

/* What a worker sends back. */
typedef struct JobResult {
        int r;             /* 0 or a negative errno */
        char *error;       /* why, when the operation says */
        Plan plan;         /* apply: the rows as done (no region plans) */
        char *region_signature, *cxl_signature; /* apply: the regions it saw */
        char *ns_dev;      /* create: the namespace made */
} JobResult;

void job_result_done(JobResult *res);
Job *job_free(Job *j);

/* Limit of jobs waiting: beyond it a mutating call is answered Busy. Only root or polkit
 * grants get here, so this bounds a runaway script, not an attacker. */
#define JOBS_QUEUED_MAX 64
