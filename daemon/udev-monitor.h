/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Turns udev events of the pci subsystem into device model updates: add/change/bind/unbind
 * re-read the function, remove drops it. */

typedef struct Manager Manager;

int udev_monitor_start(Manager *m);
void udev_monitor_stop(Manager *m);
