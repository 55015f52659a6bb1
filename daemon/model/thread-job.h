/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One piece of slow work run off the event loop: a function in a thread of its own, whose
 * result the loop gets in a callback once it is done, so that nobody's D-Bus call waits
 * behind it (a boot configuration planned for a dry run, an initramfs listed for a host
 * check, what the host uses looked at again). The work must touch nothing the loop changes
 * meanwhile: it gets its own copies. */

#include <systemd/sd-event.h>

#include "macros.h"

typedef struct ThreadJob ThreadJob;

/* Runs in the thread; returns the result handed to done. */
typedef void *(*thread_job_run_t)(void *input);
/* Called on the event loop with what run returned; the job is finished (free it there, or
 * later). */
typedef void (*thread_job_done_t)(ThreadJob *job, void *result, void *userdata);

/* Starts run(input) in a new thread. */
int thread_job_start(sd_event *event, thread_job_run_t run, void *input, thread_job_done_t done,
                     void *userdata, ThreadJob **ret);
/* Waits for the thread when it is still running (done is not called then) and frees the job;
 * returns the result when the thread had finished, for the caller to free, else NULL. */
void *thread_job_free(ThreadJob *job);
