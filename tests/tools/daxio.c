/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test helper for the VM suite: write or verify a seeded pattern through an mmap of a
 * device-dax character device (or any file), at its start and its end.
 *
 *   daxio write  /dev/dax0.0 SEED
 *   daxio verify /dev/dax0.0 SEED
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (UINT64_C(2) << 20)

static uint64_t device_size(const char *path) {
        char sys[256], buf[64];
        const char *base = strrchr(path, '/');
        struct stat st;
        FILE *f;

        snprintf(sys, sizeof(sys), "/sys/bus/dax/devices/%s/size", base ? base + 1 : path);
        f = fopen(sys, "re");
        if (f) {
                uint64_t v = 0;
                if (fgets(buf, sizeof(buf), f))
                        v = strtoull(buf, NULL, 0);
                fclose(f);
                return v;
        }
        if (stat(path, &st) == 0)
                return (uint64_t) st.st_size;
        return 0;
}

static uint64_t next(uint64_t *s) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
}

int main(int argc, char *argv[]) {
        uint64_t size, seed, offsets[2];
        bool write_mode;
        int fd;

        if (argc != 4 || (strcmp(argv[1], "write") && strcmp(argv[1], "verify"))) {
                fprintf(stderr, "usage: daxio write|verify DEVICE SEED\n");
                return 2;
        }
        write_mode = strcmp(argv[1], "write") == 0;
        seed = strtoull(argv[3], NULL, 0) | 1;
        size = device_size(argv[2]);
        if (size < CHUNK) {
                fprintf(stderr, "daxio: %s: size %" PRIu64 " too small\n", argv[2], size);
                return 1;
        }
        fd = open(argv[2], O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "daxio: open %s: %s\n", argv[2], strerror(errno));
                return 1;
        }
        offsets[0] = 0;
        offsets[1] = (size - CHUNK) / CHUNK * CHUNK;
        for (int i = 0; i < 2; i++) {
                uint64_t *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t) offsets[i]);
                uint64_t s = seed + (uint64_t) i;

                if (p == MAP_FAILED) {
                        fprintf(stderr, "daxio: mmap %s at %" PRIu64 ": %s\n", argv[2], offsets[i],
                                strerror(errno));
                        return 1;
                }
                for (uint64_t k = 0; k < CHUNK / 8; k++) {
                        uint64_t v = next(&s);
                        if (write_mode)
                                p[k] = v;
                        else if (p[k] != v) {
                                fprintf(stderr, "daxio: %s: mismatch at offset %" PRIu64 "\n", argv[2],
                                        offsets[i] + k * 8);
                                return 1;
                        }
                }
                /* device-dax has no fsync: msync() says EINVAL there, stores are durable
                 * once flushed from the CPU cache, which munmap() does not need */
                if (write_mode && msync(p, CHUNK, MS_SYNC) < 0 && errno != EINVAL) {
                        fprintf(stderr, "daxio: msync: %s\n", strerror(errno));
                        return 1;
                }
                munmap(p, CHUNK);
        }
        close(fd);
        printf("daxio: %s %s OK (%" PRIu64 " bytes device)\n", argv[1], argv[2], size);
        return 0;
}
