/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tests.h"
#include "util/macro.h"
#include "util/utf8.h"

/* escape s (n bytes) and compare with want; the result must itself be valid */
static void check_escape(const char *s, size_t n, Utf8EscapeFlags flags, const char *want, int line) {
        _cleanup_free_ char *e = utf8_escape_n(s, n, flags);

        if (!e || !streq(e, want)) {
                printf("#   test-utf8.c:%d: escaped \"%s\", want \"%s\"\n", line, e ? e : "(null)", want);
                test_failures++;
        }
        if (e && !utf8_is_valid(e)) {
                printf("#   test-utf8.c:%d: the escaped text \"%s\" is not valid\n", line, e);
                test_failures++;
        }
}
#define ESC(lit, want) check_escape(lit, sizeof(lit) - 1, UTF8_ESCAPE_INVALID, want, __LINE__)
#define ESC_CTL(lit, want) check_escape(lit, sizeof(lit) - 1, UTF8_ESCAPE_CONTROL, want, __LINE__)
#define VALID(lit) utf8_is_valid_n(lit, sizeof(lit) - 1)

TEST(valid_text_unchanged) {
        static const char *const good[] = {
                "", "db", "namespace0.1", "/etc/pmemnsd/policy.d/50-db.conf",
                "café", "Ölkännchen", "日本語", "emoji \xf0\x9f\x98\x80 ok",
                "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xef\xbf\xbd", "\xf0\x90\x80\x80",
                "\xf4\x8f\xbf\xbd",    /* U+10FFFD, the last character that is not a non-character */
                "\xee\x80\x80",        /* U+E000, just above the surrogates */
                "\xed\x9f\xbf",        /* U+D7FF, just below them */
                "back\\slash \\xff",   /* a backslash is not escaped */
                "tab\there\nnew line", /* control characters are valid on the bus */
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_free_ char *e = utf8_escape(good[i], UTF8_ESCAPE_INVALID);
                CHECK(utf8_is_valid(good[i]));
                CHECK_STR(e, good[i]);
        }
        /* NULL is "" */
        _cleanup_free_ char *n = utf8_escape(NULL, UTF8_ESCAPE_INVALID);
        CHECK_STR(n, "");
}

TEST(invalid_bytes) {
        CHECK(!VALID("\xff"));
        ESC("\xff", "\\xff");
        ESC("bad\xffname", "bad\\xffname");
        ESC("20-caf\xe9.conf", "20-caf\\xe9.conf"); /* Latin-1 */
        ESC("\xfe\xff", "\\xfe\\xff");
        ESC("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80"); /* would be above U+10FFFF */
        ESC("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* U+110000 */
        ESC("\x80", "\\x80");                           /* a lone continuation byte */
        ESC("a\xbf\xbfz", "a\\xbf\\xbfz");
        ESC("caf\xc3\xa9\xff", "caf\xc3\xa9\\xff"); /* valid characters around stay */
}

TEST(truncated_sequences) {
        ESC("\xc3", "\\xc3");                 /* at the end of the text */
        ESC("\xe2\x82", "\\xe2\\x82");
        ESC("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
        ESC("\xe2\x82z", "\\xe2\\x82z");         /* interrupted: the text resumes */
        ESC("\xc3\xc3\xa9", "\\xc3\xc3\xa9");   /* a lead byte, then a whole character */
        ESC("\xe2\xe2\x82\xac", "\\xe2\xe2\x82\xac");
        /* length-limited: the character is cut by n, not by a NUL */
        check_escape("\xc3\xa9", 1, UTF8_ESCAPE_INVALID, "\\xc3", __LINE__);
        CHECK(!utf8_is_valid_n("\xe2\x82\xac", 2));
        CHECK(utf8_is_valid_n("\xe2\x82\xac", 3));
}

TEST(overlong_encodings) {
        ESC("\xc0\xaf", "\\xc0\\xaf");             /* '/' in two bytes */
        ESC("\xc1\xbf", "\\xc1\\xbf");
        ESC("\xc0\x80", "\\xc0\\x80");             /* "modified UTF-8" NUL */
        ESC("\xe0\x80\xaf", "\\xe0\\x80\\xaf");     /* '/' in three */
        ESC("\xe0\x9f\xbf", "\\xe0\\x9f\\xbf");     /* U+07FF in three */
        ESC("\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf");
        ESC("\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf"); /* U+FFFF in four */
        ESC("/..\xc0\xae/", "/..\\xc0\\xae/");
}

TEST(surrogates_and_noncharacters) {
        ESC("\xed\xa0\x80", "\\xed\\xa0\\x80"); /* U+D800 */
        ESC("\xed\xbf\xbf", "\\xed\\xbf\\xbf"); /* U+DFFF */
        ESC("\xed\xa0\xbd\xed\xb8\x80", "\\xed\\xa0\\xbd\\xed\\xb8\\x80"); /* CESU-8 pair */
        /* sd-bus refuses the non-characters too */
        ESC("\xef\xb7\x90", "\\xef\\xb7\\x90");         /* U+FDD0 */
        ESC("\xef\xb7\xaf", "\\xef\\xb7\\xaf");         /* U+FDEF */
        ESC("\xef\xbf\xbe", "\\xef\\xbf\\xbe");         /* U+FFFE */
        ESC("\xef\xbf\xbf", "\\xef\\xbf\\xbf");         /* U+FFFF */
        ESC("\xf0\x9f\xbf\xbf", "\\xf0\\x9f\\xbf\\xbf"); /* U+1FFFF */
        ESC("\xf4\x8f\xbf\xbf", "\\xf4\\x8f\\xbf\\xbf"); /* U+10FFFF */
        CHECK(VALID("\xef\xb7\x8f")); /* U+FDCF */
        CHECK(VALID("\xef\xb7\xb0")); /* U+FDF0 */
}

TEST(nul_bytes) {
        /* a D-Bus string cannot hold NUL: within a length-limited text it is escaped */
        CHECK(!VALID("a\0b"));
        ESC("a\0b", "a\\x00b");
        ESC("\0", "\\x00");
        ESC("label\0\0\0", "label\\x00\\x00\\x00"); /* a fixed-size label field */
        /* a C string ends at its NUL */
        _cleanup_free_ char *e = utf8_escape("a\0\xff", UTF8_ESCAPE_INVALID);
        CHECK_STR(e, "a");
        CHECK(utf8_is_valid_n("", 0));
}

TEST(control_characters) {
        /* for the bus they pass: they are valid */
        ESC("a\x1b[31mred", "a\x1b[31mred");
        /* for a terminal they do not */
        ESC_CTL("a\x1b[31mred\x1b[0m", "a\\x1b[31mred\\x1b[0m");
        ESC_CTL("two\nlines\r", "two\\x0alines\\x0d");
        ESC_CTL("tab\t", "tab\\x09");
        ESC_CTL("bell\x07", "bell\\x07");
        ESC_CTL("del\x7f", "del\\x7f");
        ESC_CTL("csi\xc2\x9b" "2J", "csi\\xc2\\x9b2J"); /* C1 CSI, U+009B */
        ESC_CTL("\xc2\x80\xc2\x9f", "\\xc2\\x80\\xc2\\x9f");
        ESC_CTL("\xc2\xa0nbsp", "\xc2\xa0nbsp"); /* U+00A0 is not a control */
        ESC_CTL("caf\xc3\xa9 \xe6\x97\xa5", "caf\xc3\xa9 \xe6\x97\xa5");
        ESC_CTL("mixed\x1b\xff", "mixed\\x1b\\xff");
        ESC_CTL("nul\0", "nul\\x00");
        ESC_CTL("ok", "ok");
}

/* Every one- and two-byte text, and a sample of three- and four-byte ones: the escaped
 * text is valid, and escaping it again changes nothing. */
TEST(escape_is_valid_and_idempotent) {
        unsigned char b[4];
        unsigned long n = 0, bad = 0;

        for (unsigned len = 1; len <= 4; len++) {
                unsigned long total = 1UL << (8 * len), step = len <= 2 ? 1 : len == 3 ? 7 : 65521;
                for (unsigned long v = 0; v < total; v += step) {
                        for (unsigned k = 0; k < len; k++)
                                b[k] = (unsigned char) (v >> (8 * k));
                        for (int flags = 0; flags <= UTF8_ESCAPE_CONTROL; flags++) {
                                _cleanup_free_ char *e = utf8_escape_n((const char *) b, len, flags);
                                _cleanup_free_ char *e2 = e ? utf8_escape(e, flags) : NULL;
                                n++;
                                if (!e || !e2 || !utf8_is_valid(e) || !streq(e, e2) ||
                                    (utf8_is_valid_n((const char *) b, len) && flags == 0 &&
                                     memcmp(e, b, len) != 0))
                                        bad++;
                        }
                }
        }
        CHECK_U64(bad, 0);
        CHECK(n > 100000);
}
