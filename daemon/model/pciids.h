/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Human names for PCI IDs through libpci (pci_lookup_name()), the names lspci shows: from
 * pci.ids, loaded by libpci on the first look-up and kept until released; an ID it does not
 * know comes from the udev hwdb, as Debian's libpci is built; else no name (the IDs). */

#include <stdint.h>

#include "macros.h"

typedef struct PciIds PciIds;

/* ids_file NULL means the build's default (PCI_IDS_PATH, the meson option pci_ids). Nothing
 * is read here: a missing or malformed file costs names, never the daemon. */
int pciids_new(const char *ids_file, PciIds **ret);
PciIds *pciids_free(PciIds *p);
/* Frees libpci's name list and its hwdb handle (pci_free_name_list()); the next look-up
 * loads pci.ids again. For when the names of every known function have been looked up. */
void pciids_release(PciIds *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(PciIds *, pciids_free);

/* Each returns the name, or NULL when neither pci.ids nor the hwdb knows it. The name is p's
 * and stays valid until pciids_free() (a release keeps it): functions with the same IDs get
 * the same string. */
const char *pciids_vendor_name(PciIds *p, uint16_t vendor);
const char *pciids_device_name(PciIds *p, uint16_t vendor, uint16_t device);
const char *pciids_subsystem_name(PciIds *p, uint16_t vendor, uint16_t device, uint16_t subvendor,
                                  uint16_t subdevice);
/* The subclass name ("VGA compatible controller"), as lspci shows it. */
const char *pciids_class_name(PciIds *p, uint32_t class_code);
