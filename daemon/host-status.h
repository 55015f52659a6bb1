/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Manager's side of the host checks: boot-time facts read once at start-up (the kernel
 * log is read then and never on a udev event), the checks run again, coalesced into one run
 * per event-loop iteration, when devices or groups change, and HostStatus following the last
 * result with PropertiesChanged when it moves. */

typedef struct Manager Manager;

/* Reads the boot-time facts and runs the checks once; before the bus is up. */
int host_status_start(Manager *m);
/* Reads the current facts, runs the checks, keeps the result in m->host_checks. */
int host_status_refresh(Manager *m);
/* Asks for a refresh once the event loop is idle; many calls in a burst make one run. */
void host_status_schedule(Manager *m);
void host_status_done(Manager *m);
