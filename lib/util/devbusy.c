/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "util/devbusy.h"
#include "util/macro.h"

static bool is_device(const struct stat *st, dev_t rdev, mode_t type) {
        return (st->st_mode & S_IFMT) == type && st->st_rdev == rdev;
}

static bool fds_use(int procfd, dev_t rdev, mode_t type) {
        struct dirent *de;
        struct stat st;
        DIR *d;
        int fd;
        bool found = false;

        fd = openat(procfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return false;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return false;
        }
        while (!found && (de = readdir(d)))
                if (de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) == 0)
                        found = is_device(&st, rdev, type);
        closedir(d);
        return found;
}

static bool maps_use(int procfd, dev_t rdev, mode_t type, DevBusyFlags flags) {
        _cleanup_free_ char *line = NULL;
        unsigned long long last_ino = 0;
        char last_dev[32] = "", rooted[PATH_MAX + 8];
        size_t size = 0;
        bool found = false, map_files = !(flags & DEVBUSY_NO_MAP_FILES);
        int fd, mfd = -1;
        FILE *f;

        fd = openat(procfd, "maps", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        f = fdopen(fd, "re");
        if (!f) {
                close(fd);
                return false;
        }
        if (map_files)
                mfd = openat(procfd, "map_files", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        while (!found && getline(&line, &size, f) > 0) {
                unsigned long start, end;
                unsigned long long ino;
                char dev[32], name[64];
                struct stat st;
                int pos = 0;
                char *path;

                /* start-end perms offset MAJ:MIN inode   path */
                if (sscanf(line, "%lx-%lx %*s %*s %31s %llu %n", &start, &end, dev, &ino, &pos) < 4 ||
                    ino == 0 || pos == 0)
                        continue;
                /* the same file as the line before (a library's segments): same answer */
                if (ino == last_ino && streq(dev, last_dev))
                        continue;
                last_ino = ino;
                snprintf(last_dev, sizeof(last_dev), "%s", dev);

                if (mfd >= 0) {
                        snprintf(name, sizeof(name), "%lx-%lx", start, end);
                        if (fstatat(mfd, name, &st, 0) == 0) {
                                found = is_device(&st, rdev, type);
                                continue;
                        }
                        if (errno == EPERM || errno == EACCES) {
                                /* no CAP_SYS_ADMIN: paths from here on */
                                close(mfd);
                                mfd = -1;
                        }
                }
                path = line + pos;
                path[strcspn(path, "\n")] = '\0';
                if (path[0] != '/')
                        continue;
                /* the node the mapping was made through is gone: nothing to look up */
                if (strlen(path) > 10 && streq(path + strlen(path) - 10, " (deleted)"))
                        continue;
                /* the path as the process sees it: its root, its mount namespace */
                if (strlen(path) < sizeof(rooted) - 5) {
                        snprintf(rooted, sizeof(rooted), "root%s", path);
                        if (fstatat(procfd, rooted, &st, 0) == 0)
                                found = is_device(&st, rdev, type);
                }
        }
        if (mfd >= 0)
                close(mfd);
        fclose(f);
        return found;
}

static int pid_use(int procfd, dev_t rdev, mode_t type, DevBusyFlags flags, bool *ret_mapped) {
        bool mapped = false;

        if (!fds_use(procfd, rdev, type)) {
                if (!maps_use(procfd, rdev, type, flags))
                        return 0;
                mapped = true;
        }
        if (ret_mapped)
                *ret_mapped = mapped;
        return 1;
}

int devbusy_pid(pid_t pid, dev_t rdev, mode_t type, DevBusyFlags flags, bool *ret_mapped) {
        char path[64];
        int procfd, r;

        snprintf(path, sizeof(path), "/proc/%d", (int) pid);
        procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0)
                return 0;
        r = pid_use(procfd, rdev, type, flags, ret_mapped);
        close(procfd);
        return r;
}

int devbusy_find(dev_t rdev, mode_t type, pid_t except, DevUser *ret) {
        struct dirent *de;
        DIR *proc;
        int r = 0;

        proc = opendir("/proc");
        if (!proc)
                return -errno;
        while (r == 0 && (de = readdir(proc))) {
                char *end;
                unsigned long pid = strtoul(de->d_name, &end, 10);
                bool mapped = false;
                int procfd;

                if (de->d_name[0] < '1' || de->d_name[0] > '9' || *end || pid > INT_MAX ||
                    (pid_t) pid == except)
                        continue;
                procfd = openat(dirfd(proc), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (procfd < 0)
                        continue;
                r = pid_use(procfd, rdev, type, 0, &mapped);
                if (r > 0 && ret) {
                        int cfd = openat(procfd, "comm", O_RDONLY | O_CLOEXEC);
                        ssize_t n = cfd >= 0 ? read(cfd, ret->comm, sizeof(ret->comm) - 1) : -1;

                        if (cfd >= 0)
                                close(cfd);
                        ret->comm[n > 0 ? n : 0] = '\0';
                        ret->comm[strcspn(ret->comm, "\n")] = '\0';
                        ret->pid = (pid_t) pid;
                        ret->mapped = mapped;
                }
                close(procfd);
        }
        closedir(proc);
        return r;
}

const char *devuser_describe(const DevUser *u, char *buf, size_t size) {
        char comm[sizeof(u->comm)];
        size_t i;

        /* a process name is anyone's choice: printable ASCII only */
        for (i = 0; u->comm[i] && i < sizeof(comm) - 1; i++)
                comm[i] = u->comm[i] >= 0x20 && u->comm[i] < 0x7f ? u->comm[i] : '?';
        comm[i] = '\0';
        snprintf(buf, size, "process %d (%s) has it %s", (int) u->pid, comm,
                 u->mapped ? "mapped" : "open");
        return buf;
}
