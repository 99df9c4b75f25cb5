/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>

#include "conf/config.h"
#include "jobs.h"
#include "json-read.h"

/* The protocol between the daemon and pmemnsd-worker (jobs.h): what each side writes and
 * reads. Readers are strict: what the other side did not write is -EBADMSG. */

/* Daemon: the job and the configuration in force. */
json_object *job_to_json(const Job *j, const Config *config);
/* Worker: the job (its strings owned by j) and the configuration, parsed from its texts. */
int job_from_json(json_object *o, Job *j, Config *ret_config, ConfDiags *diags);

/* Worker: {"result":{...}}; daemon: its inside. */
json_object *job_result_to_json(const JobResult *res);
int job_result_from_json(json_object *o, JobResult *res);

/* One JSON object as a line on fd (a short write is retried; a gone reader ignored). */
void json_write_line(int fd, json_object *o);
