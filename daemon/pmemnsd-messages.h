/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-id128.h>

/* The MESSAGE_IDs of pmemnsd's journal entries (sd-messages.h style): what an admin or a
 * monitoring rule may match on. Each has an entry in catalog/pmemnsd.catalog (test-catalog
 * checks both ways); the entries carry REGION=, NAMESPACE= and POLICY= where they apply.
 * Never change an id: generated once with `systemd-id128 new`. */

/* a policy instance's namespace created (by Apply, at start or on an event) */
#define PMEMNSD_MESSAGE_CREATED SD_ID128_MAKE(24,62,45,d6,d4,d4,45,06,ab,0d,19,ed,d7,af,79,2a)
#define PMEMNSD_MESSAGE_CREATED_STR SD_ID128_MAKE_STR(24,62,45,d6,d4,d4,45,06,ab,0d,19,ed,d7,af,79,2a)

/* a create or a CXL region's assembly failed (a "failed" row of Apply) */
#define PMEMNSD_MESSAGE_FAILED SD_ID128_MAKE(8a,f1,21,f7,6c,8e,46,24,95,be,05,86,17,41,bb,44)
#define PMEMNSD_MESSAGE_FAILED_STR SD_ID128_MAKE_STR(8a,f1,21,f7,6c,8e,46,24,95,be,05,86,17,41,bb,44)

/* a recorded namespace no longer matches its policy: left as it is */
#define PMEMNSD_MESSAGE_DRIFT SD_ID128_MAKE(fa,b4,23,82,93,34,40,57,87,bd,23,49,7f,da,00,07)
#define PMEMNSD_MESSAGE_DRIFT_STR SD_ID128_MAKE_STR(fa,b4,23,82,93,34,40,57,87,bd,23,49,7f,da,00,07)

/* something not ours (or changed behind our back) stands where a policy wants a namespace */
#define PMEMNSD_MESSAGE_CONFLICT SD_ID128_MAKE(47,0b,9d,cb,e6,2d,43,10,bc,7b,a1,9a,30,f8,63,e1)
#define PMEMNSD_MESSAGE_CONFLICT_STR SD_ID128_MAKE_STR(47,0b,9d,cb,e6,2d,43,10,bc,7b,a1,9a,30,f8,63,e1)

/* the configuration was rejected: at start (the daemon exits) or on a reload (the previous
 * one stays in force) */
#define PMEMNSD_MESSAGE_CONFIG_REJECTED SD_ID128_MAKE(75,71,bc,a4,55,72,40,c1,93,81,62,81,cf,4a,60,8e)
#define PMEMNSD_MESSAGE_CONFIG_REJECTED_STR SD_ID128_MAKE_STR(75,71,bc,a4,55,72,40,c1,93,81,62,81,cf,4a,60,8e)

/* a [cxl-region] assembled from its memdevs */
#define PMEMNSD_MESSAGE_CXL_ASSEMBLED SD_ID128_MAKE(75,2d,be,81,83,b9,46,42,8d,30,af,ad,90,6e,20,70)
#define PMEMNSD_MESSAGE_CXL_ASSEMBLED_STR SD_ID128_MAKE_STR(75,2d,be,81,83,b9,46,42,8d,30,af,ad,90,6e,20,70)
