/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The use cases that change a driver, each one function every caller uses (the bus layer,
 * persistence, the libvirt hook through the bus): bind, unbind, remember or forget, and
 * re-apply a remembered choice. Each runs the same steps:
 *
 *   read the kernel's state of the devices it touches (manager_sync_group(): another tool
 *   may have moved them, and their uevents may not have been read yet)
 *   -> plan through the one gate (plan_make())
 *   -> check what remembering needs (the file can be edited, the keep gate)
 *   -> carry the plan out (transaction_start())
 *   -> check that the kernel shows every device where it was sent (transaction.c)
 *   -> remember or forget
 *   -> a result, or a Refusal.
 *
 * No bus code here; authorization is the caller's (the bus layer asks polkit first). */

#include <stdbool.h>

#include "devices-conf.h"
#include "macros.h"
#include "plan.h"
#include "refusal.h"

typedef struct Manager Manager;
typedef struct Transactions Transactions;
typedef struct Persist Persist;
typedef struct Operations Operations;

typedef struct OperationRequest {
        BindOperation op;
        PciAddress address;
        bool group;         /* the group mates that must come along move too */
        bool force;         /* Bind: override what may be overridden */
        bool dry_run;       /* the plan only: nothing changes, the host is not looked at again */
        bool persist;       /* Bind: remember the devices; Unbind: forget them */
        const char *driver; /* Unbind: this host driver */
        const char *vm;     /* Bind: claim what moves for this VM; Unbind: give back only its
                             * claimed devices that are not remembered (vm-claim.h) */
} OperationRequest;

/* Told once when a started operation ended: failure NULL on success; plan's moves with the
 * devices' drivers now (manager_find_device()) tell where each went. */
typedef void (*operation_done_t)(const Plan *plan, const Refusal *failure, void *userdata);

/* p may be NULL (no persistence); otherwise its re-application is done here from now on. */
int operations_new(Manager *m, Transactions *t, Persist *p, Operations **ret);
Operations *operations_free(Operations *o);
DEFINE_TRIVIAL_CLEANUP_FUNC(Operations *, operations_free);

/* Bind or Unbind. Returns 0 with *ret_plan set when it is answered at once (a dry run, or
 * nothing to move: then what persist asks is done already), 1 when a transaction started and
 * done will be called, <0 with refusal set when refused (nothing changed). */
int operation_run(Operations *o, const OperationRequest *req, Plan *ret_plan, operation_done_t done,
                  void *userdata, Refusal *refusal);

/* Persist(address, enabled): remembering passes the keep gate first, with Bind's refusal. */
int operation_remember(Operations *o, const PciAddress *a, bool enabled, Refusal *refusal);

/* Why the keep gate refuses the entry's device now (from the last look at the host), as
 * GetConfig shows it: 0 when it does not, <0 with refusal set when it does. */
int operation_check_entry(Operations *o, const ConfigEntry *e, Refusal *refusal);

/* Puts a remembered entry's device on vfio-pci (with its group when every mate is remembered
 * too), through the same gate as a Bind; allow-protected covers the entry's own function
 * only. Returns 1 when a transaction started, 0 when there was nothing to do (the device is
 * missing, on vfio-pci already, or not the card the entry remembers), <0 with refusal
 * set. Persistence calls it (persist_set_applier()) at start-up, on hotplug and on edits. */
int operation_reapply(Operations *o, const Config *c, const ConfigEntry *e, Refusal *refusal);
