/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-scale: how the planner and the bus view grow with the number of namespaces (issue
 * 15). On the host, on a synthetic cache: no kernel, no VM, no bus daemon. For each size
 * (regions x namespaces per region), the median time, and the time per object, of
 *   plan     plan_compute() on the state (what a refresh, Plan() and Apply() compute)
 *   diff     a refresh's bus side: manager_bus_sync_removed() and manager_bus_sync() against
 *            the previous cache (every region and every tenth namespace changed)
 *   objects  GetManagedObjects, from a client over a socketpair to a child serving the
 *            daemon's vtables on a Manager holding the cache (reply received, not parsed)
 * A measurement, not a test: it exits 0 whatever the figures.
 *
 *   bench-scale [SIZE...]        SIZE is REGIONSxNAMESPACES, default 1x10 10x100 1000x100
 *   $BENCH_SAMPLES               samples per figure (5), the median is shown
 *   $BENCH_PARTS                 which figures, default "plan,diff,objects"
 *   bench-scale --dump RxN       the plan's rows, one a line (to compare two builds) */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus.h"
#include "conf/config.h"
#include "kernel.h"
#include "util/log.h"

#define MiB_ (UINT64_C(1) << 20)
#define GiB_ (UINT64_C(1) << 30)
#define NS_SIZE (64 * MiB_)

/* Every region: namespaces ns.0 ... ns.K-2 of the policy (fsdax; every tenth one devdax, a
 * drift), one foreign namespace, room for the missing instance ns.K-1 (a create): K
 * namespaces, K + 1 plan rows. changed: what the next refresh reads (free space of every
 * region, usable size of every tenth namespace). */
static RegionState *make_state(size_t n_regions, size_t k, bool changed) {
        RegionState *rs = calloc(n_regions, sizeof(RegionState));

        if (!rs)
                abort();
        for (size_t i = 0; i < n_regions; i++) {
                uint64_t start = 4 * GiB_ + i * (k + 2) * NS_SIZE;
                RegionState *r = &rs[i];

                *r = (RegionState) {
                        .type = strdup("pmem"), .provider = strdup("ACPI.NFIT"), .numa_node = (int) (i % 2),
                        .start = start, .size = (k + 2) * NS_SIZE, .align = 16 * MiB_, .ways = 1,
                        .labeled = true, .labels_v1_2 = true, .enabled = true,
                        .available_size = 2 * NS_SIZE - changed, .max_available_extent = 2 * NS_SIZE,
                        .namespaces = calloc(k, sizeof(NsState)), .n_namespaces = k,
                };
                if (asprintf(&r->dev, "region%zu", i) < 0 || !r->namespaces)
                        abort();
                for (size_t j = 0; j < k; j++) {
                        NsState *n = &r->namespaces[j];
                        bool foreign = j == k - 1;

                        *n = (NsState) {
                                .mode = j % 10 == 9 ? NS_MODE_DEVDAX : NS_MODE_FSDAX, .start = start + j * NS_SIZE,
                                .size = NS_SIZE, .usable = NS_SIZE - 2 * MiB_ - (changed && j % 10 == 0),
                                .map = NS_MAP_DEV, .align = 2 * MiB_, .enabled = true,
                                .uuid = strdup("c0ffee00-0000-4000-8000-000000000000"),
                        };
                        if (asprintf(&n->dev, "namespace%zu.%zu", i, j) < 0 ||
                            (foreign ? asprintf(&n->name, "other") : asprintf(&n->name, "ns.%zu", j)) < 0 ||
                            asprintf(&n->blockdev, "pmem%zu.%zu", i, j) < 0)
                                abort();
                }
        }
        return rs;
}

static double clock_s(clockid_t id) {
        struct timespec ts;

        clock_gettime(id, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static double now(void) {
        return clock_s(CLOCK_MONOTONIC);
}

/* the machine is shared: the CPU time says more than the wall clock when others are busy
 * (GetManagedObjects: of the client and the server together) */
static double cpu_now(void) {
        return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static double cpu_of(pid_t pid) {
        clockid_t id;

        return clock_getcpuclockid(pid, &id) == 0 ? clock_s(id) : 0;
}

typedef struct Timing {
        double wall, cpu;
} Timing;

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
        qsort(v, n, sizeof(double), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void setup_manager(Manager **ret, size_t k) {
        char policy[512];
        const char *files[] = { "50-scale.conf", policy, NULL };
        KernelInputs ki = { .release = "6.1.0-41-amd64", .machine = "x86_64", .page_size = 4096,
                            .block_size_bytes = "8000000", .region_align_seen = true };
        ConfDiags d = {};
        Manager *m;

        snprintf(policy, sizeof(policy),
                 "[region all]\nmatch.dev = region*\ngranularity = subsection\n"
                 "[namespace ns]\nregion = all\nmode = fsdax\nsize = 64M\ncount = %zu\n", k);
        if (manager_new("/nonexistent", &m) < 0 || kernel_info_from(&ki, &m->kernel) < 0 ||
            config_load_strings(NULL, files, &m->config, &d) != 0) {
                fprintf(stderr, "bench-scale: cannot set up the manager\n");
                exit(EXIT_FAILURE);
        }
        conf_diags_done(&d);
        *ret = m;
}

static void plan_or_die(Manager *m, const RegionState *rs, size_t n, Plan *p) {
        if (manager_compute_plan(m, rs, n, p) < 0) {
                fprintf(stderr, "bench-scale: plan_compute failed\n");
                exit(EXIT_FAILURE);
        }
}

/* The cache as a refresh leaves it, with one failure in fifty namespaces (the last Apply's). */
static void fill_cache(Manager *m, size_t n_regions, size_t k) {
        m->regions = make_state(n_regions, k, false);
        m->n_regions = n_regions;
        plan_or_die(m, m->regions, n_regions, &m->plan);
        for (size_t i = 0; i < m->plan.n_rows; i += 50)
                if (m->plan.rows[i].spec.ns_dev)
                        (void) manager_failure_add(m, &m->plan.rows[i]);
}

static int dump(size_t n_regions, size_t k) {
        Manager *m;
        RegionState *rs = make_state(n_regions, k, false);
        Plan p = {};

        setup_manager(&m, k);
        plan_or_die(m, rs, n_regions, &p);
        for (size_t i = 0; i < p.n_rows; i++) {
                const PlanRow *r = &p.rows[i];
                printf("%s|%s|%s|%s|%s|%" PRIu64 "|%" PRIu64 "|%#" PRIx64 "|%" PRIu64 "|%" PRIu64 "|%zd|%s\n",
                       plan_action_to_string(r->action), r->spec.name, r->spec.region, strempty(r->spec.ns_dev),
                       plan_row_mode(r), r->spec.size, r->spec.usable, r->spec.start, r->lost, r->kmem_lost,
                       r->policy, strempty(r->message));
        }
        for (size_t i = 0; i < p.n_regions; i++)
                printf("region|%s|%zd|%" PRIu64 "|%" PRIu64 "|%d|%" PRIu64 "\n", p.regions[i].region,
                       p.regions[i].selector, p.regions[i].granularity, p.regions[i].region_align,
                       p.regions[i].init_labels, p.regions[i].lost_to_alignment);
        plan_done(&p);
        region_states_free(rs, n_regions);
        manager_free(m);
        return 0;
}

/* samples of `reps` repetitions each, so that a small size is not all clock resolution;
 * $BENCH_SAMPLES of them (5) */
#define SAMPLES_MAX 99
static size_t SAMPLES = 5;

static Timing bench_plan(size_t n_regions, size_t k, size_t reps) {
        Manager *m;
        RegionState *rs = make_state(n_regions, k, false);
        double t[SAMPLES_MAX], c[SAMPLES_MAX];

        setup_manager(&m, k);
        for (size_t s = 0; s < SAMPLES; s++) {
                double t0 = now(), c0 = cpu_now();
                for (size_t i = 0; i < reps; i++) {
                        Plan p = {};
                        plan_or_die(m, rs, n_regions, &p);
                        plan_done(&p);
                }
                t[s] = (now() - t0) / (double) reps;
                c[s] = (cpu_now() - c0) / (double) reps;
        }
        region_states_free(rs, n_regions);
        manager_free(m);
        return (Timing) { median(t, SAMPLES), median(c, SAMPLES) };
}

static sd_bus *bus_pair_end(int fd, bool server) {
        sd_bus *b = NULL;
        sd_id128_t id;
        int r;

        r = sd_bus_new(&b);
        if (r >= 0)
                r = sd_bus_set_fd(b, fd, fd);
        if (r >= 0 && server && (r = sd_id128_randomize(&id)) >= 0)
                r = sd_bus_set_server(b, true, id);
        if (r >= 0)
                r = sd_bus_start(b);
        if (r < 0) {
                fprintf(stderr, "bench-scale: bus: %s\n", strerror(-r));
                exit(EXIT_FAILURE);
        }
        return b;
}

/* A refresh's bus side, the reading of the kernel and the plan aside. The PropertiesChanged
 * it queues wait for an event loop iteration that never comes: dropped after each sample. */
static Timing bench_diff(size_t n_regions, size_t k, size_t reps) {
        Manager *m;
        double t[SAMPLES_MAX], c[SAMPLES_MAX];
        int sv[2];

        setup_manager(&m, k);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || sd_event_new(&m->event) < 0)
                exit(EXIT_FAILURE);
        m->bus = bus_pair_end(sv[0], true);
        fill_cache(m, n_regions, k);
        for (size_t s = 0; s < SAMPLES; s++) {
                double sum = 0, csum = 0;
                for (size_t i = 0; i < reps; i++) {
                        RegionState *next = make_state(n_regions, k, (s * reps + i) % 2 == 0), *old;
                        size_t n_old = m->n_regions;
                        Plan plan = {}, old_plan = m->plan;

                        plan_or_die(m, next, n_regions, &plan);
                        double t0 = now(), c0 = cpu_now();
                        manager_bus_sync_removed(m, next, n_regions);
                        old = m->regions;
                        m->regions = next;
                        m->plan = plan;
                        manager_bus_sync(m, old, n_old, &old_plan);
                        sum += now() - t0;
                        csum += cpu_now() - c0;
                        region_states_free(old, n_old);
                        plan_done(&old_plan);
                        manager_bus_sync_done(m);
                }
                t[s] = sum / (double) reps;
                c[s] = csum / (double) reps;
        }
        /* nobody reads the other end: no flush (manager_free()'s would wait for it) */
        m->bus = sd_bus_close_unref(m->bus);
        close(sv[1]);
        manager_free(m);
        return (Timing) { median(t, SAMPLES), median(c, SAMPLES) };
}

static __attribute__((noreturn)) void serve(int fd, size_t n_regions, size_t k) {
        Manager *m;
        int r;

        setup_manager(&m, k);
        fill_cache(m, n_regions, k);
        r = sd_event_new(&m->event);
        if (r >= 0) {
                m->bus = bus_pair_end(fd, true);
                r = sd_bus_attach_event(m->bus, m->event, 0);
        }
        if (r >= 0)
                r = sd_bus_set_exit_on_disconnect(m->bus, true);
        if (r >= 0)
                r = manager_bus_add_objects(m);
        if (r >= 0)
                r = sd_event_loop(m->event);
        if (r < 0)
                fprintf(stderr, "bench-scale: server: %s\n", strerror(-r));
        manager_free(m);
        _exit(r < 0 ? 1 : 0);
}

static Timing bench_objects(size_t n_regions, size_t k, size_t reps, size_t *ret_objects) {
        double t[SAMPLES_MAX], c[SAMPLES_MAX];
        sd_bus *client;
        pid_t pid;
        int sv[2], status;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                exit(EXIT_FAILURE);
        fflush(stdout);
        pid = fork();
        if (pid < 0)
                exit(EXIT_FAILURE);
        if (pid == 0) {
                close(sv[0]);
                serve(sv[1], n_regions, k);
        }
        close(sv[1]);
        client = bus_pair_end(sv[0], false);
        /* up, with its cache filled and its index built (the first call builds it) */
        if (sd_bus_call_method(client, NULL, PMEMNSD_ROOT_PATH, "org.freedesktop.DBus.Peer", "Ping", NULL,
                               NULL, NULL) < 0)
                exit(EXIT_FAILURE);

        for (size_t s = 0; s < SAMPLES; s++) {
                double t0 = now(), c0 = cpu_of(0) + cpu_of(pid);
                for (size_t i = 0; i < reps; i++) {
                        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
                        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                        int r = sd_bus_message_new_method_call(client, &call, NULL, PMEMNSD_ROOT_PATH,
                                                               "org.freedesktop.DBus.ObjectManager",
                                                               "GetManagedObjects");
                        if (r >= 0)
                                r = sd_bus_call(client, call, 600 * UINT64_C(1000000), &e, &reply);
                        if (r < 0) {
                                fprintf(stderr, "bench-scale: GetManagedObjects: %s\n", e.message ?: strerror(-r));
                                exit(EXIT_FAILURE);
                        }
                        if (s == 0 && i == 0) {
                                /* count the objects once, outside the timing */
                                double t1 = now(), c1 = cpu_of(0);
                                size_t n = 0;

                                r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
                                while (r > 0 && (r = sd_bus_message_skip(reply, "{oa{sa{sv}}}")) > 0)
                                        n++;
                                /* above 64 MiB an array breaks the D-Bus limit: sd-bus sends it,
                                 * no reader takes it (EBADMSG); a bus daemon would refuse it
                                 * (dbus-daemon's system bus: messages of 32 MiB at most) */
                                if (r < 0)
                                        printf("(the reply cannot be read: %s; %zu objects counted, "
                                               "figures per object for the %zu served)\n",
                                               strerror(-r), n, n_regions * (k + 1));
                                *ret_objects = r < 0 ? n_regions * (k + 1) : n;
                                t0 += now() - t1;
                                c0 += cpu_of(0) - c1;
                        }
                }
                t[s] = (now() - t0) / (double) reps;
                c[s] = (cpu_of(0) + cpu_of(pid) - c0) / (double) reps;
        }
        sd_bus_flush_close_unref(client);
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fprintf(stderr, "bench-scale: the server did not exit cleanly (%#x)\n", (unsigned) status);
        return (Timing) { median(t, SAMPLES), median(c, SAMPLES) };
}

static bool part(const char *name) {
        const char *p = getenv("BENCH_PARTS");
        return !p || strstr(p, name);
}

static bool parse_size(const char *s, size_t *ret_regions, size_t *ret_k) {
        char x;

        return sscanf(s, "%zu%c%zu", ret_regions, &x, ret_k) == 3 && x == 'x' && *ret_regions > 0 && *ret_k > 1;
}

static void row(const char *what, size_t objects, Timing t) {
        printf("%-8s %10zu %12.3f ms %10.2f us/object", what, objects, t.wall * 1e3, t.wall * 1e6 / (double) objects);
        if (t.cpu > 0)
                printf(" %12.3f ms %10.2f us/object", t.cpu * 1e3, t.cpu * 1e6 / (double) objects);
        printf("\n");
}

int main(int argc, char *argv[]) {
        const char *defaults[] = { "1x10", "10x100", "1000x100" };
        const char *const *sizes = defaults;
        size_t n_sizes = ELEMENTSOF(defaults);

        log_set_max_level(LOG_WARNING);
        if (argc == 3 && streq(argv[1], "--dump")) {
                size_t n, k;
                if (!parse_size(argv[2], &n, &k))
                        return EXIT_FAILURE;
                return dump(n, k);
        }
        if (argc > 1) {
                sizes = (const char *const *) argv + 1;
                n_sizes = (size_t) argc - 1;
        }

        const char *e = getenv("BENCH_SAMPLES");
        if (e && (sscanf(e, "%zu", &SAMPLES) != 1 || SAMPLES < 1 || SAMPLES > SAMPLES_MAX)) {
                fprintf(stderr, "bench-scale: BENCH_SAMPLES must be 1...%d\n", SAMPLES_MAX);
                return EXIT_FAILURE;
        }
        printf("%-8s %10s %15s %21s %15s %21s\n", "", "objects", "wall (median)", "per object",
               "cpu (median)", "per object");
        for (size_t i = 0; i < n_sizes; i++) {
                size_t n, k, ns, objects = 0;
                if (!parse_size(sizes[i], &n, &k)) {
                        fprintf(stderr, "bench-scale: '%s' is not REGIONSxNAMESPACES (at least 2)\n", sizes[i]);
                        return EXIT_FAILURE;
                }
                ns = n * k;
                /* some 10 ms a sample for the small sizes */
                size_t reps = ns >= 10000 ? 1 : 10000 / ns;
                printf("-- %zu region(s) x %zu namespaces = %zu namespaces\n", n, k, ns);
                if (part("plan"))
                        row("plan", ns, bench_plan(n, k, reps));
                if (part("diff"))
                        row("diff", ns + n, bench_diff(n, k, reps));
                if (part("objects")) {
                        Timing t = bench_objects(n, k, reps, &objects);
                        row("objects", objects, t);
                }
                fflush(stdout);
        }
        return 0;
}
