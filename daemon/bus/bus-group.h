/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One org.passthru.Group object per IOMMU group under /org/passthru/groups. */

#include <stddef.h>

typedef struct Bus Bus;
typedef struct Group Group;

/* Group property bits, for batched PropertiesChanged. */
typedef enum GroupChange {
        GROUP_CHANGE_DEVICES = 1 << 0,
        GROUP_CHANGE_VIABLE = 1 << 1,
} GroupChange;

int bus_group_register(Bus *b);
/* Compares the old table with the manager's current one: emits InterfacesAdded and
 * InterfacesRemoved at once, and queues the property changes. */
void bus_groups_emit_changes(Bus *b, Group **old, size_t n_old);
int bus_group_changed_properties(unsigned changes, char ***names);
