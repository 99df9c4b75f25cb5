/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>

#include "conf/config.h"
#include "jobs.h"
#include "kernel.h"
#include "plan/planner.h"
#include "state-index.h"
#include "util/macro.h"

typedef enum ManagerState {
        MANAGER_IDLE,
        MANAGER_APPLYING,
        MANAGER_DEGRADED,
        MANAGER_CONFIG_ERROR, /* no valid configuration in force: nothing is applied */
        _MANAGER_STATE_MAX,
} ManagerState;

/* One failure of the last apply, kept so the Namespace objects can show it. */
typedef struct Failure {
        char *instance;
        char *ns_dev; /* may be NULL: nothing exists */
        char *message;
} Failure;

typedef struct CacheIndex CacheIndex;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        sd_device_monitor *monitor;
        sd_event_source *refresh_timer;
        bool refresh_followup; /* the settle refresh after a burst is scheduled */
        /* CLOCK_MONOTONIC: the last udev event, and when the cached state was read (its
         * worker's last read began); a read is due when the cache is older than what the
         * refresh timer asks for, and waits (refresh_pending) while a worker runs */
        uint64_t last_event_usec, state_read_usec, refresh_pending_since;
        bool refresh_pending;

        char *main_file; /* /etc/pmemnsd/pmemnsd.conf */
        char *policy_dirs[4];
        Config config;

        KernelInfo kernel;
        uint64_t granularity; /* the daemon default in force, bytes */

        /* The kernel state as last read, and the plan against it: every D-Bus property is
         * served from here, never from libndctl inside a getter. */
        RegionState *regions;
        size_t n_regions;
        Plan plan;
        char *region_signature; /* which regions are enabled: a change triggers apply */
        CacheIndex *index; /* cache-index.c: the above by device */

        /* CXL, read only when the configuration has [cxl-region]s (cxl-assembly.c): the
         * cxl bus and our records of it, as last read; what the bus looked like to the last
         * reconcile (a memdev arriving triggers the next) */
        CxlState cxl;
        CxlRecord *cxl_records;
        size_t n_cxl_records;
        char *cxl_signature;

        Failure *failures;
        size_t n_failures;

        ManagerState state;
        char *config_error; /* MANAGER_CONFIG_ERROR: the problems, joined */
        bool ready; /* READY=1 sent: until then each create extends the start timeout */

        /* jobs.c: the mutating operations waiting, the one running and its worker */
        Job *jobs, *jobs_tail;
        size_t n_jobs_queued;
        Job *job;
        pid_t worker_pid;
        int worker_fd;
        sd_event_source *worker_source;
        char *worker_buf;
        size_t worker_buf_len, worker_buf_size;
        JobResult worker_result;
        bool worker_result_seen;
        unsigned progress_done, progress_total; /* the Progress property */
        bool exit_when_idle;  /* SIGTERM came while a worker ran: exit when it is done */
        /* in a worker process: no bus, no event loop; progress goes to progress_fd */
        bool in_worker;
        int progress_fd;

        /* polkit.c: authorization questions in flight and answered (polkit.h) */
        struct PolkitRegistry *polkit;

        /* bus-sync.c: objects whose PropertiesChanged waits for the next loop iteration */
        sd_event_source *bus_changes_event;
        char **bus_changed;
        size_t n_bus_changed;
} Manager;

const char *manager_state_to_string(ManagerState s);

int manager_new(const char *config_root, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Read and validate every config file. On failure the diagnostics are in *diags, the
 * previous configuration stays in force and 1 is returned. */
int manager_load_config(Manager *m, ConfDiags *diags);
/* Put an accepted configuration in force (taking it): the worker's, parsed from the
 * daemon's texts, goes straight here. */
void manager_use_config(Manager *m, Config *c);

/* Probe the kernel again (the region 'align' attribute may show up later). */
int manager_probe_kernel(Manager *m);

/* In the worker (work-state.c): re-read the kernel state and re-plan. */
int manager_refresh(Manager *m);
/* Put a view of the kernel in place of the cache, taking its arrays (*cxl is emptied), plan
 * on it and tell the bus what changed. */
void manager_install_state(Manager *m, RegionState *regions, size_t n, CxlState *cxl, CxlRecord *cxl_records,
                           size_t n_cxl_records);

/* Reconcile, in a worker (jobs.c): settle interrupted work, read the kernel, plan, carry
 * out the plan. *ret receives the rows as done, *ret_region_signature and
 * *ret_cxl_signature the regions it saw. */
int manager_reconcile_work(Manager *m, Plan *ret, char **ret_region_signature, char **ret_cxl_signature);
/* And in the daemon when the worker is done: failures, signatures, cache, state, Applied. */
void manager_reconcile_finish(Manager *m, const JobResult *res);

/* jobs.c: queue a job (taking it); 1 queued, 0 merged into a waiting reconcile, -EBUSY
 * when too many wait. */
int manager_enqueue(Manager *m, Job *j);
/* A reconcile nobody waits for (start, udev), merged into one waiting; probe: the
 * kernel first, as Apply() does. */
int manager_enqueue_reconcile(Manager *m, bool probe);
/* A read of the kernel state for the cache (merged into any job waiting); start: the
 * first, which also settles the auto_online_blocks hand-over and loads modules. */
int manager_enqueue_read(Manager *m, bool start);
/* jobs.c: run a worker for j and wait for it (no event loop): pmemnsd --load-modules. */
int worker_run_sync(Manager *m, const Job *j, JobResult *res);
int worker_spawn(Manager *m, const Job *j, pid_t *ret_pid, int *ret_fd);
/* The kernel state across the pipe, both ends: in the worker, m's state read at read_usec
 * into res (has_state), taken from m; in the daemon, res's into the cache, taken from res. */
void job_result_take_state(JobResult *res, Manager *m, uint64_t read_usec);
void job_result_install_state(Manager *m, JobResult *res);
/* SIGTERM: answer and drop what waits, exit when the running worker is done. */
void manager_shutdown(Manager *m);
bool manager_busy(const Manager *m);
/* In a worker: rows done of the rows of the running apply (no-op in the daemon). */
void manager_progress(Manager *m, unsigned done, unsigned total);
/* STATUS= for systemd: what runs, or what is managed and what failed. */
void manager_status_update(Manager *m);

/* A dry run on the cached state (udev events keep it fresh). */
int manager_plan(Manager *m, Plan *ret);

/* Re-read the configuration. < 0: rejected (*ret_error says why, the old one stays); 0:
 * in force, the cache re-planned; 1: in force and a reconcile queued, which answers call
 * (may be NULL) when done. */
int manager_reload(Manager *m, sd_bus_message *call, char **ret_error);
/* At start: a configuration with problems puts the daemon in MANAGER_CONFIG_ERROR with no
 * policy in force instead of exiting (it stays on the bus to say why; a Reload fixes it). */
void manager_config_rejected_at_start(Manager *m, const ConfDiags *d);

int manager_create_namespace(Manager *m, const PlanRequest *req, char **ret_ns_dev,
                             char **ret_error);
int manager_destroy_namespace(Manager *m, const char *ns_dev, char **ret_error);

int manager_load_modules(Manager *m);
int manager_connect_udev(Manager *m);
/* udev.c: why to reconcile again (the regions or, with [cxl-region]s, the cxl bus differ
 * from what the last reconcile saw), or NULL. */
const char *manager_regions_changed(Manager *m);
/* udev.c: after a read, create or destroy brought the state: reconcile if the regions
 * changed since the last reconcile (apply=auto). */
void manager_check_regions(Manager *m);

/* Lookups over the cached state (cache-index.c): O(log n), by an index built on first use
 * after a change. Whoever replaces m->regions, m->plan or m->failures calls
 * manager_index_invalidate(). */
const StateIndex *manager_index(Manager *m);
void manager_index_invalidate(Manager *m);
void manager_index_free(Manager *m);
const RegionState *manager_find_region(Manager *m, const char *dev);
const NsState *manager_find_namespace(Manager *m, const char *dev, const RegionState **ret_region);
/* The plan row that owns an existing namespace (instance != ""), or NULL: foreign. */
const PlanRow *manager_namespace_row(Manager *m, const char *ns_dev);
const Failure *manager_find_failure(Manager *m, const char *instance, const char *ns_dev);

/* Within the daemon core (manager.c, reconcile.c, requests.c): the cache and the plan. */
/* The nd bus (and, with [cxl-region]s, the cxl bus into m->cxl, marking the nd regions we
 * assembled): what every plan is computed on. */
int manager_read_state(Manager *m, RegionState **ret, size_t *ret_n);
int manager_compute_plan(Manager *m, const RegionState *regions, size_t n, Plan *ret);
void manager_set_state(Manager *m, ManagerState s);
void manager_failures_clear(Manager *m);
int manager_failure_add(Manager *m, const PlanRow *row);

/* cxl-assembly.c */
bool manager_has_cxl(const Manager *m);
int manager_cxl_read(Manager *m);
void manager_cxl_mark(Manager *m, RegionState *regions, size_t n);
char *manager_cxl_signature(const Manager *m);
void manager_cxl_recover(Manager *m);
/* Carry out the plan's assemble rows (a failure makes its row failed and counts in
 * *failed). Returns how many rows changed the cxl bus. */
unsigned manager_cxl_assemble(Manager *m, Plan *plan, unsigned *failed);

/* reconcile.c: settle what interrupted operations of ours left (records.h) */
void manager_recover_interrupted(void);
/* reconcile.c: create one planned row after re-checking its region against sysfs */
struct NvCtx;
int manager_create_row(struct NvCtx **c, PlanRow *row, const RegionState *regions, size_t n_regions,
                       char **ret_uuid, const char **ret_changed, char **err);

/* The bus face: manager-bus.c (this object, the connection), region-bus.c, namespace-bus.c,
 * bus-sync.c; daemon/bus.h is what they share. */
int manager_connect_bus(Manager *m);
/* A refresh, before it puts next in place: InterfacesRemoved for the objects that vanish,
 * while they still exist (sd-bus reads their interfaces from the vtables). */
void manager_bus_sync_removed(Manager *m, const RegionState *next, size_t n_next);
/* And after: InterfacesAdded for the new objects; PropertiesChanged for those that differ
 * from old, deferred to the next event-loop iteration and sent once per object however
 * many refreshes come first. */
void manager_bus_sync(Manager *m, const RegionState *old, size_t n_old, const Plan *old_plan);
void manager_bus_sync_done(Manager *m);
void manager_bus_emit_applied(Manager *m, const Plan *rows);
void manager_bus_emit_manager_changed(Manager *m, const char *property);
/* The reply to the method call a job was queued for. */
void manager_bus_reply_job(Manager *m, const Job *j, const JobResult *res);
