/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "dir-list.h"
#include "log.h"
#include "sysfs.h"

struct Sysfs {
        int root_fd;
};

int sysfs_open(const char *root, Sysfs **ret) {
        Sysfs *s;
        int fd;

        assert(root);
        assert(ret);
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
        assert(s);
        return s->root_fd;
}

/* devpath begins with '/', the root fd is the sysfs mount: drop the slash. A NULL devpath
 * makes entry a path relative to the root ("bus/pci/drivers_probe"). */
static int device_path(const char *devpath, const char *entry, char buf[static PATH_MAX]) {
        size_t nd, ne = strlen(entry);
        char *p = buf;

        /* Joined with memcpy, not snprintf: every attribute read of every function comes here. */
        if (devpath) {
                while (*devpath == '/')
                        devpath++;
                nd = strlen(devpath);
                if (nd + 1 + ne >= PATH_MAX)
                        return -ENAMETOOLONG;
                p = mempcpy(p, devpath, nd);
                *p++ = '/';
        } else if (ne >= PATH_MAX)
                return -ENAMETOOLONG;
        memcpy(p, entry, ne + 1);
        return 0;
}

/* The one place a device's entry is opened: below the root, never through a symlink. */
static int open_entry(Sysfs *s, const char *devpath, const char *entry, int flags) {
        char path[PATH_MAX];
        int fd, r;

        r = device_path(devpath, entry, path);
        if (r < 0)
                return r;
        fd = openat(s->root_fd, path, flags | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int sysfs_read_attr(Sysfs *s, const char *devpath, const char *attr, char **ret) {
        _cleanup_close_ int fd = -EBADF;
        char buf[4096];
        ssize_t n;
        char *v;

        assert(s);
        assert(attr);
        assert(ret);
        fd = open_entry(s, devpath, attr, O_RDONLY);
        if (fd < 0)
                return fd;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                buf[--n] = '\0';
        v = strdup(buf);
        if (!v)
                return -ENOMEM;
        *ret = v;
        return 0;
}

int sysfs_open_attr(Sysfs *s, const char *devpath, const char *attr) {
        assert(s);
        assert(attr);
        return open_entry(s, devpath, attr, O_RDONLY);
}

int sysfs_read_int(Sysfs *s, const char *devpath, const char *attr, long *ret) {
        _cleanup_free_ char *v = NULL;
        char *end;
        long n;
        int r;

        assert(s);
        assert(attr);
        assert(ret);
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

int sysfs_read_uint(Sysfs *s, const char *devpath, const char *attr, unsigned long *ret) {
        long n;
        int r;

        assert(ret);
        r = sysfs_read_int(s, devpath, attr, &n);
        if (r < 0)
                return r;
        if (n < 0)
                return -EINVAL;
        *ret = (unsigned long) n;
        return 0;
}

/* The target of the link at path (under the root), NUL-terminated. */
static int read_link(Sysfs *s, const char *path, char target[static PATH_MAX]) {
        ssize_t n = readlinkat(s->root_fd, path, target, PATH_MAX - 1);

        if (n < 0)
                return -errno;
        target[n] = '\0';
        return 0;
}

int sysfs_read_link_name(Sysfs *s, const char *devpath, const char *link, char **ret) {
        char path[PATH_MAX], target[PATH_MAX];
        const char *name;
        char *copy;
        int r;

        assert(s);
        assert(link);
        assert(ret);
        r = device_path(devpath, link, path);
        if (r < 0)
                return r;
        r = read_link(s, path, target);
        if (r < 0)
                return r;
        name = strrchr(target, '/');
        name = name ? name + 1 : target;
        if (!*name)
                return -EINVAL;
        copy = strdup(name);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

int sysfs_link_devpath(Sysfs *s, const char *link, char **ret) {
        char target[PATH_MAX];
        const char *p;
        int r;

        assert(s);
        assert(link);
        assert(ret);
        r = read_link(s, link, target);
        if (r < 0)
                return r;
        p = strstr(target, "devices/");
        if (!p)
                return -EINVAL;
        return asprintf(ret, "/%s", p) < 0 ? -ENOMEM : 0;
}

int sysfs_list_prefixed(Sysfs *s, const char *devpath, const char *prefix, char ***ret) {
        char path[PATH_MAX];
        int r;

        assert(s);
        assert(ret);
        r = device_path(devpath, ".", path);
        if (r < 0)
                return r;
        return dir_list_at(s->root_fd, path, prefix, NULL, ret);
}

int sysfs_write_attr(Sysfs *s, const char *devpath, const char *attr, const char *value) {
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(value);
        ssize_t n;

        assert(s);
        assert(attr);
        assert(value);
        /* O_TRUNC as a shell's ">" does: sysfs ignores it, plain files (testbeds) need it. */
        fd = open_entry(s, devpath, attr, O_WRONLY | O_TRUNC);
        if (fd < 0)
                return fd;
        n = write(fd, value, len);
        if (n < 0)
                return -errno;
        if ((size_t) n != len)
                return -EIO;
        return 0;
}

int sysfs_write_path(Sysfs *s, const char *path, const char *value) {
        assert(s);
        assert(path);
        assert(value);
        return sysfs_write_attr(s, NULL, path, value);
}

bool sysfs_path_exists(Sysfs *s, const char *path) {
        assert(s);
        assert(path);
        return faccessat(s->root_fd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

bool sysfs_module_present(Sysfs *s, const char *module, const char *driver) {
        _cleanup_free_ char *path = NULL;

        assert(s);
        if (asprintf(&path, "module/%s", module) < 0)
                return false;
        if (sysfs_path_exists(s, path))
                return true;
        path = mfree(path);
        return driver && asprintf(&path, "bus/pci/drivers/%s", driver) >= 0 && sysfs_path_exists(s, path);
}
