/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a device had before passthru first moved it: its driver and its driver_override,
 * one small file per device under the runtime directory (/run/passthru/devices/ADDRESS).
 * The record is written before anything is touched and survives a daemon restart, so an
 * Unbind after a crash still knows where the device belongs. Files are replaced atomically
 * (temporary file + rename). */

#include <stdbool.h>

#include "macros.h"

typedef struct Records Records;

/* dir NULL: /run/passthru. With create, makes DIR/devices if needed; without, -ENOENT when
 * nothing was ever recorded (the daemon creates it only when it first changes a driver). */
int records_open(const char *dir, bool create, Records **ret);
Records *records_free(Records *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(Records *, records_free);

/* driver and override may be NULL (unbound, no override). */
int record_save(Records *r, const char *address, const char *driver, const char *override);
/* -ENOENT when nothing is recorded. Either out pointer may be NULL; values may be NULL. */
int record_load(Records *r, const char *address, char **ret_driver, char **ret_override);
int record_remove(Records *r, const char *address);
