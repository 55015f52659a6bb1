/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host checks: is this host ready for PCI passthrough, and if not, what exactly to do.
 * Each check is a pure function of a HostFacts snapshot (host-facts.h) and gives one row: an
 * id, a status, what was seen, and the remedy (the file, line or command). The host's status
 * follows from the rows: any fail -> not-ready, else any warn -> degraded, else ready. */

#include <stddef.h>

#include "macros.h"

typedef struct HostFacts HostFacts;

typedef enum HostCheckStatus {
        HOST_CHECK_PASS,
        HOST_CHECK_WARN,
        HOST_CHECK_FAIL,
        HOST_CHECK_SKIP,
        _HOST_CHECK_STATUS_MAX,
} HostCheckStatus;

typedef enum HostStatus {
        HOST_STATUS_READY,
        HOST_STATUS_DEGRADED,
        HOST_STATUS_NOT_READY,
        _HOST_STATUS_MAX,
} HostStatus;

typedef struct HostCheck {
        const char *id; /* static: "cpu-virt", "iommu-kernel", ... */
        HostCheckStatus status;
        char *summary; /* what was seen */
        char *remedy;  /* what to do; "" when nothing is to be done */
} HostCheck;

typedef struct HostChecks {
        HostCheck *items;
        size_t n;
} HostChecks;

const char *host_check_status_to_string(HostCheckStatus s);
const char *host_status_to_string(HostStatus s);

/* Runs every check in a fixed order into an empty HostChecks. */
int host_checks_run(const HostFacts *f, HostChecks *ret);
void host_checks_done(HostChecks *c);
HostStatus host_status_from_checks(const HostChecks *c);
const HostCheck *host_checks_find(const HostChecks *c, const char *id);
