/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Logging to stderr. With prefixes on (the daemon under systemd), each line starts with the
 * syslog priority as "<3>" so the journal keeps the level; the client prints plain lines.
 * The *_errno variants return -abs(error) so a caller can write
 *     return log_error_errno(r, "Failed to ...: %m");
 * and %m prints strerror(error). */

#include <syslog.h>

#include "macros.h"

void log_set_max_level(int level);
int log_get_max_level(void);
void log_set_prefix_priority(int enabled);
/* Parses "debug", "info", "notice", "warning", "err"/"error", "crit" or a number 0..7. */
int log_level_from_string(const char *s);

int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...) log_internal((level), (error), __VA_ARGS__)
#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_internal(LOG_DEBUG, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_internal(LOG_ERR, (e), __VA_ARGS__)
#define log_oom() log_internal(LOG_ERR, ENOMEM, "Out of memory.")
