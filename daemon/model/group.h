/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* IOMMU groups, derived from the device table: a group is the set of functions whose
 * iommu_group link names the same number. A group is viable for a VM when it has an endpoint
 * and every endpoint in it is on vfio-pci, pci-stub or no driver; bridges do not count (a
 * group of bridges alone stays with the host). */

#include <stdbool.h>
#include <stddef.h>

#include "macros.h"

typedef struct Device Device;

#define GROUP_PATH_MAX (sizeof("/org/passthru/groups/") + 11)

typedef struct Group {
        int number;
        char object_path[GROUP_PATH_MAX];
        Device **devices; /* borrowed; sorted by address */
        size_t n_devices;
        bool viable; /* computed when the table is built */
} Group;

Group *group_free(Group *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(Group *, group_free);

bool group_is_viable(const Group *g);
/* Whether a driver counts as "safe for the group" (vfio-pci, pci-stub, none). */
bool group_driver_is_viable(const char *driver);

/* Builds the sorted group table from a sorted device array. */
int groups_build(Device **devices, size_t n_devices, Group ***ret, size_t *ret_n);
void groups_free(Group **groups, size_t n);
Group *groups_find(Group **groups, size_t n, int number);
