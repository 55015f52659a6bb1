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

int dir_list_at(int dirfd, const char *path, const char *prefix, const char *suffix, char ***ret) {
        _cleanup_strv_free_ char **names = calloc(1, sizeof(char *));
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
                        r = strv_extend(&names, de->d_name);
        closedir(d);
        if (r < 0)
                return r;
        strv_sort(names);
        *ret = TAKE_PTR(names);
        return 0;
}
