/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Fault injection for tests (-Dfault-injection=true; a no-op returning 0 otherwise):
 * PMEMNSD_FAULT=POINT[@N][:kill|fail|stop] kills the process, makes the step fail with
 * -EIO (returned: the caller rolls back) or stops the process at the Nth hit of POINT
 * (@0: at every hit). Shared by the libndctl and libcxl adapters. */
int fault_point(const char *name);
