/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* --json[=pretty|short|off] and -j of pmemnsctl and pmemnsd --plan, as systemd's tools
 * have them. */

#include <stdbool.h>
#include <stdio.h>

#include <json.h>

typedef enum JsonFormat {
        JSON_OFF,
        JSON_PRETTY, /* indented, one key a line */
        JSON_SHORT,  /* one line */
} JsonFormat;

/* "pretty", "short", "off"; NULL (--json alone) is pretty. -EINVAL otherwise. */
int json_format_from_string(const char *s);
const char *json_format_to_string(JsonFormat f);
/* -j: pretty on a terminal, short otherwise (systemd's -j) */
JsonFormat json_format_auto(FILE *f);
/* Prints j and a newline on f; takes j. */
void json_print(FILE *f, json_object *j, JsonFormat format);

#define JSON_FORMAT_VALID "pretty, short or off"
