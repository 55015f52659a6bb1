/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The "bind ADDRESS" and "unbind ADDRESS" verbs: Manager.Bind / Manager.Unbind with the
 * --group, --dry-run, --force, --driver and --persist options, printing each device that changed (or
 * would change) from which driver to which. On a terminal, a polkit agent (pkttyagent)
 * runs for the call, so polkit can ask for a password. */

#include "passthructl.h"

int verb_bind(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
int verb_unbind(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
