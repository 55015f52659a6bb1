/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The "monitor" verb: subscribes to every signal passthrud sends under /org/passthru
 * (DeviceAdded, DeviceRemoved, DriverChanged, PropertiesChanged, InterfacesAdded and
 * InterfacesRemoved) and prints one line (or one JSON object) per event as it arrives,
 * until SIGINT or SIGTERM. Once the match rule is in place it writes "Monitoring passthru
 * events, Ctrl-C to stop." to stderr: a test waits for that line before it causes events. */

#include "passthructl.h"

int verb_monitor(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
