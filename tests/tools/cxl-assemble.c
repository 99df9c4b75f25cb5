/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cxl-assemble: drives the libcxl adapter (lib/cxl/) in the test guest, before the daemon
 * does (tests/vm/cases/cxl-assemble.sh).
 *   cxl-assemble [-v] read
 *       the CXL state as JSON: memdevs, root decoders, regions
 *   cxl-assemble [-v] assemble UUID SIZE GRANULARITY SERIAL...
 *       SIZE and GRANULARITY in bytes (K/M/G suffixes), 0 for the default; prints the result
 *       as JSON
 *   cxl-assemble [-v] disassemble REGION UUID
 *   cxl-assemble [-v] free-dpa DECODER
 *       the DPA of an endpoint decoder in no region; prints "freed" or "none"
 * Exit status: 0 done, 1 failed (the error on stderr), 3 refused: the uuid differs (ESTALE),
 * 2 usage. PMEMNSD_FAULT works as in the daemon (-Dfault-injection=true builds). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cxl/cxl.h"
#include "util/log.h"
#include "util/size.h"

static json_object *strv_json(char **l) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; l && l[i]; i++)
                json_object_array_add(a, json_object_new_string(l[i]));
        return a;
}

#define ADD(o, k, v) json_object_object_add((o), (k), (v))
#define STR(s) ((s) ? json_object_new_string(s) : NULL)
#define U64(v) json_object_new_int64((int64_t) (v))

static json_object *state_json(const CxlState *s) {
        json_object *o = json_object_new_object(), *a;

        a = json_object_new_array();
        for (size_t i = 0; i < s->n_memdevs; i++) {
                const CxlMemdevState *m = &s->memdevs[i];
                json_object *j = json_object_new_object();
                ADD(j, "memdev", STR(m->dev));
                ADD(j, "serial", U64(m->serial));
                ADD(j, "pmem_size", U64(m->pmem_size));
                ADD(j, "pmem_free", U64(m->pmem_free));
                ADD(j, "host", STR(m->host));
                ADD(j, "port", STR(m->port));
                ADD(j, "endpoint", STR(m->endpoint));
                ADD(j, "free_decoder", STR(m->free_decoder));
                ADD(j, "enabled", json_object_new_boolean(m->enabled));
                json_object_array_add(a, j);
        }
        ADD(o, "memdevs", a);

        a = json_object_new_array();
        for (size_t i = 0; i < s->n_decoders; i++) {
                const CxlRootDecoderState *d = &s->decoders[i];
                json_object *j = json_object_new_object(), *r = json_object_new_array();
                ADD(j, "decoder", STR(d->dev));
                ADD(j, "pmem_capable", json_object_new_boolean(d->pmem_capable));
                ADD(j, "start", U64(d->start));
                ADD(j, "size", U64(d->size));
                ADD(j, "available", U64(d->available));
                ADD(j, "ways", U64(d->ways));
                ADD(j, "granularity", U64(d->granularity));
                ADD(j, "targets", strv_json(d->targets));
                for (size_t k = 0; k < d->n_reachable; k++)
                        json_object_array_add(r, U64(d->reachable[k]));
                ADD(j, "reachable", r);
                json_object_array_add(a, j);
        }
        ADD(o, "decoders", a);

        a = json_object_new_array();
        for (size_t i = 0; i < s->n_regions; i++) {
                const CxlRegionState *g = &s->regions[i];
                json_object *j = json_object_new_object(), *t = json_object_new_array(),
                            *td = json_object_new_array();
                ADD(j, "region", STR(g->dev));
                ADD(j, "decoder", STR(g->decoder));
                ADD(j, "uuid", json_object_new_string(g->uuid));
                ADD(j, "type", STR(g->type));
                ADD(j, "start", U64(g->start));
                ADD(j, "size", U64(g->size));
                ADD(j, "ways", U64(g->ways));
                ADD(j, "granularity", U64(g->granularity));
                for (size_t k = 0; k < g->n_targets; k++) {
                        json_object_array_add(t, U64(g->targets[k]));
                        json_object_array_add(td, STR(g->target_decoders[k]));
                }
                ADD(j, "targets", t);
                ADD(j, "target_decoders", td);
                ADD(j, "committed", json_object_new_boolean(g->committed));
                ADD(j, "enabled", json_object_new_boolean(g->enabled));
                ADD(j, "nd_region", STR(g->nd_region));
                ADD(j, "nd_bus", STR(g->nd_bus));
                json_object_array_add(a, j);
        }
        ADD(o, "regions", a);
        return o;
}

static int print_json(json_object *o) {
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
        json_object_put(o);
        return 0;
}

static int usage(void) {
        fprintf(stderr, "usage: cxl-assemble [-v] read\n"
                        "       cxl-assemble [-v] assemble UUID SIZE GRANULARITY SERIAL...\n"
                        "       cxl-assemble [-v] disassemble REGION UUID\n"
                        "       cxl-assemble [-v] free-dpa DECODER\n");
        return 2;
}

static int failed(int r, const char *what, const char *error) {
        fprintf(stderr, "cxl-assemble: %s failed: %s\n", what, error ?: strerror(-r));
        return r == -ESTALE ? 3 : 1;
}

int main(int argc, char *argv[]) {
        _cleanup_free_ char *error = NULL;
        CxlCtx *c = NULL;
        int r, ret;

        log_set_target(LOG_TARGET_STDERR);
        if (argc > 1 && streq(argv[1], "-v")) {
                log_set_max_level(LOG_DEBUG);
                argc--;
                argv++;
        }
        if (argc < 2)
                return usage();

        r = cxl_open(&c);
        if (r < 0)
                return failed(r, "opening libcxl", NULL);

        if (streq(argv[1], "read") && argc == 2) {
                CxlState s = {};

                r = cxl_read(c, &s);
                ret = r < 0 ? failed(r, "read", NULL) : print_json(state_json(&s));
                cxl_state_done(&s);
        } else if (streq(argv[1], "assemble") && argc >= 6) {
                uint64_t serials[CXL_MAX_WAYS], size, g;
                CxlAssembleSpec spec = { .memdevs = serials };
                CxlAssembled a = {};
                uuid_t uu;

                if (uuid_parse(argv[2], uu) < 0 || parse_size(argv[3], &size) < 0 ||
                    parse_size(argv[4], &g) < 0 || argc - 5 > CXL_MAX_WAYS) {
                        cxl_close(c);
                        return usage();
                }
                for (int i = 5; i < argc; i++)
                        if (parse_u64(argv[i], &serials[spec.n_memdevs++]) < 0) {
                                cxl_close(c);
                                return usage();
                        }
                spec.size = size;
                spec.granularity = (unsigned) g;
                r = cxl_assemble(c, &spec, uu, &a, &error);
                if (r < 0)
                        ret = failed(r, "assemble", error);
                else {
                        json_object *o = json_object_new_object();
                        ADD(o, "region", STR(a.region));
                        ADD(o, "nd_region", STR(a.nd_region));
                        ADD(o, "nd_bus", STR(a.nd_bus));
                        ADD(o, "size", U64(a.size));
                        ADD(o, "granularity", U64(a.granularity));
                        ret = print_json(o);
                }
                cxl_assembled_done(&a);
        } else if (streq(argv[1], "disassemble") && argc == 4) {
                r = cxl_disassemble(c, argv[2], argv[3], &error);
                ret = r < 0 ? failed(r, "disassemble", error) : 0;
        } else if (streq(argv[1], "free-dpa") && argc == 3) {
                r = cxl_free_stray_dpa(c, argv[2], &error);
                if (r >= 0)
                        printf("%s\n", r > 0 ? "freed" : "none");
                ret = r < 0 ? failed(r, "free-dpa", error) : 0;
        } else
                ret = usage();
        cxl_close(c);
        return ret;
}
