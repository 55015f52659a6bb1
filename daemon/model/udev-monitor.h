/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Watches udev for events of the pci subsystem and hands each to a handler: the monitor
 * knows nothing of what the events mean to the model. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "macros.h"

struct udev;
typedef struct UdevMonitor UdevMonitor;

/* removed: the function went away; otherwise it was added or changed (bind, unbind...). */
typedef void (*udev_monitor_handler_t)(const char *devpath, bool removed, void *userdata);

int udev_monitor_new(struct udev *udev, sd_event *event, udev_monitor_handler_t handler, void *userdata,
                     UdevMonitor **ret);
UdevMonitor *udev_monitor_free(UdevMonitor *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(UdevMonitor *, udev_monitor_free);
