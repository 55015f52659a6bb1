/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The device table: every PCI function, sorted by address, and the IOMMU groups derived
 * from it. One structure, used by the Manager, the host checks, the planner and the tests'
 * fixtures alike. The table owns its devices; groups borrow them. */

#include <stddef.h>

#include "device.h"
#include "group.h"

typedef struct DeviceTable {
        Device **devices; /* sorted by address */
        size_t n_devices;
        Group **groups; /* sorted by number, rebuilt when devices change */
        size_t n_groups;
} DeviceTable;

/* Frees every device and group; the table is empty afterwards. */
void device_table_done(DeviceTable *t);

Device *device_table_find(const DeviceTable *t, const PciAddress *a);
Group *device_table_find_group(const DeviceTable *t, int number);
/* The group of d, or NULL without IOMMU. */
Group *device_table_group_of(const DeviceTable *t, const Device *d);
/* Whether any IOMMU group exists (the IOMMU is on). */
bool device_table_iommu_enabled(const DeviceTable *t);

/* Takes ownership of d on success; -EEXIST when its address is in the table. Groups are
 * not rebuilt: call device_table_rebuild_groups() after a batch. */
int device_table_insert(DeviceTable *t, Device *d);
/* Removes the device at a from the table and returns it (the caller frees it), or NULL. */
Device *device_table_take(DeviceTable *t, const PciAddress *a);
/* Builds the group table anew; on success *ret_old receives the previous one (for the
 * caller to compare and then free with groups_free()). */
int device_table_rebuild_groups(DeviceTable *t, Group ***ret_old, size_t *ret_n_old);
