/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bench helper (bench/guest-bench.sh, section flood; issue 10 item 7): how long a queue of
 * unprivileged Plan() calls delays root's Apply(). Run as root on the system bus:
 *
 *   plan-flood [--calls N] [--conns C] [--pairs P] [--user NAME] [--settle SECONDS]
 *
 * After one Apply() that is not counted (the first after a start is slower), each pair
 * first times one Apply() alone, then forks a child that becomes NAME (default
 * nobody), opens C connections (default 1) and sends N Plan() calls (default 1000) spread
 * over them without waiting for replies. Once dbus-daemon has dispatched all of them (a
 * GetId() on each connection after the calls: the bus handles a connection's messages in
 * order) the child tells the parent, which times one more Apply() on its own connection
 * opened beforehand as root. The child collects every reply and exits. One line per pair:
 *
 *   pair I ALONE_MS FLOODED_MS ANSWERED LIMITED OTHER SEND_MS DRAIN_MS
 *
 * ANSWERED: Plan() calls the daemon answered; LIMITED: refused by dbus-daemon with
 * LimitsExceeded (max_replies_per_connection, 128 on the system bus by default), so never
 * queued at the daemon; OTHER: any other error; SEND_MS: from the first call sent to the
 * barrier passed (the Apply() is sent then); DRAIN_MS: from there to the last answer, as the
 * child saw it (0 when all came before). Times are CLOCK_MONOTONIC from call to reply.
 * A measurement, not a test: it exits non-zero only when a call could not be made or
 * Apply() failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#define DEST "org.pmemnsd1"
#define PATH "/org/pmemnsd1"
#define IFACE "org.pmemnsd1.Manager"
#define LONG_TIMEOUT_USEC (UINT64_C(3600) * 1000000) /* no client-side timeout in practice */
#define MAX_CONNS 200

typedef struct {
        unsigned answered, limited, other, pending;
        double last;
} Tally;

static double now_ms(void) {
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Tally *t = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        t->pending--;
        t->last = now_ms();
        if (!e)
                t->answered++;
        else if (sd_bus_error_has_name(e, SD_BUS_ERROR_LIMITS_EXCEEDED))
                t->limited++;
        else {
                if (t->other++ < 3)
                        fprintf(stderr, "plan-flood: Plan(): %s: %s\n", e->name, e->message);
        }
        return 0;
}

static int on_barrier(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        unsigned *left = userdata;

        if (sd_bus_message_is_method_error(m, NULL))
                fprintf(stderr, "plan-flood: GetId: %s\n", sd_bus_message_get_error(m)->message);
        (*left)--;
        return 0;
}

/* dispatch what comes on the CONNS connections until *LEFT is 0 */
static int pump(sd_bus **bus, unsigned conns, const unsigned *left) {
        while (*left > 0) {
                bool progress = false;
                int r;

                for (unsigned c = 0; c < conns; c++) {
                        r = sd_bus_process(bus[c], NULL);
                        if (r < 0) {
                                fprintf(stderr, "plan-flood: %s\n", strerror(-r));
                                return r;
                        }
                        if (r > 0)
                                progress = true;
                }
                if (progress)
                        continue;
                /* nothing to do: wait for any of the connections (sd_bus_wait() waits for one) */
                struct pollfd pfd[MAX_CONNS];
                for (unsigned c = 0; c < conns; c++) {
                        pfd[c].fd = sd_bus_get_fd(bus[c]);
                        r = sd_bus_get_events(bus[c]);
                        if (pfd[c].fd < 0 || r < 0)
                                return -EIO;
                        pfd[c].events = (short) r;
                }
                if (poll(pfd, conns, 1000) < 0 && errno != EINTR)
                        return -errno;
        }
        return 0;
}

/* the child: become USER, queue CALLS Plan() calls on CONNS connections, write 'S' to FD
 * when dbus-daemon has dispatched them all, then collect the replies and write the tally */
static int flood(const char *user, unsigned calls, unsigned conns, int fd) {
        sd_bus *bus[MAX_CONNS] = {};
        Tally t = {};
        unsigned barriers = 0;
        struct passwd *pw;
        double t0, t1;
        char line[128];
        int r;

        pw = getpwnam(user);
        if (!pw) {
                fprintf(stderr, "plan-flood: no user %s\n", user);
                return 1;
        }
        if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
            setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0 || (pw->pw_uid != 0 && geteuid() == 0)) {
                fprintf(stderr, "plan-flood: cannot become %s: %s\n", user, strerror(errno));
                return 1;
        }
        for (unsigned c = 0; c < conns; c++) {
                r = sd_bus_open_system(&bus[c]);
                if (r < 0) {
                        fprintf(stderr, "plan-flood: connection %u as %s: %s\n", c, user, strerror(-r));
                        return 1;
                }
        }
        t0 = now_ms();
        for (unsigned i = 0; i < calls; i++) {
                sd_bus_message *m = NULL;

                r = sd_bus_message_new_method_call(bus[i % conns], &m, DEST, PATH, IFACE, "Plan");
                if (r >= 0)
                        r = sd_bus_call_async(bus[i % conns], NULL, m, on_reply, &t, LONG_TIMEOUT_USEC);
                sd_bus_message_unref(m);
                if (r < 0) {
                        fprintf(stderr, "plan-flood: sending call %u: %s\n", i, strerror(-r));
                        return 1;
                }
                t.pending++;
        }
        /* a barrier per connection: dbus-daemon answers GetId() only after it has handled
         * (forwarded or refused) every message sent before it on that connection. Replies
         * are taken as they come meanwhile, so that their times are when they came. */
        for (unsigned c = 0; c < conns; c++) {
                r = sd_bus_call_method_async(bus[c], NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                             "org.freedesktop.DBus", "GetId", on_barrier, &barriers, NULL);
                if (r < 0) {
                        fprintf(stderr, "plan-flood: GetId: %s\n", strerror(-r));
                        return 1;
                }
                barriers++;
        }
        if (pump(bus, conns, &barriers) < 0)
                return 1;
        t1 = now_ms();
        if (write(fd, "S", 1) != 1)
                return 1;
        if (pump(bus, conns, &t.pending) < 0)
                return 1;
        snprintf(line, sizeof(line), "%u %u %u %.1f %.1f\n", t.answered, t.limited, t.other,
                 t1 - t0, t.last > t1 ? t.last - t1 : 0.0);
        if (write(fd, line, strlen(line)) < 0)
                return 1;
        for (unsigned c = 0; c < conns; c++)
                sd_bus_flush_close_unref(bus[c]);
        return 0;
}

/* one Apply() on BUS, its time in ms; < 0 when it failed */
static double apply(sd_bus *bus) {
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        double t0, t1;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, DEST, PATH, IFACE, "Apply");
        if (r < 0)
                return -1;
        t0 = now_ms();
        r = sd_bus_call(bus, m, LONG_TIMEOUT_USEC, &e, &reply);
        t1 = now_ms();
        if (r < 0)
                fprintf(stderr, "plan-flood: Apply(): %s\n", e.message ? e.message : strerror(-r));
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        return r < 0 ? -1 : t1 - t0;
}

static unsigned number(const char *opt, const char *s, unsigned min, unsigned max) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s ? s : "", &end, 10);
        if (!s || errno || *end || end == s || v < min || v > max) {
                fprintf(stderr, "plan-flood: %s wants a number from %u to %u\n", opt, min, max);
                exit(2);
        }
        return (unsigned) v;
}

int main(int argc, char *argv[]) {
        unsigned calls = 1000, conns = 1, pairs = 5, settle = 2;
        const char *user = "nobody";
        sd_bus *bus = NULL;
        int r;

        /* every option takes a value */
        for (int i = 1; i < argc; i += 2) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

                if (!strcmp(a, "--calls"))
                        calls = number(a, v, 1, 1000000);
                else if (!strcmp(a, "--conns"))
                        conns = number(a, v, 1, MAX_CONNS);
                else if (!strcmp(a, "--pairs"))
                        pairs = number(a, v, 1, 1000);
                else if (!strcmp(a, "--settle"))
                        settle = number(a, v, 0, 3600);
                else if (!strcmp(a, "--user") && v)
                        user = v;
                else {
                        fprintf(stderr, "usage: plan-flood [--calls N] [--conns C] [--pairs P] [--user NAME] [--settle S]\n");
                        return 2;
                }
        }
        if (geteuid() != 0) {
                fprintf(stderr, "plan-flood: run as root (Apply() is root's)\n");
                return 2;
        }
        /* root's connection, opened before any flood */
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "plan-flood: system bus: %s\n", strerror(-r));
                return 1;
        }
        /* one Apply() not counted: the first after a start is slower */
        if (apply(bus) < 0)
                return 1;
        sleep(settle);
        for (unsigned p = 1; p <= pairs; p++) {
                double alone, flooded;
                char res[128] = "";
                ssize_t n, got = 0;
                int fds[2], status;
                char c;
                pid_t pid;

                alone = apply(bus);
                if (alone < 0)
                        return 1;
                sleep(settle);

                if (pipe2(fds, O_CLOEXEC) < 0)
                        return 1;
                fflush(NULL);
                pid = fork();
                if (pid < 0)
                        return 1;
                if (pid == 0) {
                        close(fds[0]);
                        _exit(flood(user, calls, conns, fds[1]));
                }
                close(fds[1]);
                if (read(fds[0], &c, 1) != 1) { /* the child failed before the flood was queued */
                        waitpid(pid, NULL, 0);
                        return 1;
                }
                flooded = apply(bus);
                while ((n = read(fds[0], res + got, sizeof(res) - 1 - got)) > 0)
                        got += n;
                res[got] = '\0';
                res[strcspn(res, "\n")] = '\0';
                close(fds[0]);
                if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
                    flooded < 0) {
                        fprintf(stderr, "plan-flood: pair %u failed\n", p);
                        return 1;
                }
                printf("pair %u %.1f %.1f %s\n", p, alone, flooded, res);
                fflush(stdout);
                sleep(settle);
        }
        sd_bus_flush_close_unref(bus);
        return 0;
}
