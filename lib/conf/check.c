/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checks beyond one value: keys of a section against each other (when the section ends),
 * sections against each other (when every file is read), and the granularities against
 * the running kernel. */
#include <inttypes.h>

#include "conf/conf-internal.h"
#include "kernel.h"
#include "util/macro.h"
#include "util/size.h"

void conf_check_namespace(Parser *p) {
        NamespacePolicy *n = &p->config->policies[p->index];

        if (!n->region)
                DIAG(p, n->line, "region",
                     "[namespace %s] has no 'region' key; name the [region ...] selector it draws "
                     "from", n->name);
        if (n->mode < 0 && seen_line(p, "mode") == 0)
                DIAG(p, n->line, "mode", "[namespace %s] has no 'mode' key; expected " NS_MODE_VALID,
                     n->name);
        if (seen_line(p, "size") && seen_line(p, "usable-size"))
                DIAG(p, seen_line(p, "usable-size"), "usable-size",
                     "[namespace %s] gives both 'size' and 'usable-size'; keep one", n->name);
        else if (!seen_line(p, "size") && !seen_line(p, "usable-size"))
                DIAG(p, n->line, "size",
                     "[namespace %s] has neither 'size' nor 'usable-size'; e.g. size = 1G, "
                     "size = 50%% or size = rest", n->name);
        if (n->size_kind == SIZE_REST && n->count > 1)
                DIAG(p, seen_line(p, "count"), "count",
                     "[namespace %s] has size = rest and count = %u; only one namespace can take "
                     "the rest of a region", n->name, n->count);

        if (n->mode < 0)
                return;
        if (n->size_kind == SIZE_BYTES && n->size > 0 && n->size < ND_CLAIM_MIN_SIZE &&
            n->mode != NS_MODE_RAW)
                DIAG(p, seen_line(p, "size"), "size",
                     "size %s in [namespace %s] is below the 16M raw capacity the kernel accepts "
                     "for %s (drivers/nvdimm/claim.c); use size >= 16M, or usable-size",
                     FORMAT_SIZE(n->size), n->name, ns_mode_to_string(n->mode));

        /* the keys that only some modes take, in table order */
        for (const ConfKey *k = conf_keys; k->name; k++) {
                unsigned l;

                if (k->section != SECTION_NAMESPACE || k->option < 0 ||
                    ns_option_applies(k->option, n->mode) || !(l = seen_line(p, k->name)))
                        continue;
                /* system-ram = no is every mode's default: saying so is no error */
                if (k->option == NS_OPTION_SYSTEM_RAM && n->system_ram == SYSTEM_RAM_NO)
                        continue;
                DIAG(p, l, k->name, "'%s' in [namespace %s] applies only to %s, not %s", k->name,
                     n->name, ns_option_modes(k->option), ns_mode_to_string(n->mode));
        }
        if (n->system_ram != SYSTEM_RAM_NO && n->align == GiB)
                DIAG(p, seen_line(p, "align"), "align",
                     "[namespace %s]: system-ram needs a devdax align of 4K or 2M, not 1G "
                     "(kmem onlines memory blocks)", n->name);
}

void conf_check_region(Parser *p) {
        RegionSelector *s = &p->config->selectors[p->index];

        if (s->size_min && s->size_max && s->size_min > s->size_max)
                DIAG(p, seen_line(p, "match.size-max"), "match.size-max",
                     "[region %s]: match.size-max (%s) is below match.size-min (%s)", s->name,
                     FORMAT_SIZE(s->size_max), FORMAT_SIZE(s->size_min));
}

void conf_check_cxl_region(Parser *p) {
        CxlRegionPolicy *x = &p->config->cxl_regions[p->index];

        if (!seen_line(p, "memdevs")) {
                DIAG(p, x->line, "memdevs",
                     "[cxl-region %s] has no 'memdevs' key; name its memdevs by serial in "
                     "interleave position order, e.g. memdevs = 4660, 4661", x->name);
                return;
        }
        if (x->n_memdevs > 0 && !cxl_ways_valid(x->n_memdevs))
                DIAG(p, x->memdevs_line, "memdevs",
                     "[cxl-region %s] names %zu memdevs; a CXL region interleaves "
                     CXL_WAYS_VALID, x->name, x->n_memdevs);
        else if (x->n_memdevs > 0 && x->size_kind == SIZE_BYTES && x->size > 0 &&
                 x->size % (CXL_REGION_UNIT * x->n_memdevs) != 0)
                DIAG(p, seen_line(p, "size"), "size",
                     "size %s in [cxl-region %s] is not a multiple of %s (256M per memdev, the "
                     "unit the kernel sizes CXL regions in: drivers/cxl/core/region.c)",
                     FORMAT_SIZE(x->size), x->name, FORMAT_SIZE(CXL_REGION_UNIT * x->n_memdevs));
}

static int selector_unknown(const Config *c, ConfDiags *diags, const NamespacePolicy *n) {
        _cleanup_free_ const char **names = NULL;
        _cleanup_free_ char *known = NULL;

        names = calloc(c->n_selectors + 1, sizeof(char *));
        if (!names)
                return -ENOMEM;
        for (size_t j = 0; j < c->n_selectors; j++)
                names[j] = c->selectors[j].name;
        known = conf_join(names, c->n_selectors);
        if (!known)
                return -ENOMEM;
        return conf_diag_add(diags, n->file, n->line, "region",
                             "[namespace %s] refers to region selector '%s', which is not "
                             "defined; defined selectors: %s", n->name, n->region,
                             c->n_selectors ? known : "none");
}

/* A memdev serves one [cxl-region]: the DPA order of two regions on one memdev would decide
 * whether re-assembly finds their labels again. */
static int check_cxl_regions(const Config *c, ConfDiags *diags) {
        for (size_t i = 0; i < c->n_cxl_regions; i++) {
                const CxlRegionPolicy *x = &c->cxl_regions[i];
                for (size_t j = 0; j < i; j++) {
                        const CxlRegionPolicy *o = &c->cxl_regions[j];
                        for (size_t a = 0; a < x->n_memdevs; a++)
                                for (size_t b = 0; b < o->n_memdevs; b++)
                                        if (x->memdevs[a] == o->memdevs[b] &&
                                            conf_diag_add(diags, x->file, x->memdevs_line, "memdevs",
                                                          "memdev %" PRIu64 " is in [cxl-region %s] and "
                                                          "in [cxl-region %s] (%s:%u); a memdev can "
                                                          "serve one", x->memdevs[a], x->name,
                                                          o->name, o->file, o->line) < 0)
                                                return -ENOMEM;
                }
        }
        for (size_t i = 0; i < c->n_selectors; i++) {
                const RegionSelector *s = &c->selectors[i];
                if (!s->match_cxl_region || config_cxl_region_by_name(c, s->match_cxl_region))
                        continue;
                if (conf_diag_add(diags, s->file, s->line, "match.cxl-region",
                                  "[region %s] selects cxl-region '%s', which is not defined",
                                  s->name, s->match_cxl_region) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Once every file is read: each policy's selector exists (and its index is resolved), and
 * at most one policy takes the rest of a selector's regions. */
int conf_check_references(Config *c, ConfDiags *diags) {
        int r;

        r = check_cxl_regions(c, diags);
        if (r < 0)
                return r;

        for (size_t i = 0; i < c->n_policies; i++) {
                NamespacePolicy *n = &c->policies[i];
                const RegionSelector *s;

                if (!n->region)
                        continue;
                s = config_selector_by_name(c, n->region);
                if (!s) {
                        r = selector_unknown(c, diags, n);
                        if (r < 0)
                                return r;
                        continue;
                }
                n->selector_index = (size_t) (s - c->selectors);

                if (n->size_kind != SIZE_REST)
                        continue;
                for (size_t j = 0; j < i; j++) {
                        NamespacePolicy *o = &c->policies[j];
                        if (o->size_kind == SIZE_REST && o->region && streq(o->region, n->region) &&
                            conf_diag_add(diags, n->file, n->line, "size",
                                          "[namespace %s] and [namespace %s] (%s:%u) both take "
                                          "size = rest from region selector '%s'; at most one may",
                                          n->name, o->name, o->file, o->line, n->region) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

/* 'subsection' (and anything below the section size) on a kernel without sub-section
 * hotplug is an error, never a silent fallback. */
int config_check_kernel(const Config *c, const KernelInfo *k, ConfDiags *diags) {
        const char *why = NULL;
        char buf[32];
        uint64_t g;
        int n = 0;

        if (granularity_resolve(&c->daemon.granularity, k, &g, &why) < 0) {
                if (conf_diag_add(diags, strempty(c->daemon.granularity_file),
                                  c->daemon.granularity_line, "granularity",
                                  "granularity = %s cannot be used: %s (running %s); use "
                                  "'section' or 'auto'",
                                  granularity_to_string(&c->daemon.granularity, buf, sizeof(buf)),
                                  why, k->release) < 0)
                        return -ENOMEM;
                n++;
        }
        for (size_t i = 0; i < c->n_selectors; i++) {
                const RegionSelector *s = &c->selectors[i];
                if (!s->has_granularity || granularity_resolve(&s->granularity, k, &g, &why) >= 0)
                        continue;
                if (conf_diag_add(diags, s->file, s->granularity_line, "granularity",
                                  "[region %s]: granularity = %s cannot be used: %s (running %s); "
                                  "use 'section' or 'auto'", s->name,
                                  granularity_to_string(&s->granularity, buf, sizeof(buf)), why,
                                  k->release) < 0)
                        return -ENOMEM;
                n++;
        }
        return n;
}
