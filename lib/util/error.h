/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "util/macro.h"

/* The error text of the adapters' operations: "STEP DEVICE: strerror(r)" into *ret_error
 * (replacing what was there; ret_error may be NULL), returning -|r|. */
int fail(char **ret_error, int r, const char *format, ...) _printf_(3, 4);
/* Add "; NOTE" to the error a failing call returns: what its rollback could not undo. */
void fail_note(char **ret_error, const char *format, ...) _printf_(2, 3);
