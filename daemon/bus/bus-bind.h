/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Bind and Unbind methods, on the Manager (address given) and on each Device: reads the
 * options, asks polkit (a dry run needs no authorization: it changes nothing and shows
 * nothing secret), asks the planner, starts the transaction and replies with the moves. */

#include <systemd/sd-bus.h>

#include "pci-address.h"
#include "plan.h"

typedef struct Bus Bus;

/* msg is positioned at the a{sv} options. Returns like an sd-bus method handler. */
int bus_bind_method(Bus *b, sd_bus_message *msg, const PciAddress *a, BindOperation op, sd_bus_error *error);
