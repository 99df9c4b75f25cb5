/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* we pass the caller's CODE_FILE/LINE/FUNC, not this file's */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>

#include "log.h"

/* Its own file: only what calls log_struct() links libsystemd (pmemnsctl, the fuzzers and
 * most unit tests take log.o from the archive without this one). */

typedef struct Field {
        char buf[256];
} Field;

/* FIELD=value into f, as the next iovec; nothing for an unset or empty value */
static void add(struct iovec *iov, size_t *n, Field *f, const char *field, const char *value) {
        if (!value || !*value)
                return;
        (void) snprintf(f->buf, sizeof(f->buf), "%s=%s", field, value);
        iov[(*n)++] = (struct iovec) { .iov_base = f->buf, .iov_len = strlen(f->buf) };
}

/* Is stderr the journal's stream (systemd's test: JOURNAL_STREAM names its device and inode)
 * and the native socket there? Otherwise (StandardError=file:, a terminal, no journald, where
 * sd_journal_sendv() would drop the entry silently) the fields go and the line stays. */
static bool stderr_is_journal(void) {
        static int cached = -1;
        const char *e;
        unsigned long long dev, ino;
        struct stat st;

        if (cached >= 0)
                return cached;
        e = getenv("JOURNAL_STREAM");
        cached = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) >= 0 &&
                 (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino &&
                 access("/run/systemd/journal/socket", F_OK) >= 0;
        return cached;
}

int log_struct_internal(int level, int error, const LogFields *f, const char *file, int line,
                        const char *func, const char *format, ...) {
        char msg[2048];
        va_list ap;
        int saved = errno;

        /* %m must print the error we were given, not whatever errno happens to be. */
        errno = abs(error);
        va_start(ap, format);
        vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);

        if (log_get_target() == LOG_TARGET_JOURNAL && stderr_is_journal()) {
                char message[sizeof(msg) + 8], num[3][16];
                Field fields[10];
                struct iovec iov[11];
                size_t n = 0, k = 0;

                (void) snprintf(message, sizeof(message), "MESSAGE=%s", msg);
                iov[n++] = (struct iovec) { .iov_base = message, .iov_len = strlen(message) };
                (void) snprintf(num[0], sizeof(num[0]), "%i", level);
                add(iov, &n, &fields[k++], "PRIORITY", num[0]);
                add(iov, &n, &fields[k++], "MESSAGE_ID", f ? f->message_id : NULL);
                add(iov, &n, &fields[k++], "REGION", f ? f->region : NULL);
                add(iov, &n, &fields[k++], "NAMESPACE", f ? f->namespace : NULL);
                add(iov, &n, &fields[k++], "POLICY", f ? f->policy : NULL);
                /* as journald sets it for our stderr lines: journalctl -t pmemnsd finds both */
                add(iov, &n, &fields[k++], "SYSLOG_IDENTIFIER", program_invocation_short_name);
                add(iov, &n, &fields[k++], "CODE_FILE", file);
                (void) snprintf(num[1], sizeof(num[1]), "%i", line);
                add(iov, &n, &fields[k++], "CODE_LINE", num[1]);
                add(iov, &n, &fields[k++], "CODE_FUNC", func);
                if (error != 0) {
                        (void) snprintf(num[2], sizeof(num[2]), "%i", abs(error));
                        add(iov, &n, &fields[k++], "ERRNO", num[2]);
                }
                if (sd_journal_sendv(iov, (int) n) >= 0)
                        goto done;
        }
        /* as log_internal() writes it: the stream turns "<N>" into the priority */
        if (log_get_target() == LOG_TARGET_JOURNAL)
                fprintf(stderr, "<%i>%s\n", level, msg);
        else
                fprintf(stderr, "%s\n", msg);
done:
        errno = saved;
        return -abs(error);
}
