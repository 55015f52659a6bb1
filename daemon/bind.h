/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Runtime binding: Bind moves a device (or every endpoint of its IOMMU group) to vfio-pci,
 * Unbind gives it back to the driver it had. This file decides the plan (which device goes
 * from which driver to which), refuses what is unsafe, records the original drivers, runs
 * the sysfs steps in a worker child, and rolls every device back when a step fails. One
 * operation per IOMMU group at a time. */

#include <systemd/sd-bus.h>

#include "pci-address.h"

typedef struct Manager Manager;
typedef struct Transaction Transaction;

typedef enum BindOperation {
        BIND_OPERATION_BIND,
        BIND_OPERATION_UNBIND,
} BindOperation;

/* The body of the Bind and Unbind methods, on the manager (address given) and on a device.
 * msg is positioned at the a{sv} options. Returns like an sd-bus method handler. */
int bind_method(Manager *m, sd_bus_message *msg, const PciAddress *a, BindOperation op, sd_bus_error *error);

/* Drops every transaction; a running worker child is killed. */
void bind_transactions_free(Manager *m);
