/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "bus-names.h"
#include "tests.h"
#include "util/macro.h"

TEST(paths_of_kernel_names) {
        _cleanup_free_ char *r = region_object_path("region0");
        _cleanup_free_ char *n = namespace_object_path("namespace0.1");
        _cleanup_free_ char *d = namespace_object_path("namespace12.345");

        CHECK_STR(r, "/org/pmemnsd1/region/region0");
        /* the spec's example: namespace0.1 -> namespace0_1 */
        CHECK_STR(n, "/org/pmemnsd1/namespace/namespace0_1");
        CHECK_STR(d, "/org/pmemnsd1/namespace/namespace12_345");
        CHECK(sd_bus_object_path_is_valid(r));
        CHECK(sd_bus_object_path_is_valid(n));
        /* no name, no path */
        errno = 0;
        CHECK(!region_object_path(""));
        CHECK_INT(errno, EINVAL);
        CHECK(!namespace_object_path(NULL));
}

TEST(round_trips) {
        static const char *const devs[] = {
                "region0", "region17", "namespace0.0", "namespace3.12", "pfn0.1", "btt1.0", "dax0.0", "x",
        };
        static const char *const prefixes[] = { PMEMNSD_REGION_PREFIX, PMEMNSD_NAMESPACE_PREFIX };

        for (size_t p = 0; p < ELEMENTSOF(prefixes); p++)
                for (size_t i = 0; i < ELEMENTSOF(devs); i++) {
                        _cleanup_free_ char *path = bus_object_path(prefixes[p], devs[i]);
                        _cleanup_free_ char *dev = path ? bus_object_path_to_dev(path, prefixes[p]) : NULL;

                        CHECK(path && sd_bus_object_path_is_valid(path));
                        CHECK_STR(dev, devs[i]);
                }
}

TEST(rejects_bad_paths) {
        static const struct {
                const char *path, *prefix;
        } bad[] = {
                { "/org/pmemnsd1/namespace", PMEMNSD_NAMESPACE_PREFIX },          /* the prefix itself */
                { "/org/pmemnsd1/namespace/", PMEMNSD_NAMESPACE_PREFIX },         /* empty name */
                { "/org/pmemnsd1/namespacex/namespace0_0", PMEMNSD_NAMESPACE_PREFIX },
                { "/org/pmemnsd1/namespace0_0", PMEMNSD_NAMESPACE_PREFIX },       /* no separator */
                { "/org/pmemnsd1/namespace/a/b", PMEMNSD_NAMESPACE_PREFIX },      /* nested */
                { "/org/pmemnsd1/namespace/namespace0_0/", PMEMNSD_NAMESPACE_PREFIX },
                { "/org/pmemnsd1/namespace/Namespace0_0", PMEMNSD_NAMESPACE_PREFIX }, /* upper case */
                { "/org/pmemnsd1/namespace/namespace0.0", PMEMNSD_NAMESPACE_PREFIX }, /* '.' unescaped */
                { "/org/pmemnsd1/namespace/ns-0", PMEMNSD_NAMESPACE_PREFIX },
                { "/org/pmemnsd1/region/region0", PMEMNSD_NAMESPACE_PREFIX },     /* another kind */
                { "/org/pmemnsd1/namespace/namespace0_0", PMEMNSD_REGION_PREFIX },
                { "/org/pmemnsd1/elsewhere", PMEMNSD_NAMESPACE_PREFIX },
                { "/org/pmemnsd1", PMEMNSD_REGION_PREFIX },
                { "", PMEMNSD_REGION_PREFIX },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *dev = NULL;

                errno = 0;
                dev = bus_object_path_to_dev(bad[i].path, bad[i].prefix);
                if (dev) {
                        printf("#   accepted \"%s\" under \"%s\" as \"%s\"\n", bad[i].path, bad[i].prefix, dev);
                        test_failures++;
                }
                CHECK_INT(errno, EINVAL);
        }
}

TEST(underscore_is_dot) {
        _cleanup_free_ char *dev = bus_object_path_to_dev("/org/pmemnsd1/namespace/namespace0_1",
                                                          PMEMNSD_NAMESPACE_PREFIX);

        CHECK_STR(dev, "namespace0.1");
}

TEST(error_map) {
        _cleanup_(sd_bus_error_free) sd_bus_error busy = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error config = SD_BUS_ERROR_NULL;

        CHECK(sd_bus_error_add_map(pmemnsd_bus_errors) >= 0);
        CHECK_INT(sd_bus_error_set(&busy, PMEMNSD_ERROR_BUSY, "namespace is busy"), -EBUSY);
        CHECK_INT(sd_bus_error_get_errno(&busy), EBUSY);
        CHECK_INT(sd_bus_error_set(&config, PMEMNSD_ERROR_INVALID_CONFIG, "rejected"), -EINVAL);
        CHECK(sd_bus_error_has_name(&config, "org.pmemnsd1.Error.InvalidConfig"));
}
