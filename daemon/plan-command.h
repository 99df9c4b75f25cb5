/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "json-format.h"

/* pmemnsd --plan: read the configuration under config_root and the kernel state, print
 * what a reconcile would do (pmemnsctl plan's table or JSON, lib/plan-table.h), touch
 * nothing. Run in pmemnsd-worker, which pmemnsd --plan becomes (exec): the kernel libraries
 * that read the state and libsmartcols that prints the table are the worker's, so the
 * long-running daemon maps neither. 0, or < 0 after logging why. */
int plan_command(const char *config_root, JsonFormat json, bool legend);
