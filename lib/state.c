/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "state.h"
#include "util/macro.h"
#include "util/strv.h"

void ns_state_done(NsState *n) {
        free(n->dev);
        free(n->name);
        free(n->uuid);
        free(n->signature);
        free(n->blockdev);
        free(n->chardev);
        free(n->inactive);
}

void region_state_done(RegionState *r) {
        free(r->dev);
        free(r->type);
        free(r->provider);
        strv_free(r->memdevs);
        free(r->assembled_as);
        for (size_t i = 0; i < r->n_namespaces; i++)
                ns_state_done(&r->namespaces[i]);
        free(r->namespaces);
}

void region_states_free(RegionState *r, size_t n) {
        for (size_t i = 0; i < n; i++)
                region_state_done(&r[i]);
        free(r);
}

void ns_spec_done(NsSpec *s) {
        free(s->region);
        free(s->name);
        free(s->ns_dev);
}

const RegionState *region_state_find(const RegionState *regions, size_t n, const char *dev) {
        for (size_t i = 0; i < n; i++)
                if (streq(regions[i].dev, dev))
                        return &regions[i];
        return NULL;
}

const NsState *ns_state_find(const RegionState *regions, size_t n, const char *dev,
                             const RegionState **ret_region) {
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < regions[i].n_namespaces; j++)
                        if (streq(regions[i].namespaces[j].dev, dev)) {
                                if (ret_region)
                                        *ret_region = &regions[i];
                                return &regions[i].namespaces[j];
                        }
        return NULL;
}

const NsState *region_state_find_ns_by_name(const RegionState *r, const char *name) {
        for (size_t i = 0; i < r->n_namespaces; i++)
                if (streq(strempty(r->namespaces[i].name), name))
                        return &r->namespaces[i];
        return NULL;
}
