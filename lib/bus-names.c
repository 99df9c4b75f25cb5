/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "bus-names.h"
#include "util/macro.h"

const sd_bus_error_map pmemnsd_bus_errors[] = {
        SD_BUS_ERROR_MAP(PMEMNSD_ERROR_BUSY, EBUSY),
        SD_BUS_ERROR_MAP(PMEMNSD_ERROR_FAILED, EIO),
        SD_BUS_ERROR_MAP(PMEMNSD_ERROR_INVALID_CONFIG, EINVAL),
        SD_BUS_ERROR_MAP_END,
};

char *bus_object_path(const char *prefix, const char *dev) {
        char *p;

        if (isempty(dev)) {
                errno = EINVAL;
                return NULL;
        }
        if (asprintf(&p, "%s/%s", prefix, dev) < 0)
                return NULL;
        for (char *c = p + strlen(prefix) + 1; *c; c++)
                if (*c == '.')
                        *c = '_';
        return p;
}

char *bus_object_path_to_dev(const char *path, const char *prefix) {
        const char *e = startswith(path, prefix);
        char *d;

        if (!e || e[0] != '/' || isempty(e + 1) || strchr(e + 1, '/')) {
                errno = EINVAL;
                return NULL;
        }
        d = strdup(e + 1);
        if (!d)
                return NULL;
        for (char *c = d; *c; c++) {
                if (*c == '_')
                        *c = '.';
                else if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9'))) {
                        free(d);
                        errno = EINVAL;
                        return NULL;
                }
        }
        return d;
}
