/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <unistd.h>

#include "json-format.h"
#include "util/macro.h"

int json_format_from_string(const char *s) {
        if (!s || streq(s, "pretty"))
                return JSON_PRETTY;
        if (streq(s, "short"))
                return JSON_SHORT;
        if (streq(s, "off"))
                return JSON_OFF;
        return -EINVAL;
}

const char *json_format_to_string(JsonFormat f) {
        return f == JSON_PRETTY ? "pretty" : f == JSON_SHORT ? "short" : "off";
}

JsonFormat json_format_auto(FILE *f) {
        return isatty(fileno(f)) ? JSON_PRETTY : JSON_SHORT;
}

void json_print(FILE *f, json_object *j, JsonFormat format) {
        int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
                (format == JSON_SHORT ? JSON_C_TO_STRING_PLAIN : JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);

        fprintf(f, "%s\n", json_object_to_json_string_ext(j, flags));
        json_object_put(j);
}
