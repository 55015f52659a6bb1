/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>

#include "dir-list.h"
#include "strv.h"

static bool name_matches(const char *name, const char *prefix, const char *suffix) {
        size_t len = strlen(name);

        if (name[0] == '.')
                return false;
        if (prefix && strncmp(name, prefix, strlen(prefix)) != 0)
                return false;
        return !suffix || (len > strlen(suffix) && streq(name + len - strlen(suffix), suffix));
}

/* Appends a copy of name to the n-element list of *allocated slots, keeping it
 * NULL-terminated: strv_extend() counts the list on every call, quadratic for a directory of
 * thousands (bus/pci/devices on a big host). */
static int append(char ***names, size_t *n, size_t *allocated, const char *name) {
        char *copy = strdup(name);

        if (!copy)
                return -ENOMEM;
        if (*n + 1 >= *allocated) {
                size_t grown_size = *allocated * 2;
                char **grown = realloc(*names, sizeof(char *) * grown_size);

                if (!grown) {
                        free(copy);
                        return -ENOMEM;
                }
                *names = grown;
                *allocated = grown_size;
        }
        (*names)[(*n)++] = copy;
        (*names)[*n] = NULL;
        return 0;
}

int dir_for_each_at(int dirfd, const char *path, int (*f)(int dfd, const char *name, void *data),
                    void *data) {
        /* 8 KiB: a few hundred entries a system call. */
        union {
                struct dirent64 first;
                char bytes[8192];
        } buffer;
        int fd, r = 0;

        assert(path);
        assert(f);
        fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        while (r >= 0) {
                ssize_t n = getdents64(fd, buffer.bytes, sizeof(buffer.bytes));

                if (n < 0)
                        r = -errno;
                if (n <= 0)
                        break;
                for (ssize_t at = 0; at < n && r >= 0;) {
                        const struct dirent64 *de = (const struct dirent64 *) (buffer.bytes + at);

                        at += de->d_reclen;
                        if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                                r = f(fd, de->d_name, data);
                }
        }
        close(fd);
        return r;
}

typedef struct Listing {
        const char *prefix, *suffix;
        char **names;
        size_t n, allocated;
} Listing;

static int list_entry(int dfd, const char *name, void *data) {
        Listing *l = data;

        return name_matches(name, l->prefix, l->suffix) ? append(&l->names, &l->n, &l->allocated, name) : 0;
}

int dir_list_at(int dirfd, const char *path, const char *prefix, const char *suffix, char ***ret) {
        Listing l = { .prefix = prefix, .suffix = suffix, .allocated = 16 };
        int r;

        assert(ret);
        l.names = calloc(l.allocated, sizeof(char *));
        if (!l.names)
                return -ENOMEM;
        r = dir_for_each_at(dirfd, path, list_entry, &l);
        if (r < 0) {
                strv_free(l.names);
                return r;
        }
        strv_sort(l.names);
        *ret = l.names;
        return 0;
}
