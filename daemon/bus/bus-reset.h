/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* SetResetMethod: arguments → polkit → reset-method.c → reply. */

#include <systemd/sd-bus.h>

int bus_reset_method_set(sd_bus_message *msg, void *userdata, sd_bus_error *error);
