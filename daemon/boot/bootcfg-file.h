/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The boot configuration files themselves: reading one under a root directory, how passthru
 * marks the files it writes and names the backups of the ones it changes, so an undo can find
 * both: generated files carry a marker line, a changed file is first copied to
 * FILE.passthru-YYYYmmdd-HHMMSS (UTC, so the name does not depend on the daemon's time zone). */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "memstream.h"

#define BOOTCFG_MARKER "Written by passthru: passthructl boot-config --remove undoes it."

/* path + ".passthru-" + the time of when; n > 0 (a second backup within the same second) adds
 * "-n". -EINVAL for an empty path or a time gmtime() cannot represent. */
int bootcfg_backup_path(const char *path, time_t when, unsigned n, char **ret);

/* Whether name (a file name, no directory) is a backup passthru made of base_name. */
bool bootcfg_is_backup_of(const char *name, const char *base_name);

/* A memstream (memstream.h) for the text of a file passthru writes, its first line the marker
 * as a "#" comment; NULL when out of memory. */
FILE *bootcfg_text_init(MemStream *m);

/* Whether text was written by passthru: the marker is on one of its first lines (after a
 * "#!" line and the like), behind any comment leader. */
bool bootcfg_text_is_ours(const char *text);

/* Reads the regular file path (relative) under the directory dirfd with read_file_at(), at most
 * max bytes: -EFBIG beyond, -EBADMSG for a NUL byte in it (these are text files) and, logged
 * with the path, for anything but a regular file: a symbolic link is not followed and a FIFO
 * never blocks the reader. */
int bootcfg_read_file_at(int dirfd, const char *path, size_t max, char **ret);
