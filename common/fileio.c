/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>

#include "dir-list.h"
#include "fileio.h"
#include "log.h"
#include "macros.h"

#define TEMP_SUFFIX_LEN 6
#define TEMP_ATTEMPTS 100
/* The first buffer for a file whose size is not known (/proc, sysfs): a page. */
#define READ_FIRST_SIZE 4095

bool stat_same_file(const struct stat *a, const struct stat *b) {
        assert(a);
        assert(b);
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Reads fd to its end into *buf, which holds size bytes and a NUL. While size is below max,
 * a full buffer is reallocated twice as large, at most to max bytes: a file is read into
 * about its own size, whatever the cap. */
static int read_to_end(int fd, char **buf, size_t size, size_t max, size_t *ret_size) {
        size_t n = 0;

        assert(size <= max);
        for (;;) {
                ssize_t k;

                /* One byte more than the buffer holds is asked for: a file that grew past
                 * max is seen. */
                if (n > size) {
                        char *grown;

                        if (size == max)
                                return -EFBIG;
                        size = size > max / 2 ? max : size * 2;
                        grown = realloc(*buf, size + 1);
                        if (!grown)
                                return -ENOMEM;
                        *buf = grown;
                }
                k = read(fd, *buf + n, size + 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        (*buf)[n] = '\0';
        if (ret_size)
                *ret_size = n;
        return 0;
}

/* The regular file dirfd/path opened for reading, if it has at most max bytes. */
static int open_regular_at(int dirfd, const char *path, size_t max, ReadFileFlags flags,
                           struct stat *ret_st) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        assert(path);
        /* O_NONBLOCK: opening a FIFO must not wait for a writer before fstat() refuses it. */
        fd = openat(dirfd, path,
                    O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY |
                            (flags & READ_FILE_FOLLOW ? 0 : O_NOFOLLOW));
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (st.st_size < 0 || (uintmax_t) st.st_size > max)
                return -EFBIG;
        if (ret_st)
                *ret_st = st;
        return TAKE_FD(fd);
}

int read_file_at(int dirfd, const char *path, size_t max, ReadFileFlags flags, char **ret, size_t *ret_size,
                 struct stat *ret_st) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t size;
        int r;

        assert(path);
        assert(ret);
        fd = open_regular_at(dirfd, path, max, flags, &st);
        if (fd < 0)
                return fd;
        /* st_size is the size of a regular file on disk, 0 in /proc and sysfs. */
        size = (size_t) st.st_size > READ_FIRST_SIZE ? (size_t) st.st_size : READ_FIRST_SIZE;
        if (size > max)
                size = max;
        buf = malloc(size + 1);
        if (!buf)
                return -ENOMEM;
        r = read_to_end(fd, &buf, size, max, ret_size);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        if (ret_st)
                *ret_st = st;
        return 0;
}

int read_file_into_at(int dirfd, const char *path, ReadFileFlags flags, char *buf, size_t size,
                      size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;

        assert(path);
        assert(buf);
        assert(size > 0);
        fd = open_regular_at(dirfd, path, size - 1, flags, NULL);
        if (fd < 0)
                return fd;
        return read_to_end(fd, &buf, size - 1, size - 1, ret_size);
}

static int run_step(const WriteFileParams *p, const char *step) {
        return p->before_step ? p->before_step(step, p->userdata) : 0;
}

static int write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static bool temp_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ".NAME.XXXXXX" opened new under dirfd, as mkostemp() would in the process's own directory. */
static int open_temporary(int dirfd, const char *name, mode_t mode, char **ret_tmp) {
        static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

        for (unsigned attempt = 0; attempt < TEMP_ATTEMPTS; attempt++) {
                _cleanup_free_ char *tmp = NULL;
                unsigned char random[TEMP_SUFFIX_LEN];
                char suffix[TEMP_SUFFIX_LEN + 1];
                int fd;

                if (getrandom(random, sizeof(random), GRND_INSECURE) != sizeof(random) &&
                    getrandom(random, sizeof(random), 0) != sizeof(random))
                        return -errno;
                for (size_t i = 0; i < TEMP_SUFFIX_LEN; i++)
                        suffix[i] = chars[random[i] % (sizeof(chars) - 1)];
                suffix[TEMP_SUFFIX_LEN] = '\0';
                if (asprintf(&tmp, ".%s.%s", name, suffix) < 0)
                        return -ENOMEM;
                fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
                if (fd < 0 && errno == EEXIST)
                        continue;
                if (fd < 0)
                        return -errno;
                *ret_tmp = TAKE_PTR(tmp);
                return fd;
        }
        return -EEXIST;
}

/* Gives the temporary file the old file's owner and group. A writer that may not (not root,
 * no CAP_CHOWN) leaves it its own and says so. */
static int take_owner(int fd, const char *name, const struct stat *old) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_uid == old->st_uid && st.st_gid == old->st_gid)
                return 0;
        if (fchown(fd, old->st_uid, old->st_gid) >= 0)
                return 0;
        if (errno != EPERM)
                return -errno;
        log_warning_errno(errno,
                          "Cannot keep the owner %u:%u of %s (%m); the file is now owned by %u:%u, "
                          "its mode is kept.",
                          (unsigned) old->st_uid, (unsigned) old->st_gid, name, (unsigned) st.st_uid,
                          (unsigned) st.st_gid);
        return 0;
}

/* The old file's mode, owner and group, or mode for a new one. The mode first: once the file
 * is another user's, only CAP_FOWNER (which passthrud's unit does not grant) could change it. */
static int take_attributes(int fd, const char *name, const struct stat *old, mode_t mode) {
        int r;

        if (old)
                mode = old->st_mode & 07777;
        /* Exactly this mode: the umask does not narrow it. */
        if (fchmod(fd, mode) < 0)
                return -errno;
        if (!old)
                return 0;
        r = take_owner(fd, name, old);
        if (r < 0)
                return r;
        /* fchown() cleared set-ID bits; a file now another user's takes them back only with
         * CAP_FOWNER. */
        if ((mode & (S_ISUID | S_ISGID)) && fchmod(fd, mode) < 0)
                log_warning_errno(errno, "Cannot keep the set-ID bits of %s (%m), ignoring.", name);
        return 0;
}

static int check_expected(int dirfd, const char *name, const WriteFileParams *p) {
        struct stat st;

        if (p->expect == WRITE_ANY)
                return 0;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno != ENOENT)
                        return -errno;
                return p->expect == WRITE_SAME ? -ESTALE : 0;
        }
        if (p->expect == WRITE_NOREPLACE)
                return -EEXIST;
        return p->expect == WRITE_SAME && stat_same_file(&st, p->expected_st) ? 0 : -ESTALE;
}

/* tmp takes the name only when no file has it: -EEXIST otherwise. */
static int rename_noreplace(int dirfd, const char *tmp, const char *name) {
        if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) >= 0)
                return 0;
        if (errno != EINVAL && errno != ENOSYS)
                return -errno;
        /* A file system without RENAME_NOREPLACE: link() never replaces either. */
        if (linkat(dirfd, tmp, dirfd, name, 0) < 0)
                return -errno;
        (void) unlinkat(dirfd, tmp, 0);
        return 0;
}

/* Whether dirfd/path is still the file open as fd. */
static bool is_our_file(int dirfd, const char *path, int fd) {
        struct stat a, b;

        return fstatat(dirfd, path, &a, AT_SYMLINK_NOFOLLOW) >= 0 && fstat(fd, &b) >= 0 &&
               a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* tmp replaces name only if name is still p->expected_st when it does. The exchange is atomic:
 * what tmp holds afterwards is exactly the file that was replaced, so an edit renamed in just
 * before is seen, and put back by a second exchange. */
static int exchange_if_same(int dirfd, const char *tmp, const char *name, int fd, const WriteFileParams *p) {
        struct stat replaced;

        if (renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE) < 0) {
                if (errno == ENOENT)
                        return -ESTALE; /* the file was removed meanwhile */
                if (errno != EINVAL && errno != ENOSYS)
                        return -errno;
                /* No RENAME_EXCHANGE here: the check just before is all there is. */
                if (renameat(dirfd, tmp, dirfd, name) < 0)
                        return -errno;
                return 0;
        }
        if (fstatat(dirfd, tmp, &replaced, AT_SYMLINK_NOFOLLOW) >= 0 &&
            stat_same_file(&replaced, p->expected_st)) {
                (void) unlinkat(dirfd, tmp, 0);
                return 0;
        }
        /* Someone else's file was replaced: it takes the name back. */
        if (renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE) < 0)
                return -errno;
        /* Only our own file is removed; were it not, another edit would be lost. */
        if (is_our_file(dirfd, tmp, fd))
                (void) unlinkat(dirfd, tmp, 0);
        return -ESTALE;
}

static int take_name(int dirfd, const char *tmp, const char *name, int fd, const WriteFileParams *p) {
        switch (p->expect) {
        case WRITE_SAME:
                return exchange_if_same(dirfd, tmp, name, fd, p);
        case WRITE_ABSENT: {
                int r = rename_noreplace(dirfd, tmp, name);

                return r == -EEXIST ? -ESTALE : r;
        }
        case WRITE_NOREPLACE:
                return rename_noreplace(dirfd, tmp, name);
        case WRITE_ANY:
        default:
                return renameat(dirfd, tmp, dirfd, name) < 0 ? -errno : 0;
        }
}

static int write_temporary(int fd, const char *name, const void *data, size_t size, const struct stat *old,
                           mode_t mode, const WriteFileParams *p, struct stat *ret_st) {
        int r;

        r = take_attributes(fd, name, old, mode);
        if (r >= 0)
                r = run_step(p, "write");
        if (r >= 0)
                r = write_all(fd, data, size);
        if (r >= 0)
                r = run_step(p, "fsync");
        if (r < 0)
                return r;
        if (fsync(fd) < 0 || fstat(fd, ret_st) < 0)
                return -errno;
        return 0;
}

int write_file_atomic_at(int dirfd, const char *name, const void *data, size_t size,
                         const WriteFileParams *params, struct stat *ret_st) {
        const WriteFileParams none = { .mode = 0644 };
        const WriteFileParams *p = params ?: &none;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        struct stat old, st;
        bool exists;
        int r;

        assert(name);
        assert(data || size == 0);
        assert(p->expect != WRITE_SAME || p->expected_st);
        if (!*name || strchr(name, '/'))
                return -EINVAL;
        exists = fstatat(dirfd, name, &old, AT_SYMLINK_NOFOLLOW) >= 0;
        if (!exists && errno != ENOENT)
                return -errno;
        if (exists && S_ISLNK(old.st_mode))
                return -ELOOP;
        if (exists && !S_ISREG(old.st_mode))
                return S_ISDIR(old.st_mode) ? -EISDIR : -EBADFD;
        r = check_expected(dirfd, name, p);
        if (r < 0)
                return r;

        fd = open_temporary(dirfd, name, 0600, &tmp);
        if (fd < 0)
                return fd;
        r = write_temporary(fd, name, data, size, exists ? &old : NULL, p->mode, p, &st);
        /* Checked again just before the rename: the file may have changed while we wrote. */
        if (r >= 0)
                r = check_expected(dirfd, name, p);
        if (r >= 0)
                r = run_step(p, "rename");
        if (r >= 0)
                r = take_name(dirfd, tmp, name, fd, p);
        if (r < 0) {
                if (is_our_file(dirfd, tmp, fd))
                        (void) unlinkat(dirfd, tmp, 0);
                return r;
        }
        /* The rename is durable only once the directory is on disk too. */
        if (fsync(dirfd) < 0)
                return -errno;
        if (ret_st)
                *ret_st = st;
        return 0;
}

static bool is_temporary_of(const char *entry, const char *name) {
        size_t n = strlen(name);

        if (entry[0] != '.' || strncmp(entry + 1, name, n) != 0 || entry[n + 1] != '.' ||
            strlen(entry + n + 2) != TEMP_SUFFIX_LEN)
                return false;
        for (const char *c = entry + n + 2; *c; c++)
                if (!temp_char(*c))
                        return false;
        return true;
}

typedef struct Cleaning {
        const char *name;
        int removed;
} Cleaning;

static int clean_entry(int dfd, const char *entry, void *data) {
        Cleaning *c = data;
        struct stat st;

        if (!is_temporary_of(entry, c->name))
                return 0;
        if (fstatat(dfd, entry, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                return 0;
        if (unlinkat(dfd, entry, 0) < 0)
                return errno == ENOENT ? 0 : -errno;
        c->removed++;
        return 0;
}

int write_file_clean_temporaries_at(int dirfd, const char *name) {
        Cleaning c = { .name = name };
        int r;

        assert(name);
        r = dir_for_each_at(dirfd, ".", clean_entry, &c);
        return r < 0 ? r : c.removed;
}
