/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Manager.ApplyBootConfig and its BootConfigProgress signal: reads the options, asks polkit
 * (org.passthru.configure-host) unless it is a dry run, has the model plan the boot
 * configuration (bootcfg-host.c), replies with the plan for a dry run, and otherwise starts
 * the apply off the main loop (bootcfg-apply.c), sends each progress line as a signal and
 * replies when it has finished. One apply at a time. */

#include <systemd/sd-bus.h>

typedef struct Bus Bus;

int bus_bootcfg_method(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* Stops an apply in progress (daemon exit). */
void bus_bootcfg_done(Bus *b);
