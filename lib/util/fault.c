/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "util/fault.h"
#include "util/log.h"
#include "util/macro.h"

#if ENABLE_FAULT_INJECTION
static pid_t also_pid;
#endif

void fault_also_hit(pid_t pid) {
#if ENABLE_FAULT_INJECTION
        also_pid = pid;
#else
        (void) pid;
#endif
}

int fault_point(const char *name) {
#if ENABLE_FAULT_INJECTION
        /* PMEMNSD_FAULT=POINT[@N][:kill|fail|stop]: the Nth time (default the first; @0:
         * every time) execution reaches POINT, SIGKILL the process (a crash), return -EIO (a failing
         * kernel call, to exercise the rollback) or SIGSTOP it (the test then cuts the
         * power of the whole VM). */
        static unsigned hits;
        const char *spec = getenv("PMEMNSD_FAULT"), *action = "kill";
        size_t len;
        unsigned long nth = 1;

        if (!spec)
                return 0;
        len = strcspn(spec, "@:");
        if (strlen(name) != len || strncmp(spec, name, len) != 0)
                return 0;
        spec += len;
        if (*spec == '@') {
                char *end;
                nth = strtoul(spec + 1, &end, 10);
                spec = end;
        }
        if (*spec == ':')
                action = spec + 1;
        ++hits;
        if (nth != 0 && hits != nth)
                return 0;
        log_debug("fault injection: %s at '%s' (hit %u)", action, name, hits);
        if (streq(action, "fail"))
                return -EIO;
        /* In a worker, kill and stop hit the daemon too: the crash or power cut of the
         * whole service at that step, which is what the fault suite simulates.
         * "kill-worker" kills the worker alone: a crash in kernel work. */
        if (streq(action, "stop")) {
                if (also_pid > 0)
                        (void) kill(also_pid, SIGSTOP);
                raise(SIGSTOP);
                return 0;
        }
        if (also_pid > 0 && !streq(action, "kill-worker"))
                (void) kill(also_pid, SIGKILL);
        raise(SIGKILL);
#else
        (void) name;
#endif
        return 0;
}
