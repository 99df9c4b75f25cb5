/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What pmemnsd writes down about its own work, so that recovery acts only on objects it can
 * prove it made, never on what merely looks like its work (a namespace named like a policy
 * instance may be an admin's, or ours full of data whose driver is missing).
 *
 * - An in-flight create: written and fsync'ed before the namespace uuid goes to the kernel,
 *   removed when the create completed or was rolled back. In the state directory
 *   ($STATE_DIRECTORY, /var/lib/pmemnsd), so a power cut in the middle leaves it too.
 * - A namespace made by CreateNamespace: the only foreign-looking namespaces
 *   DestroyNamespace accepts. In the state directory.
 * - A CXL region assembly ($STATE_DIRECTORY/cxl/NAME, cxl-state.h's CxlRecord): written
 *   before the first write to the cxl bus and kept: the uuid proves the region ours, the
 *   layout is what re-assembly after every boot repeats.
 * - A device about to be disabled (label init, label-less conversion, destroy): enabled
 *   again if we die before the step is done. In the runtime directory: a reboot enables
 *   everything anyway. */

#include <stdbool.h>
#include <stddef.h>

#include "cxl-state.h"
#include "pmemns.h"

typedef struct InflightRecord {
        char ns_uuid[37];    /* the namespace uuid we write */
        char claim_uuid[37]; /* the pfn/dax/btt uuid we write, "" for raw */
        char region[32];
        char instance[128];
        char boot_id[37];    /* /proc/sys/kernel/random/boot_id when written */
        NsMode mode;
} InflightRecord;

/* Write the record durably (file and directory fsync'ed). */
int inflight_begin(const InflightRecord *rec);
void inflight_end(const char *ns_uuid);
/* Every record in the state directory. */
int inflight_load(InflightRecord **ret, size_t *ret_n);
/* The current boot id, "" if unknown. */
const char *current_boot_id(void);

int made_add(const char *ns_uuid);
void made_remove(const char *ns_uuid);
bool made_has(const char *ns_uuid);

/* Write the record of a [cxl-region] durably (file and directory fsync'ed). */
int cxl_record_save(const CxlRecord *rec);
void cxl_record_remove(const char *name);
/* Every CXL record; a file that cannot be read as one is skipped with a warning. */
int cxl_records_load(CxlRecord **ret, size_t *ret_n);

void disabled_begin(const char *dev);
void disabled_end(const char *dev);
/* Is any device recorded as disabled? */
bool disabled_any(void);
/* Calls recover() for every device recorded as disabled, then drops the record. */
void disabled_foreach(void (*recover)(const char *dev, void *userdata), void *userdata);

/* Is s a canonical lower-case uuid string? (records are named after them) */
bool uuid_string_valid(const char *s);
