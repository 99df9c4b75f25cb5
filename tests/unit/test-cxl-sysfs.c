/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cxl_region_read() on a made-up sysfs tree laid out as Linux 6.1 lays out a 2-way CXL
 * region: /sys/devices/.../root0/port1/endpoint{2,3}/decoder{2,3}.0, endpoint uport links
 * to mem{0,1}, /sys/bus/cxl/devices links to all of them. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cxl-sysfs.h"
#include "tests.h"
#include "util/macro.h"
#include "util/strv.h"

static char root[] = "/tmp/test-cxl-sysfs.XXXXXX";

static void mkdirs(const char *rel) {
        char p[4096], *s;

        snprintf(p, sizeof(p), "%s/%s", root, rel);
        for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                (void) mkdir(p, 0755);
                *s = '/';
        }
        (void) mkdir(p, 0755);
}

static void put(const char *rel, const char *value) {
        char p[4096];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", root, rel);
        f = fopen(p, "we");
        CHECK(f);
        if (f) {
                fputs(value, f);
                fclose(f);
        }
}

static void link_to(const char *target_rel, const char *rel) {
        char t[4096], p[4096];

        snprintf(t, sizeof(t), "%s/%s", root, target_rel);
        snprintf(p, sizeof(p), "%s/%s", root, rel);
        (void) unlink(p);
        CHECK(symlink(t, p) == 0);
}

#define PORT "devices/platform/ACPI0017:00/root0/port1"
#define PCI "devices/pci0000:0c/0000:0c:00.0"

static void make_tree(void) {
        CHECK(mkdtemp(root));
        mkdirs("bus/cxl/devices");
        mkdirs(PORT "/endpoint2/decoder2.0");
        mkdirs(PORT "/endpoint3/decoder3.0");
        mkdirs(PCI "/0000:0d:00.0/mem0");
        mkdirs(PCI "/0000:0e:00.0/mem1");
        put(PCI "/0000:0d:00.0/mem0/serial", "0x1234\n");
        put(PCI "/0000:0e:00.0/mem1/serial", "0x1235\n");
        link_to(PCI "/0000:0d:00.0/mem0", PORT "/endpoint2/uport");
        link_to(PCI "/0000:0e:00.0/mem1", PORT "/endpoint3/uport");
        link_to(PORT "/endpoint2/decoder2.0", "bus/cxl/devices/decoder2.0");
        link_to(PORT "/endpoint3/decoder3.0", "bus/cxl/devices/decoder3.0");
        mkdirs("devices/platform/ACPI0017:00/root0/decoder0.0/region0/pmem_region0");
        link_to("devices/platform/ACPI0017:00/root0/decoder0.0/region0", "bus/cxl/devices/region0");
        put("bus/cxl/devices/region0/interleave_ways", "2\n");
        put("bus/cxl/devices/region0/resource", "0xa90000000\n");
        /* position order is the region's, not the memdevs' names */
        put("bus/cxl/devices/region0/target0", "decoder3.0\n");
        put("bus/cxl/devices/region0/target1", "decoder2.0\n");
}

static void remove_tree(void) {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK(system(cmd) == 0);
}

TEST(cxl_region) {
        char **l = NULL;
        unsigned ways = 0;

        make_tree();

        CHECK_INT(cxl_region_read(root, "region0", UINT64_C(0xa90000000), &l, &ways), 0);
        CHECK_INT(ways, 2);
        CHECK_INT(strv_length(l), 2);
        if (strv_length(l) == 2) {
                CHECK_STR(l[0], "4661");
                CHECK_STR(l[1], "4660");
        }
        strv_free(TAKE_PTR(l));

        /* start unknown: the id alone pairs them */
        CHECK_INT(cxl_region_read(root, "region0", 0, &l, &ways), 0);
        CHECK_INT(strv_length(l), 2);
        strv_free(TAKE_PTR(l));

        /* another memory range: not its CXL region */
        CHECK_INT(cxl_region_read(root, "region0", UINT64_C(0xb00000000), &l, &ways), -ENOENT);
        CHECK(!l);
        /* no CXL region of that id */
        CHECK_INT(cxl_region_read(root, "region7", 0, &l, &ways), -ENOENT);
        CHECK_INT(cxl_region_read(root, "../region0", 0, &l, &ways), -EINVAL);

        /* a missing serial or an unset target gives no list rather than one with a gap */
        put(PCI "/0000:0d:00.0/mem0/serial", "");
        CHECK_INT(cxl_region_read(root, "region0", 0, &l, &ways), -ENODATA);
        put(PCI "/0000:0d:00.0/mem0/serial", "0\n");
        CHECK_INT(cxl_region_read(root, "region0", 0, &l, &ways), 0);
        if (strv_length(l) == 2)
                CHECK_STR(l[1], "0");
        strv_free(TAKE_PTR(l));
        put("bus/cxl/devices/region0/target1", "\n");
        CHECK_INT(cxl_region_read(root, "region0", 0, &l, &ways), -ENODATA);
        put("bus/cxl/devices/region0/target1", "decoder9.0\n");
        CHECK_INT(cxl_region_read(root, "region0", 0, &l, &ways), -ENODATA);
        CHECK(!l);

        remove_tree();
}
