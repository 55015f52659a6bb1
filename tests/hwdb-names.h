/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the udev hwdb of this machine says for a PCI ID, asked the way libpci asks it
 * (pciutils lib/names-hwdb.c, 3.9) for the IDs its pci.ids does not name: the names a test
 * expects from passthrud for such IDs. Each returns a newly allocated name, or NULL when the
 * hwdb does not know the ID or there is no hwdb. */

#include <stdint.h>

char *hwdb_vendor_name(uint16_t vendor);
char *hwdb_device_name(uint16_t vendor, uint16_t device);
/* libpci's order: the device's subsystem entry, the generic one, and the device itself when
 * the subsystem IDs are the device's own. */
char *hwdb_subsystem_name(uint16_t vendor, uint16_t device, uint16_t subvendor, uint16_t subdevice);
/* The subclass's name, else the base class's with the class number, as libpci gives them. */
char *hwdb_class_name(uint32_t class_code);
