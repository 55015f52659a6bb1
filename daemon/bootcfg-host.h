/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The boot plan of this host: what ApplyBootConfig previews and writes. It gathers the plan's
 * inputs — the devices remembered in /etc/passthru/devices.conf (read only, through
 * devices-conf.h) with the identity each must still have, whether the firmware has a DMAR
 * table, the running command line — and asks bootcfg-plan for the files and commands. */

#include <stdbool.h>

#include "bootcfg-plan.h"
#include "manager.h"

typedef struct BootOptions {
        bool initramfs; /* default true */
        bool cmdline;   /* default true */
        bool remove;
        bool iommu_pt;
} BootOptions;

/* Plans on the root directory rootfd (the host's /). config_dir NULL: /etc/passthru.
 * -EBADMSG with *ret_error (a sentence, free()d by the caller) when devices.conf does not
 * parse; ret_error is written only then. */
int manager_boot_plan(Manager *m, int rootfd, const char *config_dir, const BootOptions *o, BootPlan *ret,
                      char **ret_error);
