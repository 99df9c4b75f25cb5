/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "job-json.h"
#include "json-read.h"
#include "manager.h"
#include "state-json.h"
#include "util/macro.h"
#include "util/string-table.h"
#include "util/strv.h"

static const char *const job_kind_table[_JOB_KIND_MAX] = {
        [JOB_APPLY] = "apply",
        [JOB_RECONCILE] = "reconcile",
        [JOB_CREATE] = "create",
        [JOB_DESTROY] = "destroy",
        [JOB_READ] = "read",
        [JOB_LOAD_MODULES] = "load-modules",
};

DEFINE_STRING_TABLE_LOOKUP(job_kind, JobKind, _JOB_KIND_MAX)

void json_write_line(int fd, json_object *o) {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        size_t len = strlen(s), done = 0;

        while (done <= len) {
                /* the text, then its newline */
                const char *p = done < len ? s + done : "\n";
                size_t left = done < len ? len - done : 1;
                ssize_t k = write(fd, p, left);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return; /* the daemon is gone: nobody to tell */
                done += (size_t) k;
        }
}

/* Every key is written, null for a NULL string: the reader is strict (json-read.h). */
static void add_string(json_object *o, const char *key, const char *value) {
        json_object_object_add(o, key, json_string_or_null(value));
}

/* ---- the job ------------------------------------------------------------------------ */

json_object *job_to_json(const Job *j, const Config *config) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *files = json_object_new_array(), *c = json_object_new_object();

        if (!o || !files || !c) {
                json_object_put(files);
                json_object_put(c);
                return NULL;
        }
        json_object_object_add(o, "job", json_object_new_string(job_kind_to_string(j->kind)));
        json_object_object_add(o, "start", json_object_new_boolean(j->start));
        for (size_t i = 0; i < config->n_texts && i < config->n_files; i++) {
                json_object *f = json_object_new_object();
                add_string(f, "path", config->files[i]);
                add_string(f, "text", config->texts[i]);
                json_object_array_add(files, f);
        }
        json_object_object_add(c, "files", files);
        json_object_object_add(c, "main_read", json_object_new_boolean(config->main_read));
        json_object_object_add(o, "config", c);
        if (j->kind == JOB_CREATE) {
                json_object *r = json_object_new_object();
                add_string(r, "region", j->request.region);
                add_string(r, "name", j->request.name);
                json_object_object_add(r, "mode", json_object_new_int(j->request.mode));
                json_object_object_add(r, "size", json_object_new_uint64(j->request.size));
                json_object_object_add(r, "map", json_object_new_int(j->request.map));
                json_object_object_add(r, "align", json_object_new_uint64(j->request.align));
                json_object_object_add(r, "sector_size", json_object_new_uint64(j->request.sector_size));
                json_object_object_add(o, "create", r);
        } else
                json_object_object_add(o, "create", NULL);
        add_string(o, "ns_dev", j->ns_dev);
        return TAKE_PTR(o);
}

static int config_from_json(json_object *c, Config *ret, ConfDiags *diags) {
        _cleanup_free_ const char **paths = NULL, **texts = NULL;
        json_object *files;
        bool main_read = false;
        size_t n = 0;
        int r = 0;

        files = json_member_array(c, "files", &n, &r);
        json_member_bool(c, "main_read", &main_read, &r);
        if (r < 0)
                return r;
        paths = calloc(n + 1, sizeof(char *));
        texts = calloc(n + 1, sizeof(char *));
        if (!paths || !texts)
                return -ENOMEM;
        for (size_t i = 0; i < n && r >= 0; i++) {
                json_object *f = json_object_array_get_idx(files, i);
                paths[i] = json_member_name(f, "path", &r);
                texts[i] = json_member_name(f, "text", &r);
        }
        if (r < 0)
                return r;
        return config_load_texts(paths, texts, n, main_read, ret, diags);
}

int job_from_json(json_object *o, Job *j, Config *ret_config, ConfDiags *diags) {
        json_object *c, *config;
        const char *kind;
        int r = 0;

        *j = (Job) {};
        kind = json_member_name(o, "job", &r);
        json_member_bool(o, "start", &j->start, &r);
        json_member_str(o, "ns_dev", &j->ns_dev, &r);
        c = json_member_object(o, "create", &r);
        config = json_member_object(o, "config", &r);
        if (r < 0)
                return r;
        j->kind = job_kind_from_string(kind);
        if ((int) j->kind < 0)
                return -EBADMSG;
        if (c) {
                int mode = 0, map = 0;
                json_member_str(c, "region", &j->region, &r);
                json_member_str(c, "name", &j->name, &r);
                json_member_int(c, "mode", &mode, &r);
                json_member_int(c, "map", &map, &r);
                json_member_u64(c, "size", &j->request.size, &r);
                json_member_u64(c, "align", &j->request.align, &r);
                json_member_u64(c, "sector_size", &j->request.sector_size, &r);
                if (r < 0 || !j->region || !j->name)
                        return -EBADMSG;
                j->request.region = j->region;
                j->request.name = j->name;
                j->request.mode = mode;
                j->request.map = map;
        }
        if (j->kind == JOB_CREATE && !c)
                return -EBADMSG;
        if (j->kind == JOB_DESTROY && !j->ns_dev)
                return -EBADMSG;
        if (!config)
                return -EBADMSG;
        r = config_from_json(config, ret_config, diags);
        return r > 0 ? -EBADMSG : r;
}

/* ---- the result --------------------------------------------------------------------- */

static json_object *row_to_json(const PlanRow *row) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "action", json_object_new_int(row->action));
        add_string(o, "name", row->spec.name);
        add_string(o, "region", row->spec.region);
        add_string(o, "ns_dev", row->spec.ns_dev);
        add_string(o, "message", row->message);
        json_object_object_add(o, "mode", json_object_new_int(row->spec.mode));
        json_object_object_add(o, "cxl", json_object_new_boolean(row->cxl != NULL));
        json_object_object_add(o, "size", json_object_new_uint64(row->spec.size));
        json_object_object_add(o, "usable", json_object_new_uint64(row->spec.usable));
        json_object_object_add(o, "start", json_object_new_uint64(row->spec.start));
        return o;
}

json_object *job_result_to_json(const JobResult *res) {
        json_object *o = json_object_new_object(), *r = json_object_new_object(), *rows;

        json_object_object_add(r, "r", json_object_new_int(res->r));
        add_string(r, "error", res->error);
        add_string(r, "region_signature", res->region_signature);
        add_string(r, "cxl_signature", res->cxl_signature);
        add_string(r, "ns_dev", res->ns_dev);
        rows = json_object_new_array();
        for (size_t i = 0; i < res->plan.n_rows; i++)
                json_object_array_add(rows, row_to_json(&res->plan.rows[i]));
        json_object_object_add(r, "rows", rows);
        if (res->has_state) {
                json_object *s = json_object_new_object();
                json_object_object_add(s, "read_usec", json_object_new_uint64(res->read_usec));
                json_object_object_add(s, "regions", region_states_to_json(res->regions, res->n_regions));
                json_object_object_add(s, "cxl", cxl_state_to_json(&res->cxl));
                json_object_object_add(s, "cxl_records",
                                       cxl_records_to_json(res->cxl_records, res->n_cxl_records));
                json_object_object_add(r, "state", s);
        } else
                json_object_object_add(r, "state", NULL);
        json_object_object_add(o, "result", r);
        return o;
}

static int row_from_json(json_object *o, PlanRow *row) {
        int action = 0, mode = 0, r = 0;
        bool cxl = false;

        *row = (PlanRow) { .policy = -1 };
        json_member_int(o, "action", &action, &r);
        json_member_str(o, "name", &row->spec.name, &r);
        json_member_str(o, "region", &row->spec.region, &r);
        json_member_str(o, "ns_dev", &row->spec.ns_dev, &r);
        json_member_str(o, "message", &row->message, &r);
        json_member_int(o, "mode", &mode, &r);
        json_member_bool(o, "cxl", &cxl, &r);
        json_member_u64(o, "size", &row->spec.size, &r);
        json_member_u64(o, "usable", &row->spec.usable, &r);
        json_member_u64(o, "start", &row->spec.start, &r);
        if (r < 0)
                return r;
        if (action < 0 || action >= _PLAN_ACTION_MAX)
                return -EBADMSG;
        row->action = action;
        row->spec.mode = mode;
        if (cxl && !(row->cxl = calloc(1, sizeof(CxlRow))))
                return -ENOMEM;
        /* strings the rows are shown with must be there */
        if (!row->spec.name && !(row->spec.name = strdup("")))
                return -ENOMEM;
        if (!row->spec.region && !(row->spec.region = strdup("")))
                return -ENOMEM;
        return 0;
}

static int state_from_json(json_object *s, JobResult *res) {
        json_object *regions, *cxl, *records;
        int r = 0;

        json_member_u64(s, "read_usec", &res->read_usec, &r);
        regions = json_member(s, "regions", &r);
        cxl = json_member(s, "cxl", &r);
        records = json_member(s, "cxl_records", &r);
        if (r >= 0)
                r = region_states_from_json(regions, &res->regions, &res->n_regions);
        if (r >= 0)
                r = cxl_state_from_json(cxl, &res->cxl);
        if (r >= 0)
                r = cxl_records_from_json(records, &res->cxl_records, &res->n_cxl_records);
        if (r < 0)
                return r;
        res->has_state = true;
        return 0;
}

int job_result_from_json(json_object *o, JobResult *res) {
        json_object *rows, *s;
        size_t n = 0;
        int r = 0;

        json_member_int(o, "r", &res->r, &r);
        json_member_str(o, "error", &res->error, &r);
        json_member_str(o, "region_signature", &res->region_signature, &r);
        json_member_str(o, "cxl_signature", &res->cxl_signature, &r);
        json_member_str(o, "ns_dev", &res->ns_dev, &r);
        s = json_member_object(o, "state", &r);
        rows = json_member_array(o, "rows", &n, &r);
        if (r < 0)
                return r;
        if (s) {
                r = state_from_json(s, res);
                if (r < 0)
                        return r;
        }
        if (n == 0)
                return 0;
        res->plan.rows = calloc(n, sizeof(PlanRow));
        if (!res->plan.rows)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = row_from_json(json_object_array_get_idx(rows, i), &res->plan.rows[i]);
                res->plan.n_rows = i + 1;
                if (r < 0)
                        return r;
        }
        return 0;
}

/* In a worker: {"progress":[done,total]} (no-op in the daemon, whose progress_fd is -1). */
void manager_progress(Manager *m, unsigned done, unsigned total) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *a = json_object_new_array();

        if (m->progress_fd < 0 || !o || !a) {
                json_object_put(a);
                return;
        }
        json_object_array_add(a, json_object_new_uint64(done));
        json_object_array_add(a, json_object_new_uint64(total));
        json_object_object_add(o, "progress", a);
        json_write_line(m->progress_fd, o);
}
