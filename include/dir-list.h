/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Listing a directory relative to a directory fd, the way every root the daemon reads (/sys,
 * /proc, /etc, /dev, or a test fixture standing in for them) is opened. */

/* Sorted names of the entries of dirfd/path that start with prefix and end in suffix (either
 * may be NULL). Names starting with '.' are left out: "." and "..", and hidden files, which
 * modprobe and modules-load.d ignore too. An empty directory gives an empty strv. */
int dir_list_at(int dirfd, const char *path, const char *prefix, const char *suffix, char ***ret);

/* Calls f(dfd, name, data) for each entry of dirfd/path but "." and "..", in the kernel's
 * order, until f returns <0 (which is returned). Reads with getdents64() straight into one
 * buffer: no DIR, so no fcntl() and fstat() per directory (the safety check reads
 * /proc/PID/fd of every process before each change). -errno when it cannot be opened. */
int dir_for_each_at(int dirfd, const char *path, int (*f)(int dfd, const char *name, void *data),
                    void *data);
