/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The transaction engine: carries out a Plan (plan.h). It loads the modules the plan needs,
 * records the drivers devices had, runs the sysfs steps in a worker child with a timeout,
 * and when a step fails gives every device touched back, one by one, carrying on past a
 * device whose rollback fails and saying where each device is. A step that never returns
 * leaves its device stuck; the caller hears Timeout at once, and the transaction finishes
 * quietly if the kernel ever returns. The devices' group is busy meanwhile.
 *
 * Its caller is told once, through the done callback: refusal NULL for success (the
 * devices' current drivers tell where each went), else the named failure. */

#include "plan.h"
#include "refusal.h"

typedef struct Manager Manager;
typedef struct Transaction Transaction;
typedef struct Transactions Transactions;

typedef void (*transaction_done_t)(const Plan *plan, const Refusal *failure, void *userdata);

/* The engine: the transactions under way, on the Manager's devices. */
int transactions_new(Manager *m, Transactions **ret);
/* Kills running workers; each caller not yet told hears that the daemon stopped. */
Transactions *transactions_free(Transactions *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(Transactions *, transactions_free);
size_t transactions_count(const Transactions *e);

/* Starts carrying out plan (taken over, left empty on success). A failure before anything
 * changed returns <0 with refusal set, and done is never called. */
int transaction_start(Transactions *e, Plan *plan, transaction_done_t done, void *userdata,
                      Refusal *refusal);
