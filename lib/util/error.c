/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/log.h"
#include "util/macro.h"

int fail(char **ret_error, int r, const char *format, ...) {
        char *m = NULL, *full = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&m, format, ap) < 0)
                m = NULL;
        va_end(ap);
        if (m && asprintf(&full, "%s: %s", m, strerror(abs(r))) < 0)
                full = NULL;
        free(m);
        if (ret_error) {
                free(*ret_error);
                *ret_error = full;
        } else
                free(full);
        return -abs(r);
}

void fail_note(char **ret_error, const char *format, ...) {
        _cleanup_free_ char *m = NULL;
        char *full = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&m, format, ap) < 0)
                m = NULL;
        va_end(ap);
        if (!m)
                return;
        log_debug("%s", m);
        if (!ret_error)
                return;
        if (asprintf(&full, "%s%s%s", strempty(*ret_error), *ret_error ? "; " : "", m) < 0)
                return;
        free(*ret_error);
        *ret_error = full;
}
