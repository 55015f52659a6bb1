/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The verbs that list: "list" (one line per PCI function, from the columns of
 * Manager.ListDevicesPacked) and "groups" (IOMMU groups with their members, from
 * Manager.ListGroups). One call each, holding what is printed and nothing more. */

#include "passthructl.h"

int verb_list(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
int verb_groups(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
