/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-query bus|ndctl N: N queries of every namespace in one process, for the query bench's
 * in-process figure (no process start-up on either side).
 *
 *   bus:   one system bus connection, N x GetManagedObjects of org.pmemnsd1, every property
 *          of every object decoded (what a client does with the answer);
 *   ndctl: N x a fresh libndctl context (a cached one would not look at the kernel again),
 *          walking every bus, region and namespace and reading the data a namespace object
 *          carries (device, name, uuid, mode, raw and usable size, start, align, map, block
 *          or char device), as `ndctl list -N` does, then ndctl_unref().
 *
 * Prints: "query KIND N TOTAL_US NAMESPACES". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <daxctl/libdaxctl.h>
#include <ndctl/libndctl.h>
#include <systemd/sd-bus.h>

static long long now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static volatile unsigned long long sink; /* the data read, so nothing is optimised away */

/* decode one variant of any type, touching every basic value */
static int skip_value(sd_bus_message *m) {
        char type;
        const char *contents;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r <= 0)
                return r;
        if (type == SD_BUS_TYPE_VARIANT || type == SD_BUS_TYPE_ARRAY || type == SD_BUS_TYPE_STRUCT ||
            type == SD_BUS_TYPE_DICT_ENTRY) {
                r = sd_bus_message_enter_container(m, type, contents);
                if (r < 0)
                        return r;
                while ((r = skip_value(m)) > 0)
                        ;
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                return r < 0 ? r : 1;
        }
        union {
                uint64_t u64;
                const char *s;
                int b;
                uint8_t y;
                uint32_t u32;
                double d;
        } v = {};
        r = sd_bus_message_read_basic(m, type, &v);
        if (r < 0)
                return r;
        if (type == SD_BUS_TYPE_STRING || type == SD_BUS_TYPE_OBJECT_PATH || type == SD_BUS_TYPE_SIGNATURE)
                sink += strlen(v.s);
        else
                sink += v.u64;
        return 1;
}

static int query_bus(int n, int *ret_objects) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        for (int i = 0; i < n; i++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                int objects = 0;

                r = sd_bus_call_method(bus, "org.pmemnsd1", "/org/pmemnsd1", "org.freedesktop.DBus.ObjectManager",
                                       "GetManagedObjects", &error, &reply, NULL);
                if (r < 0) {
                        fprintf(stderr, "GetManagedObjects: %s\n", error.message ?: strerror(-r));
                        sd_bus_error_free(&error);
                        break;
                }
                r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "{oa{sa{sv}}}");
                while (r >= 0 && (r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_DICT_ENTRY, "oa{sa{sv}}")) > 0) {
                        objects++;
                        while ((r = skip_value(reply)) > 0)
                                ;
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                }
                sd_bus_message_unref(reply);
                if (r < 0)
                        break;
                *ret_objects = objects;
        }
        sd_bus_flush_close_unref(bus);
        return r < 0 ? r : 0;
}

static int query_ndctl(int n, int *ret_namespaces) {
        for (int i = 0; i < n; i++) {
                struct ndctl_ctx *ctx;
                struct ndctl_bus *bus;
                struct ndctl_region *region;
                struct ndctl_namespace *ndns;
                int count = 0, r;

                r = ndctl_new(&ctx);
                if (r < 0)
                        return r;
                ndctl_bus_foreach(ctx, bus)
                        ndctl_region_foreach(bus, region)
                                ndctl_namespace_foreach(region, ndns) {
                                        struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
                                        struct ndctl_dax *dax = ndctl_namespace_get_dax(ndns);
                                        struct ndctl_btt *btt = ndctl_namespace_get_btt(ndns);
                                        const char *s;
                                        uuid_t uu;

                                        if (!ndctl_namespace_is_active(ndns))
                                                continue; /* the seed: ndctl list -N skips it */
                                        count++;
                                        sink += strlen(ndctl_namespace_get_devname(ndns));
                                        s = ndctl_namespace_get_alt_name(ndns);
                                        sink += s ? strlen(s) : 0;
                                        ndctl_namespace_get_uuid(ndns, uu);
                                        sink += uu[0] + ndctl_namespace_get_mode(ndns);
                                        sink += ndctl_namespace_get_size(ndns) + ndctl_namespace_get_resource(ndns);
                                        if (pfn) {
                                                sink += ndctl_pfn_get_size(pfn) + ndctl_pfn_get_align(pfn) +
                                                        ndctl_pfn_get_location(pfn);
                                                s = ndctl_pfn_get_block_device(pfn);
                                                sink += s ? strlen(s) : 0;
                                        } else if (dax) {
                                                struct daxctl_region *dr = ndctl_dax_get_daxctl_region(dax);
                                                struct daxctl_dev *dev;

                                                sink += ndctl_dax_get_size(dax) + ndctl_dax_get_align(dax) +
                                                        ndctl_dax_get_location(dax);
                                                if (dr)
                                                        daxctl_dev_foreach(dr, dev)
                                                                sink += strlen(daxctl_dev_get_devname(dev));
                                        } else if (btt) {
                                                sink += ndctl_btt_get_size(btt);
                                                s = ndctl_btt_get_block_device(btt);
                                                sink += s ? strlen(s) : 0;
                                        } else {
                                                s = ndctl_namespace_get_block_device(ndns);
                                                sink += s ? strlen(s) : 0;
                                        }
                                }
                ndctl_unref(ctx);
                *ret_namespaces = count;
        }
        return 0;
}

int main(int argc, char **argv) {
        int n, count = 0, r;
        long long t0, t1;

        if (argc != 3 || (strcmp(argv[1], "bus") != 0 && strcmp(argv[1], "ndctl") != 0) || (n = atoi(argv[2])) <= 0) {
                fprintf(stderr, "usage: bench-query bus|ndctl N\n");
                return 2;
        }
        t0 = now_us();
        r = strcmp(argv[1], "bus") == 0 ? query_bus(n, &count) : query_ndctl(n, &count);
        t1 = now_us();
        if (r < 0) {
                fprintf(stderr, "bench-query %s: %s\n", argv[1], strerror(-r));
                return 1;
        }
        printf("query %s %d %lld %d\n", argv[1], n, t1 - t0, count);
        return 0;
}
