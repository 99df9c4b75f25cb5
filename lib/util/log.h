/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <syslog.h>

#include "macro.h"

/* One logging family for the library and the daemon. The library (lib/) logs at
 * debug level only; the daemon decides what reaches the journal. */

typedef enum LogTarget {
        LOG_TARGET_STDERR,   /* plain "message" lines, for CLI use */
        LOG_TARGET_JOURNAL,  /* "<N>message" lines, which journald turns into priorities */
} LogTarget;

void log_set_max_level(int level);
int log_get_max_level(void);
void log_set_target(LogTarget target);
LogTarget log_get_target(void);
int log_parse_level(const char *s);

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);

#define log_full_errno(level, error, ...)                                              \
        ({                                                                              \
                int _l = (level), _e = (error);                                         \
                (log_get_max_level() >= _l)                                             \
                        ? log_internal(_l, _e, __FILE__, __LINE__, __func__, __VA_ARGS__) \
                        : -abs(_e);                                                     \
        })

#define log_full(level, ...) (void) log_full_errno(level, 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

/* The _errno variants make %m print strerror(-error) and return -abs(error). */
#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_notice_errno(e, ...) log_full_errno(LOG_NOTICE, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)

/* Structured entries (log-struct.c): under the journal (LOG_TARGET_JOURNAL) sent with
 * sd_journal_sendv() carrying MESSAGE_ID= and the REGION=, NAMESPACE=, POLICY= fields that
 * are set (non-empty); otherwise, or when the journal cannot be reached, the same message
 * line as log_full() writes. Only the daemon uses it (it links libsystemd). */
typedef struct LogFields {
        const char *message_id; /* 32 hex digits, a PMEMNSD_MESSAGE_*_STR */
        const char *region;
        const char *namespace;
        const char *policy;
} LogFields;

#define LOG_FIELDS(id, ...) (&(const LogFields) { .message_id = (id), __VA_ARGS__ })

int log_struct_internal(int level, int error, const LogFields *fields, const char *file, int line,
                        const char *func, const char *format, ...) _printf_(7, 8);

#define log_struct_errno(level, error, fields, ...)                                    \
        ({                                                                              \
                int _l = (level), _e = (error);                                         \
                (log_get_max_level() >= _l)                                             \
                        ? log_struct_internal(_l, _e, (fields), __FILE__, __LINE__, __func__, \
                                              __VA_ARGS__)                              \
                        : -abs(_e);                                                     \
        })

/* log_struct(LOG_NOTICE, LOG_FIELDS(PMEMNSD_MESSAGE_DRIFT_STR, .region = r, .policy = p), "fmt", ...) */
#define log_struct(level, fields, ...) (void) log_struct_errno(level, 0, fields, __VA_ARGS__)

/* An error the code makes up itself, not one returned by a call. */
#define SYNTHETIC_ERRNO(e) (e)
