/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "reset-method ADDRESS METHOD[,METHOD...]|default [--persist]": Manager.SetResetMethod,
 * then the device's reset methods and verdict as the daemon shows them now. */

#include "passthructl.h"

int verb_reset_method(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
