/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What every passthructl verb shares: the parsed global options, the signature of a verb
 * and the one-line error format. A verb gets argv with its own name in argv[0]; main.c has
 * already checked the number of arguments against the verb table. It returns <0 after
 * printing why (exit status 1), or the exit status itself. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "log.h"

/* Exit statuses, documented in passthructl(1). 0 success and 1 failure as usual; a wrong
 * command line is EX_USAGE of sysexits.h, apart from everything a verb answers. "check"
 * answers with the host status (0 ready, 1 degraded, 2 not-ready, as monitoring plugins do)
 * and with 3 when it could not find out. */
#define EXIT_USAGE 64
#define EXIT_CHECK_FAILED 3

#define USEC_PER_SEC UINT64_C(1000000)
/* How long the connection (SASL and Hello) and each call may take unless --timeout says
 * otherwise: sd-bus's own default for a method call. */
#define CLIENT_TIMEOUT_USEC_DEFAULT (25 * USEC_PER_SEC)
/* While a polkit agent runs, a person may be typing a password. */
#define AGENT_TIMEOUT_USEC (10 * 60 * USEC_PER_SEC)

typedef struct ClientOptions {
        bool json;
        uint64_t timeout_usec;      /* --timeout: the connection's and each call's deadline */
        const char *host;           /* -H [user@]host: the system bus of that host over ssh */
        const char *bus_address;    /* --bus-address: any bus, for tests and debugging */
        bool group, dry_run, force; /* bind and unbind */
        const char *driver;         /* unbind --driver */
        bool persist;               /* bind: remember, unbind: forget */
        bool no_initramfs, no_cmdline, remove, iommu_pt; /* boot-config */
        const char *vm_format;                           /* vm-config: libvirt (NULL), qemu, proxmox */
} ClientOptions;

/* Returns <0 on failure (reported already), else the exit status: 0, or a verb's own. */
typedef int (*VerbFunction)(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);

/* Everything a user reads about a failure is one line "passthructl: <what>" on stderr. */
#define client_error_errno(error, fmt, ...) \
        log_error_errno((error), "%s: " fmt, program_invocation_short_name, ##__VA_ARGS__)
#define client_oom() client_error_errno(ENOMEM, "Out of memory.")
