/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "bus-util.h"
#include "util/utf8.h"

int bus_append_string(sd_bus_message *m, const char *s) {
        _cleanup_free_ char *e = NULL;

        s = strempty(s);
        if (!utf8_is_valid(s)) {
                e = utf8_escape(s, UTF8_ESCAPE_INVALID);
                if (!e)
                        return -ENOMEM;
                s = e;
        }
        return sd_bus_message_append_basic(m, 's', s);
}

int bus_append_strv(sd_bus_message *m, char *const *l) {
        int r = sd_bus_message_open_container(m, 'a', "s");
        for (size_t i = 0; r >= 0 && l && l[i]; i++)
                r = bus_append_string(m, l[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

int bus_error_setf(sd_bus_error *error, const char *name, const char *format, ...) {
        _cleanup_free_ char *s = NULL, *e = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        e = utf8_escape(s, UTF8_ESCAPE_INVALID);
        if (!e)
                return -ENOMEM;
        return sd_bus_error_set(error, name, e);
}

int bus_property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return bus_append_string(reply, *(const char **) userdata);
}

int bus_property_get_strv(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return bus_append_strv(reply, *(char ***) userdata);
}

int bus_property_get_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        int b = *(const bool *) userdata;
        return sd_bus_message_append_basic(reply, 'b', &b);
}
