/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the config parser. The input is split at the first NUL into the text
 * of pmemnsd.conf and of one policy file; both are parsed, then checked against a kernel. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "kernel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *nul = memchr(data, 0, size);
        size_t main_len = nul ? (size_t) (nul - data) : 0;
        char *main_text = strndup((const char *) data, main_len);
        char *policy = nul ? strndup((const char *) nul + 1, size - main_len - 1)
                           : strndup((const char *) data, size);
        const char *files[] = { "50-fuzz.conf", policy, NULL };
        KernelInputs in = { .release = "5.2.0", .machine = "x86_64" };
        KernelInfo k;
        ConfDiags d = {};
        Config c = {};

        if (main_text && policy && config_load_strings(main_text, files, &c, &d) == 0 &&
            kernel_info_from(&in, &k) == 0)
                (void) config_check_kernel(&c, &k, &d);
        config_done(&c);
        conf_diags_done(&d);
        free(main_text);
        free(policy);
        return 0;
}
