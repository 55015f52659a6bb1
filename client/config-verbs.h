/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the host remembers: "config" (Manager.GetConfig: each entry's address, identity and
 * state, as a table or --json) and "persist ADDRESS on|off" (Manager.Persist: remember or
 * forget without changing the driver now). "bind --persist" and "unbind --persist" are in
 * bind.c. (Named config-verbs: the build's own config.h has the plain name.) */

#include "passthructl.h"

int verb_config(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
int verb_persist(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
