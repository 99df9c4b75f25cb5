/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the whole-file configuration reader. The input is written to a
 * private directory as a real file (pmemnsd.conf when it starts with "[daemon]", a policy
 * file otherwise) and read with config_load(), so that NUL bytes, CR, BOMs, over-long lines
 * and indented lines go through the daemon's own file reader, which fuzz-config
 * (config_load_strings) does not reach. Checks what the reader promises: a NUL byte or an
 * over-long line is always a problem, problems name the file and a line that exists, at
 * most CONF_DIAGS_MAX + 1 of them, and an accepted configuration holds no size that cannot
 * exist. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "conf/config.h"
#include "kernel.h"
#include "util/macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], policy_dir[96], main_file[96], policy_file[128];

static void cleanup(void) {
        unlink(main_file);
        unlink(policy_file);
        rmdir(policy_dir);
        rmdir(dir);
}

static void setup(void) {
        const char *tmp = getenv("TMPDIR");

        snprintf(dir, sizeof(dir), "%s/fuzz-file-XXXXXX", tmp && strlen(tmp) < 32 ? tmp : "/tmp");
        if (!mkdtemp(dir))
                abort();
        snprintf(policy_dir, sizeof(policy_dir), "%s/policy.d", dir);
        if (mkdir(policy_dir, 0755) < 0 || chmod(policy_dir, 0755) < 0)
                abort();
        snprintf(main_file, sizeof(main_file), "%s/pmemnsd.conf", dir);
        snprintf(policy_file, sizeof(policy_file), "%s/50-fuzz.conf", policy_dir);
        atexit(cleanup);
}

static void write_all(const char *path, const uint8_t *data, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0 || fchmod(fd, 0644) < 0) /* whatever the umask: group-writable is refused */
                abort();
        while (size > 0) {
                ssize_t k = write(fd, data, size);
                if (k <= 0)
                        abort();
                data += k;
                size -= (size_t) k;
        }
        close(fd);
}

/* Lines as the reader counts them: a last line without a newline counts too. */
static size_t count_lines(const uint8_t *data, size_t size) {
        size_t n = 0;

        for (size_t i = 0; i < size; i++)
                if (data[i] == '\n')
                        n++;
        return n + (size > 0 && data[size - 1] != '\n');
}

/* The longest line in bytes, without its newline. */
static size_t longest_line(const uint8_t *data, size_t size) {
        size_t best = 0, cur = 0;

        for (size_t i = 0; i < size; i++)
                if (data[i] == '\n') {
                        best = MAX(best, cur);
                        cur = 0;
                } else
                        cur++;
        return MAX(best, cur);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *dirs[] = { policy_dir, NULL };
        bool as_main = size >= 8 && memcmp(data, "[daemon]", 8) == 0;
        const char *path = as_main ? main_file : policy_file;
        ConfPaths paths = { .main_file = main_file, .policy_dirs = dirs };
        KernelInputs in = { .release = "6.1.0", .machine = "x86_64" };
        size_t lines = count_lines(data, size);
        KernelInfo k;
        ConfDiags d = {};
        Config c = {};
        int r;

        if (!dir[0])
                setup();
        unlink(main_file);
        unlink(policy_file);
        write_all(path, data, size);

        r = config_load(&paths, &c, &d);
        if (r < 0)
                abort(); /* no allocation fails here, and the file is there to read */
        if (r == 0) {
                if (d.n != 0 || memchr(data, '\0', size) || longest_line(data, size) > INI_MAX_LINE - 2)
                        abort();
                for (size_t i = 0; i < c.n_policies; i++)
                        if ((c.policies[i].size_kind == SIZE_BYTES ||
                             c.policies[i].size_kind == SIZE_USABLE) &&
                            (c.policies[i].size == 0 || c.policies[i].size > CONF_SIZE_MAX))
                                abort();
                if (kernel_info_from(&in, &k) == 0)
                        (void) config_check_kernel(&c, &k, &d);
                config_done(&c);
        } else {
                if (d.n == 0 || d.n > CONF_DIAGS_MAX + 1 || c.n_policies != 0)
                        abort();
                for (size_t i = 0; i < d.n; i++)
                        if (!d.items[i].message ||
                            (!streq(d.items[i].file, path) && !streq(d.items[i].file, policy_dir) &&
                             !streq(d.items[i].file, dir)) ||
                            d.items[i].line > lines)
                                abort();
        }
        conf_diags_done(&d);
        return 0;
}
