/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The busy check by device number (util/devbusy.c): a child process opens or maps a
 * device through a node of its own (mknod in a temporary directory, as a user could do with
 * a devdax or pmem device) and the check must see it, where comparing /proc paths with
 * "/dev/NAME" (what char_device_is_open() did) would not. Needs mknod (CAP_MKNOD and a
 * filesystem that allows device nodes): without it the test is skipped (exit 77). */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "tests.h"
#include "util/devbusy.h"
#include "util/macro.h"

static char dir[] = "/tmp/test-devbusy.XXXXXX";

typedef struct Child {
        pid_t pid;
        int go; /* closed by the parent: the child exits */
} Child;

typedef enum How { HOW_OPEN, HOW_MAP } How;

/* A child that opens path (and with HOW_MAP maps one page of it and closes the descriptor)
 * and waits until the parent is done. */
static Child child_start(const char *path, How how) {
        int ready[2], go[2];
        Child c = { .pid = -1, .go = -1 };
        char b = 0;

        if (pipe(ready) < 0 || pipe(go) < 0)
                return c;
        c.pid = fork();
        if (c.pid == 0) {
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                char x;

                close(ready[0]);
                close(go[1]);
                if (fd < 0)
                        _exit(1);
                if (how == HOW_MAP) {
                        if (mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED)
                                _exit(2);
                        close(fd);
                }
                if (write(ready[1], "r", 1) != 1)
                        _exit(3);
                (void) !read(go[0], &x, 1);
                _exit(0);
        }
        close(ready[1]);
        close(go[0]);
        if (c.pid < 0 || read(ready[0], &b, 1) != 1 || b != 'r') {
                printf("#   child for %s did not get ready\n", path);
                test_failures++;
        }
        close(ready[0]);
        c.go = go[1];
        return c;
}

static void child_stop(Child *c) {
        if (c->go >= 0)
                close(c->go);
        if (c->pid > 0)
                (void) waitpid(c->pid, NULL, 0);
        c->pid = -1;
        c->go = -1;
}

/* The old check: does any /proc/PID/fd link or maps line of pid name want? */
static bool path_compare_finds(pid_t pid, const char *want) {
        char path[64], target[PATH_MAX], line[PATH_MAX + 128];
        struct dirent *de;
        bool found = false;
        FILE *f;
        DIR *d;

        snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
        d = opendir(path);
        while (d && !found && (de = readdir(d))) {
                char link[sizeof(path) + 300];
                ssize_t n;
                snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
                n = readlink(link, target, sizeof(target) - 1);
                if (n > 0) {
                        target[n] = '\0';
                        found = streq(target, want);
                }
        }
        if (d)
                closedir(d);
        snprintf(path, sizeof(path), "/proc/%d/maps", (int) pid);
        f = fopen(path, "re");
        while (f && !found && fgets(line, sizeof(line), f))
                found = strstr(line, want) != NULL;
        if (f)
                fclose(f);
        return found;
}

/* The MAJ:MIN field of pid's maps line for path ("" if none). */
static void maps_dev_of(pid_t pid, const char *path, char *dev, size_t size) {
        char p[64], line[PATH_MAX + 128];
        FILE *f;

        dev[0] = '\0';
        snprintf(p, sizeof(p), "/proc/%d/maps", (int) pid);
        f = fopen(p, "re");
        while (f && fgets(line, sizeof(line), f)) {
                char d[32];
                line[strcspn(line, "\n")] = '\0';
                if (strstr(line, path) && sscanf(line, "%*s %*s %*s %31s", d) == 1) {
                        snprintf(dev, size, "%s", d);
                        break;
                }
        }
        if (f)
                fclose(f);
}

static void alias(const char *name, dev_t rdev, char *out, size_t size) {
        snprintf(out, size, "%s/%s", dir, name);
        int fd;

        if (mknod(out, S_IFCHR | 0600, rdev) < 0) {
                printf("# mknod %s: %s: skipping\n", out, strerror(errno));
                rmdir(dir);
                exit(77);
        }
        /* a nodev mount lets mknod through but not the open */
        fd = open(out, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                printf("# open %s: %s: skipping\n", out, strerror(errno));
                unlink(out);
                rmdir(dir);
                exit(77);
        }
        close(fd);
}

/* Can we follow pid's /proc/PID/map_files links (CAP_SYS_ADMIN in the initial namespace)? */
static bool map_files_readable(pid_t pid) {
        char path[64];
        struct dirent *de;
        struct stat st;
        bool ok = false;
        DIR *d;

        snprintf(path, sizeof(path), "/proc/%d/map_files", (int) pid);
        d = opendir(path);
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.') {
                        ok = fstatat(dirfd(d), de->d_name, &st, 0) == 0;
                        break;
                }
        if (d)
                closedir(d);
        return ok;
}

TEST(open_through_alias) {
        dev_t full = makedev(1, 7); /* /dev/full: nobody else is likely to hold it open */
        char node[PATH_MAX];
        bool mapped = true;
        DevUser u = {};
        Child c;

        alias("full", full, node, sizeof(node));
        c = child_start(node, HOW_OPEN);
        CHECK_INT(devbusy_pid(c.pid, full, S_IFCHR, 0, &mapped), 1);
        CHECK(!mapped);
        /* the path compare misses it, it sees only the alias's path */
        CHECK(!path_compare_finds(c.pid, "/dev/full"));
        CHECK(path_compare_finds(c.pid, node));
        /* type and number must both match */
        CHECK_INT(devbusy_pid(c.pid, full, S_IFBLK, 0, NULL), 0);
        CHECK_INT(devbusy_pid(c.pid, makedev(1, 8), S_IFCHR, 0, NULL), 0);
        /* over all processes, ourselves excepted */
        CHECK_INT(devbusy_find(full, S_IFCHR, getpid(), &u), 1);
        child_stop(&c);
        CHECK_INT(devbusy_pid(c.pid, full, S_IFCHR, 0, NULL), 0);
        unlink(node);
}

TEST(mapped_through_alias) {
        dev_t zero = makedev(1, 5); /* /dev/zero: a private mapping keeps the file */
        char node[PATH_MAX], dev[32], want[32];
        bool mapped = false;
        Child c;

        alias("zero", zero, node, sizeof(node));
        c = child_start(node, HOW_MAP);
        /* the descriptor is closed: only the mapping is left */
        CHECK_INT(devbusy_pid(c.pid, zero, S_IFCHR, 0, &mapped), 1);
        CHECK(mapped);
        /* the path fallback (no CAP_SYS_ADMIN for map_files) finds it too */
        CHECK_INT(devbusy_pid(c.pid, zero, S_IFCHR, DEVBUSY_NO_MAP_FILES, NULL), 1);
        CHECK(!path_compare_finds(c.pid, "/dev/zero"));
        /* maps' MAJ:MIN is the filesystem of the node, not the device: 01:05 is not there */
        maps_dev_of(c.pid, node, dev, sizeof(dev));
        snprintf(want, sizeof(want), "%02x:%02x", major(zero), minor(zero));
        CHECK(dev[0] != '\0');
        CHECK(!streq(dev, want));
        printf("# maps shows %s for the mapping of %s (char %s)\n", dev, node, want);
        CHECK_INT(devbusy_pid(c.pid, zero, S_IFBLK, 0, NULL), 0);

        /* the alias deleted while mapped: map_files still leads to it */
        unlink(node);
        if (map_files_readable(c.pid))
                CHECK_INT(devbusy_pid(c.pid, zero, S_IFCHR, 0, &mapped), 1);
        else
                printf("# no access to map_files: a mapping of a deleted node is not found\n");
        CHECK_INT(devbusy_pid(c.pid, zero, S_IFCHR, DEVBUSY_NO_MAP_FILES, NULL), 0);
        child_stop(&c);
}

/* A process whose fd links and maps the checker may not follow (its capabilities are not
 * a subset of the checker's: a service with a bounding set looking at a root process) is
 * "cannot tell", never "free". */
TEST(no_access_is_not_free) {
        dev_t full = makedev(1, 7);
        char node[PATH_MAX];
        pid_t checker;
        int status = 0;
        Child c;

        if (geteuid() != 0) {
                printf("# not root: the checker cannot have fewer capabilities than the holder\n");
                return;
        }
        alias("full2", full, node, sizeof(node));
        c = child_start(node, HOW_OPEN);
        checker = fork();
        if (checker == 0) {
                struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
                struct __user_cap_data_struct d[2] = {};
                DevUser u = {};
                int r;

                if (syscall(SYS_capset, &h, d) < 0)
                        _exit(10);
                r = devbusy_pid(c.pid, full, S_IFCHR, 0, NULL);
                if (r != -EACCES)
                        _exit(20 + (r < 0 ? 9 : r));
                /* over all processes: the holder cannot be looked at, nothing else has it */
                r = devbusy_find(full, S_IFCHR, getpid(), &u);
                _exit(r == -EACCES && u.unknown && u.pid > 0 ? 0 : r == 1 ? 31 : 32);
        }
        CHECK(checker > 0 && waitpid(checker, &status, 0) == checker);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                printf("#   the checker without capabilities exited with %d\n", WEXITSTATUS(status));
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        child_stop(&c);
        unlink(node);
}

TEST(the_holder_is_described_by_pid_and_command) {
        DevUser u = { .pid = 42, .comm = "qemu\033[1m", .mapped = true };
        char buf[128];

        CHECK_STR(devuser_describe(&u, buf, sizeof(buf)), "process 42 (qemu?[1m) has it mapped");
        u.mapped = false;
        CHECK_STR(devuser_describe(&u, buf, sizeof(buf)), "process 42 (qemu?[1m) has it open");
        u.unknown = true;
        CHECK_STR(devuser_describe(&u, buf, sizeof(buf)), "process 42 (qemu?[1m) cannot be looked at");
}

/* runs before the tests (constructor): the directory the aliases go in */
__attribute__((constructor)) static void setup(void) {
        if (!mkdtemp(dir)) {
                printf("# mkdtemp: %s: skipping\n", strerror(errno));
                exit(77);
        }
}

__attribute__((destructor)) static void cleanup(void) {
        rmdir(dir);
}
