/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Looks again at what the host uses (mounts, swap, routes, open DRM and vfio handles,
 * consoles) off the event loop. Reading every /proc/PID/fd takes most of a second on a busy
 * host, and nobody's D-Bus call should wait for that: the scan runs in a thread of its own,
 * on a SafetyHost of its own, and the fresh snapshot is handed to the loop when it is done. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "macros.h"

typedef struct Sysfs Sysfs;
typedef struct SafetyHost SafetyHost;
typedef struct HostUseScan HostUseScan;

/* Called on the event loop with the fresh snapshot, which it takes over. */
typedef void (*host_use_done_t)(SafetyHost *fresh, void *userdata);

/* proc_root NULL: /proc; sysfs is borrowed (only read, and reading is safe from a thread). */
int host_use_scan_new(sd_event *event, const char *proc_root, Sysfs *sysfs, host_use_done_t done,
                      void *userdata, HostUseScan **ret);
/* Waits for a scan still running, and drops its result. */
HostUseScan *host_use_scan_free(HostUseScan *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(HostUseScan *, host_use_scan_free);

/* Starts a scan unless one is running; false when it could not. */
bool host_use_scan_start(HostUseScan *s);
