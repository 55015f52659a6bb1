/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a device had before passthru first moved it: its driver and its driver_override,
 * one small file per device under the runtime directory (/run/passthru/devices/ADDRESS).
 * The record is written before anything is touched and survives a daemon restart, so an
 * Unbind after a crash still knows where the device belongs. Files are replaced atomically
 * (write_file_atomic_at(): temporary file, fsync, rename, fsync of the directory). */

#include <stdbool.h>

#include "macros.h"

typedef struct Records Records;

/* dir NULL: /run/passthru. With create, makes DIR/devices if needed; without, -ENOENT when
 * nothing was ever recorded (the daemon creates it only when it first changes a driver). */
int records_open(const char *dir, bool create, Records **ret);
Records *records_free(Records *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(Records *, records_free);

/* A record is two short lines; anything larger is not one of ours and is not read. */
#define RECORD_SIZE_MAX 4096

/* driver and override may be NULL (unbound, no override). */
int record_save(Records *r, const char *address, const char *driver, const char *override);
/* -ENOENT when nothing is recorded. Only a regular file is read: -ELOOP for a symbolic
 * link, -EBADMSG for anything else (a FIFO, a directory), -EFBIG above RECORD_SIZE_MAX.
 * Either out pointer may be NULL; values may be NULL. */
int record_load(Records *r, const char *address, char **ret_driver, char **ret_override);
/* Parses a record's text ("driver=NAME\noverride=NAME\n"; unknown lines are ignored, the
 * last of a key wins); invalid UTF-8 in a value is escaped. Either out pointer may be NULL. */
int record_parse(const char *buf, size_t size, char **ret_driver, char **ret_override);
int record_remove(Records *r, const char *address);
