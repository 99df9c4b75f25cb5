/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

int read_one_line_file(const char *path, char **ret) {
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        FILE *f;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        errno = 0;
        n = getline(&line, &cap, f);
        fclose(f);
        if (n < 0)
                return errno ? -errno : -ENODATA;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
        *ret = TAKE_PTR(line);
        return 0;
}

int read_u64_file(const char *path, uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        unsigned long long v;
        char *end;
        int r;

        r = read_one_line_file(path, &s);
        if (r < 0)
                return r;
        errno = 0;
        v = strtoull(s, &end, 0);
        if (errno || end == s || *end || s[0] == '-')
                return -EINVAL;
        *ret = v;
        return 0;
}

int write_attribute(const char *path, const char *value) {
        int fd, r = 0;

        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, value, strlen(value)) < 0)
                r = -errno;
        close(fd);
        return r;
}
