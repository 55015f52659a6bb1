/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The state behind CheckHost and HostStatus: boot-time facts read once at start-up (the
 * kernel log is read then and never on a udev event), the current facts read again before
 * each run, the last rows and the status that follows from them. Its inputs — the device
 * table and the module indexes — are passed in explicitly; the Manager decides when to run. */

#include <stdbool.h>

#include "host-check.h"
#include "host-facts.h"

typedef struct DeviceTable DeviceTable;

typedef struct HostState {
        HostRoots roots;   /* where the checks read from */
        HostFacts facts;   /* the boot-time part is read once */
        HostChecks checks; /* the last result */
        HostStatus status;
        bool checked; /* checks ran at least once */
} HostState;

/* Reads the boot-time facts and runs the checks once. */
int host_state_start(HostState *s, const DeviceTable *table, Kmod *kmod);
/* Reads the current facts and runs the checks; *ret_changed tells whether the status moved. */
int host_state_refresh(HostState *s, const DeviceTable *table, Kmod *kmod, bool *ret_changed);
void host_state_done(HostState *s);
