/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The /org/passthru/Manager object: its properties, ListDevices, GetDevice, CheckHost, Bind
 * and Unbind by address, and (declared here, sent by bus.c) the DeviceAdded / DeviceRemoved
 * / DriverChanged signals. */

typedef struct Bus Bus;

int bus_manager_register(Bus *b);
/* The host checks ran: CheckHost calls waiting for an initramfs listing get their answer once
 * none is under way any more. */
void bus_manager_host_checked(Bus *b);
/* Drops the CheckHost calls still waiting (the bus goes). */
void bus_manager_done(Bus *b);
