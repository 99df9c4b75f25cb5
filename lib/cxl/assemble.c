/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "cxl/cxl-internal.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/size.h"

/* enabling the region adds pmem_regionN; cxl_pmem's probe of it makes the nd region, which
 * may wait for the module to load (udev) */
#define ND_REGION_TIMEOUT_SEC 30

void cxl_assembled_done(CxlAssembled *a) {
        free(a->region);
        free(a->nd_region);
        free(a->nd_bus);
        *a = (CxlAssembled) {};
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static int wait_nd_region(const char *region, uint64_t start, char **ret_region, char **ret_bus,
                          char **err) {
        uint64_t until = now_usec() + ND_REGION_TIMEOUT_SEC * UINT64_C(1000000);
        int r;

        for (;;) {
                r = nd_region_at(start, ret_region, ret_bus);
                if (r != -ENOENT)
                        break;
                if (now_usec() > until)
                        return fail(err, ETIMEDOUT, "%s is enabled but no nd region appeared at "
                                    "0x%" PRIx64 " in %d s (is cxl_pmem loaded?)", region, start,
                                    ND_REGION_TIMEOUT_SEC);
                usleep(100 * 1000);
        }
        if (r < 0)
                return fail(err, r, "finding the nd region of %s", region);
        return 0;
}

/* The fault point after a step: an injected failure is the step failing. */
#define STEP_DONE(point, ...)                                                           \
        do {                                                                            \
                if ((r = fault_point(point)) < 0) {                                     \
                        fail(err, r, "injected fault " __VA_ARGS__);                    \
                        goto undo;                                                      \
                }                                                                       \
        } while (0)

/* One libcxl setter, the device in the error (ndctl's try()). */
#define TRY(call, ...)                                                                  \
        do {                                                                            \
                r = (call);                                                             \
                if (r < 0) {                                                            \
                        fail(err, r, __VA_ARGS__);                                      \
                        goto undo;                                                      \
                }                                                                       \
        } while (0)

int cxl_assemble(CxlCtx *c, const CxlAssembleSpec *spec, const uuid_t uuid, CxlAssembled *ret,
                 char **ret_error) {
        _cleanup_(cxl_state_done) CxlState s = {};
        _cleanup_free_ char *reason = NULL, *dev = NULL;
        struct cxl_decoder *targets[CXL_MAX_WAYS] = {};
        CxlAssembled a = {};
        struct cxl_decoder *root;
        struct cxl_region *region;
        CxlAssemblyPlan p;
        char **err = ret_error;
        uint64_t per_dev;
        uuid_t uu;
        int r;

        r = cxl_read(c, &s);
        if (r < 0)
                return fail(err, r, "reading the CXL topology");
        r = cxl_plan_assembly(&s, spec, &p, &reason);
        if (r < 0) {
                if (err) {
                        free(*err);
                        *err = TAKE_PTR(reason);
                }
                return r;
        }
        per_dev = p.size / p.ways;

        root = cxl_decoder_get_by_name(c->cxl, p.decoder->dev);
        if (!root)
                return fail(err, ENODEV, "root decoder %s is gone", p.decoder->dev);
        /* the name the kernel will give the region (it takes a create only with the id
         * create_pmem_region shows: drivers/cxl/core/region.c), recorded before: a crash
         * before the uuid is written leaves an empty region only the record names */
        if (spec->will_create) {
                _cleanup_free_ char *next = NULL;
                char path[PATH_MAX];

                snprintf(path, sizeof(path), "/sys/bus/cxl/devices/%s/create_pmem_region", p.decoder->dev);
                r = read_one_line_file(path, &next);
                if (r < 0)
                        return fail(err, r, "reading %s", path);
                r = spec->will_create(next, spec->userdata);
                if (r < 0)
                        return fail(err, r, "recording the creation of %s", next);
        }
        region = cxl_decoder_create_pmem_region(root);
        if (!region)
                return fail(err, ENXIO, "creating a pmem region under %s", p.decoder->dev);
        dev = strdup(cxl_region_get_devname(region));
        if (!dev) {
                r = -ENOMEM;
                goto undo;
        }
        /* another creator raced us to that id: record the one we got */
        if (spec->will_create && (r = spec->will_create(dev, spec->userdata)) < 0) {
                fail(err, r, "recording the creation of %s", dev);
                goto undo;
        }
        log_debug("%s: created under %s", dev, p.decoder->dev);
        STEP_DONE("cxl-after-create", "after creating %s", dev);

        /* the uuid first: until it is written nothing proves after a crash that the region
         * is ours */
        uuid_copy(uu, uuid);
        TRY(cxl_region_set_uuid(region, uu), "setting the uuid of %s", dev);
        STEP_DONE("cxl-after-uuid", "after setting the uuid of %s", dev);
        TRY(cxl_region_set_interleave_granularity(region, p.granularity),
            "setting the interleave granularity of %s to %u", dev, p.granularity);
        TRY(cxl_region_set_interleave_ways(region, p.ways), "setting the interleave ways of %s to %zu",
            dev, p.ways);
        TRY(cxl_region_set_size(region, p.size), "sizing %s to %s", dev, FORMAT_SIZE(p.size));
        STEP_DONE("cxl-after-size", "after sizing %s", dev);

        for (size_t i = 0; i < p.ways; i++) {
                const CxlMemdevState *m = p.memdevs[i];
                struct cxl_decoder *ep = cxl_decoder_get_by_name(c->cxl, m->free_decoder);

                if (!ep) {
                        r = fail(err, ENODEV, "endpoint decoder %s of %s (memdev %" PRIu64 ") is gone",
                                 m->free_decoder, m->dev, m->serial);
                        goto undo;
                }
                /* re-checked on the object we write: another creator may have taken it */
                if (cxl_decoder_get_dpa_size(ep) != 0) {
                        r = fail(err, EBUSY, "endpoint decoder %s of %s (memdev %" PRIu64 ") is "
                                 "in use", m->free_decoder, m->dev, m->serial);
                        goto undo;
                }
                /* the mode of a decoder without DPA is only configuration */
                if (cxl_decoder_get_mode(ep) != CXL_DECODER_MODE_PMEM)
                        TRY(cxl_decoder_set_mode(ep, CXL_DECODER_MODE_PMEM),
                            "setting %s (%s) to pmem mode", m->free_decoder, m->dev);
                if (spec->will_allocate)
                        TRY(spec->will_allocate(m->free_decoder, spec->userdata),
                            "recording the DPA allocation on %s (%s)", m->free_decoder, m->dev);
                TRY(cxl_decoder_set_dpa_size(ep, per_dev), "allocating %s of DPA on %s (%s, memdev "
                    "%" PRIu64 ")", FORMAT_SIZE(per_dev), m->free_decoder, m->dev, m->serial);
                targets[i] = ep;
                STEP_DONE("cxl-after-dpa", "after allocating DPA on %s", m->free_decoder);
                TRY(cxl_region_set_target(region, (int) i, ep), "setting target%zu of %s to %s (%s, "
                    "memdev %" PRIu64 ")", i, dev, m->free_decoder, m->dev, m->serial);
                STEP_DONE("cxl-after-target", "after setting target%zu of %s", i, dev);
        }

        TRY(cxl_region_decode_commit(region), "committing the decode of %s", dev);
        STEP_DONE("cxl-after-commit", "after committing %s", dev);
        TRY(cxl_region_enable(region), "enabling %s", dev);
        STEP_DONE("cxl-after-enable", "after enabling %s", dev);

        r = wait_nd_region(dev, cxl_region_get_resource(region), &a.nd_region, &a.nd_bus, err);
        if (r < 0)
                goto undo;
        a.region = TAKE_PTR(dev);
        a.size = p.size;
        a.granularity = p.granularity;
        log_debug("%s: assembled from %zu memdevs under %s: nd %s on %s", a.region, p.ways,
                  p.decoder->dev, a.nd_region, a.nd_bus);
        *ret = a;
        return 0;

undo:
        cxl_assembled_done(&a);
        {
                _cleanup_free_ char *undo_err = NULL;
                if (region_teardown(region, targets, p.ways, &undo_err) < 0)
                        fail_note(err, "rollback: %s", undo_err);
        }
        return r;
}
