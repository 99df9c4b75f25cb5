/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "region-signature.h"

char *region_signature(const RegionState *r, size_t n) {
        size_t len = 1;
        char *s;

        for (size_t i = 0; i < n; i++)
                len += strlen(r[i].dev) + 5;
        s = calloc(1, len);
        if (!s)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                strcat(s, r[i].dev);
                strcat(s, r[i].enabled ? "+" : "-");
                strcat(s, r[i].labeled ? "L" : "U");
                /* a label-less region is ready once its namespace is enabled (until then
                 * it cannot be probed for signatures) */
                strcat(s, !r[i].labeled && r[i].n_namespaces > 0 && r[i].namespaces[0].enabled ? "e " : " ");
        }
        return s;
}

