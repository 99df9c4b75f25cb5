/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bus objects against a Manager with a made-up cache, over a socketpair: a child serves
 * them (daemon/manager-bus.c, region-bus.c, namespace-bus.c, bus-sync.c), the parent reads
 * properties and watches the signals of a refresh. No kernel, no bus daemon. */
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus.h"
#include "tests.h"
#include "util/strv.h"

#define GiB_ (UINT64_C(1) << 30)
#define MiB_ (UINT64_C(1) << 20)

static NsState ns_make(const char *dev, const char *name, NsMode mode, uint64_t start, uint64_t size,
                       const char *blockdev, const char *chardev) {
        return (NsState) {
                .dev = strdup(dev), .name = strdup(name), .uuid = strdup("c0ffee00-0000-4000-8000-000000000000"),
                .mode = mode, .start = start, .size = size, .usable = size - 2 * MiB_, .map = NS_MAP_DEV,
                .align = 2 * MiB_, .enabled = true,
                .blockdev = blockdev ? strdup(blockdev) : NULL, .chardev = chardev ? strdup(chardev) : NULL,
        };
}

static RegionState region_make(const char *dev, bool labeled, uint64_t available, size_t n_ns) {
        return (RegionState) {
                .dev = strdup(dev), .type = strdup("pmem"), .provider = strdup("ACPI.NFIT"), .numa_node = 1,
                .start = 4 * GiB_, .size = GiB_, .align = 16 * MiB_, .ways = 1, .labeled = labeled, .enabled = true,
                .available_size = available, .max_available_extent = available,
                .namespaces = calloc(n_ns ? n_ns : 1, sizeof(NsState)), .n_namespaces = n_ns,
        };
}

/* a 2-way CXL region: memdevs by serial in position order */
static void region_make_cxl(RegionState *r, const char *first, const char *second) {
        size_t n = 0;

        free(r->provider);
        r->provider = strdup("CXL");
        r->ways = 2;
        r->memdevs = calloc(1, sizeof(char *));
        CHECK(strv_push(&r->memdevs, &n, first) == 0);
        CHECK(strv_push(&r->memdevs, &n, second) == 0);
}

/* before: region0 {namespace0.0 "db" fsdax, namespace0.1 "caf\xe9" devdax}, region1 {} (CXL) */
static RegionState *state_before(size_t *ret_n) {
        RegionState *r = calloc(2, sizeof(RegionState));
        r[0] = region_make("region0", true, 512 * MiB_, 2);
        r[0].namespaces[0] = ns_make("namespace0.0", "db", NS_MODE_FSDAX, 4 * GiB_, 64 * MiB_, "pmem0", NULL);
        r[0].namespaces[1] = ns_make("namespace0.1", "caf\xe9", NS_MODE_DEVDAX, 4 * GiB_ + 64 * MiB_, 34 * MiB_,
                                     NULL, "dax0.1");
        r[1] = region_make("region1", false, 0, 0);
        region_make_cxl(&r[1], "4661", "4660");
        *ret_n = 2;
        return r;
}

/* after: namespace0.1 and region1 gone, namespace0.2 and region2 new, region0's free space
 * changed, namespace0.0 as it was */
static RegionState *state_after(uint64_t available, size_t *ret_n) {
        RegionState *r = calloc(2, sizeof(RegionState));
        r[0] = region_make("region0", true, available, 2);
        r[0].namespaces[0] = ns_make("namespace0.0", "db", NS_MODE_FSDAX, 4 * GiB_, 64 * MiB_, "pmem0", NULL);
        r[0].namespaces[1] = ns_make("namespace0.2", "log", NS_MODE_SECTOR, 4 * GiB_ + 128 * MiB_, 20 * MiB_,
                                     "pmem0.2s", NULL);
        r[1] = region_make("region2", true, GiB_, 0);
        *ret_n = 2;
        return r;
}

/* what manager_refresh() does around its bus calls */
static void refresh(Manager *m, RegionState *next, size_t n) {
        RegionState *old = m->regions;
        size_t n_old = m->n_regions;
        Plan old_plan = m->plan;

        manager_bus_sync_removed(m, next, n);
        m->regions = next;
        m->n_regions = n;
        m->plan = (Plan) {};
        manager_bus_sync(m, old, n_old, &old_plan);
        region_states_free(old, n_old);
        plan_done(&old_plan);
}

static int on_usr1(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        RegionState *next;
        size_t n;

        /* two refreshes in one iteration: one PropertiesChanged for region0, with the last values */
        next = state_after(256 * MiB_, &n);
        refresh(m, next, n);
        next = state_after(128 * MiB_, &n);
        refresh(m, next, n);
        return 0;
}

static int on_usr2(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        RegionState *next;
        size_t n;

        next = state_before(&n);
        refresh(m, next, n);
        return 0;
}

/* the memdevs of region1 in the other order (a re-assembly with other positions), or back */
static int on_winch(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        static bool swapped;
        RegionState *next;
        size_t n;

        next = state_before(&n);
        swapped = !swapped;
        if (swapped) {
                strv_free(TAKE_PTR(next[1].memdevs));
                region_make_cxl(&next[1], "4660", "4661");
        }
        refresh(m, next, n);
        return 0;
}

static __attribute__((noreturn)) void serve(int fd) {
        Manager *m = NULL;
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGUSR1);
        sigaddset(&mask, SIGUSR2);
        sigaddset(&mask, SIGWINCH);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = manager_new("/nonexistent", &m);
        if (r >= 0)
                r = sd_event_new(&m->event);
        if (r >= 0)
                r = sd_bus_new(&m->bus);
        if (r >= 0)
                r = sd_bus_set_fd(m->bus, fd, fd);
        if (r >= 0) {
                sd_id128_t id;
                r = sd_id128_randomize(&id);
                if (r >= 0)
                        r = sd_bus_set_server(m->bus, true, id);
        }
        if (r >= 0)
                r = sd_bus_start(m->bus);
        if (r >= 0)
                r = sd_bus_attach_event(m->bus, m->event, 0);
        if (r >= 0)
                r = manager_bus_add_objects(m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGUSR1, on_usr1, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGUSR2, on_usr2, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGWINCH, on_winch, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0) {
                m->regions = state_before(&m->n_regions);
                r = sd_event_loop(m->event);
        }
        if (r < 0)
                fprintf(stderr, "server: %s\n", strerror(-r));
        manager_free(m);
        _exit(r < 0 ? 1 : 0);
}

static sd_bus *client;
static pid_t server;

static char *get_s(const char *path, const char *iface, const char *prop) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        char *s = NULL;
        int r = sd_bus_get_property_string(client, NULL, path, iface, prop, &e, &s);
        if (r < 0)
                printf("#   %s %s: %s\n", path, prop, e.message ?: strerror(-r));
        return s;
}

static uint64_t get_t(const char *path, const char *iface, const char *prop, char type) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        union {
                uint64_t t;
                int32_t i;
                uint32_t u;
                int b;
        } v = {};
        int r = sd_bus_get_property_trivial(client, NULL, path, iface, prop, &e, type, &v);
        if (r < 0) {
                printf("#   %s %s: %s\n", path, prop, e.message ?: strerror(-r));
                return UINT64_MAX;
        }
        return type == 't' ? v.t : type == 'i' ? (uint64_t) (int64_t) v.i : type == 'u' ? v.u : (uint64_t) v.b;
}

#define R0 PMEMNSD_REGION_PREFIX "/region0"
#define R1 PMEMNSD_REGION_PREFIX "/region1"
#define NS00 PMEMNSD_NAMESPACE_PREFIX "/namespace0_0"
#define NS01 PMEMNSD_NAMESPACE_PREFIX "/namespace0_1"
#define RI PMEMNSD_REGION_IFACE
#define NI PMEMNSD_NAMESPACE_IFACE

static void check_s(const char *path, const char *iface, const char *prop, const char *want) {
        _cleanup_free_ char *s = get_s(path, iface, prop);
        CHECK_STR(s, want);
}

/* Every test talks to one server, started by whichever test runs first (tests.c runs them in
 * the order of the section, or one selected by name) and stopped at exit. */
static void connect_server(void) {
        int sv[2];

        if (client)
                return;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                perror("socketpair");
                exit(EXIT_FAILURE);
        }
        fflush(stdout);
        server = fork();
        if (server < 0)
                exit(EXIT_FAILURE);
        if (server == 0) {
                close(sv[0]);
                serve(sv[1]);
        }
        close(sv[1]);
        if (sd_bus_new(&client) < 0 || sd_bus_set_fd(client, sv[0], sv[0]) < 0 || sd_bus_start(client) < 0) {
                printf("Bail out! cannot connect to the server\n");
                exit(EXIT_FAILURE);
        }
        /* an answer means the server is up, with its signals blocked for the event loop */
        if (sd_bus_call_method(client, NULL, PMEMNSD_ROOT_PATH, "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                               NULL) < 0) {
                printf("Bail out! the server does not answer\n");
                exit(EXIT_FAILURE);
        }
}

static void __attribute__((destructor)) disconnect_server(void) {
        int status = 0;

        if (!client)
                return;
        client = sd_bus_flush_close_unref(client);
        (void) kill(server, SIGTERM);
        if (waitpid(server, &status, 0) != server || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                printf("# the server did not exit cleanly (status %#x)\n", (unsigned) status);
                _exit(EXIT_FAILURE);
        }
}

TEST(region_properties) {
        connect_server();
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *a = NULL, *b = NULL;

        check_s(R0, RI, "Device", "region0");
        check_s(R0, RI, "Type", "pmem");
        check_s(R0, RI, "Policy", "");
        CHECK_U64(get_t(R0, RI, "Size", 't'), GiB_);
        CHECK_U64(get_t(R0, RI, "AvailableSize", 't'), 512 * MiB_);
        CHECK_U64(get_t(R0, RI, "MaxAvailableExtent", 't'), 512 * MiB_);
        CHECK_U64(get_t(R0, RI, "Align", 't'), 16 * MiB_);
        CHECK_U64(get_t(R0, RI, "LostToAlignment", 't'), 0);
        CHECK_U64(get_t(R0, RI, "NumaNode", 'i'), 1);
        CHECK_U64(get_t(R0, RI, "Labeled", 'b'), 1);
        CHECK_U64(get_t(PMEMNSD_REGION_PREFIX "/region1", RI, "Labeled", 'b'), 0);
        CHECK(sd_bus_get_property(client, NULL, R0, RI, "Namespaces", &e, &reply, "ao") >= 0);
        CHECK(sd_bus_message_read(reply, "ao", 2, &a, &b) >= 0);
        CHECK_STR(a, NS00);
        CHECK_STR(b, NS01);
}

static char *get_as(const char *path, const char *prop) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char buf[256] = "", *s = buf;
        const char *v;

        if (sd_bus_get_property(client, NULL, path, RI, prop, &e, &reply, "as") < 0 ||
            sd_bus_message_enter_container(reply, 'a', "s") < 0)
                return NULL;
        while (sd_bus_message_read(reply, "s", &v) > 0)
                s += snprintf(s, sizeof(buf) - (s - buf), "%s,", v);
        return strdup(buf);
}

TEST(region_provider_memdevs_ways) {
        connect_server();
        _cleanup_free_ char *m0 = NULL, *m1 = NULL;

        check_s(R0, RI, "Provider", "ACPI.NFIT");
        CHECK_U64(get_t(R0, RI, "InterleaveWays", 'u'), 1);
        m0 = get_as(R0, "Memdevs");
        CHECK_STR(m0, "");
        check_s(R1, RI, "Provider", "CXL");
        CHECK_U64(get_t(R1, RI, "InterleaveWays", 'u'), 2);
        m1 = get_as(R1, "Memdevs");
        CHECK_STR(m1, "4661,4660,");
}

TEST(namespace_properties) {
        connect_server();
        check_s(NS00, NI, "Device", "namespace0.0");
        check_s(NS00, NI, "Name", "db");
        check_s(NS00, NI, "UUID", "c0ffee00-0000-4000-8000-000000000000");
        check_s(NS00, NI, "Mode", "fsdax");
        check_s(NS00, NI, "Map", "dev");
        check_s(NS00, NI, "BlockDevice", "/dev/pmem0");
        check_s(NS00, NI, "CharDevice", "");
        check_s(NS00, NI, "Policy", "");
        check_s(NS00, NI, "State", "foreign");
        check_s(NS00, NI, "Error", "");
        CHECK_U64(get_t(NS00, NI, "Size", 't'), 64 * MiB_);
        CHECK_U64(get_t(NS00, NI, "UsableSize", 't'), 62 * MiB_);
        CHECK_U64(get_t(NS00, NI, "Start", 't'), 4 * GiB_);
        CHECK_U64(get_t(NS00, NI, "Align", 't'), 2 * MiB_);
        /* a label name that is not UTF-8 is escaped, not refused */
        check_s(NS01, NI, "Name", "caf\\xe9");
        check_s(NS01, NI, "Mode", "devdax");
        check_s(NS01, NI, "CharDevice", "/dev/dax0.1");
        check_s(NS01, NI, "BlockDevice", "");
        {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                const char *p = NULL;
                CHECK(sd_bus_get_property(client, NULL, NS01, NI, "Region", &e, &reply, "o") >= 0);
                CHECK(sd_bus_message_read(reply, "o", &p) >= 0);
                CHECK_STR(p, R0);
        }
}

TEST(unknown_objects) {
        connect_server();
        static const char *const paths[] = {
                PMEMNSD_NAMESPACE_PREFIX "/namespace9_9", PMEMNSD_NAMESPACE_PREFIX "/Namespace0_0",
                PMEMNSD_REGION_PREFIX "/region0/x", PMEMNSD_REGION_PREFIX "/namespace0_0",
        };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                char *s = NULL;
                CHECK(sd_bus_get_property_string(client, NULL, paths[i],
                                                 strstr(paths[i], "region/") ? RI : NI, "Device", &e, &s) < 0);
                CHECK(sd_bus_error_is_set(&e));
                free(s);
        }
}

/* count the objects GetManagedObjects lists, with their interfaces */
TEST(managed_objects) {
        connect_server();
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        unsigned regions = 0, namespaces = 0;
        int r;

        r = sd_bus_call_method(client, NULL, PMEMNSD_ROOT_PATH, "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", &e, &reply, NULL);
        CHECK(r >= 0);
        if (r < 0)
                return;
        CHECK(sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}") > 0);
        while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
                const char *path, *iface;
                CHECK(sd_bus_message_read(reply, "o", &path) >= 0);
                CHECK(sd_bus_message_enter_container(reply, 'a', "{sa{sv}}") > 0);
                while (sd_bus_message_enter_container(reply, 'e', "sa{sv}") > 0) {
                        CHECK(sd_bus_message_read(reply, "s", &iface) >= 0);
                        regions += streq(iface, RI);
                        namespaces += streq(iface, NI);
                        CHECK(sd_bus_message_skip(reply, "a{sv}") >= 0);
                        CHECK(sd_bus_message_exit_container(reply) >= 0);
                }
                CHECK(sd_bus_message_exit_container(reply) >= 0);
                CHECK(sd_bus_message_exit_container(reply) >= 0);
        }
        CHECK_INT(regions, 2);
        CHECK_INT(namespaces, 2);
}

typedef struct Seen {
        char log[4096];
} Seen;

static int on_signal(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Seen *seen = userdata;
        const char *member = sd_bus_message_get_member(msg), *path = NULL;
        char line[512];

        if (streq(member, "PropertiesChanged")) {
                path = sd_bus_message_get_path(msg);
        } else if (sd_bus_message_read(msg, "o", &path) < 0)
                return 0;
        snprintf(line, sizeof(line), "%s %s", member, path);
        if (streq(member, "InterfacesRemoved")) {
                const char *iface;
                bool has = false;
                if (sd_bus_message_enter_container(msg, 'a', "s") > 0)
                        while (sd_bus_message_read(msg, "s", &iface) > 0)
                                has = has || streq(iface, RI) || streq(iface, NI);
                if (!has)
                        strncat(line, " (without its interface)", sizeof(line) - strlen(line) - 1);
        }
        if (streq(member, "PropertiesChanged") && streq(path, R0)) {
                /* sd-bus reads the values when it sends: the last refresh's */
                strncat(line, get_t(R0, RI, "AvailableSize", 't') == 128 * MiB_ ? " 128M" : " stale",
                        sizeof(line) - strlen(line) - 1);
        }
        strncat(seen->log, "# ", sizeof(seen->log) - strlen(seen->log) - 1);
        strncat(seen->log, line, sizeof(seen->log) - strlen(seen->log) - 2);
        strcat(seen->log, "\n");
        return 0;
}

/* process what the server sends until nothing more comes for a while */
static void drain(void) {
        for (;;) {
                int r = sd_bus_process(client, NULL);
                if (r < 0)
                        break;
                if (r > 0)
                        continue;
                if (sd_bus_wait(client, 500 * 1000) <= 0)
                        break;
        }
}

TEST(refresh_signals) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        Seen seen = {};

        connect_server();
        CHECK(sd_bus_match_signal(client, &slot, NULL, NULL, NULL, NULL, on_signal, &seen) >= 0);
        CHECK(kill(server, SIGUSR1) == 0);
        drain();
        printf("# signals:\n%s", seen.log);
        CHECK_STR(seen.log,
                  "# InterfacesRemoved " NS01 "\n"
                  "# InterfacesRemoved " PMEMNSD_REGION_PREFIX "/region1\n"
                  "# InterfacesAdded " PMEMNSD_NAMESPACE_PREFIX "/namespace0_2\n"
                  "# InterfacesAdded " PMEMNSD_REGION_PREFIX "/region2\n"
                  "# PropertiesChanged " R0 " 128M\n");

        /* and back, for the other tests, whichever order they run in */
        slot = sd_bus_slot_unref(slot);
        CHECK(kill(server, SIGUSR2) == 0);
        drain();
}

/* the memdevs are in the region's fingerprint: a new order is a PropertiesChanged of that
 * region alone */
TEST(memdevs_signals) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_free_ char *m1 = NULL;
        Seen seen = {};

        connect_server();
        CHECK(sd_bus_match_signal(client, &slot, NULL, NULL, NULL, NULL, on_signal, &seen) >= 0);
        CHECK(kill(server, SIGWINCH) == 0);
        drain();
        printf("# signals:\n%s", seen.log);
        CHECK_STR(seen.log, "# PropertiesChanged " R1 "\n");
        m1 = get_as(R1, "Memdevs");
        CHECK_STR(m1, "4660,4661,");

        slot = sd_bus_slot_unref(slot);
        CHECK(kill(server, SIGWINCH) == 0);
        drain();
}
