/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The [cxl-region]s: read the cxl bus and our records of it, settle what an interrupted
 * assembly left, and carry out the plan's assemble rows, each recorded before its first
 * write to the bus. Nothing here touches a CXL region whose uuid is not one we recorded. */
#include <inttypes.h>
#include <stdio.h>
#include <uuid.h>

#include "cxl/cxl.h"
#include "manager.h"
#include "pmemnsd-messages.h"
#include "records.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/size.h"
#include "util/strv.h"

int manager_cxl_read(Manager *m) {
        _cleanup_(cxl_state_done) CxlState s = {};
        CxlRecord *recs = NULL;
        size_t n = 0;
        CxlCtx *c = NULL;
        int r;

        if (!manager_has_cxl(m)) {
                cxl_state_done(&m->cxl);
                cxl_records_free(m->cxl_records, m->n_cxl_records);
                m->cxl_records = NULL;
                m->n_cxl_records = 0;
                return 0;
        }
        r = cxl_open(&c);
        if (r >= 0) {
                r = cxl_read(c, &s);
                cxl_close(c);
        }
        if (r < 0)
                /* no cxl bus (no CXL hardware, modules not loaded): every memdev is missing,
                 * which the rows say */
                log_debug_errno(r, "Cannot read the cxl bus, taking it as empty: %m");
        r = cxl_records_load(&recs, &n);
        if (r < 0)
                log_warning_errno(r, "Cannot read the CXL records, taking none: %m");
        cxl_state_done(&m->cxl);
        m->cxl = s;
        s = (CxlState) {};
        cxl_records_free(m->cxl_records, m->n_cxl_records);
        m->cxl_records = recs;
        m->n_cxl_records = n;
        return 0;
}

void manager_cxl_mark(Manager *m, RegionState *regions, size_t n) {
        for (size_t i = 0; i < m->cxl.n_regions; i++) {
                const CxlRegionState *cr = &m->cxl.regions[i];
                const CxlRecord *rec = cxl_record_of_region(m->cxl_records, m->n_cxl_records, cr);

                if (!rec || !cr->nd_region)
                        continue;
                for (size_t j = 0; j < n; j++)
                        if (streq(regions[j].dev, cr->nd_region) && !regions[j].assembled_as)
                                regions[j].assembled_as = strdup(rec->name);
        }
}

/* ---- interrupted assemblies -------------------------------------------------------------
 * A crash between giving an endpoint decoder DPA and making it a target of the region
 * leaves DPA that no region shows: only our record names the decoder. A region of ours left
 * half-made (its uuid written, not enabled) is what the plan's assemble row takes down. */

void manager_cxl_recover(Manager *m) {
        CxlCtx *c = NULL;
        bool changed = false;

        for (size_t i = 0; i < m->n_cxl_records; i++) {
                CxlRecord *rec = &m->cxl_records[i];
                const CxlRegionState *cr;
                bool kept = false;

                /* created in this boot and killed before its uuid was written: the empty
                 * region the record names (a region of no size and no uuid holds no data) */
                if (rec->creating && streq(rec->boot_id, current_boot_id()) &&
                    (cr = cxl_state_find_region(&m->cxl, rec->creating)) && isempty(cr->uuid)) {
                        _cleanup_free_ char *err = NULL;
                        int r;

                        if (!c && cxl_open(&c) < 0)
                                return;
                        r = cxl_delete_empty_region(c, rec->creating, &err);
                        if (r >= 0)
                                log_notice("Deleted %s, left empty by an interrupted assembly of "
                                           "cxl-region '%s'.", rec->creating, rec->name);
                        else
                                log_warning("Cannot delete %s, left by an interrupted assembly of "
                                            "cxl-region '%s': %s", rec->creating, rec->name,
                                            err ?: strerror(-r));
                        changed = true;
                }
                /* DPA on a recorded decoder that no region has as a target: also beside a
                 * half-made region of ours (killed before setting that target) */
                for (size_t j = 0; rec->decoders && rec->decoders[j]; j++) {
                        _cleanup_free_ char *err = NULL;
                        int r;

                        if (!c && cxl_open(&c) < 0)
                                return;
                        r = cxl_free_stray_dpa(c, rec->decoders[j], &err);
                        if (r > 0) {
                                log_notice("Freed the DPA of %s: an interrupted assembly of "
                                           "cxl-region '%s' had left it.", rec->decoders[j], rec->name);
                                changed = true;
                        } else if (r < 0 && r != -ENOENT && r != -EBUSY) {
                                /* -EBUSY: a target of a region (ours, or one an admin made
                                 * since): not stray */
                                kept = true;
                                log_warning("Cannot free the DPA of %s left by an interrupted "
                                            "assembly of cxl-region '%s': %s", rec->decoders[j],
                                            rec->name, err ?: strerror(-r));
                        }
                }
                cr = cxl_state_find_region_by_uuid(&m->cxl, rec->uuid);
                if (cr && cr->committed && cr->enabled && cr->nd_region && (!rec->assembled || rec->creating)) {
                        /* interrupted after the enable: assembled, only the record lags */
                        rec->assembled = true;
                        rec->creating = mfree(rec->creating);
                        rec->size = cr->size;
                        rec->granularity = cr->granularity;
                        if (cxl_record_save(rec) >= 0)
                                log_notice("cxl-region '%s': %s was assembled completely before an "
                                           "interruption; recorded as assembled.", rec->name, cr->dev);
                }
                if (cr)
                        continue; /* the plan adopts it, or takes a half-made one down */
                if (kept)
                        continue;
                if (!rec->assembled) {
                        /* never assembled: nothing of it remains, and its layout binds nothing */
                        cxl_record_remove(rec->name);
                        changed = true;
                } else if (rec->decoders || rec->creating) {
                        strv_free(rec->decoders);
                        rec->decoders = NULL;
                        rec->creating = mfree(rec->creating);
                        (void) cxl_record_save(rec);
                }
        }
        cxl_close(c);
        if (changed)
                (void) manager_cxl_read(m);
}

/* ---- assembly ---------------------------------------------------------------------------- */

/* will_allocate: the decoder goes into the record before it gets DPA */
static int record_decoder(const char *decoder, void *userdata) {
        CxlRecord *rec = userdata;
        size_t n = strv_length(rec->decoders);

        if (strv_push(&rec->decoders, &n, decoder) < 0)
                return -ENOMEM;
        return cxl_record_save(rec);
}

/* will_create: the region's name goes into the record before it is created */
static int record_creating(const char *region, void *userdata) {
        CxlRecord *rec = userdata;

        free(rec->creating);
        rec->creating = strdup(region);
        if (!rec->creating)
                return -ENOMEM;
        snprintf(rec->boot_id, sizeof(rec->boot_id), "%s", current_boot_id());
        return cxl_record_save(rec);
}

static int assemble_row(Manager *m, CxlCtx *c, PlanRow *row, char **err) {
        const CxlRegionPolicy *x = &m->config.cxl_regions[row->cxl->policy];
        const CxlRecord *old = cxl_record_find(m->cxl_records, m->n_cxl_records, x->name);
        _cleanup_(cxl_record_done) CxlRecord rec = {};
        _cleanup_(cxl_assembled_done) CxlAssembled a = {};
        uuid_t uu;
        int r;

        if (!isempty(row->cxl->uuid)) {
                if (uuid_parse(row->cxl->uuid, uu) < 0)
                        return -EINVAL;
        } else
                uuid_generate(uu);

        if (row->cxl->teardown) {
                r = cxl_disassemble(c, row->cxl->teardown, row->cxl->uuid, err);
                if (r < 0)
                        return r;
                log_notice("Took down %s, left half-made by an interrupted assembly of cxl-region '%s'.",
                           row->cxl->teardown, x->name);
                /* the DPA it held is free now: the record's offsets are from before */
                (void) manager_cxl_read(m);
                old = cxl_record_find(m->cxl_records, m->n_cxl_records, x->name);
        }

        rec = (CxlRecord) {
                .name = strdup(x->name),
                .memdevs = calloc(x->n_memdevs, sizeof(uint64_t)),
                .dpa_before = calloc(x->n_memdevs, sizeof(uint64_t)),
                .n_memdevs = x->n_memdevs,
                .size = row->cxl->size,
                .granularity = row->cxl->granularity,
                .assembled = old && old->assembled,
        };
        if (!rec.name || !rec.memdevs || !rec.dpa_before)
                return -ENOMEM;
        memcpy(rec.memdevs, x->memdevs, x->n_memdevs * sizeof(uint64_t));
        uuid_unparse_lower(uu, rec.uuid);
        for (size_t i = 0; i < x->n_memdevs; i++) {
                const CxlMemdevState *md = cxl_state_find_memdev(&m->cxl, x->memdevs[i]);
                if (old && old->assembled && old->dpa_before)
                        rec.dpa_before[i] = old->dpa_before[i];
                else if (md)
                        rec.dpa_before[i] = md->pmem_size - md->pmem_free;
        }
        r = cxl_record_save(&rec);
        if (r < 0) {
                free(*err);
                *err = strdup("cannot record the assembly in the state directory; nothing done");
                return r;
        }

        r = cxl_assemble(c, &(CxlAssembleSpec) {
                                 .memdevs = x->memdevs,
                                 .n_memdevs = x->n_memdevs,
                                 .size = row->cxl->size,
                                 .granularity = row->cxl->granularity,
                                 .will_allocate = record_decoder,
                                 .will_create = record_creating,
                                 .userdata = &rec,
                         }, uu, &a, err);
        if (r < 0) {
                /* rolled back; settle on a fresh view now: a record of a region never
                 * assembled goes when nothing of it is left, what a failed rollback left is
                 * freed by the record */
                (void) manager_cxl_read(m);
                manager_cxl_recover(m);
                return r;
        }
        rec.assembled = true;
        rec.creating = mfree(rec.creating);
        rec.size = a.size;
        rec.granularity = a.granularity;
        if (cxl_record_save(&rec) < 0)
                log_warning("cxl-region '%s' is assembled, but its record could not be updated; "
                            "the next reconcile adopts it by its uuid.", x->name);

        free(row->spec.region);
        row->spec.region = strdup(a.nd_region);
        free(row->cxl->cxl_region);
        row->cxl->cxl_region = strdup(a.region);
        row->spec.size = row->spec.usable = a.size;
        char serials[400];
        cxl_serials_format(x->memdevs, x->n_memdevs, serials, sizeof(serials));
        (void) plan_row_set_message(row, "assembled %s (nd %s on %s): %zu-way from memdevs %s, %s, granularity %u%s",
                a.region, a.nd_region, a.nd_bus, x->n_memdevs, serials, FORMAT_SIZE(a.size),
                a.granularity, old && old->assembled ? ", as assembled before" : "");
        return 0;
}

unsigned manager_cxl_assemble(Manager *m, Plan *plan, unsigned *failed) {
        unsigned done = 0;
        CxlCtx *c = NULL;

        for (size_t i = 0; i < plan->n_rows; i++) {
                PlanRow *row = &plan->rows[i];
                _cleanup_free_ char *err = NULL;
                int r;

                if (!row->cxl || row->action != PLAN_ASSEMBLE)
                        continue;
                if (!c && (r = cxl_open(&c)) < 0) {
                        err = strdup("cannot open libcxl");
                        goto failed;
                }
                r = assemble_row(m, c, row, &err);
                /* libcxl caches what it read: a fresh view for the next row */
                c = cxl_close(c);
                if (r >= 0) {
                        log_struct(LOG_INFO, LOG_FIELDS(PMEMNSD_MESSAGE_CXL_ASSEMBLED_STR, .region = row->spec.region,
                                                        .policy = row->spec.name),
                                   "cxl-region '%s': %s", row->spec.name, row->message);
                        done++;
                        continue;
                }
        failed:
                row->action = PLAN_FAILED;
                (void) plan_row_set_message(row, "assembling failed: %s", err ?: strerror(-r));
                log_struct(LOG_ERR, LOG_FIELDS(PMEMNSD_MESSAGE_FAILED_STR, .region = row->spec.region,
                                               .policy = row->spec.name),
                           "cxl-region '%s': %s", row->spec.name, row->message);
                manager_failure_add(m, row);
                (*failed)++;
                done++; /* a rollback changed the bus too */
        }
        cxl_close(c);
        return done;
}
