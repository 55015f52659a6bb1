/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdlib.h>

#include "log.h"

static int max_level = LOG_INFO;
static int prefix_priority = 0;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_prefix_priority(int enabled) {
        prefix_priority = enabled;
}

int log_level_from_string(const char *s) {
        assert(s);
        static const char *const names[] = {
                "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
        };

        if (streq(s, "error"))
                return LOG_ERR;
        for (int i = 0; i < (int) ELEMENTSOF(names); i++)
                if (streq(s, names[i]))
                        return i;
        if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
                return s[0] - '0';
        return -EINVAL;
}

int log_internal(int level, int error, const char *fmt, ...) {
        int saved = errno;
        va_list ap;

        assert(fmt);
        error = error < 0 ? -error : error;
        if (level <= max_level) {
                if (prefix_priority)
                        fprintf(stderr, "<%d>", level);
                /* glibc's %m reads errno: point it at the error being reported. */
                errno = error;
                va_start(ap, fmt);
                vfprintf(stderr, fmt, ap);
                va_end(ap);
                fputc('\n', stderr);
        }
        errno = saved;
        return -error;
}
