/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Fault injection for tests (-Dfault-injection=true; a no-op returning 0 otherwise):
 * PMEMNSD_FAULT=POINT[@N][:kill|kill-worker|fail|stop] kills the process, makes the step fail with
 * -EIO (returned: the caller rolls back) or stops the process at the Nth hit of POINT
 * (@0: at every hit). Shared by the libndctl and libcxl adapters. */
int fault_point(const char *name);
/* In a worker process: kill and stop act on pid (the daemon) too; kill-worker only on the
 * worker. */
#include <sys/types.h>
void fault_also_hit(pid_t pid);
