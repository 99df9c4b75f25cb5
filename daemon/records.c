/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "records.h"
#include "util/log.h"
#include "util/macro.h"

/* systemd passes StateDirectory=/RuntimeDirectory= as $STATE_DIRECTORY/$RUNTIME_DIRECTORY
 * (a ':'-separated list when there are several: then use the default). */
static const char *dir_from_env(const char *var, const char *fallback) {
        const char *d = getenv(var);
        return !isempty(d) && !strchr(d, ':') && d[0] == '/' ? d : fallback;
}

static const char *state_dir(void) {
        return dir_from_env("STATE_DIRECTORY", "/var/lib/pmemnsd");
}

static const char *runtime_dir(void) {
        return dir_from_env("RUNTIME_DIRECTORY", "/run/pmemnsd");
}

bool uuid_string_valid(const char *s) {
        if (!s || strlen(s) != 36)
                return false;
        for (size_t i = 0; i < 36; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
                        return false;
        }
        return true;
}

static int subdir(const char *kind, char *buf, size_t len) {
        snprintf(buf, len, "%s", state_dir());
        if (mkdir(buf, 0700) < 0 && errno != EEXIST)
                return -errno;
        snprintf(buf, len, "%s/%s", state_dir(), kind);
        if (mkdir(buf, 0700) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int fsync_dir(const char *dir) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = 0;

        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                r = -errno;
        close(fd);
        return r;
}

/* Write NAME in state_dir/KIND with CONTENT, durably: the caller acts on the kernel next. */
static int record_write(const char *kind, const char *name, const char *content) {
        char dir[PATH_MAX], path[PATH_MAX + 64], tmp[PATH_MAX + 64];
        size_t len = strlen(content);
        int fd, r;

        r = subdir(kind, dir, sizeof(dir));
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        r = write(fd, content, len) == (ssize_t) len ? 0 : -(errno ?: EIO);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        close(fd);
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r >= 0)
                r = fsync_dir(dir);
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

static void record_remove(const char *kind, const char *name) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s/%s", state_dir(), kind, name);
        if (unlink(path) < 0 && errno != ENOENT)
                log_warning("Cannot remove the record %s: %m", path);
}

const char *current_boot_id(void) {
        static char id[37];
        FILE *f;

        if (id[0])
                return id;
        f = fopen("/proc/sys/kernel/random/boot_id", "re");
        if (f) {
                if (!fgets(id, sizeof(id), f))
                        id[0] = '\0';
                fclose(f);
        }
        id[strcspn(id, "\n")] = '\0';
        return id;
}

int inflight_begin(const InflightRecord *rec) {
        char buf[512];
        int r;

        if (!uuid_string_valid(rec->ns_uuid))
                return -EINVAL;
        snprintf(buf, sizeof(buf), "region=%s\ninstance=%s\nmode=%s\nclaim=%s\nboot=%s\n", rec->region,
                 rec->instance, strempty(ns_mode_to_string(rec->mode)), rec->claim_uuid, rec->boot_id);
        r = record_write("inflight", rec->ns_uuid, buf);
        if (r < 0)
                return log_error_errno(r, "Cannot record the create of '%s' in %s/inflight: %m",
                                       rec->instance, state_dir());
        return 0;
}

void inflight_end(const char *ns_uuid) {
        if (uuid_string_valid(ns_uuid))
                record_remove("inflight", ns_uuid);
}

static void copy_field(char *dst, size_t len, const char *value) {
        size_t n = strnlen(value, len - 1);
        memcpy(dst, value, n);
        dst[n] = '\0';
}

static bool inflight_parse(const char *dir, const char *name, InflightRecord *rec) {
        char path[PATH_MAX], line[256];
        FILE *f;

        *rec = (InflightRecord) { .mode = NS_MODE_RAW };
        copy_field(rec->ns_uuid, sizeof(rec->ns_uuid), name);
        if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int) sizeof(path))
                return false;
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f)) {
                char *v = strchr(line, '=');
                if (!v)
                        continue;
                *v++ = '\0';
                v[strcspn(v, "\n")] = '\0';
                if (streq(line, "region"))
                        copy_field(rec->region, sizeof(rec->region), v);
                else if (streq(line, "instance"))
                        copy_field(rec->instance, sizeof(rec->instance), v);
                else if (streq(line, "claim") && (uuid_string_valid(v) || !*v))
                        copy_field(rec->claim_uuid, sizeof(rec->claim_uuid), v);
                else if (streq(line, "boot"))
                        copy_field(rec->boot_id, sizeof(rec->boot_id), v);
                else if (streq(line, "mode") && ns_mode_from_string(v) >= 0)
                        rec->mode = ns_mode_from_string(v);
        }
        fclose(f);
        return true;
}

int inflight_load(InflightRecord **ret, size_t *ret_n) {
        char dir[PATH_MAX];
        InflightRecord *recs = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *d;

        snprintf(dir, sizeof(dir), "%s/inflight", state_dir());
        d = opendir(dir);
        if (!d) {
                *ret = NULL;
                *ret_n = 0;
                return errno == ENOENT ? 0 : -errno;
        }
        while ((de = readdir(d))) {
                InflightRecord *nr;

                if (!uuid_string_valid(de->d_name))
                        continue;
                nr = realloc(recs, sizeof(InflightRecord) * (n + 1));
                if (!nr) {
                        closedir(d);
                        free(recs);
                        return -ENOMEM;
                }
                recs = nr;
                if (inflight_parse(dir, de->d_name, &recs[n]))
                        n++;
        }
        closedir(d);
        *ret = recs;
        *ret_n = n;
        return 0;
}

int made_add(const char *ns_uuid) {
        if (!uuid_string_valid(ns_uuid))
                return -EINVAL;
        return record_write("made", ns_uuid, "");
}

void made_remove(const char *ns_uuid) {
        if (uuid_string_valid(ns_uuid))
                record_remove("made", ns_uuid);
}

bool made_has(const char *ns_uuid) {
        char path[PATH_MAX];

        if (!uuid_string_valid(ns_uuid))
                return false;
        snprintf(path, sizeof(path), "%s/made/%s", state_dir(), ns_uuid);
        return access(path, F_OK) == 0;
}

/* ---- devices about to be disabled ------------------------------------------------------ */

void disabled_begin(const char *dev) {
        char path[PATH_MAX];
        int fd;

        if (strchr(dev, '/'))
                return; /* kernel device names never have one */
        (void) mkdir(runtime_dir(), 0755);
        snprintf(path, sizeof(path), "%s/disabled.%s", runtime_dir(), dev);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                log_warning("Cannot record that %s is about to be disabled (%s): %m; an "
                            "interruption now would leave it disabled.", dev, path);
        else
                close(fd);
}

void disabled_end(const char *dev) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/disabled.%s", runtime_dir(), dev);
        (void) unlink(path);
}

bool disabled_any(void) {
        DIR *d = opendir(runtime_dir());
        struct dirent *de;
        bool found = false;

        if (!d)
                return false;
        while (!found && (de = readdir(d)))
                found = startswith(de->d_name, "disabled.") && !strchr(de->d_name, '/');
        closedir(d);
        return found;
}

void disabled_foreach(void (*recover)(const char *dev, void *userdata), void *userdata) {
        DIR *d = opendir(runtime_dir());
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                if (!startswith(de->d_name, "disabled.") || strchr(de->d_name, '/'))
                        continue;
                recover(de->d_name + strlen("disabled."), userdata);
                disabled_end(de->d_name + strlen("disabled."));
        }
        closedir(d);
}
