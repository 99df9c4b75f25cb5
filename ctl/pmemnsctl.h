/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "json-format.h"

/* --json, -j: output for scripts, text as the daemon sent it */
extern JsonFormat arg_json;
/* --no-legend: tables without header, and nothing instead of "No regions ..." */
extern bool arg_legend;
