/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "config-report.h"
#include "pmemnsd-messages.h"
#include "util/log.h"

static void print_diags(const ConfDiags *d) {
        for (size_t i = 0; i < d->n; i++) {
                _cleanup_free_ char *line = conf_diag_format(&d->items[i]);
                fprintf(stderr, "%s\n", strempty(line));
        }
}

int manager_load_config_or_print(Manager *m) {
        ConfDiags d = {};
        int r = manager_load_config(m, &d);

        if (r > 0) {
                print_diags(&d);
                /* the same line on a terminal; under the journal an entry an admin can match */
                log_struct(LOG_ERR, LOG_FIELDS(PMEMNSD_MESSAGE_CONFIG_REJECTED_STR),
                           "%zu problem%s found.", d.n, d.n == 1 ? "" : "s");
        }
        conf_diags_done(&d);
        if (r < 0)
                return log_error_errno(r, "Failed to read the configuration: %m");
        return r;
}
