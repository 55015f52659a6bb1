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

int dir_list_at(int dirfd, const char *path, const char *prefix, const char *suffix, char ***ret) {
        size_t n = 0, allocated = 16;
        _cleanup_strv_free_ char **names = calloc(allocated, sizeof(char *));
        struct dirent *de;
        DIR *d;
        int fd, r = 0;

        if (!names)
                return -ENOMEM;
        fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while (r >= 0 && (de = readdir(d)))
                if (name_matches(de->d_name, prefix, suffix))
                        r = append(&names, &n, &allocated, de->d_name);
        closedir(d);
        if (r < 0)
                return r;
        strv_sort(names);
        *ret = TAKE_PTR(names);
        return 0;
}
