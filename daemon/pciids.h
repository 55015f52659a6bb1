/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Human names for PCI IDs from the pci.ids database, through libpci. Only the name lookup of
 * libpci is used: device data comes from sysfs, never from libpci's own scan. */

#include <stdint.h>

#include "macros.h"

typedef struct PciIds PciIds;

/* ids_file NULL means libpci's compiled-in default (/usr/share/misc/pci.ids). */
int pciids_new(const char *ids_file, PciIds **ret);
PciIds *pciids_free(PciIds *p);
/* Frees the parsed pci.ids (about 2 MB of heap); the next look-up parses it again. For when
 * the names of every known function have been looked up. */
void pciids_release(PciIds *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(PciIds *, pciids_free);

/* Each returns a newly allocated name, or NULL when the database does not know the ID. */
char *pciids_vendor_name(PciIds *p, uint16_t vendor);
char *pciids_device_name(PciIds *p, uint16_t vendor, uint16_t device);
char *pciids_subsystem_name(PciIds *p, uint16_t vendor, uint16_t device, uint16_t subvendor,
                            uint16_t subdevice);
/* The subclass name ("VGA compatible controller"), as lspci shows it. */
char *pciids_class_name(PciIds *p, uint32_t class_code);
