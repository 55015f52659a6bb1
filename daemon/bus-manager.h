/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The bus connection and the /org/passthru/Manager object: its properties, ListDevices,
 * GetDevice, and the DeviceAdded / DeviceRemoved / DriverChanged signals. */

typedef struct Manager Manager;
typedef struct Device Device;

/* Connects, exports every object, takes the bus name. */
int bus_manager_start(Manager *m);

void bus_manager_emit_device_added(Manager *m, Device *d);
void bus_manager_emit_device_removed(Manager *m, Device *d);
void bus_manager_emit_driver_changed(Manager *m, Device *d, const char *old_driver);
void bus_manager_emit_iommu_changed(Manager *m);
