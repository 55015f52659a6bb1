/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The "boot-config" verb: Manager.ApplyBootConfig() — the files with their diffs, the
 * commands, the warnings, the progress while the initramfs is rebuilt, and the recovery hint
 * (passthru.early=0). */

#include "passthructl.h"

int verb_boot_config(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
