/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading one configuration file or directory safely: its type, owner, mode and size are
 * checked before a byte of it is read, and each refusal is a diagnostic, not an error. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "conf/conf-internal.h"
#include "util/macro.h"
#include "util/size.h"

static const char *file_type_name(mode_t m) {
        if (S_ISDIR(m))
                return "a directory";
        if (S_ISFIFO(m))
                return "a FIFO";
        if (S_ISCHR(m))
                return "a character device";
        if (S_ISBLK(m))
                return "a block device";
        if (S_ISSOCK(m))
                return "a socket";
        return "not a regular file";
}

/* A policy decides what root does to persistent memory (which space is carved, what is
 * onlined as system RAM), so one that another user can change gives that user root's say
 * over the NVDIMMs. Like sshd's StrictModes, such a file or directory is refused: it must
 * be owned by root (or by the user running pmemnsd, for --check on one's own tree) and not
 * writable by its group or by others. Returns 1 when a problem was added. */
static int check_owner_and_mode(ConfDiags *diags, const char *path, const struct stat *st,
                                const char *what) {
        int r = 0;

        if (st->st_uid != 0 && st->st_uid != geteuid())
                r = conf_diag_add(diags, path, 0, NULL,
                                  "%s is owned by uid %u, not by root; a configuration that "
                                  "another user can change is refused (chown root)",
                                  what, (unsigned) st->st_uid);
        else if (st->st_mode & (S_IWGRP | S_IWOTH))
                r = conf_diag_add(diags, path, 0, NULL,
                                  "%s is writable by %s (mode %04o); a configuration that another "
                                  "user can change is refused (chmod go-w)", what,
                                  st->st_mode & S_IWOTH ? "everyone" : "its group",
                                  (unsigned) (st->st_mode & 07777));
        else
                return 0;
        return r < 0 ? r : 1;
}

int conf_check_dir(ConfDiags *diags, const char *dir) {
        struct stat st;

        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return 0; /* missing: nothing is read from it */
        return check_owner_and_mode(diags, dir, &st, "the directory");
}

#define FILE_DIAG(diags, path, ...)                                                       \
        (conf_diag_add((diags), (path), 0, NULL, __VA_ARGS__) < 0 ? -ENOMEM : 0)

/* Open a configuration file for reading. It is opened with O_PATH and checked before it is
 * opened for reading, so that a FIFO (which would block), a device node (which may act on
 * open, or never end, like /dev/zero) or a directory is reported without being read.
 * Returns 0 with *ret_fd < 0 when a problem was reported; *ret_size: st_size. */
static int open_checked(ConfDiags *diags, const char *path, int *ret_fd, size_t *ret_size) {
        _cleanup_close_ int pfd = -EBADF, fd = -EBADF;
        struct stat st, st2;
        char proc[64];
        int r;

        pfd = open(path, O_PATH | O_CLOEXEC);
        if (pfd < 0 || fstat(pfd, &st) < 0)
                return FILE_DIAG(diags, path, "cannot read file: %s", strerror(errno));
        if (!S_ISREG(st.st_mode)) {
                char target[256];
                ssize_t n = readlink(path, target, sizeof(target) - 1);

                if (n > 0)
                        target[n] = '\0';
                return FILE_DIAG(diags, path,
                                 "%s%s%s is %s; configuration files must be regular files",
                                 n > 0 ? "the symbolic link to '" : "the file",
                                 n > 0 ? target : "", n > 0 ? "'" : "",
                                 file_type_name(st.st_mode));
        }
        r = check_owner_and_mode(diags, path, &st, "the file");
        if (r != 0)
                return r < 0 ? r : 0;
        if ((uint64_t) st.st_size > CONF_FILE_SIZE_MAX)
                return FILE_DIAG(diags, path,
                                 "the file is %" PRIu64 " bytes, larger than the %s configuration "
                                 "files may be", (uint64_t) st.st_size,
                                 FORMAT_SIZE(CONF_FILE_SIZE_MAX));

        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
        fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 && errno == ENOENT) /* no /proc: by name, checked below */
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st2) < 0)
                return FILE_DIAG(diags, path, "cannot read file: %s", strerror(errno));
        if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)
                return FILE_DIAG(diags, path, "the file was replaced while it was being opened");

        *ret_fd = fd;
        fd = -EBADF;
        *ret_size = (size_t) st.st_size;
        return 0;
}

/* Read fd to its end, refusing more than CONF_FILE_SIZE_MAX bytes. size_hint is only a hint
 * (files in /proc show 0): read up to one byte past the limit. Returns 0 with *ret NULL
 * when a problem was reported. */
static int read_all(ConfDiags *diags, const char *path, int fd, size_t size_hint, char **ret,
                    size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, alloc;

        alloc = MAX(size_hint + 1, (size_t) 4096);
        alloc = MIN(alloc, (size_t) CONF_FILE_SIZE_MAX + 1);
        buf = malloc(alloc);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k;

                if (len == alloc) {
                        char *n;

                        if (alloc > CONF_FILE_SIZE_MAX)
                                return FILE_DIAG(diags, path,
                                                 "the file is larger than the %s configuration "
                                                 "files may be", FORMAT_SIZE(CONF_FILE_SIZE_MAX));
                        alloc = MIN(alloc * 2, (size_t) CONF_FILE_SIZE_MAX + 1);
                        n = realloc(buf, alloc);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                }
                k = read(fd, buf + len, alloc - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return FILE_DIAG(diags, path, "cannot read file: %s", strerror(errno));
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int conf_read_file(ConfDiags *diags, const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;
        size_t size_hint = 0;
        int r;

        *ret = NULL;
        *ret_len = 0;
        r = open_checked(diags, path, &fd, &size_hint);
        if (r < 0 || fd < 0)
                return r;
        return read_all(diags, path, fd, size_hint, ret, ret_len);
}
