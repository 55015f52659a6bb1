/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "fileio.h"
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

        assert(ret);
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
        const WriteFileParams params = { .mode = 0644 };
        _cleanup_free_ char *text = NULL;
        int n, r;

        assert(rec);
        assert(address);
        n = asprintf(&text, "driver=%s\noverride=%s\n", strempty(driver), strempty(override));
        if (n < 0)
                return -ENOMEM;
        /* On disk, directory included, before the first sysfs write relies on it. */
        r = write_file_atomic_at(rec->dir_fd, address, text, (size_t) n, &params, NULL);
        /* Something else by that name (a link, a FIFO) is no record of ours: replaced. */
        if ((r == -ELOOP || r == -EBADFD) && unlinkat(rec->dir_fd, address, 0) >= 0)
                r = write_file_atomic_at(rec->dir_fd, address, text, (size_t) n, &params, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to write record for %s: %m", address);
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

        assert(buf);
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

int record_load(Records *rec, const char *address, char **ret_driver, char **ret_override) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        int r;

        assert(rec);
        assert(address);
        /* A record is never a link to somewhere else; a FIFO would block the daemon and a
         * device node is no record: only regular files. */
        r = read_file_at(rec->dir_fd, address, RECORD_SIZE_MAX, 0, &text, &size, NULL);
        if (r == -ELOOP)
                return log_warning_errno(r, "Record of %s is a symbolic link, ignoring it.", address);
        if (r == -EBADFD || r == -EISDIR)
                return log_warning_errno(EBADMSG, "Record of %s is not a regular file, ignoring it.",
                                         address);
        if (r == -EFBIG)
                return log_warning_errno(r, "Record of %s is larger than a record can be, ignoring it.",
                                         address);
        if (r < 0)
                return r;
        return record_parse(text, size, ret_driver, ret_override);
}

int record_remove(Records *rec, const char *address) {
        assert(rec);
        assert(address);
        if (unlinkat(rec->dir_fd, address, 0) < 0 && errno != ENOENT)
                return log_warning_errno(errno, "Failed to remove record of %s: %m", address);
        return 0;
}
