/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "log.h"
#include "strv.h"
#include "sysfs.h"

struct Sysfs {
        int root_fd;
};

int sysfs_open(const char *root, Sysfs **ret) {
        Sysfs *s;
        int fd;

        fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open sysfs root %s: %m", root);
        s = malloc(sizeof(*s));
        if (!s) {
                close(fd);
                return -ENOMEM;
        }
        s->root_fd = fd;
        *ret = s;
        return 0;
}

Sysfs *sysfs_free(Sysfs *s) {
        if (!s)
                return NULL;
        close(s->root_fd);
        free(s);
        return NULL;
}

int sysfs_root_fd(Sysfs *s) {
        return s->root_fd;
}

/* devpath begins with '/', the root fd is the sysfs mount: drop the slash. */
static int device_path(const char *devpath, const char *entry, char buf[static PATH_MAX]) {
        int n;

        while (*devpath == '/')
                devpath++;
        n = snprintf(buf, PATH_MAX, "%s/%s", devpath, entry);
        if (n < 0 || n >= PATH_MAX)
                return -ENAMETOOLONG;
        return 0;
}

static int read_file_at(int dirfd, const char *path, char **ret) {
        _cleanup_close_ int fd = -EBADF;
        char buf[4096];
        ssize_t n;
        char *s;

        fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                buf[--n] = '\0';
        s = strdup(buf);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int sysfs_read_attr(Sysfs *s, const char *devpath, const char *attr, char **ret) {
        char path[PATH_MAX];
        int r;

        r = device_path(devpath, attr, path);
        if (r < 0)
                return r;
        return read_file_at(s->root_fd, path, ret);
}

int sysfs_read_uint(Sysfs *s, const char *devpath, const char *attr, unsigned long *ret) {
        _cleanup_free_ char *v = NULL;
        char *end;
        unsigned long n;
        int r;

        r = sysfs_read_attr(s, devpath, attr, &v);
        if (r < 0)
                return r;
        errno = 0;
        n = strtoul(v, &end, 0);
        if (errno != 0 || end == v || *end != '\0' || v[0] == '-')
                return -EINVAL;
        *ret = n;
        return 0;
}

int sysfs_read_int(Sysfs *s, const char *devpath, const char *attr, long *ret) {
        _cleanup_free_ char *v = NULL;
        char *end;
        long n;
        int r;

        r = sysfs_read_attr(s, devpath, attr, &v);
        if (r < 0)
                return r;
        errno = 0;
        n = strtol(v, &end, 0);
        if (errno != 0 || end == v || *end != '\0')
                return -EINVAL;
        *ret = n;
        return 0;
}

int sysfs_read_link_name(Sysfs *s, const char *devpath, const char *link, char **ret) {
        char path[PATH_MAX], target[PATH_MAX];
        const char *name;
        ssize_t n;
        int r;

        r = device_path(devpath, link, path);
        if (r < 0)
                return r;
        n = readlinkat(s->root_fd, path, target, sizeof(target) - 1);
        if (n < 0)
                return -errno;
        target[n] = '\0';
        name = strrchr(target, '/');
        name = name ? name + 1 : target;
        if (!*name)
                return -EINVAL;
        *ret = strdup(name);
        return *ret ? 0 : -ENOMEM;
}

int sysfs_list_prefixed(Sysfs *s, const char *devpath, const char *prefix, char ***ret) {
        _cleanup_strv_free_ char **names = calloc(1, sizeof(char *));
        char path[PATH_MAX];
        struct dirent *de;
        DIR *d;
        int fd, r;

        if (!names)
                return -ENOMEM;
        r = device_path(devpath, ".", path);
        if (r < 0)
                return r;
        fd = openat(s->root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        r = 0;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
                        r = strv_extend(&names, de->d_name);
                        if (r < 0)
                                break;
                }
        closedir(d);
        if (r < 0)
                return r;
        strv_sort(names);
        *ret = TAKE_PTR(names);
        return 0;
}

static int write_file_at(int dirfd, const char *path, const char *value) {
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(value);
        ssize_t n;

        /* O_TRUNC as a shell's ">" does: sysfs ignores it, plain files (testbeds) need it. */
        fd = openat(dirfd, path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = write(fd, value, len);
        if (n < 0)
                return -errno;
        if ((size_t) n != len)
                return -EIO;
        return 0;
}

int sysfs_write_attr(Sysfs *s, const char *devpath, const char *attr, const char *value) {
        char path[PATH_MAX];
        int r;

        r = device_path(devpath, attr, path);
        if (r < 0)
                return r;
        return write_file_at(s->root_fd, path, value);
}

int sysfs_write_path(Sysfs *s, const char *path, const char *value) {
        return write_file_at(s->root_fd, path, value);
}

bool sysfs_path_exists(Sysfs *s, const char *path) {
        return faccessat(s->root_fd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}
