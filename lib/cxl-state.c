/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "cxl-state.h"
#include "util/macro.h"
#include "util/size.h"
#include "util/strv.h"

static void memdev_done(CxlMemdevState *m) {
        free(m->dev);
        free(m->host);
        free(m->port);
        free(m->endpoint);
        free(m->free_decoder);
}

static void decoder_done(CxlRootDecoderState *d) {
        free(d->dev);
        strv_free(d->targets);
        free(d->reachable);
}

static void region_done(CxlRegionState *r) {
        free(r->dev);
        free(r->decoder);
        free(r->type);
        free(r->targets);
        for (size_t i = 0; r->target_decoders && i < r->n_targets; i++)
                free(r->target_decoders[i]);
        free(r->target_decoders);
        free(r->nd_region);
        free(r->nd_bus);
}

void cxl_state_done(CxlState *s) {
        for (size_t i = 0; i < s->n_memdevs; i++)
                memdev_done(&s->memdevs[i]);
        for (size_t i = 0; i < s->n_decoders; i++)
                decoder_done(&s->decoders[i]);
        for (size_t i = 0; i < s->n_regions; i++)
                region_done(&s->regions[i]);
        free(s->memdevs);
        free(s->decoders);
        free(s->regions);
        *s = (CxlState) {};
}

void cxl_record_done(CxlRecord *r) {
        free(r->name);
        free(r->memdevs);
        free(r->dpa_before);
        strv_free(r->decoders);
        free(r->creating);
        *r = (CxlRecord) {};
}

void cxl_records_free(CxlRecord *r, size_t n) {
        for (size_t i = 0; i < n; i++)
                cxl_record_done(&r[i]);
        free(r);
}

const CxlRecord *cxl_record_find(const CxlRecord *r, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(r[i].name, name))
                        return &r[i];
        return NULL;
}

const CxlRecord *cxl_record_of_region(const CxlRecord *r, size_t n, const CxlRegionState *region) {
        if (!region || isempty(region->uuid))
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (streq(r[i].uuid, region->uuid))
                        return &r[i];
        return NULL;
}

const CxlMemdevState *cxl_state_find_memdev(const CxlState *s, uint64_t serial) {
        for (size_t i = 0; i < s->n_memdevs; i++)
                if (s->memdevs[i].serial == serial)
                        return &s->memdevs[i];
        return NULL;
}

const CxlRegionState *cxl_state_find_region(const CxlState *s, const char *dev) {
        for (size_t i = 0; i < s->n_regions; i++)
                if (streq(s->regions[i].dev, dev))
                        return &s->regions[i];
        return NULL;
}

const CxlRegionState *cxl_state_find_region_by_uuid(const CxlState *s, const char *uuid) {
        if (isempty(uuid))
                return NULL;
        for (size_t i = 0; i < s->n_regions; i++)
                if (streq(s->regions[i].uuid, uuid))
                        return &s->regions[i];
        return NULL;
}

static bool decoder_reaches(const CxlRootDecoderState *d, uint64_t serial) {
        for (size_t i = 0; i < d->n_reachable; i++)
                if (d->reachable[i] == serial)
                        return true;
        return false;
}

bool cxl_granularity_valid(uint64_t g) {
        return g >= 256 && g <= 16384 && (g & (g - 1)) == 0;
}

bool cxl_ways_valid(size_t w) {
        return w == 1 || w == 2 || w == 4 || w == 8 || w == 16 || w == 3 || w == 6 || w == 12;
}

void cxl_serials_format(const uint64_t *serials, size_t n, char *buf, size_t len) {
        buf[0] = '\0';
        for (size_t i = 0; i < n; i++)
                snprintf(buf + strlen(buf), len - strlen(buf), "%s%" PRIu64, i ? "," : "", serials[i]);
}

unsigned cxl_granularity_resolve(const CxlRootDecoderState *d, unsigned asked) {
        if (!cxl_granularity_valid(d->granularity))
                return 0;
        if (asked == 0)
                return d->granularity;
        if (!cxl_granularity_valid(asked))
                return 0;
        /* an interleaving root fixes the granularity of everything below it */
        if (d->ways > 1 && asked != d->granularity)
                return 0;
        return asked;
}

_printf_(3, 4) static int reason(char **ret_reason, int r, const char *format, ...) {
        va_list ap;
        char *m = NULL;

        va_start(ap, format);
        if (vasprintf(&m, format, ap) < 0)
                m = NULL;
        va_end(ap);
        if (ret_reason) {
                free(*ret_reason);
                *ret_reason = m;
        } else
                free(m);
        return r;
}

int cxl_plan_assembly(const CxlState *s, const CxlAssembleSpec *spec, CxlAssemblyPlan *ret,
                      char **ret_reason) {
        CxlAssemblyPlan p = { .ways = spec->n_memdevs };
        uint64_t per_dev = UINT64_MAX, unit;
        const char *why_not = NULL;

        if (p.ways == 0 || p.ways > CXL_MAX_WAYS || !cxl_ways_valid(p.ways))
                return reason(ret_reason, -EINVAL, "%zu memdevs: CXL interleaves 1, 2, 3, 4, 6, "
                              "8, 12 or 16 ways", p.ways);
        unit = CXL_REGION_UNIT * p.ways;

        for (size_t i = 0; i < p.ways; i++) {
                const CxlMemdevState *m = cxl_state_find_memdev(s, spec->memdevs[i]);

                for (size_t j = 0; j < i; j++)
                        if (spec->memdevs[j] == spec->memdevs[i])
                                return reason(ret_reason, -EINVAL, "memdev %" PRIu64 " is "
                                              "listed twice", spec->memdevs[i]);
                if (!m)
                        return reason(ret_reason, -ENODEV, "memdev %" PRIu64 " is not present",
                                      spec->memdevs[i]);
                if (!m->enabled || !m->endpoint)
                        return reason(ret_reason, -ENODEV, "memdev %" PRIu64 " (%s) is not "
                                      "enabled (no cxl_mem endpoint)", m->serial, m->dev);
                if (!m->free_decoder)
                        return reason(ret_reason, -EBUSY, "memdev %" PRIu64 " (%s): every "
                                      "endpoint decoder is in use", m->serial, m->dev);
                per_dev = MIN(per_dev, m->pmem_free);
                p.memdevs[i] = m;
        }

        /* the size the tool defaults to: the smallest free capacity times the ways, in
         * whole units (the kernel refuses anything else) */
        if (spec->size) {
                if (spec->size % unit != 0)
                        return reason(ret_reason, -EINVAL, "size %s is not a multiple of %s "
                                      "(256M per way)", FORMAT_SIZE(spec->size), FORMAT_SIZE(unit));
                if (spec->size / p.ways > per_dev)
                        return reason(ret_reason, -ENOSPC, "size %s needs %s of pmem on each "
                                      "memdev, %s is free", FORMAT_SIZE(spec->size),
                                      FORMAT_SIZE(spec->size / p.ways), FORMAT_SIZE(per_dev));
                p.size = spec->size;
        } else {
                p.size = per_dev / CXL_REGION_UNIT * CXL_REGION_UNIT * p.ways;
                if (p.size == 0)
                        return reason(ret_reason, -ENOSPC, "less than 256M of pmem free on a "
                                      "memdev (%s)", FORMAT_SIZE(per_dev));
        }

        for (size_t i = 0; i < s->n_decoders; i++) {
                const CxlRootDecoderState *d = &s->decoders[i];
                bool all = true;

                if (!d->pmem_capable) {
                        why_not = why_not ?: "no pmem-capable root decoder reaches them";
                        continue;
                }
                for (size_t j = 0; j < p.ways && all; j++)
                        all = decoder_reaches(d, spec->memdevs[j]);
                if (!all) {
                        why_not = "no pmem-capable root decoder reaches them all";
                        continue;
                }
                if (d->available < p.size) {
                        why_not = "no root decoder window has room for the size";
                        continue;
                }
                p.granularity = cxl_granularity_resolve(d, spec->granularity);
                if (p.granularity == 0) {
                        why_not = "the interleave granularity is not one the root decoder allows";
                        continue;
                }
                p.decoder = d;
                break;
        }
        if (!p.decoder) {
                char list[256];
                cxl_serials_format(spec->memdevs, p.ways, list, sizeof(list));
                return reason(ret_reason, streq(strempty(why_not), "no root decoder window has "
                                                "room for the size") ? -ENOSPC : -EINVAL,
                              "memdevs %s: %s", list, why_not ?: "there is no root decoder");
        }
        *ret = p;
        return 0;
}
