/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the size, number and granularity parsers and the size formatter. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pmemns.h"
#include "util/size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = strndup((const char *) data, size);
        Granularity g;
        uint64_t v;
        char buf[FORMAT_SIZE_MAX];

        if (!s)
                return 0;
        if (parse_size(s, &v) == 0) {
                uint64_t back;
                format_size(buf, sizeof(buf), v);
                /* what we print, we read back, unless it had to use decimals */
                if (!strchr(buf, '.') && (parse_size(buf, &back) != 0 || back != v))
                        abort();
        }
        (void) parse_u64(s, &v);
        (void) granularity_from_string(s, &g);
        (void) ns_mode_from_string(s);
        free(s);
        return 0;
}
