/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The "check" verb: Manager.CheckHost() as a table for people (status in colour on a
 * terminal), or JSON, and the host's status as the exit status: 0 ready, 1 degraded,
 * 2 not-ready. */

#include "passthructl.h"

int verb_check(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
