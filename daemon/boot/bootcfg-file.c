/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bootcfg-file.h"
#include "fileio.h"
#include "log.h"
#include "memstream.h"
#include "macros.h"

#define BACKUP_INFIX ".passthru-"
/* the marker counts only near the top, where passthru puts it */
#define MARKER_MAX_LINE 3

int bootcfg_backup_path(const char *path, time_t when, unsigned n, char **ret) {
        char stamp[sizeof("YYYYmmdd-HHMMSS") + 16];
        struct tm tm;
        char *s;

        assert(ret);
        if (!path || !path[0])
                return -EINVAL;
        if (!gmtime_r(&when, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
                return -EINVAL;
        if (strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm) != 15)
                return -EINVAL;
        if (n > 0 ? asprintf(&s, "%s" BACKUP_INFIX "%s-%u", path, stamp, n) < 0
                  : asprintf(&s, "%s" BACKUP_INFIX "%s", path, stamp) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static bool all_digits(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

bool bootcfg_is_backup_of(const char *name, const char *base_name) {
        size_t len = strlen(base_name);
        const char *p;

        assert(name);
        assert(base_name);
        if (strncmp(name, base_name, len) != 0 ||
            strncmp(name + len, BACKUP_INFIX, strlen(BACKUP_INFIX)) != 0)
                return false;
        p = name + len + strlen(BACKUP_INFIX);
        /* YYYYmmdd-HHMMSS, then nothing or -N */
        if (strlen(p) < 15 || !all_digits(p, 8) || p[8] != '-' || !all_digits(p + 9, 6))
                return false;
        p += 15;
        if (!*p)
                return true;
        return p[0] == '-' && p[1] && all_digits(p + 1, strlen(p + 1));
}

FILE *bootcfg_text_init(MemStream *m) {
        FILE *f;

        assert(m);
        f = memstream_init(m);
        if (f)
                fputs("# " BOOTCFG_MARKER "\n", f);
        return f;
}

bool bootcfg_text_is_ours(const char *text) {
        const char *line = text;

        assert(text);
        for (unsigned i = 0; line && i < MARKER_MAX_LINE; i++) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t) (nl - line) : strlen(line);
                const char *hit = memmem(line, len, BOOTCFG_MARKER, strlen(BOOTCFG_MARKER));

                if (hit) {
                        /* only a comment leader may come before it */
                        for (const char *p = line; p < hit; p++)
                                if (!strchr("#;/ \t", *p))
                                        return false;
                        return true;
                }
                line = nl ? nl + 1 : NULL;
        }
        return false;
}

int bootcfg_read_file_at(int dirfd, const char *path, size_t max, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        assert(path);
        assert(ret);
        r = read_file_at(dirfd, path, max, 0, &buf, &len, NULL);
        if (r == -ELOOP || r == -EBADFD || r == -EISDIR)
                return log_warning_errno(EBADMSG,
                                         "%s is not a regular file (a symbolic link, FIFO, device or "
                                         "directory): passthru reads and edits only regular files.",
                                         path);
        if (r == -EFBIG)
                return log_warning_errno(r, "%s is larger than %zu bytes, too large for a boot file.", path,
                                         max);
        if (r < 0)
                return r;
        if (strlen(buf) != len)
                return -EBADMSG;
        *ret = TAKE_PTR(buf);
        return 0;
}
