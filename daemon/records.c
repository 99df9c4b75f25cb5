/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "records.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/size.h"
#include "util/strv.h"

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

/* The names in state_dir/KIND that valid() accepts (a record's file name is its key). */
static int records_list(const char *kind, bool (*valid)(const char *name), char ***ret, size_t *ret_n) {
        char dir[PATH_MAX];
        struct dirent *de;
        DIR *d;

        *ret = NULL;
        *ret_n = 0;
        snprintf(dir, sizeof(dir), "%s/%s", state_dir(), kind);
        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d)))
                if (valid(de->d_name) && strv_push(ret, ret_n, de->d_name) < 0) {
                        closedir(d);
                        strv_free(*ret);
                        *ret = NULL;
                        return -ENOMEM;
                }
        closedir(d);
        return 0;
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

static bool uuid_name_valid(const char *name) {
        return uuid_string_valid(name);
}

int inflight_load(InflightRecord **ret, size_t *ret_n) {
        _cleanup_(strv_freep) char **names = NULL;
        char dir[PATH_MAX];
        InflightRecord *recs;
        size_t n_names, n = 0;
        int r;

        *ret = NULL;
        *ret_n = 0;
        r = records_list("inflight", uuid_name_valid, &names, &n_names);
        if (r < 0 || n_names == 0)
                return r;
        recs = calloc(n_names, sizeof(InflightRecord));
        if (!recs)
                return -ENOMEM;
        snprintf(dir, sizeof(dir), "%s/inflight", state_dir());
        for (size_t i = 0; i < n_names; i++)
                if (inflight_parse(dir, names[i], &recs[n]))
                        n++;
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

/* ---- CXL region assemblies ------------------------------------------------------------ */

static void u64_list_format(FILE *f, const char *key, const uint64_t *v, size_t n) {
        fprintf(f, "%s=", key);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%" PRIu64, i ? "," : "", v[i]);
        fputc('\n', f);
}

int cxl_record_save(const CxlRecord *rec) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        if (!policy_name_is_valid(rec->name) || !uuid_string_valid(rec->uuid))
                return -EINVAL;
        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "uuid=%s\n", rec->uuid);
        u64_list_format(f, "memdevs", rec->memdevs, rec->n_memdevs);
        if (rec->dpa_before)
                u64_list_format(f, "dpa-before", rec->dpa_before, rec->n_memdevs);
        fprintf(f, "size=%" PRIu64 "\ngranularity=%u\ndecoders=", rec->size, rec->granularity);
        for (size_t i = 0; rec->decoders && rec->decoders[i]; i++)
                fprintf(f, "%s%s", i ? "," : "", rec->decoders[i]);
        fprintf(f, "\nassembled=%s\n", rec->assembled ? "yes" : "no");
        if (rec->creating)
                fprintf(f, "creating=%s\nboot=%s\n", rec->creating, rec->boot_id);
        if (fclose(f) != 0)
                return -ENOMEM;
        r = record_write("cxl", rec->name, buf);
        if (r < 0)
                return log_error_errno(r, "Cannot record the assembly of cxl-region '%s' in %s/cxl: %m",
                                       rec->name, state_dir());
        return 0;
}

void cxl_record_remove(const char *name) {
        if (policy_name_is_valid(name))
                record_remove("cxl", name);
}

/* "1,2,3" -> a new array of n numbers; -EINVAL if any is not one */
static int u64_list_parse(const char *v, uint64_t **ret, size_t *ret_n) {
        _cleanup_free_ char *copy = strdup(v);
        _cleanup_free_ uint64_t *a = NULL;
        size_t n = 0;
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                uint64_t *g = reallocarray(a, n + 1, sizeof(uint64_t));
                if (!g)
                        return -ENOMEM;
                a = g;
                if (parse_u64(t, &a[n++]) < 0)
                        return -EINVAL;
        }
        free(*ret);
        *ret = TAKE_PTR(a);
        *ret_n = n;
        return 0;
}

static int names_parse(const char *v, char ***ret) {
        _cleanup_free_ char *copy = strdup(v);
        char *save = NULL;
        size_t n = 0;

        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                if (strv_push(ret, &n, t) < 0)
                        return -ENOMEM;
        return 0;
}

static int cxl_record_parse(const char *dir, const char *name, CxlRecord *rec) {
        _cleanup_free_ uint64_t *dpa = NULL;
        char path[PATH_MAX], line[1024];
        size_t n_dpa = 0;
        int r = 0;
        FILE *f;

        *rec = (CxlRecord) { .name = strdup(name) };
        if (!rec->name)
                return -ENOMEM;
        if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (r >= 0 && fgets(line, sizeof(line), f)) {
                char *v = strchr(line, '=');
                uint64_t g;

                if (!v)
                        continue;
                *v++ = '\0';
                v[strcspn(v, "\n")] = '\0';
                if (streq(line, "uuid")) {
                        if (!uuid_string_valid(v))
                                r = -EBADMSG;
                        else
                                memcpy(rec->uuid, v, sizeof(rec->uuid));
                } else if (streq(line, "memdevs"))
                        r = u64_list_parse(v, &rec->memdevs, &rec->n_memdevs);
                else if (streq(line, "dpa-before"))
                        r = u64_list_parse(v, &dpa, &n_dpa);
                else if (streq(line, "size"))
                        r = parse_u64(v, &rec->size);
                else if (streq(line, "granularity")) {
                        r = parse_u64(v, &g);
                        if (r >= 0 && g > UINT32_MAX)
                                r = -EBADMSG;
                        rec->granularity = r >= 0 ? (unsigned) g : 0;
                } else if (streq(line, "decoders"))
                        r = names_parse(v, &rec->decoders);
                else if (streq(line, "assembled"))
                        rec->assembled = streq(v, "yes");
                else if (streq(line, "creating") && *v && !strchr(v, '/')) {
                        free(rec->creating);
                        rec->creating = strdup(v);
                        if (!rec->creating)
                                r = -ENOMEM;
                } else if (streq(line, "boot"))
                        snprintf(rec->boot_id, sizeof(rec->boot_id), "%s", v);
        }
        fclose(f);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || isempty(rec->uuid) || rec->n_memdevs == 0)
                return -EBADMSG;
        if (n_dpa == rec->n_memdevs)
                rec->dpa_before = TAKE_PTR(dpa);
        return 0;
}

int cxl_records_load(CxlRecord **ret, size_t *ret_n) {
        _cleanup_(strv_freep) char **names = NULL;
        char dir[PATH_MAX];
        CxlRecord *recs;
        size_t n_names, n = 0;
        int r;

        *ret = NULL;
        *ret_n = 0;
        r = records_list("cxl", policy_name_is_valid, &names, &n_names);
        if (r < 0 || n_names == 0)
                return r;
        recs = calloc(n_names, sizeof(CxlRecord));
        if (!recs)
                return -ENOMEM;
        snprintf(dir, sizeof(dir), "%s/cxl", state_dir());
        for (size_t i = 0; i < n_names; i++) {
                r = cxl_record_parse(dir, names[i], &recs[n]);
                if (r == -ENOMEM) {
                        cxl_records_free(recs, n + 1);
                        return r;
                }
                if (r < 0) {
                        log_warning_errno(r, "Ignoring the CXL record %s/%s: %m", dir, names[i]);
                        cxl_record_done(&recs[n]);
                        continue;
                }
                n++;
        }
        *ret = recs;
        *ret_n = n;
        return 0;
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
