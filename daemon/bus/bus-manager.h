/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The /org/passthru/Manager object: its properties, ListDevices, GetDevice, CheckHost, Bind
 * and Unbind by address, and (declared here, sent by bus.c) the DeviceAdded / DeviceRemoved
 * / DriverChanged signals. */

typedef struct Bus Bus;

int bus_manager_register(Bus *b);
