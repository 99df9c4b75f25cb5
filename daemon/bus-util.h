/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "util/macro.h"

/* ---- text from outside on the bus ----------------------------------------------------------
 * sd-bus refuses (-EINVAL) a string that is not valid UTF-8, and the whole reply, property
 * read or signal then fails for every caller. Every string that does not come from the
 * daemon's own constants (kernel names and label names, file names, config values, plan and
 * error messages, and what callers sent, which %.64s may have cut inside a character) goes
 * on the bus through these: invalid bytes are written as \xNN (util/utf8.h has the rule).
 * Valid text goes through unchanged. */
int bus_append_string(sd_bus_message *m, const char *s);
int bus_append_strv(sd_bus_message *m, char *const *l);
int bus_error_setf(sd_bus_error *error, const char *name, const char *format, ...) _printf_(3, 4);

/* Getters for a property that is a plain field of the object, given by offsetof() in the
 * vtable (sd-bus hands the getter the field's address). Plain uint64_t and int fields need
 * no getter at all; these cover what sd-bus's automatic one cannot: text that must be
 * escaped, a bool (sd-bus's 'b' is an int), a NULL-terminated string list. */
int bus_property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error);
int bus_property_get_strv(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error);
int bus_property_get_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error);
