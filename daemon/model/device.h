/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The device model: one Device per PCI function, read from sysfs once when udev announces
 * it and again on each of its events, so D-Bus queries never walk sysfs. The State and
 * Assignable fields are derived here; reading a Device from sysfs, with its Blockers,
 * Holders and reset verdict, is device-read.c's, which sits above safety.c, holders.c and
 * reset.c (they take a Device; this file calls none of them). */

#include <stdbool.h>
#include <stdint.h>

#include "macros.h"
#include "pci-address.h"

typedef enum DeviceState {
        DEVICE_STATE_HOST,    /* a host driver has it */
        DEVICE_STATE_VFIO,    /* vfio-pci has it */
        DEVICE_STATE_UNBOUND, /* no driver */
        DEVICE_STATE_BUSY,    /* an operation on it is under way */
        DEVICE_STATE_STUCK,   /* a driver write never returned */
        _DEVICE_STATE_MAX,
} DeviceState;

const char *device_state_to_string(DeviceState s);

typedef struct Device {
        PciAddress address;
        char address_str[PCI_ADDRESS_STRING_MAX];
        char object_path[PCI_ADDRESS_PATH_MAX];
        char *devpath; /* udev devpath, relative to the sysfs root */

        uint16_t vendor_id, device_id;
        uint16_t subsystem_vendor_id, subsystem_device_id;
        uint32_t class_code;
        uint8_t revision;
        char *serial; /* PCIe Device Serial Number, "00-11-..-77"; NULL when none or unreadable */
        bool is_bridge;

        /* The PciIds' own strings (pciids.h), shared by functions with the same IDs; the
         * DeviceSources' ids outlives every Device read with it. */
        const char *vendor_name, *device_name, *subsystem_name, *class_name;
        char *modalias;
        char **kernel_modules;

        char *driver;            /* NULL when unbound */
        char *driver_override;   /* NULL when not set */
        char *original_driver;   /* recorded before passthru changed it; NULL if never */
        char *original_override; /* the driver_override recorded with it; NULL if none */

        int iommu_group; /* -1 without IOMMU */
        bool boot_vga;
        int numa_node; /* -1 when unknown */
        char **reset_methods;
        char *reset_verdict;     /* one line: how it is reset between VMs (reset.c) */
        char *physical_function; /* address of the PF for a VF, else NULL */
        char **virtual_functions;
        unsigned sriov_numvfs, sriov_totalvfs;

        bool persistent;
        bool busy, stuck;
        char **blockers;
        char **holders; /* pairs: what holds it, the remedy (holders.c) */
} Device;

Device *device_free(Device *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(Device *, device_free);

DeviceState device_get_state(const Device *d);
bool device_is_assignable(const Device *d);

/* Bits naming the D-Bus properties that differ between two readings of a device. */
typedef enum DeviceChange {
        DEVICE_CHANGE_DRIVER = 1 << 0,
        DEVICE_CHANGE_DRIVER_OVERRIDE = 1 << 1,
        DEVICE_CHANGE_IOMMU_GROUP = 1 << 2,
        DEVICE_CHANGE_STATE = 1 << 3,
        DEVICE_CHANGE_ASSIGNABLE = 1 << 4,
        DEVICE_CHANGE_BLOCKERS = 1 << 5,
        DEVICE_CHANGE_SRIOV = 1 << 6,
        DEVICE_CHANGE_IDENTITY = 1 << 7, /* IDs, names, class, modules, reset methods... */
        DEVICE_CHANGE_BOOT_VGA = 1 << 8,
        DEVICE_CHANGE_ORIGINAL_DRIVER = 1 << 9, /* passthru recorded or forgot it */
        DEVICE_CHANGE_PERSISTENT = 1 << 10,
        DEVICE_CHANGE_HOLDERS = 1 << 11,
} DeviceChange;

/* Moves the kernel-read fields of fresh into d, keeping what passthru itself tracks
 * (original driver, persistence, busy/stuck); returns the DeviceChange bits. */
unsigned device_update(Device *d, Device *fresh);
