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

/* The plan's inputs for this host; the entries are allocated in *ret_entries (in points
 * there). Every remembered entry passes the gate of keeping a device on vfio-pci
 * (safety_refuse_keep(), as Persist and Bind with persist): one refused, missing or of
 * another card is left out of every generated file, with a sentence in *ret_left_out (a
 * strv, in->left_out points there) that the plan shows among its warnings. config_dir NULL: /etc/passthru.
 * -EBADMSG with *ret_error (a sentence, free()d by the caller) when devices.conf does not parse; ret_error
 * is written only then. */
int manager_boot_input(Manager *m, const char *config_dir, const BootOptions *o, BootPlanInput *ret,
                       EarlyBindEntry **ret_entries, char ***ret_left_out, char **ret_error);
