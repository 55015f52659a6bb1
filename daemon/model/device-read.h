/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reading a Device from sysfs: its IDs, names, driver, group, SR-IOV and reset facts, and
 * what it means for the host (Blockers from safety.c, Holders from holders.c, the reset
 * verdict from reset.c). */

#include "device.h"

typedef struct Sysfs Sysfs;
typedef struct PciIds PciIds;
typedef struct Kmod Kmod;
typedef struct SafetyHost SafetyHost;

/* Where names and module look-ups come from; any of them may be NULL. */
typedef struct DeviceSources {
        Sysfs *sysfs;
        PciIds *ids;
        Kmod *kmod;
        SafetyHost *host; /* what the host uses, for Blockers */
} DeviceSources;

/* The function's address from the last component of its devpath. */
int device_address_from_devpath(const char *devpath, PciAddress *ret);
int device_new_from_sysfs(const DeviceSources *src, const char *devpath, Device **ret);
/* The same, read again for a function the model has (known, NULL: none): while its IDs are
 * the same its names are taken from known, not looked up, so a driver change does not cost
 * a parse of pci.ids (released between hotplugs, see manager.c). */
int device_new_from_sysfs_known(const DeviceSources *src, const char *devpath, const Device *known,
                                Device **ret);
/* The two facts every driver change acts on, read from sysfs now: the driver link's name
 * (NULL: unbound) and driver_override (NULL: not set). */
int device_read_driver(Sysfs *s, const char *devpath, char **ret_driver, char **ret_override);
/* Blockers and Holders anew from host (what the host uses now); the DeviceChange bits. */
unsigned device_update_host_use(Device *d, SafetyHost *host);
