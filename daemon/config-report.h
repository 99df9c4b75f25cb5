/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager.h"

/* The configuration read for a command run by hand (pmemnsd --check, pmemnsd --plan): the
 * problems printed on stderr with file:line, and a summary an admin can match in the
 * journal. 0: read and in force in m; > 0: rejected (printed); < 0: not readable. */
int manager_load_config_or_print(Manager *m);
