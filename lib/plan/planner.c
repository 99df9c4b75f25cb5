/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "plan/layout.h"
#include "plan/planner.h"
#include "plan/space.h"
#include "util/macro.h"
#include "util/size.h"
#include "util/string-table.h"

static const char *const plan_action_table[_PLAN_ACTION_MAX] = {
        [PLAN_CREATE] = "create", [PLAN_ADOPT] = "adopt", [PLAN_DRIFT] = "drift",
        [PLAN_CONFLICT] = "conflict", [PLAN_SKIP] = "skip", [PLAN_FAILED] = "failed",
        [PLAN_ASSEMBLE] = "assemble",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(plan_action, PlanAction, _PLAN_ACTION_MAX)

static void cxl_row_free(CxlRow *x) {
        if (!x)
                return;
        free(x->teardown);
        free(x->cxl_region);
        free(x);
}

void plan_done(Plan *p) {
        for (size_t i = 0; i < p->n_rows; i++) {
                ns_spec_done(&p->rows[i].spec);
                free(p->rows[i].message);
                cxl_row_free(p->rows[i].cxl);
        }
        for (size_t i = 0; i < p->n_regions; i++)
                free(p->regions[i].region);
        free(p->rows);
        free(p->regions);
        *p = (Plan) {};
}

int plan_row_set_message(PlanRow *row, const char *format, ...) {
        va_list ap;
        char *m;
        int r;

        va_start(ap, format);
        r = vasprintf(&m, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(row->message);
        row->message = m;
        return 0;
}

const char *plan_row_mode(const PlanRow *row) {
        return row->cxl ? PLAN_CXL_MODE : ns_mode_to_string(row->spec.mode);
}

const PlanRow *plan_find_instance(const Plan *p, const char *instance) {
        for (size_t i = 0; i < p->n_rows; i++)
                if (!p->rows[i].cxl && streq(p->rows[i].spec.name, instance))
                        return &p->rows[i];
        return NULL;
}

bool selector_matches(const RegionSelector *s, const RegionState *r) {
        if (s->match_dev && fnmatch(s->match_dev, r->dev, 0) != 0)
                return false;
        if (s->match_numa && s->numa_node != r->numa_node)
                return false;
        if (s->match_type && !streq(s->match_type, strempty(r->type)))
                return false;
        if (s->match_provider && fnmatch(s->match_provider, strempty(r->provider), 0) != 0)
                return false;
        if (s->size_min && r->size < s->size_min)
                return false;
        if (s->size_max && r->size > s->size_max)
                return false;
        if (s->match_cxl_region && !streq(s->match_cxl_region, strempty(r->assembled_as)))
                return false;
        return true;
}

uint64_t region_align_for(uint64_t granularity, unsigned ways) {
        uint64_t a = granularity;
        if (ways > 1 && a % ways)
                a *= ways;
        return a;
}

static bool mode_is_claimed(NsMode m) {
        return m == NS_MODE_FSDAX || m == NS_MODE_DEVDAX || m == NS_MODE_SECTOR;
}

static uint64_t percent_of(uint64_t size, unsigned pct) {
        return (uint64_t) ((unsigned __int128) size * pct / 100);
}

/* The free space of a region: the gaps its first n_ns namespaces leave. */
static int region_space(Space *s, const RegionState *r, size_t n_ns) {
        int k = space_init(s, r->size);

        for (size_t i = 0; k >= 0 && i < n_ns; i++) {
                const NsState *ns = &r->namespaces[i];
                if (ns->size > 0 && ns->start >= r->start)
                        k = space_reserve(s, ns->start - r->start, ns->size);
        }
        return k;
}

/* ---- rows ------------------------------------------------------------------------------ */

typedef struct Ctx {
        const PlanInput *in;
        Plan *plan;
        /* Rows [0, cxl_rows) are the [cxl-region]s'; plan_region() appends only rows of its
         * region, so that region's rows are [region_rows, n_rows): scanning all rows per
         * instance would be quadratic in the plan. */
        size_t cxl_rows;
        size_t region_rows;
        /* plan_compute()'s own plan: its arrays grow by doubling (a realloc per row may
         * move the whole array: quadratic too) and hold this many; elsewhere (a plan whose
         * arrays someone else allocated) they are exactly as long as they are full */
        bool grow;
        size_t rows_allocated, regions_allocated;
        int error;
} Ctx;

/* One more element at the end of an array of `size`-byte ones: its address, NULL (and
 * c->error) when memory runs out. */
static void *append(Ctx *c, void **array, size_t *n, size_t *allocated, size_t size) {
        if (!c->grow || *n >= *allocated) {
                size_t want = c->grow ? MAX(*n + 1, MAX(*allocated * 2, (size_t) 16)) : *n + 1;
                void *a = reallocarray(*array, want, size);

                if (!a) {
                        c->error = -ENOMEM;
                        return NULL;
                }
                *array = a;
                *allocated = want;
        }
        return (uint8_t *) *array + (*n)++ * size;
}
#define APPEND(c, array, n, allocated) \
        ((typeof(array)) append((c), (void **) &(array), &(n), &(allocated), sizeof((array)[0])))

static PlanRow *row_add(Ctx *c, PlanAction action, const char *instance, const RegionState *r,
                        NsMode mode, ssize_t policy) {
        PlanRow *row = APPEND(c, c->plan->rows, c->plan->n_rows, c->rows_allocated);

        if (!row)
                return NULL;
        *row = (PlanRow) {
                .action = action,
                .spec.name = strdup(strempty(instance)),
                .spec.region = strdup(r->dev),
                .spec.mode = mode,
                .spec.map = NS_MAP_DEV,
                .policy = policy,
        };
        if (!row->spec.name || !row->spec.region)
                c->error = -ENOMEM;
        return row;
}

/* A row about an existing namespace: its place, sizes and device. */
static PlanRow *row_add_existing(Ctx *c, PlanAction action, const char *instance, const RegionState *r,
                                 NsMode mode, ssize_t policy, const NsState *ns) {
        PlanRow *row = row_add(c, action, instance, r, mode, policy);

        if (!row)
                return NULL;
        row->spec.size = ns->size;
        row->spec.usable = ns->usable;
        row->spec.start = ns->start;
        row->spec.ns_dev = strdup(ns->dev);
        if (!row->spec.ns_dev)
                c->error = -ENOMEM;
        return row;
}

static char *vformat(Ctx *c, const char *format, va_list ap) _printf_(2, 0);
static char *vformat(Ctx *c, const char *format, va_list ap) {
        char *m;

        if (vasprintf(&m, format, ap) < 0) {
                c->error = -ENOMEM;
                return NULL;
        }
        return m;
}

static void row_vmessage(Ctx *c, PlanRow *row, const char *format, va_list ap) _printf_(3, 0);
static void row_vmessage(Ctx *c, PlanRow *row, const char *format, va_list ap) {
        if (!row)
                return;
        free(row->message);
        row->message = vformat(c, format, ap);
}

static void row_message(Ctx *c, PlanRow *row, const char *format, ...) _printf_(3, 4);
static void row_message(Ctx *c, PlanRow *row, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        row_vmessage(c, row, format, ap);
        va_end(ap);
}

/* The row is skipped, for this reason. */
static void row_skip(Ctx *c, PlanRow *row, const char *format, ...) _printf_(3, 4);
static void row_skip(Ctx *c, PlanRow *row, const char *format, ...) {
        va_list ap;

        if (row)
                row->action = PLAN_SKIP;
        va_start(ap, format);
        row_vmessage(c, row, format, ap);
        va_end(ap);
}

static void row_from_policy(PlanRow *row, const NamespacePolicy *p) {
        if (!row)
                return;
        row->spec.map = p->map;
        row->spec.align = p->align;
        row->spec.sector_size = p->sector_size;
        row->spec.system_ram = p->system_ram;
}

/* ---- layouts --------------------------------------------------------------------------- */

/* The kernel's layout of a namespace of this mode, map, align and sector size at
 * [start, start + size) in region r. */
static int layout_at(const Ctx *c, const RegionState *r, NsMode mode, NsMap map, uint64_t align,
                     uint64_t sector_size, uint64_t start, uint64_t size, Layout *l, const char **why) {
        const KernelInfo *k = c->in->kernel;
        LayoutParams p = {
                .mode = mode,
                .start = start,
                .size = size,
                .map = map,
                .align = align,
                .compat_align = k->compat_align,
                .page_size = k->page_size,
                .sector_size = sector_size,
                /* drivers/nvdimm/btt_devs.c:nd_btt_version(): BTT2 (v1.2 labels) starts at
                 * 0, BTT1.1 (v1.1 labels, label-less namespaces) at 4K. */
                .btt_initial_offset = r->labels_v1_2 ? 0 : 4 * KiB,
                .strict_end = k->pfn_strict_end,
        };

        return layout_compute(&p, l, why);
}

/* ... as a policy asks for it */
static int layout_of_policy(const Ctx *c, const RegionState *r, const NamespacePolicy *p, uint64_t start,
                            uint64_t size, Layout *l, const char **why) {
        return layout_at(c, r, p->mode, p->map, p->align, p->sector_size, start, size, l, why);
}

/* ... as a row would create it */
static int layout_of_row(const Ctx *c, const RegionState *r, const PlanRow *row, uint64_t start,
                         uint64_t size, Layout *l, const char **why) {
        return layout_at(c, r, row->spec.mode, row->spec.map, row->spec.align, row->spec.sector_size, start, size, l, why);
}

/* The row claims its existing raw namespace in place as the policy asks, with layout l. */
static void row_convert(const Ctx *c, PlanRow *row, const NamespacePolicy *p, const Layout *l) {
        row->spec.convert_existing = true;
        row->spec.usable = l->usable;
        if (p->system_ram != SYSTEM_RAM_NO && p->mode == NS_MODE_DEVDAX)
                row->kmem_lost = kmem_trimmed(l->data_start, l->data_end, c->in->kernel->memory_block_size);
}

/* ---- a region and the instances of its policies ---------------------------------------- */

/* What planning on one region starts from, for its policies (plan_region()) and for a
 * request (plan_request()) alike: region_ctx_init() works it all out. */
typedef struct RegionCtx {
        const RegionState *r;
        const RegionSelector *sel; /* the first selector that matches, NULL for none */
        ssize_t sel_index;         /* its index into Config.selectors, -1 for none */
        const char *no_granularity; /* why the granularity is not usable, NULL when it is */
        uint64_t granularity;
        uint64_t align;       /* region align we write */
        uint64_t alloc_align; /* the allocation granularity the kernel will use */
        bool init_labels;     /* label-less, and its selector asks for labels and the DIMMs can */
        Space space;          /* free: between its namespaces, or all of it when label-less */
        bool *claimed;        /* plan_labelled(): which namespaces an instance adopted */
} RegionCtx;

static void region_ctx_done(RegionCtx *rc) {
        space_done(&rc->space);
        rc->claimed = mfree(rc->claimed);
}

static int region_ctx_init(Ctx *c, const RegionState *r, RegionCtx *rc) {
        const Config *cfg = c->in->config;
        const KernelInfo *k = c->in->kernel;
        const char *why = NULL;

        *rc = (RegionCtx) { .r = r, .sel_index = -1 };
        for (size_t i = 0; i < cfg->n_selectors; i++)
                if (selector_matches(&cfg->selectors[i], r)) {
                        rc->sel = &cfg->selectors[i];
                        rc->sel_index = (ssize_t) i;
                        break;
                }

        Granularity g = rc->sel && rc->sel->has_granularity ? rc->sel->granularity
                                                             : cfg->daemon.granularity;
        if (granularity_resolve(&g, k, &rc->granularity, &why) < 0)
                rc->no_granularity = strempty(why);
        else {
                rc->align = region_align_for(rc->granularity, MAX(r->ways, 1U));
                /* Without the 'align' attribute (before 5.7) the kernel allocates in units
                 * of PAGE_SIZE * ways; our sizes are multiples of the granularity all the
                 * same. */
                rc->alloc_align = r->align ? rc->align : k->page_size * MAX(r->ways, 1U);
        }

        rc->init_labels = !r->labeled && rc->sel && rc->sel->init_labels && r->can_init_labels;
        /* initialising labels removes what the label-less namespace held */
        if (region_space(&rc->space, r, r->labeled ? r->n_namespaces : 0) < 0)
                return c->error = -ENOMEM;
        return 0;
}

/* One instance of a policy that draws from a region's selector ("db", or "dax.0" ... "dax.2"
 * for count = 3). */
typedef struct PolicyInstance {
        const NamespacePolicy *policy;
        ssize_t index;     /* into Config.policies */
        unsigned instance; /* 0 ... count - 1 */
        char *name;
        unsigned next;     /* the instance of policies[index] to visit next */
} PolicyInstance;

static void policy_instance_done(PolicyInstance *it) {
        it->name = mfree(it->name);
}

/* Step to the next instance, in policy order then instance order. False at the end, and
 * when the name cannot be allocated (c->error says so). */
static bool policy_instance_next(Ctx *c, const RegionCtx *rc, PolicyInstance *it) {
        const Config *cfg = c->in->config;

        policy_instance_done(it);
        for (; (size_t) it->index < cfg->n_policies; it->index++, it->next = 0) {
                const NamespacePolicy *p = &cfg->policies[it->index];
                if ((ssize_t) p->selector_index != rc->sel_index || it->next >= p->count)
                        continue;
                it->policy = p;
                it->instance = it->next++;
                it->name = policy_instance_name(p, it->instance);
                if (!it->name) {
                        c->error = -ENOMEM;
                        return false;
                }
                return true;
        }
        return false;
}

/* Each instance of each policy that draws from the region's selector. */
#define FOREACH_POLICY_INSTANCE(it, c, rc)                                          \
        for (_cleanup_(policy_instance_done) PolicyInstance it = {};                \
             policy_instance_next((c), (rc), &it);)

/* ---- existing namespaces --------------------------------------------------------------- */

/* Sizes a policy accepts for an existing namespace: [min, max], max 0 = unbounded. */
static void acceptable_size(const RegionCtx *rc, const NamespacePolicy *p, const KernelInfo *k,
                            uint64_t *min, uint64_t *max) {
        uint64_t tolerance = MAX(rc->granularity, k->section_size);

        *min = 0;
        *max = 0;
        switch (p->size_kind) {
        case SIZE_BYTES:
                *min = p->size;
                *max = round_up_u64(p->size, tolerance);
                break;
        case SIZE_PERCENT: {
                uint64_t exact = percent_of(rc->r->size, p->percent);
                *min = round_down_u64(exact, rc->align);
                *max = round_up_u64(exact, tolerance);
                break;
        }
        default:
                break;
        }
        /* plan_create() grows a system-ram devdax by up to one memory block so that its data
         * ends on a block boundary: what it made must be adopted, not drift */
        if (*max && p->mode == NS_MODE_DEVDAX && p->system_ram != SYSTEM_RAM_NO && k->memory_block_size)
                *max = round_up_u64(*max + k->memory_block_size, tolerance);
}

/* How an existing namespace differs from what its policy asks for, in buf ("" if it does
 * not): its mode, usable size, size within [min, max] (max 0: unbounded), map, align. */
static void drift_of(const NamespacePolicy *p, const NsState *ns, uint64_t usable, uint64_t min,
                     uint64_t max, char *buf, size_t n) {
        bool pfn = p->mode == NS_MODE_FSDAX || p->mode == NS_MODE_DEVDAX;

        buf[0] = '\0';
        if (ns->mode != p->mode)
                snprintf(buf, n, "mode is %s, policy wants %s", ns_mode_to_string(ns->mode),
                         ns_mode_to_string(p->mode));
        else if (p->size_kind == SIZE_USABLE && usable < p->size)
                snprintf(buf, n, "offers %s, policy wants at least %s usable", FORMAT_SIZE(usable),
                         FORMAT_SIZE(p->size));
        else if (min && ns->size < min)
                snprintf(buf, n, "size is %s, policy wants %s", FORMAT_SIZE(ns->size), FORMAT_SIZE(min));
        else if (max && ns->size > max)
                snprintf(buf, n, "size is %s, larger than the %s the policy asks for",
                         FORMAT_SIZE(ns->size), FORMAT_SIZE(min));
        else if (p->mode == NS_MODE_FSDAX && ns->map != p->map)
                snprintf(buf, n, "map is %s, policy wants %s", ns_map_to_string(ns->map),
                         ns_map_to_string(p->map));
        else if (pfn && p->align && ns->align && ns->align != p->align)
                snprintf(buf, n, "align is %s, policy wants %s", FORMAT_SIZE(ns->align),
                         FORMAT_SIZE(p->align));
}

static void plan_adopt(Ctx *c, RegionCtx *rc, const PolicyInstance *it, const NsState *ns) {
        const PlanInput *in = c->in;
        const NamespacePolicy *p = it->policy;
        const char *instance = it->name;
        ssize_t pi = it->index;
        uint64_t min, max, usable = ns->usable;
        Layout l;
        PlanRow *row;
        char drift[256];

        if (usable == 0 && ns->mode == p->mode &&
            layout_at(c, rc->r, ns->mode, ns->map, ns->align, p->sector_size, ns->start, ns->size,
                      &l, NULL) >= 0)
                usable = l.usable;

        acceptable_size(rc, p, in->kernel, &min, &max);

        /* Sized but not active: a claim driver missing or failing (a blacklisted module,
         * load-modules = no), or disabled by an admin. Its mode cannot even be read and it
         * may hold data: report why, change nothing. */
        if (!ns->enabled) {
                row = row_add_existing(c, PLAN_SKIP, instance, rc->r, p->mode, pi, ns);
                if (!row)
                        return;
                row_from_policy(row, p);
                row_message(c, row, "%s %s is %s; left unchanged", ns->dev, instance,
                            ns->inactive ?: "not active");
                return;
        }

        /* Raw where the policy wants a claim. Only a create that pmemnsd recorded, and that
         * a crash or a power cut stopped after the label was written (still blank), is
         * finished by claiming it in place; a raw namespace merely named like an instance
         * may be an admin's with data: a conflict. */
        if (ns->mode == NS_MODE_RAW && p->mode != NS_MODE_RAW && !(ns->inflight && ns->blank)) {
                row = row_add_existing(c, PLAN_CONFLICT, instance, rc->r, ns->mode, pi, ns);
                if (!row)
                        return;
                if (ns->inflight)
                        row_message(c, row, "%s is named '%s' and was being created by pmemnsd, but "
                                    "it is raw and no longer blank (it may hold data); not claimed "
                                    "as %s, left untouched", ns->dev, instance, ns_mode_to_string(p->mode));
                else
                        row_message(c, row, "%s is named '%s' but raw, and pmemnsd has no record of "
                                    "creating it (it may hold data); not claimed as %s, left "
                                    "untouched", ns->dev, instance, ns_mode_to_string(p->mode));
                return;
        }

        /* A create of ours that a crash or a power cut stopped after the label was written:
         * finish it by claiming it in place. */
        if (ns->mode == NS_MODE_RAW && p->mode != NS_MODE_RAW &&
            (!min || ns->size >= min) && (!max || ns->size <= max) &&
            layout_of_policy(c, rc->r, p, ns->start, ns->size, &l, NULL) >= 0 &&
            /* usable-size has no size bounds: what the claim offers must still be enough
             * (the policy may have grown since the crash) */
            (p->size_kind != SIZE_USABLE || l.usable >= p->size)) {
                row = row_add_existing(c, PLAN_CREATE, instance, rc->r, p->mode, pi, ns);
                if (!row)
                        return;
                row_from_policy(row, p);
                row_convert(c, row, p, &l);
                row_message(c, row, "finish %s %s: named, sized and blank but never claimed "
                            "(an interrupted create); claim it as %s: %s usable", ns->dev,
                            instance, ns_mode_to_string(p->mode), FORMAT_SIZE(l.usable));
                return;
        }

        drift_of(p, ns, usable, min, max, drift, sizeof(drift));
        row = row_add_existing(c, drift[0] ? PLAN_DRIFT : PLAN_ADOPT, instance, rc->r, ns->mode, pi, ns);
        if (!row)
                return;
        row_from_policy(row, p);
        row->spec.map = ns->map;
        row->spec.align = ns->align;
        row->spec.usable = usable;
        if (min && ns->size > min && !drift[0])
                row->lost = ns->size - min;
        if (drift[0])
                row_message(c, row, "%s %s: %s; left unchanged", ns->dev, instance, drift);
        else
                row_message(c, row, "%s already provides %s (%s raw, %s usable)", ns->dev,
                            instance, FORMAT_SIZE(ns->size), FORMAT_SIZE(usable));
}

/* ---- new namespaces -------------------------------------------------------------------- */

/* Place a namespace of raw size `size` with first fit and compute its layout. */
static int place(Ctx *c, RegionCtx *rc, const PlanRow *proto, uint64_t size, uint64_t *ret_off,
                 Layout *ret_layout, const char **why) {
        uint64_t off;

        if (!space_first_fit(&rc->space, size, rc->alloc_align, &off)) {
                *why = NULL;
                return -ENOSPC;
        }
        *ret_off = off;
        return layout_of_row(c, rc->r, proto, rc->r->start + off, size, ret_layout, why);
}

/* Smallest raw size (in page steps) that gives at least `want` usable bytes at `start`:
 * the size a granularity-free allocator would need, to tell rounding loss from
 * metadata. */
static uint64_t minimal_raw_for_usable(Ctx *c, RegionCtx *rc, const PlanRow *proto, uint64_t start,
                                       uint64_t from, uint64_t to, uint64_t want) {
        uint64_t page = MAX(c->in->kernel->page_size, UINT64_C(4096));
        /* at most 4096 layouts, whatever the granularity (it may be 1T or more) */
        if ((to - from) / page > 4096)
                page = round_up_u64((to - from) / 4096, page);
        for (uint64_t s = from; s < to; s += page) {
                Layout l;
                if (layout_of_row(c, rc->r, proto, start, s, &l, NULL) >= 0 && l.usable >= want)
                        return s;
        }
        return to;
}

/* The raw size a policy asks for in this region, a multiple of the region align, and what
 * it would be without that rounding (for 'usable-size', the first size to try: the usable
 * size plus the fsdax/devdax memmap estimate). False when it does not fit in 64 bits. */
static bool policy_raw_size(const RegionCtx *rc, const NamespacePolicy *p, uint64_t rest_size,
                            uint64_t *ret_size, uint64_t *ret_requested) {
        uint64_t estimate;

        *ret_size = *ret_requested = 0;
        switch (p->size_kind) {
        case SIZE_BYTES:
                *ret_requested = p->size;
                return round_up_u64_checked(p->size, rc->align, ret_size);
        case SIZE_PERCENT:
                *ret_size = *ret_requested = round_down_u64(percent_of(rc->r->size, p->percent), rc->align);
                return true;
        case SIZE_REST:
                *ret_size = *ret_requested = rest_size;
                return true;
        case SIZE_USABLE:
                return add_u64_checked(p->size, p->map == NS_MAP_DEV ? p->size / 64 : 0, &estimate) &&
                       round_up_u64_checked(MAX(estimate, mode_is_claimed(p->mode) ? ND_CLAIM_MIN_SIZE : 0),
                                            rc->align, ret_size);
        }
        return true;
}

/* First fit for a policy's namespace of raw size *size (the row has its shape). A
 * 'usable-size' one steps up one region align at a time until the kernel's layout offers
 * enough; a system-ram devdax grows so that its data ends on a memory block boundary, as
 * kmem onlines whole blocks only, when the free space allows. */
static int place_policy(Ctx *c, RegionCtx *rc, const PlanRow *row, const NamespacePolicy *p,
                        uint64_t *size, uint64_t *ret_off, Layout *l, const char **why) {
        const RegionState *r = rc->r;
        uint64_t b = c->in->kernel->memory_block_size;
        int k;

        for (unsigned tries = 0;; tries++) {
                k = place(c, rc, row, *size, ret_off, l, why);
                if (k == -ENOSPC)
                        break;
                if (p->size_kind == SIZE_USABLE && (k < 0 || l->usable < p->size) && tries < 4096 &&
                    *size + rc->align > *size && *size + rc->align <= r->size) {
                        *size += rc->align;
                        continue;
                }
                break;
        }

        if (k >= 0 && p->mode == NS_MODE_DEVDAX && p->system_ram != SYSTEM_RAM_NO && b)
                for (unsigned i = 0; i < 4; i++) {
                        uint64_t end = r->start + *ret_off + *size, want, off2;
                        Layout l2;
                        if (!round_up_u64_checked(end, b, &want))
                                break;
                        want -= r->start + *ret_off;
                        if (want == *size)
                                break;
                        if (place(c, rc, row, want, &off2, &l2, why) < 0)
                                break;
                        *size = want;
                        *ret_off = off2;
                        *l = l2;
                }
        return k;
}

static void plan_create(Ctx *c, RegionCtx *rc, const PolicyInstance *it, uint64_t rest_size) {
        const NamespacePolicy *p = it->policy;
        const RegionState *r = rc->r;
        uint64_t requested, size, off = 0, largest, b = c->in->kernel->memory_block_size;
        const char *why = NULL;
        Layout l = {};
        PlanRow *row;
        int k;

        row = row_add(c, PLAN_CREATE, it->name, r, p->mode, it->index);
        if (!row)
                return;
        row_from_policy(row, p);
        row->spec.region_align = rc->align;

        if (!policy_raw_size(rc, p, rest_size, &size, &requested)) {
                /* config.c refuses such sizes; a Config from elsewhere must not wrap either */
                row_skip(c, row, "%s %s cannot fit in %s (%s): the raw size it needs is "
                         "beyond 2^64 bytes", p->size_kind == SIZE_USABLE ? "usable-size" : "size",
                         FORMAT_SIZE(p->size), r->dev, FORMAT_SIZE(r->size));
                return;
        }
        if (size == 0 && p->size_kind == SIZE_REST) {
                row_skip(c, row, "no free space left in %s for 'size = rest'", r->dev);
                return;
        }
        if (size == 0) {
                row_skip(c, row, "%u%% of %s (%s) is less than one granularity step (%s)",
                         p->percent, r->dev, FORMAT_SIZE(r->size), FORMAT_SIZE(rc->align));
                return;
        }
        if (mode_is_claimed(p->mode) && size < ND_CLAIM_MIN_SIZE) {
                row->spec.size = size;
                row_skip(c, row, "%s is below the 16M the kernel accepts for %s "
                         "(drivers/nvdimm/claim.c)", FORMAT_SIZE(size), ns_mode_to_string(p->mode));
                return;
        }

        k = place_policy(c, rc, row, p, &size, &off, &l, &why);
        row->spec.size = size;
        if (k == -ENOSPC) {
                largest = space_largest(&rc->space, rc->alloc_align);
                row_skip(c, row, "does not fit: needs %s contiguous in %s, the largest free "
                         "extent is %s (%s short)", FORMAT_SIZE(size), r->dev,
                         FORMAT_SIZE(largest), FORMAT_SIZE(size - MIN(size, largest)));
                return;
        }
        if (k < 0) {
                row->spec.start = r->start + off;
                row_skip(c, row, "the kernel would refuse %s at %#" PRIx64 ": %s",
                         FORMAT_SIZE(size), r->start + off, strempty(why));
                return;
        }
        if (p->size_kind == SIZE_USABLE && l.usable < p->size) {
                /* never a create below the usable size asked for */
                row->spec.usable = l.usable;
                row_skip(c, row, "does not fit: the largest size tried in %s, %s raw, offers "
                         "%s usable, less than the %s asked for", r->dev, FORMAT_SIZE(size),
                         FORMAT_SIZE(l.usable), FORMAT_SIZE(p->size));
                return;
        }

        row->spec.start = r->start + off;
        row->spec.usable = l.usable;
        if (p->size_kind == SIZE_USABLE)
                requested = minimal_raw_for_usable(c, rc, row, row->spec.start,
                                                   size > rc->align ? size - rc->align : 0, size,
                                                   p->size);
        row->lost = size > requested ? size - requested : 0;

        if (p->system_ram != SYSTEM_RAM_NO && p->mode == NS_MODE_DEVDAX) {
                if (!b) {
                        row_skip(c, row, "system-ram needs memory hotplug, and this kernel shows "
                                 "no /sys/devices/system/memory/block_size_bytes");
                        return;
                }
                row->kmem_lost = kmem_trimmed(l.data_start, l.data_end, b);
                if (row->kmem_lost >= l.data_end - l.data_start) {
                        row_skip(c, row, "the %s data range holds no whole %s memory block, so "
                                 "kmem could online nothing", FORMAT_SIZE(l.usable), FORMAT_SIZE(b));
                        return;
                }
        }

        if (space_take(&rc->space, off, size) < 0) {
                c->error = -EINVAL;
                return;
        }

        row_message(c, row,
                    "%s%s %s at %#" PRIx64 ": %s raw, %s usable, %s metadata, %s lost to "
                    "alignment%s%s%s",
                    rc->init_labels ? "after initialising labels, " : "",
                    "create", ns_mode_to_string(p->mode), row->spec.start, FORMAT_SIZE(size),
                    FORMAT_SIZE(l.usable), FORMAT_SIZE(size - l.usable),
                    FORMAT_SIZE(row->lost),
                    row->kmem_lost || (p->system_ram != SYSTEM_RAM_NO) ? ", " : "",
                    p->system_ram != SYSTEM_RAM_NO ? FORMAT_SIZE(row->kmem_lost) : "",
                    p->system_ram != SYSTEM_RAM_NO ? " not onlined by kmem" : "");
}

/* ---- regions --------------------------------------------------------------------------- */

static void plan_foreign(Ctx *c, RegionCtx *rc, const NsState *ns) {
        PlanRow *row = row_add_existing(c, PLAN_SKIP, "", rc->r, ns->mode, -1, ns);
        if (!row)
                return;
        row_message(c, row, "foreign namespace %s%s%s%s left untouched", ns->dev,
                    isempty(ns->name) ? "" : " '", strempty(ns->name), isempty(ns->name) ? "" : "'");
}

static bool row_is(const PlanRow *row, const char *region, const char *instance) {
        return streq(row->spec.region, region) && streq(row->spec.name, instance);
}

/* Instances are per region: a selector that matches two regions gets them in both. A
 * [cxl-region]'s row names its nd region too, and counts, as it always did. */
static bool region_has_row(const Ctx *c, const char *region, const char *instance) {
        const Plan *p = c->plan;

        for (size_t i = 0; i < c->cxl_rows; i++)
                if (row_is(&p->rows[i], region, instance))
                        return true;
        for (size_t i = c->region_rows; i < p->n_rows; i++)
                if (row_is(&p->rows[i], region, instance))
                        return true;
        return false;
}

static void plan_labelled(Ctx *c, RegionCtx *rc) {
        const RegionState *r = rc->r;
        size_t n_ns = rc->init_labels ? 0 : r->n_namespaces;

        rc->claimed = calloc(n_ns + 1, sizeof(bool));
        if (!rc->claimed) {
                c->error = -ENOMEM;
                return;
        }

        /* Adopt first: existing namespaces keep their space. */
        FOREACH_POLICY_INSTANCE(it, c, rc)
                for (size_t j = 0; j < n_ns; j++)
                        if (!rc->claimed[j] && streq(strempty(r->namespaces[j].name), it.name)) {
                                rc->claimed[j] = true;
                                plan_adopt(c, rc, &it, &r->namespaces[j]);
                                break;
                        }
        for (size_t j = 0; j < n_ns; j++)
                if (!rc->claimed[j])
                        plan_foreign(c, rc, &r->namespaces[j]);

        /* Then create what is missing, fixed sizes in policy order, 'rest' last. */
        for (int pass = 0; pass < 2; pass++)
                FOREACH_POLICY_INSTANCE(it, c, rc) {
                        bool rest = it.policy->size_kind == SIZE_REST;
                        if (rest != (pass == 1) || region_has_row(c, r->dev, it.name))
                                continue;
                        plan_create(c, rc, &it, rest ? space_largest(&rc->space, rc->alloc_align) : 0);
                }
}

/* The one namespace of a label-less region, owned by its selector's 'size = rest' policy:
 * adopted, converted in place, or left alone with the reason. */
static void plan_labelless_own(Ctx *c, RegionCtx *rc, const NamespacePolicy *p, ssize_t pi,
                               const NsState *ns) {
        const RegionState *r = rc->r;
        PlanRow *row;

        row = row_add_existing(c, PLAN_CREATE, p->name, r, p->mode, pi, ns);
        if (!row)
                return;
        row_from_policy(row, p);

        if (ns->mode != NS_MODE_RAW || p->mode == NS_MODE_RAW) {
                if (ns->mode == p->mode) {
                        row->action = PLAN_ADOPT;
                        if (!row->spec.usable)
                                row->spec.usable = ns->size;
                        row_message(c, row, "label-less %s is already %s; adopted", ns->dev,
                                    ns_mode_to_string(ns->mode));
                } else {
                        row->action = PLAN_CONFLICT;
                        row->spec.mode = ns->mode;
                        row_message(c, row,
                                    "label-less %s is already %s, policy wants %s; not "
                                    "converted", ns->dev, ns_mode_to_string(ns->mode),
                                    ns_mode_to_string(p->mode));
                }
                return;
        }
        if (ns->signature) {
                row->action = PLAN_CONFLICT;
                row->spec.mode = ns->mode;
                row_message(c, row,
                            "label-less %s carries a '%s' signature; not converted to %s",
                            ns->dev, ns->signature, ns_mode_to_string(p->mode));
                return;
        }

        Layout l;
        const char *why = NULL;
        if (layout_of_policy(c, r, p, ns->start, ns->size, &l, &why) < 0) {
                row_skip(c, row, "the kernel would refuse %s as %s: %s", ns->dev,
                         ns_mode_to_string(p->mode), strempty(why));
                return;
        }
        row_convert(c, row, p, &l);
        row_message(c, row, "convert label-less %s to %s: %s raw, %s usable", ns->dev,
                    ns_mode_to_string(p->mode), FORMAT_SIZE(ns->size),
                    FORMAT_SIZE(l.usable));
}

static void plan_labelless(Ctx *c, RegionCtx *rc) {
        const Config *cfg = c->in->config;
        const RegionState *r = rc->r;
        const NsState *ns = r->n_namespaces > 0 ? &r->namespaces[0] : NULL;
        ssize_t rest = -1;

        for (size_t pi = 0; pi < cfg->n_policies; pi++)
                if ((ssize_t) cfg->policies[pi].selector_index == rc->sel_index &&
                    cfg->policies[pi].size_kind == SIZE_REST && rest < 0)
                        rest = (ssize_t) pi;

        FOREACH_POLICY_INSTANCE(it, c, rc) {
                if (it.index == rest && ns) {
                        /* one row for the policy, whatever its count */
                        if (it.instance == 0)
                                plan_labelless_own(c, rc, it.policy, it.index, ns);
                        continue;
                }
                row_message(c, row_add(c, PLAN_SKIP, it.name, r, it.policy->mode, it.index),
                            "%s is label-less: it holds one namespace spanning the region and only "
                            "a 'size = rest' policy can own it%s", r->dev,
                            r->can_init_labels ? " (or set init-labels = yes on its selector)" : "");
        }
}

/* Can the label area be initialised? Only when nothing on the region could hold data or be
 * in use. The rule (pmemnsd.conf(5), init-labels): refused while its namespace has a
 * personality, carries a signature, or is open, mounted or mapped. The region state shows
 * the first two (a disabled namespace counts as carrying one: it cannot be probed); the
 * rest needs a look at the running system, which nv_init_labels() takes, together with all
 * of this again, just before it disables the region. */
static const char *init_labels_refusal(const RegionState *r) {
        for (size_t i = 0; i < r->n_namespaces; i++) {
                if (r->namespaces[i].mode != NS_MODE_RAW)
                        return "its namespace has a personality";
                if (r->namespaces[i].signature)
                        return "its namespace carries a signature";
        }
        return NULL;
}

/* The same row for every instance of the policies that draw from this region's selector. */
static void rows_for_all_instances(Ctx *c, const RegionCtx *rc, PlanAction action, const char *format, ...)
        _printf_(4, 5);
static void rows_for_all_instances(Ctx *c, const RegionCtx *rc, PlanAction action, const char *format, ...) {
        _cleanup_free_ char *message = NULL;
        va_list ap;

        va_start(ap, format);
        message = vformat(c, format, ap);
        va_end(ap);
        if (!message)
                return;

        FOREACH_POLICY_INSTANCE(it, c, rc)
                row_message(c, row_add(c, action, it.name, rc->r, it.policy->mode, it.index), "%s",
                            message);
}

static RegionPlan *region_plan_add(Ctx *c, const RegionState *r) {
        RegionPlan *rp = APPEND(c, c->plan->regions, c->plan->n_regions, c->regions_allocated);

        if (!rp)
                return NULL;
        *rp = (RegionPlan) { .region = strdup(r->dev), .selector = -1 };
        if (!rp->region) {
                c->error = -ENOMEM;
                return NULL;
        }
        return rp;
}

/* What the free space that is left and the rows' rounding lose to alignment. */
static uint64_t region_lost_to_alignment(Ctx *c, const RegionCtx *rc) {
        uint64_t lost = space_total(&rc->space) - space_aligned_total(&rc->space, rc->alloc_align);

        for (size_t i = c->region_rows; i < c->plan->n_rows; i++) {
                const PlanRow *row = &c->plan->rows[i];
                if (streq(row->spec.region, rc->r->dev) &&
                    (row->action == PLAN_CREATE || row->action == PLAN_ADOPT))
                        lost += row->lost;
        }
        return lost;
}

static void plan_region(Ctx *c, const RegionState *r) {
        _cleanup_(region_ctx_done) RegionCtx rc = {};
        RegionPlan *rp;

        c->region_rows = c->plan->n_rows;
        rp = region_plan_add(c, r);
        if (!rp || region_ctx_init(c, r, &rc) < 0 || !rc.sel)
                return;
        rp->selector = rc.sel_index;

        /* An administrator disabled it (ndctl disable-region): its namespaces are out of
         * sight, not gone; nothing is planned until it is enabled again. */
        if (!r->enabled) {
                rows_for_all_instances(c, &rc, PLAN_SKIP, "%s is disabled; enable it (ndctl "
                                       "enable-region %s) to provision it", r->dev, r->dev);
                return;
        }
        if (rc.no_granularity) {
                rows_for_all_instances(c, &rc, PLAN_SKIP, "granularity not usable: %s", rc.no_granularity);
                return;
        }
        rp->granularity = rc.granularity;
        rp->region_align = rc.align;

        if (rc.init_labels) {
                const char *refusal = init_labels_refusal(r);
                if (refusal) {
                        rows_for_all_instances(c, &rc, PLAN_CONFLICT, "init-labels refused on %s: %s (%s)",
                                               r->dev, refusal,
                                               r->n_namespaces ? r->namespaces[0].dev : "");
                        return;
                }
                rp->init_labels = true;
        }

        if (r->labeled || rc.init_labels) {
                plan_labelled(c, &rc);
                rp->lost_to_alignment = region_lost_to_alignment(c, &rc);
        } else
                plan_labelless(c, &rc);
}

/* ---- an imperative request ------------------------------------------------------------- */

static void plan_request(Ctx *c) {
        const PlanRequest *q = c->in->request;
        _cleanup_(region_ctx_done) RegionCtx rc = {};
        const RegionState *r;
        const char *why = NULL;

        r = region_state_find(c->in->regions, c->in->n_regions, q->region);
        if (!r) {
                c->error = -ENODEV;
                return;
        }
        if (region_ctx_init(c, r, &rc) < 0)
                return;

        PlanRow *row = row_add(c, PLAN_CREATE, q->name, r, q->mode, -1);
        if (!row)
                return;
        row->spec.map = q->map;
        row->spec.align = q->align;
        row->spec.sector_size = q->sector_size ?: 4096;

        if (!r->labeled) {
                row_skip(c, row, "%s is label-less and cannot be sub-divided", r->dev);
                return;
        }
        if (rc.no_granularity) {
                row_skip(c, row, "granularity not usable: %s", rc.no_granularity);
                return;
        }
        row->spec.region_align = rc.align;

        uint64_t size = round_up_u64(q->size, rc.align), off;
        Layout l;
        int k;

        if (mode_is_claimed(q->mode) && q->size < ND_CLAIM_MIN_SIZE) {
                row_skip(c, row, "%s is below the 16M the kernel accepts for %s",
                         FORMAT_SIZE(q->size), ns_mode_to_string(q->mode));
        } else if ((k = place(c, &rc, row, size, &off, &l, &why)) == -ENOSPC) {
                row_skip(c, row, "does not fit: needs %s contiguous, the largest free extent is %s",
                         FORMAT_SIZE(size), FORMAT_SIZE(space_largest(&rc.space, rc.alloc_align)));
        } else if (k < 0) {
                row_skip(c, row, "the kernel would refuse it: %s", strempty(why));
        } else {
                row->spec.size = size;
                row->spec.start = r->start + off;
                row->spec.usable = l.usable;
                row->lost = size - q->size;
                row_message(c, row, "create %s at %#" PRIx64 ": %s raw, %s usable",
                            ns_mode_to_string(q->mode), row->spec.start, FORMAT_SIZE(size),
                            FORMAT_SIZE(l.usable));
        }
}

/* A policy whose selector has no region gets a row too (a skip that says so), so a typo in
 * match.* or a missing device is visible instead of a policy silently doing nothing. A
 * selector of a [cxl-region] that is not assembled has its rows already (cxl-rows.c). */
static void plan_unmatched(Ctx *c) {
        const Config *cfg = c->in->config;
        _cleanup_free_ bool *has_region = calloc(cfg->n_selectors + 1, sizeof(bool));

        if (!has_region) {
                c->error = -ENOMEM;
                return;
        }
        for (size_t i = 0; i < c->plan->n_regions; i++)
                if (c->plan->regions[i].selector >= 0)
                        has_region[c->plan->regions[i].selector] = true;
        for (size_t p = 0; p < cfg->n_policies && c->error >= 0; p++) {
                const NamespacePolicy *n = &cfg->policies[p];
                const RegionSelector *sel;
                bool matches_any = false;

                if (n->selector_index >= cfg->n_selectors || has_region[n->selector_index])
                        continue;
                sel = &cfg->selectors[n->selector_index];
                if (sel->match_cxl_region && c->in->cxl)
                        continue; /* plan_waiting() said what it waits for */
                for (size_t i = 0; i < c->in->n_regions && !matches_any; i++)
                        matches_any = selector_matches(sel, &c->in->regions[i]);
                for (unsigned k = 0; k < n->count && c->error >= 0; k++) {
                        _cleanup_free_ char *inst = policy_instance_name(n, k);
                        PlanRow *row = inst ? plan_add_row(c->plan, PLAN_SKIP, inst, NULL) : NULL;

                        if (!row) {
                                c->error = -ENOMEM;
                                break;
                        }
                        row->spec.mode = n->mode;
                        row->policy = (ssize_t) p;
                        if (matches_any)
                                row_message(c, row, "selector '%s' matches no region of its own: an "
                                            "earlier selector matches its regions first", sel->name);
                        else
                                row_message(c, row, "selector '%s' matches no region", sel->name);
                }
        }
}

PlanRow *plan_add_row(Plan *p, PlanAction action, const char *name, const char *region) {
        Ctx c = { .plan = p };
        PlanRow *row = row_add(&c, action, name, &(RegionState) { .dev = (char *) strempty(region) },
                               NS_MODE_RAW, -1);

        return c.error < 0 ? NULL : row;
}

int plan_compute(const PlanInput *in, Plan *ret) {
        Plan plan = {};
        Ctx c = { .in = in, .plan = &plan, .grow = true };

        if (in->request)
                plan_request(&c);
        else {
                /* the CXL regions first: the namespaces are carved from what they make */
                if (in->cxl)
                        c.error = plan_cxl_regions(in, &plan);
                /* plan_add_row() made them, exactly as many */
                c.cxl_rows = c.rows_allocated = plan.n_rows;
                c.regions_allocated = plan.n_regions;
                for (size_t i = 0; i < in->n_regions && c.error >= 0; i++)
                        plan_region(&c, &in->regions[i]);
                if (c.error >= 0)
                        plan_unmatched(&c);
        }

        if (c.error < 0) {
                plan_done(&plan);
                return c.error;
        }
        *ret = plan;
        return 0;
}
