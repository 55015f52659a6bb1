/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The verbs that list: "list" (one line per PCI function, from the summary rows of
 * Manager.ListDevices) and "groups" (IOMMU groups with their members, from the daemon's whole
 * object tree in one GetManagedObjects call). */

#include "passthructl.h"

int verb_list(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
int verb_groups(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
