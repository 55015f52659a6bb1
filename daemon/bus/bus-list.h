/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Manager's listing replies for clients that print many functions at once:
 * ListDevicesPacked (every function, column by column, names once in a string table) and
 * ListGroups (every IOMMU group with what `passthructl groups` prints of its members). Both
 * read the device table as it is; neither changes anything. ListDevices, the row-by-row
 * form, stays in bus-manager.c. */

#include <systemd/sd-bus.h>

/* ListDevicesPacked() -> PASSTHRU_DEVICE_COLUMNS_SIGNATURE */
int bus_list_method_devices_packed(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* ListGroups() -> a PASSTHRU_GROUP_ROW_SIGNATURE */
int bus_list_method_groups(sd_bus_message *msg, void *userdata, sd_bus_error *error);
