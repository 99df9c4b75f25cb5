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

static bool denied(int e) {
        return e == EACCES || e == EPERM;
}

/* 1: one of the process's descriptors is the device; 0: none; -EACCES: cannot tell. */
static int fds_use(int procfd, dev_t rdev, mode_t type) {
        struct dirent *de;
        struct stat st;
        DIR *d;
        int fd, r = 0;

        fd = openat(procfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return denied(errno) ? -EACCES : 0; /* ENOENT: gone */
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return 0;
        }
        while (r == 0 && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                /* following the link needs ptrace read access to the process */
                if (fstatat(dirfd(d), de->d_name, &st, 0) == 0)
                        r = is_device(&st, rdev, type);
                else if (denied(errno))
                        r = -EACCES;
        }
        closedir(d);
        return r;
}

/* 1: the process maps the device; 0: not; -EACCES: cannot tell. */
static int maps_use(int procfd, dev_t rdev, mode_t type, DevBusyFlags flags) {
        _cleanup_free_ char *line = NULL;
        unsigned long long last_ino = 0;
        char last_dev[32] = "", rooted[PATH_MAX + 8];
        size_t size = 0;
        bool map_files = !(flags & DEVBUSY_NO_MAP_FILES);
        int fd, mfd = -1, r = 0;
        FILE *f;

        fd = openat(procfd, "maps", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return denied(errno) ? -EACCES : 0;
        f = fdopen(fd, "re");
        if (!f) {
                close(fd);
                return 0;
        }
        if (map_files)
                mfd = openat(procfd, "map_files", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        errno = 0;
        while (r == 0 && getline(&line, &size, f) > 0) {
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
                                r = is_device(&st, rdev, type);
                                continue;
                        }
                        if (denied(errno)) {
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
                                r = is_device(&st, rdev, type);
                }
        }
        /* a read refused half-way (the process changed its credentials) */
        if (r == 0 && ferror(f) && denied(errno))
                r = -EACCES;
        if (mfd >= 0)
                close(mfd);
        fclose(f);
        return r;
}

static int pid_use(int procfd, dev_t rdev, mode_t type, DevBusyFlags flags, bool *ret_mapped) {
        int fds, maps;

        fds = fds_use(procfd, rdev, type);
        if (fds > 0) {
                if (ret_mapped)
                        *ret_mapped = false;
                return 1;
        }
        maps = maps_use(procfd, rdev, type, flags);
        if (maps > 0) {
                if (ret_mapped)
                        *ret_mapped = true;
                return 1;
        }
        return fds < 0 ? fds : maps;
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

static void read_comm(int procfd, char *comm, size_t size) {
        int fd = openat(procfd, "comm", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, comm, size - 1) : -1;

        if (fd >= 0)
                close(fd);
        comm[n > 0 ? n : 0] = '\0';
        comm[strcspn(comm, "\n")] = '\0';
}

int devbusy_find(dev_t rdev, mode_t type, pid_t except, DevUser *ret) {
        DevUser unknown = {};
        struct dirent *de;
        DIR *proc;
        int r = 0;

        proc = opendir("/proc");
        if (!proc)
                return -errno;
        while (r <= 0 && (de = readdir(proc))) {
                char *end;
                unsigned long pid = strtoul(de->d_name, &end, 10);
                bool mapped = false;
                int procfd, k;

                if (de->d_name[0] < '1' || de->d_name[0] > '9' || *end || pid > INT_MAX ||
                    (pid_t) pid == except)
                        continue;
                procfd = openat(dirfd(proc), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (procfd < 0)
                        continue;
                k = pid_use(procfd, rdev, type, 0, &mapped);
                if (k > 0) {
                        r = 1;
                        if (ret) {
                                *ret = (DevUser) { .pid = (pid_t) pid, .mapped = mapped };
                                read_comm(procfd, ret->comm, sizeof(ret->comm));
                        }
                } else if (k < 0 && r == 0) {
                        /* keep looking for one that certainly uses it */
                        r = k;
                        unknown = (DevUser) { .pid = (pid_t) pid, .unknown = true };
                        read_comm(procfd, unknown.comm, sizeof(unknown.comm));
                }
                close(procfd);
        }
        closedir(proc);
        if (r < 0 && ret)
                *ret = unknown;
        return r;
}

const char *devuser_describe(const DevUser *u, char *buf, size_t size) {
        char comm[sizeof(u->comm)];
        size_t i;

        /* a process name is anyone's choice: printable ASCII only */
        for (i = 0; u->comm[i] && i < sizeof(comm) - 1; i++)
                comm[i] = u->comm[i] >= 0x20 && u->comm[i] < 0x7f ? u->comm[i] : '?';
        comm[i] = '\0';
        if (u->unknown)
                snprintf(buf, size, "process %d (%s) cannot be looked at", (int) u->pid, comm);
        else
                snprintf(buf, size, "process %d (%s) has it %s", (int) u->pid, comm,
                         u->mapped ? "mapped" : "open");
        return buf;
}
