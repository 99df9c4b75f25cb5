/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "size.h"

int parse_u64(const char *s, uint64_t *ret) {
        uint64_t v = 0;

        if (isempty(s))
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        *ret = v;
        return 0;
}

int parse_size(const char *s, uint64_t *ret) {
        uint64_t v = 0, mult = 1;
        const char *p = s;
        unsigned base = 10;

        if (isempty(s))
                return -EINVAL;

        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
                base = 16;
                p += 2;
        }
        if (!isxdigit((unsigned char) *p) || (base == 10 && !isdigit((unsigned char) *p)))
                return -EINVAL;

        for (; *p; p++) {
                unsigned d;

                if (isdigit((unsigned char) *p))
                        d = (unsigned) (*p - '0');
                else if (base == 16 && isxdigit((unsigned char) *p))
                        d = (unsigned) (tolower((unsigned char) *p) - 'a' + 10);
                else
                        break;
                if (v > (UINT64_MAX - d) / base)
                        return -ERANGE;
                v = v * base + d;
        }

        if (*p) {
                if (base == 16)
                        return -EINVAL;
                switch (toupper((unsigned char) *p)) {
                case 'K': mult = KiB; break;
                case 'M': mult = MiB; break;
                case 'G': mult = GiB; break;
                case 'T': mult = TiB; break;
                default: return -EINVAL;
                }
                p++;
                if (streq(p, "iB") || streq(p, "B"))
                        p += strlen(p);
                if (*p)
                        return -EINVAL;
        }

        if (v > UINT64_MAX / mult)
                return -ERANGE;
        *ret = v * mult;
        return 0;
}

char *format_size(char *buf, size_t len, uint64_t bytes) {
        static const struct {
                char suffix;
                uint64_t factor;
        } units[] = { { 'T', TiB }, { 'G', GiB }, { 'M', MiB }, { 'K', KiB } };

        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (bytes >= units[i].factor && bytes % units[i].factor == 0) {
                        snprintf(buf, len, "%" PRIu64 "%c", bytes / units[i].factor,
                                 units[i].suffix);
                        return buf;
                }
        /* truncated, not rounded: 16M - 1 must not read "16.00M" */
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (bytes >= units[i].factor) {
                        uint64_t whole = bytes / units[i].factor;
                        uint64_t hundredths = bytes % units[i].factor * 100 / units[i].factor;
                        snprintf(buf, len, "%" PRIu64 ".%02" PRIu64 "%c", whole, hundredths,
                                 units[i].suffix);
                        return buf;
                }
        snprintf(buf, len, "%" PRIu64, bytes);
        return buf;
}

bool add_u64_checked(uint64_t a, uint64_t b, uint64_t *ret) {
        uint64_t r;

        if (__builtin_add_overflow(a, b, &r))
                return false;
        *ret = r;
        return true;
}

bool round_up_u64_checked(uint64_t v, uint64_t align, uint64_t *ret) {
        uint64_t q, r;

        if (align == 0)
                return false;
        q = v / align + (v % align != 0);
        if (__builtin_mul_overflow(q, align, &r))
                return false;
        *ret = r;
        return true;
}
