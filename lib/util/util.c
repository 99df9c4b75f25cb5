/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "macro.h"

char *strdup_or_null(const char *s) {
        return s ? strdup(s) : NULL;
}

int strv_push(char ***l, size_t *n, const char *s) {
        char **nl, *c;

        c = strdup(s);
        if (!c)
                return -ENOMEM;
        nl = realloc(*l, sizeof(char *) * (*n + 2));
        if (!nl) {
                free(c);
                return -ENOMEM;
        }
        nl[(*n)++] = c;
        nl[*n] = NULL;
        *l = nl;
        return 0;
}

void strv_free(char **l) {
        if (!l)
                return;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
}

bool strv_contains(char *const *l, const char *s) {
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

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
