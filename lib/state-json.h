/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The kernel-state model (state.h, cxl-state.h) as JSON, for a worker that reads the kernel
 * to hand it to the daemon over a pipe: no I/O here, and no libndctl/libcxl on either side.
 * Every field round-trips exactly. Keys are the field names; a NULL string (or strv, or an
 * optional array: dpa_before, target_decoders) is JSON null, "" stays ""; enums are their
 * names (ns_mode_to_string()); counts (n_namespaces, n_targets, ...) are the lengths of their
 * arrays. Unknown keys are ignored. */

#include <json-c/json.h>

#include "cxl-state.h"
#include "state.h"

/* NULL on ENOMEM */
json_object *region_states_to_json(const RegionState *regions, size_t n);
json_object *cxl_state_to_json(const CxlState *s);
json_object *cxl_records_to_json(const CxlRecord *records, size_t n);

/* 0, -ENOMEM, or -EBADMSG when o is not what *_to_json() makes (wrong type, missing key,
 * uuid too long...); on error nothing is returned and nothing leaks */
int region_states_from_json(json_object *o, RegionState **ret, size_t *ret_n);
int cxl_state_from_json(json_object *o, CxlState *ret);
int cxl_records_from_json(json_object *o, CxlRecord **ret, size_t *ret_n);
