/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>

#include "log.h"
#include "record.h"
#include "utf8.h"

struct Records {
        int dir_fd; /* DIR/devices */
};

static int mkdir_at(int dirfd, const char *name) {
        if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int records_open(const char *dir, bool create, Records **ret) {
        _cleanup_close_ int fd = -EBADF;
        Records *rec;
        int r;

        dir = dir ?: "/run/passthru";
        if (create) {
                r = mkdir_at(AT_FDCWD, dir);
                if (r < 0)
                        return log_error_errno(r, "Failed to create runtime directory %s: %m", dir);
        }
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 && (create || errno != ENOENT))
                return log_error_errno(errno, "Failed to open runtime directory %s: %m", dir);
        if (fd < 0)
                return -ENOENT;
        if (create) {
                r = mkdir_at(fd, "devices");
                if (r < 0)
                        return log_error_errno(r, "Failed to create %s/devices: %m", dir);
        }
        rec = malloc(sizeof(Records));
        if (!rec)
                return -ENOMEM;
        rec->dir_fd = openat(fd, "devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rec->dir_fd < 0) {
                r = -errno;
                free(rec);
                if (!create && r == -ENOENT)
                        return r;
                return log_error_errno(r, "Failed to open %s/devices: %m", dir);
        }
        *ret = rec;
        return 0;
}

Records *records_free(Records *rec) {
        if (!rec)
                return NULL;
        close(rec->dir_fd);
        free(rec);
        return NULL;
}

int record_save(Records *rec, const char *address, const char *driver, const char *override) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        int fd, r = 0;

        if (asprintf(&tmp, ".%s.tmp", address) < 0)
                return -ENOMEM;
        fd = openat(rec->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create record for %s: %m", address);
        f = fdopen(fd, "w");
        if (!f) {
                close(fd);
                return -ENOMEM;
        }
        fprintf(f, "driver=%s\noverride=%s\n", strempty(driver), strempty(override));
        /* The record must be on disk before the first sysfs write relies on it. */
        if (fflush(f) != 0 || fsync(fileno(f)) < 0)
                r = -errno;
        if (r >= 0 && renameat(rec->dir_fd, tmp, rec->dir_fd, address) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(rec->dir_fd, tmp, 0);
                return log_error_errno(r, "Failed to write record for %s: %m", address);
        }
        return 0;
}

/* "key=value" -> value, or NULL for an empty value. */
static int parse_value(const char *line, const char *key, char **ret) {
        size_t n = strlen(key);

        if (strncmp(line, key, n) != 0 || line[n] != '=')
                return 0;
        line += n + 1;
        free(*ret);
        *ret = NULL;
        if (!*line)
                return 1;
        *ret = strdup(line);
        if (!*ret)
                return -ENOMEM;
        /* The values reach D-Bus (OriginalDriver): a record edited by hand must not break it. */
        return utf8_make_valid(ret) < 0 ? -ENOMEM : 1;
}

int record_parse(const char *buf, size_t size, char **ret_driver, char **ret_override) {
        _cleanup_free_ char *driver = NULL, *override = NULL;
        int r;

        for (const char *p = buf; p < buf + size;) {
                const char *nl = memchr(p, '\n', (size_t) (buf + size - p));
                size_t len = nl ? (size_t) (nl - p) : (size_t) (buf + size - p);
                _cleanup_free_ char *line = strndup(p, len);

                if (!line)
                        return -ENOMEM;
                r = parse_value(line, "driver", &driver);
                if (r == 0)
                        r = parse_value(line, "override", &override);
                if (r < 0)
                        return r;
                p += len + 1;
        }
        if (ret_driver)
                *ret_driver = TAKE_PTR(driver);
        if (ret_override)
                *ret_override = TAKE_PTR(override);
        return 0;
}

/* Reads the whole record into buf; a record is never larger than RECORD_SIZE_MAX. */
static int read_record(int fd, const char *address, char buf[static RECORD_SIZE_MAX + 1], size_t *ret_size) {
        struct stat st;
        size_t size = 0;

        if (fstat(fd, &st) < 0)
                return -errno;
        /* A FIFO would block the daemon, a device node is no record: only regular files. */
        if (!S_ISREG(st.st_mode))
                return log_warning_errno(EBADMSG, "Record of %s is not a regular file, ignoring it.",
                                         address);
        if (st.st_size > RECORD_SIZE_MAX)
                return log_warning_errno(
                        EFBIG, "Record of %s is %jd bytes, more than a record can be, ignoring it.", address,
                        (intmax_t) st.st_size);
        /* One byte more than allowed: a file that grew after fstat() is caught too. */
        while (size <= RECORD_SIZE_MAX) {
                ssize_t n = read(fd, buf + size, RECORD_SIZE_MAX + 1 - size);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                size += (size_t) n;
        }
        if (size > RECORD_SIZE_MAX)
                return log_warning_errno(EFBIG, "Record of %s is larger than a record can be, ignoring it.",
                                         address);
        *ret_size = size;
        return 0;
}

int record_load(Records *rec, const char *address, char **ret_driver, char **ret_override) {
        _cleanup_close_ int fd = -EBADF;
        char buf[RECORD_SIZE_MAX + 1];
        size_t size = 0;
        int r;

        /* O_NONBLOCK: opening a FIFO must not wait for a writer. O_NOFOLLOW: a record is never a
         * link to somewhere else. */
        fd = openat(rec->dir_fd, address, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno == ELOOP)
                return log_warning_errno(ELOOP, "Record of %s is a symbolic link, ignoring it.", address);
        if (fd < 0)
                return -errno;
        r = read_record(fd, address, buf, &size);
        if (r < 0)
                return r;
        return record_parse(buf, size, ret_driver, ret_override);
}

int record_remove(Records *rec, const char *address) {
        if (unlinkat(rec->dir_fd, address, 0) < 0 && errno != ENOENT)
                return log_warning_errno(errno, "Failed to remove record of %s: %m", address);
        return 0;
}
