/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One org.passthru.Device object per PCI function under /org/passthru/devices, served by a
 * fallback vtable that finds the Device from the path. */

#include <stdbool.h>

typedef struct Bus Bus;
typedef struct Device Device;

int bus_device_register(Bus *b);
/* InterfacesAdded / InterfacesRemoved, at once (the object comes or goes now). */
void bus_device_emit_added(Bus *b, Device *d);
void bus_device_emit_removed(Bus *b, Device *d);
/* The names of the properties behind the DeviceChange bits, appended to *names. */
int bus_device_changed_properties(unsigned changes, char ***names);
