/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Text from outside (label names from the kernel, file names, config values, messages that
 * quote them) on its way to the bus or a terminal.
 *
 * A D-Bus string is UTF-8 without NUL; sd-bus refuses to append anything else (-EINVAL),
 * and it also refuses overlong forms, code points above U+10FFFF, the UTF-16 surrogates
 * U+D800-U+DFFF and the non-characters U+FDD0-U+FDEF and U+xFFFE/U+xFFFF. "Valid" below
 * means exactly what sd-bus accepts.
 *
 * The escaping rule: every byte that does not begin a valid character (and every NUL) is
 * written as the four ASCII characters \xNN, lower-case hex, and the text resumes at the
 * next byte; so "caf\xe9" (Latin-1) becomes "caf\\xe9" and a truncated "\xe2\x82" becomes
 * "\\xe2\\x82". Valid text comes back unchanged; a backslash is not escaped. With
 * UTF8_ESCAPE_CONTROL the bytes of control characters (C0 U+0000-U+001F, DEL U+007F and
 * C1 U+0080-U+009F) are written the same way, so that a name cannot carry terminal escape
 * sequences or line breaks into human output. */

typedef enum Utf8EscapeFlags {
        UTF8_ESCAPE_INVALID = 0,      /* what the bus cannot carry: invalid UTF-8, NUL */
        UTF8_ESCAPE_CONTROL = 1 << 0, /* also control characters, for a terminal */
} Utf8EscapeFlags;

/* Whether the n bytes at s are a valid D-Bus string (no NUL among them). */
bool utf8_is_valid_n(const char *s, size_t n);
static inline bool utf8_is_valid(const char *s) {
        return utf8_is_valid_n(s, strlen(s));
}

/* A new string: the n bytes at s escaped as above. NULL only when out of memory. */
char *utf8_escape_n(const char *s, size_t n, Utf8EscapeFlags flags);
/* The same for a C string; NULL s gives "". */
char *utf8_escape(const char *s, Utf8EscapeFlags flags);
