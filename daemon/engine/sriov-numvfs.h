/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The VF count of an SR-IOV physical function, as its remembered entry asks (sriov-numvfs):
 * the use case that re-application runs before a PF's VFs can be put on vfio-pci. The write
 * goes through a worker child with a timeout, like every driver change; its outcome goes to
 * persistence (GetConfig shows a failure). A count that is not 0 is never changed: that
 * would remove VFs a guest may be using. No bus code here. */

#include "devices-conf.h"
#include "macros.h"
#include "refusal.h"

typedef struct Manager Manager;
typedef struct Persist Persist;
typedef struct SriovJobs SriovJobs;

int sriov_jobs_new(Manager *m, Persist *p, SriovJobs **ret);
SriovJobs *sriov_jobs_free(SriovJobs *jobs);
DEFINE_TRIVIAL_CLEANUP_FUNC(SriovJobs *, sriov_jobs_free);

/* 1 when the write started (or still runs), 0 when there is nothing to do, <0 with refusal
 * set when the entry's count cannot be written now. */
int sriov_numvfs_apply(SriovJobs *jobs, const ConfigEntry *e, Refusal *refusal);
