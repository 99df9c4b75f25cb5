/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* holddev MODE PATH: hold a device the way one of its users would, for the busy checks of
 * the VM tests, until killed.
 *   excl  open it O_RDONLY|O_EXCL: what a mount, a device-mapper target or md does to a
 *         block device (another O_EXCL open then fails with EBUSY); no signature is written
 *   open  open it O_RDONLY and keep the descriptor
 *   mmap  map its start (shared, read-only; 4 KiB of a block device, 2 MiB of a device-dax
 *         one, its alignment) and close the descriptor: only the mapping is left, as with a
 *         devdax user that closed its fd
 * Prints "ready PID" once it holds the device. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        int flags = O_RDONLY | O_CLOEXEC, fd;

        if (argc != 3 || (strcmp(argv[1], "excl") != 0 && strcmp(argv[1], "open") != 0 &&
                          strcmp(argv[1], "mmap") != 0)) {
                fprintf(stderr, "usage: holddev excl|open|mmap PATH\n");
                return 2;
        }
        if (strcmp(argv[1], "excl") == 0)
                flags |= O_EXCL;
        fd = open(argv[2], flags);
        if (fd < 0) {
                fprintf(stderr, "holddev: opening %s: %s\n", argv[2], strerror(errno));
                return 1;
        }
        if (strcmp(argv[1], "mmap") == 0) {
                struct stat st;
                size_t len = fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) ? 2 << 20 : 4096;

                if (mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED) {
                        fprintf(stderr, "holddev: mapping %s: %s\n", argv[2], strerror(errno));
                        return 1;
                }
                close(fd);
        }
        printf("ready %d\n", (int) getpid());
        fflush(stdout);
        for (;;)
                pause();
}
