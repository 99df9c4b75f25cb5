/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include <inttypes.h>
#include <stdio.h>

#include "manager.h"
#include "region-signature.h"
#include "util/macro.h"

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


bool manager_has_cxl(const Manager *m) {
        return m->config.n_cxl_regions > 0;
}

char *manager_cxl_signature(const Manager *m) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f;

        if (!manager_has_cxl(m))
                return strdup("");
        f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        for (size_t i = 0; i < m->cxl.n_memdevs; i++)
                fprintf(f, "%" PRIu64 ":%d:%s|", m->cxl.memdevs[i].serial, m->cxl.memdevs[i].enabled,
                        strempty(m->cxl.memdevs[i].endpoint));
        for (size_t i = 0; i < m->cxl.n_regions; i++)
                fprintf(f, "%s:%s:%d|", m->cxl.regions[i].dev, m->cxl.regions[i].uuid,
                        m->cxl.regions[i].enabled);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}
