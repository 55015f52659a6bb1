/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The D-Bus contract shared by passthrud and passthructl: names, paths, interfaces and the
 * error names of dbus/org.passthru.Manager.xml. */

#define PASSTHRU_BUS_NAME "org.passthru.Manager"
#define PASSTHRU_ROOT_PATH "/org/passthru"
#define PASSTHRU_MANAGER_PATH "/org/passthru/Manager"
#define PASSTHRU_DEVICES_PATH "/org/passthru/devices"
#define PASSTHRU_GROUPS_PATH "/org/passthru/groups"

#define PASSTHRU_MANAGER_INTERFACE "org.passthru.Manager"
#define PASSTHRU_DEVICE_INTERFACE "org.passthru.Device"
#define PASSTHRU_GROUP_INTERFACE "org.passthru.Group"

#define PASSTHRU_ERROR_INVALID_ADDRESS "org.passthru.Error.InvalidAddress"
#define PASSTHRU_ERROR_NO_SUCH_DEVICE "org.passthru.Error.NoSuchDevice"
#define PASSTHRU_ERROR_GROUP_NOT_VIABLE "org.passthru.Error.GroupNotViable"
#define PASSTHRU_ERROR_DEVICE_IN_USE "org.passthru.Error.DeviceInUse"
#define PASSTHRU_ERROR_PROTECTED_DEVICE "org.passthru.Error.ProtectedDevice"
#define PASSTHRU_ERROR_BUSY "org.passthru.Error.Busy"
#define PASSTHRU_ERROR_STUCK "org.passthru.Error.Stuck"
#define PASSTHRU_ERROR_TIMEOUT "org.passthru.Error.Timeout"
#define PASSTHRU_ERROR_NO_IOMMU "org.passthru.Error.NoIommu"
#define PASSTHRU_ERROR_NOT_AUTHORIZED "org.passthru.Error.NotAuthorized"
#define PASSTHRU_ERROR_INVALID_ARGUMENT "org.passthru.Error.InvalidArgument"
#define PASSTHRU_ERROR_CONFIG_INVALID "org.passthru.Error.ConfigInvalid"
#define PASSTHRU_ERROR_LIMIT_EXCEEDED "org.passthru.Error.LimitExceeded"
#define PASSTHRU_ERROR_FAILED "org.passthru.Error.Failed"

/* One row of Manager.ListDevices(): address, vendor id, device id, class, class name,
 * vendor name, device name, driver, IOMMU group, state. */
#define PASSTHRU_DEVICE_ROW_SIGNATURE "(sqqussssis)"

/* Manager.ListDevicesPacked(): the same rows column by column. A string table, then one
 * array per column with an element per function: addresses (pci_address_pack()), vendor
 * ids, device ids, classes, IOMMU groups, and the class name, vendor name, device name,
 * driver and state as numbers into the string table. */
#define PASSTHRU_DEVICE_COLUMNS_SIGNATURE "asataqaqauaiauauauauau"

/* The string columns of ListDevicesPacked, in the order of the reply, after the fixed ones. */
typedef enum PassthruNameColumn {
        PASSTHRU_NAME_CLASS,
        PASSTHRU_NAME_VENDOR,
        PASSTHRU_NAME_DEVICE,
        PASSTHRU_NAME_DRIVER,
        PASSTHRU_NAME_STATE,
        _PASSTHRU_NAME_MAX,
} PassthruNameColumn;

/* One row of Manager.ListGroups(): number, viable, members sorted by address: (address,
 * driver, state, vendor name, device name, vendor id, device id). */
#define PASSTHRU_GROUP_ROW_SIGNATURE "(iba(sssssqq))"

/* One row of Manager.CheckHost(): check id, status (pass, warn, fail, skip), what was seen,
 * the remedy ("" when there is nothing to do). */
#define PASSTHRU_HOST_CHECK_ROW_SIGNATURE "(ssss)"

/* One row of Manager.GetConfig(): address, the entry as written (a{sv}: vendor-id q,
 * device-id q, class u, subsystem-vendor-id q and subsystem-device-id q when the entry names
 * a subsystem, serial s when it names one, vfio b, sriov-numvfs i when set, allow-protected
 * b), state (applied, pending, missing, mismatch, refused), reason ("" unless refused). */
#define PASSTHRU_CONFIG_ROW_SIGNATURE "(sa{sv}ss)"
