/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* --json: output for scripts, text as the daemon sent it */
extern bool arg_json;
