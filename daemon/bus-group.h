/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One org.passthru.Group object per IOMMU group under /org/passthru/groups. */

#include <stddef.h>

typedef struct Manager Manager;
typedef struct Group Group;

int bus_group_register(Manager *m);
/* Compares the old table with the manager's current one and emits InterfacesAdded,
 * InterfacesRemoved and PropertiesChanged accordingly. */
void bus_groups_emit_changes(Manager *m, Group **old, size_t n_old);
