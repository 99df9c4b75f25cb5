/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* In the worker: the kernel state read through libndctl (and, with [cxl-region]s, libcxl),
 * marked with our records, and the worker's own cache refreshed from it. */
#include "manager.h"
#include "nvdimm/nvdimm.h"
#include "records.h"
#include "util/log.h"
#include "util/macro.h"

/* Mark the namespaces whose uuid is a create we recorded and have not finished. */
static void mark_inflight(RegionState *regions, size_t n) {
        _cleanup_free_ InflightRecord *recs = NULL;
        size_t n_recs = 0;

        if (inflight_load(&recs, &n_recs) < 0)
                return;
        for (size_t k = 0; k < n_recs; k++)
                for (size_t i = 0; i < n; i++)
                        for (size_t j = 0; j < regions[i].n_namespaces; j++)
                                if (streq(regions[i].namespaces[j].uuid, recs[k].ns_uuid))
                                        regions[i].namespaces[j].inflight = true;
}

int manager_read_state(Manager *m, RegionState **ret, size_t *ret_n) {
        NvCtx *c = NULL;
        int r;

        /* the cxl bus first: a region it assembles shows on the nd bus read next */
        (void) manager_cxl_read(m);

        r = nv_open(&c);
        if (r < 0)
                return log_error_errno(r, "Failed to open libndctl: %m");
        r = nv_read_regions(c, ret, ret_n);
        nv_close(c);
        if (r < 0)
                return log_error_errno(r, "Failed to read the nd bus: %m");
        mark_inflight(*ret, *ret_n);
        manager_cxl_mark(m, *ret, *ret_n);
        return 0;
}

int manager_refresh(Manager *m) {
        RegionState *regions = NULL;
        size_t n = 0;
        int r;

        r = manager_read_state(m, &regions, &n);
        if (r < 0)
                return r;
        /* manager_read_state() left the cxl bus in m->cxl: install it as it is */
        CxlState cxl = m->cxl;
        CxlRecord *recs = m->cxl_records;
        size_t n_recs = m->n_cxl_records;
        m->cxl = (CxlState) {};
        m->cxl_records = NULL;
        m->n_cxl_records = 0;
        manager_install_state(m, regions, n, &cxl, recs, n_recs);
        return 0;
}
