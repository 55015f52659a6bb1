/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the host remembers, on the bus: Manager.Persist, Manager.GetConfig and the
 * ConfigChanged signal. The model is persist.c; Bind and Unbind with the persist option are
 * in bus-bind.c. */

#include <systemd/sd-bus.h>

typedef struct Bus Bus;

/* Persist(s address, b enabled): remembers or forgets, the driver stays as it is. */
int bus_persist_method_persist(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* GetConfig() -> a(sa{sv}ss): every entry, see PASSTHRU_CONFIG_ROW_SIGNATURE. */
int bus_persist_method_get_config(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* Emits ConfigChanged whenever persist.c puts other text in force. */
void bus_persist_listen(Bus *b);
