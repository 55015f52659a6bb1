/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Driver changes off the main loop. A worker is a forked child that performs a list of
 * sysfs steps through sysfs.c and reports each result over a pipe, while the daemon keeps
 * answering D-Bus. `unbind` runs a driver's remove() synchronously and may block for as
 * long as the device is open: when the timeout fires the caller hears -ETIMEDOUT at once,
 * and hears again (the exit callback) if the child ever returns. */

#include <stdint.h>
#include <systemd/sd-event.h>

#include "macros.h"

typedef struct Sysfs Sysfs;
typedef struct Worker Worker;

typedef enum WorkerStepType {
        WORKER_STEP_WRITE,  /* write value to path, relative to the sysfs root */
        WORKER_STEP_UNBIND, /* unbind the device at devpath path (address value) from its driver */
        WORKER_STEP_PROBE,  /* write the address value to bus/pci/drivers_probe */
        WORKER_STEP_CHECK,  /* the driver link of devpath path must name value (see below) */
} WorkerStepType;

/* CHECK values besides a driver name: NULL means unbound, this means any driver but vfio-pci. */
#define WORKER_CHECK_HOST_DRIVER "*"

typedef struct WorkerStep {
        WorkerStepType type;
        char *path;
        char *value;
        size_t device; /* the caller's index of the device this step is for */
} WorkerStep;

void worker_steps_free(WorkerStep *steps, size_t n);
/* Appends a step, copying path and value. */
int worker_steps_add(WorkerStep **steps, size_t *n, WorkerStepType type, const char *path, const char *value,
                     size_t device);
const char *worker_step_describe(const WorkerStep *s);

/* error 0: all steps done. Otherwise steps [0, n_done) succeeded and step n_done failed with
 * error, or is still hanging in the kernel (-ETIMEDOUT). */
typedef void (*worker_done_t)(Worker *w, int error, size_t n_done, void *userdata);
/* A timed-out worker's child has finished after all (error as above). */
typedef void (*worker_exit_t)(Worker *w, int error, size_t n_done, void *userdata);

typedef struct WorkerParams {
        sd_event *event;
        Sysfs *sysfs;
        uint64_t timeout_usec;
        unsigned *write_count; /* every sysfs write of the daemon, for fault points; may be NULL */
        worker_done_t on_done;
        worker_exit_t on_late_exit;
        void *userdata;
} WorkerParams;

int worker_start(const WorkerParams *p, const WorkerStep *steps, size_t n_steps, Worker **ret);
/* Stops watching; a child still running is killed, never waited for. */
Worker *worker_free(Worker *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(Worker *, worker_free);
