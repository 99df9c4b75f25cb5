/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <stdlib.h>

#include "utf8.h"

/* The length of the valid character at s (at most n bytes available), or 0 when the byte
 * at s does not begin one. NUL is not a valid character here. The rules are sd-bus's
 * (utf8_encoded_valid_unichar, unichar_is_valid). */
static size_t valid_char_len(const unsigned char *s, size_t n, uint32_t *ret_cp) {
        uint32_t cp;
        size_t len;

        if (s[0] == 0)
                return 0;
        if (s[0] < 0x80) {
                *ret_cp = s[0];
                return 1;
        }
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                len = 2;
                cp = s[0] & 0x1f;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                len = 3;
                cp = s[0] & 0x0f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                len = 4;
                cp = s[0] & 0x07;
        } else
                return 0; /* a continuation byte, 0xc0/0xc1 (always overlong), 0xf5-0xff */
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) /* overlong */
                return 0;
        if (cp > 0x10ffff)
                return 0;
        if ((cp & 0xfffff800) == 0xd800) /* UTF-16 surrogates */
                return 0;
        if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe) /* non-characters */
                return 0;
        *ret_cp = cp;
        return len;
}

static bool is_control(uint32_t cp) {
        return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

bool utf8_is_valid_n(const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s;

        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t l = valid_char_len(p + i, n - i, &cp);
                if (l == 0)
                        return false;
                i += l;
        }
        return true;
}

char *utf8_escape_n(const char *s, size_t n, Utf8EscapeFlags flags) {
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = (const unsigned char *) s;
        char *out, *o;

        if (n > (SIZE_MAX - 1) / 4)
                return NULL;
        out = malloc(n * 4 + 1); /* at worst every byte becomes \xNN */
        if (!out)
                return NULL;
        o = out;
        for (size_t i = 0; i < n;) {
                uint32_t cp = 0;
                size_t l = valid_char_len(p + i, n - i, &cp);

                if (l > 0 && !((flags & UTF8_ESCAPE_CONTROL) && is_control(cp))) {
                        memcpy(o, p + i, l);
                        o += l;
                        i += l;
                        continue;
                }
                /* one byte at a time: a control character's bytes, or the one byte that
                 * does not begin a valid character (the text resumes after it) */
                for (size_t k = 0; k < (l ? l : 1); k++) {
                        *o++ = '\\';
                        *o++ = 'x';
                        *o++ = hex[p[i + k] >> 4];
                        *o++ = hex[p[i + k] & 0xf];
                }
                i += l ? l : 1;
        }
        *o = '\0';
        return out;
}

char *utf8_escape(const char *s, Utf8EscapeFlags flags) {
        return s ? utf8_escape_n(s, strlen(s), flags) : strdup("");
}
