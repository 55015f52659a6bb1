/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Running a program and waiting for it, the one way passthru does it: stdin from /dev/null,
 * default signal handling and an empty signal mask in the child (the daemon blocks the
 * signals sd-event handles), its own process group so that a timeout stops everything it
 * started, and its output handed over line by line. */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* How long a program stopped with SIGTERM has before SIGKILL. */
#define SPAWN_KILL_GRACE_MS 5000
/* Longer lines are cut there: output is for reading, not for storing. */
#define SPAWN_LINE_MAX 4096

typedef struct SpawnParams {
        char *const *argv; /* argv[0] is looked up in PATH when it has no '/' */
        int timeout_ms;    /* <= 0: no limit */
        /* Each line the program writes to stdout, newline removed; NULL: stdout to /dev/null. */
        void (*on_line)(const char *line, void *userdata);
        void *userdata;
        bool stderr_to_lines; /* stderr goes to on_line too; otherwise to /dev/null */
        /* When a signal interrupts the wait and this is set, the program is stopped as on a
         * timeout and the result is -ECANCELED. NULL: signals only interrupt. */
        const volatile sig_atomic_t *cancel;
} SpawnParams;

/* Runs the program and waits for it. Returns its exit status (0..255), or 128 + N when signal
 * N killed it (as a shell says). -ETIMEDOUT when timeout_ms passed, -ECANCELED when cancelled:
 * then its process group got SIGTERM and, SPAWN_KILL_GRACE_MS later, SIGKILL, and the program
 * is reaped before this returns. -errno when it could not be started (-ENOENT: no such program). */
int spawn_and_wait(const SpawnParams *p);
