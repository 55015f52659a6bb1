/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The bus connection and the /org/passthru/Manager object: its properties, ListDevices,
 * GetDevice, and the DeviceAdded / DeviceRemoved / DriverChanged signals. */

#include <systemd/sd-bus.h>

#include "pci-address.h"

typedef struct Manager Manager;
typedef struct Device Device;

/* Connects, exports every object, takes the bus name. */
int bus_manager_start(Manager *m);

/* Serves the objects under prefix ("device" or "group" objects, as the log names them) with
 * one fallback vtable, find mapping a path to its object, and their node enumerator. */
int bus_register_fallback(Manager *m, const char *what, const char *prefix, const char *interface,
                          const sd_bus_vtable *vtable, sd_bus_object_find_t find,
                          sd_bus_node_enumerator_t enumerate);
/* A node enumerator's answer: copies of the n object paths path_of(m, 0..n-1). */
int bus_node_list(Manager *m, size_t n, const char *(*path_of)(Manager *m, size_t i), char ***ret_nodes);

/* NoSuchDevice, with the sentence every method uses. */
int bus_error_no_such_device(sd_bus_error *error, const PciAddress *a);

void bus_manager_emit_device_added(Manager *m, Device *d);
void bus_manager_emit_device_removed(Manager *m, Device *d);
void bus_manager_emit_driver_changed(Manager *m, Device *d, const char *old_driver);
void bus_manager_emit_iommu_changed(Manager *m);
void bus_manager_emit_host_status_changed(Manager *m);
