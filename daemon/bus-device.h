/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One org.passthru.Device object per PCI function under /org/passthru/devices, served by a
 * fallback vtable that finds the Device from the path. */

typedef struct Manager Manager;
typedef struct Device Device;

int bus_device_register(Manager *m);
void bus_device_emit_added(Manager *m, Device *d);
void bus_device_emit_removed(Manager *m, Device *d);
/* PropertiesChanged for the DeviceChange bits in changes. */
void bus_device_emit_changes(Manager *m, Device *d, unsigned changes);
