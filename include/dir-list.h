/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Listing a directory relative to a directory fd, the way every root the daemon reads (/sys,
 * /proc, /etc, /dev, or a test fixture standing in for them) is opened. */

/* Sorted names of the entries of dirfd/path that start with prefix and end in suffix (either
 * may be NULL). Names starting with '.' are left out: "." and "..", and hidden files, which
 * modprobe and modules-load.d ignore too. An empty directory gives an empty strv. */
int dir_list_at(int dirfd, const char *path, const char *prefix, const char *suffix, char ***ret);
