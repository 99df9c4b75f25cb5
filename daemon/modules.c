/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libkmod.h>

#include "manager.h"
#include "util/log.h"
#include "util/macro.h"

int manager_load_modules(Manager *m) {
        static const char *const modules[] = {
                "nfit", "nd_pmem", "nd_btt", "nd_e820", "dax_pmem", "device_dax", "kmem",
        };
        struct kmod_ctx *ctx;

        if (!m->config.daemon.load_modules)
                return 0;
        ctx = kmod_new(NULL, NULL);
        if (!ctx)
                return log_warning_errno(-ENOMEM, "Failed to set up libkmod, not loading modules.");
        kmod_load_resources(ctx);
        for (size_t i = 0; i < ELEMENTSOF(modules); i++) {
                struct kmod_list *list = NULL, *l;
                int r = kmod_module_new_from_lookup(ctx, modules[i], &list);
                if (r < 0 || !list) {
                        log_warning("Kernel module '%s' not found, ignoring.", modules[i]);
                        continue;
                }
                kmod_list_foreach(l, list) {
                        struct kmod_module *mod = kmod_module_get_module(l);
                        r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL,
                                                            NULL, NULL, NULL);
                        if (r < 0)
                                log_warning_errno(r, "Failed to load kernel module '%s', ignoring: %m",
                                                  kmod_module_get_name(mod));
                        else if (r > 0)
                                log_warning("Kernel module '%s' is blacklisted, ignoring.",
                                            kmod_module_get_name(mod));
                        else
                                log_debug("Kernel module '%s' loaded.", kmod_module_get_name(mod));
                        kmod_module_unref(mod);
                }
                kmod_module_unref_list(list);
        }
        kmod_unref(ctx);
        return 0;
}

