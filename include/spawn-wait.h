/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Children, started and waited for the one way passthru does it. Every child leads its own
 * process group, so that stopping it stops everything it started.
 * - spawn_and_wait(): a program run to its end: stdin from /dev/null, default signal handling
 *   and an empty signal mask (the daemon blocks the signals sd-event handles), its output handed
 *   over line by line, a time limit, cancellation.
 * - spawn_start(), spawn_fork(): a program, or a function in a forked copy of the caller,
 *   started for a caller that waits on its own event loop: it reads the child's pipe there,
 *   then spawn_reap(); spawn_kill() stops it. */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* How long a program stopped with SIGTERM has before SIGKILL. */
#define SPAWN_KILL_GRACE_MS 5000
/* Longer lines are cut there: output is for reading, not for storing. */
#define SPAWN_LINE_MAX 4096

/* Called with each line a child writes, newline removed. */
typedef void (*spawn_line_t)(const char *line, void *userdata);

typedef struct SpawnParams {
        char *const *argv; /* argv[0] is looked up in PATH when it has no '/' */
        int timeout_ms;    /* <= 0: no limit */
        /* A program silent this long (no output, or no exit after its output ended) is stopped
         * as on a timeout: a slow one may take its time while it makes progress. <= 0: none. */
        int idle_timeout_ms;
        /* Each line the program writes to stdout, newline removed; NULL: stdout to /dev/null. */
        spawn_line_t on_line;
        void *userdata;
        bool stderr_to_lines; /* stderr goes to on_line too; otherwise to /dev/null */
        /* When a signal interrupts the wait and this is set, the program is stopped as on a
         * timeout and the result is -ECANCELED. NULL: signals only interrupt. */
        const volatile sig_atomic_t *cancel;
        /* > 0: once this fd (an eventfd) is readable, the program is stopped as on a timeout
         * and the result is -ECANCELED: the way to cancel from another thread. 0: none. */
        int cancel_fd;
} SpawnParams;

/* Runs the program and waits for it. Returns its exit status (0..255), or 128 + N when signal
 * N killed it (as a shell says). -ETIMEDOUT when timeout_ms (or idle_timeout_ms) passed,
 * -ECANCELED when cancelled:
 * then its process group got SIGTERM and, SPAWN_KILL_GRACE_MS later, SIGKILL, and the program
 * is reaped before this returns. -errno when it could not be started (-ENOENT: no such program). */
int spawn_and_wait(const SpawnParams *p);

/* Starts the program as spawn_and_wait() does, without waiting: with ret_fd its stdout (and its
 * stderr with p->stderr_to_lines) is a pipe whose read end (O_CLOEXEC) *ret_fd gets; without,
 * they go to /dev/null. on_line, the time limits and the cancellation are the caller's to apply.
 * -errno when it could not be started (-ENOENT: no such program). */
int spawn_start(const SpawnParams *p, pid_t *ret_pid, int *ret_fd);

/* A function run in a forked copy of the caller: fd is the write end of the pipe, the
 * function's return value (0..255) the child's exit status. */
typedef int (*spawn_fork_run_t)(int fd, void *userdata);

typedef struct SpawnForkParams {
        spawn_fork_run_t run;
        void *userdata;
        /* The child keeps stdin, stdout, stderr, the pipe and this fd (> 2: a directory it works
         * under); every other fd is closed, so that a child that outlives its parent holds
         * nothing of it (the bus connection). Signal mask and handlers stay the caller's. */
        int keep_fd;
} SpawnForkParams;

/* Forks the child that runs p->run and exits with its result; *ret_fd (O_CLOEXEC) is the read
 * end of its pipe, which reads end of file once the child has exited. */
int spawn_fork(const SpawnForkParams *p, pid_t *ret_pid, int *ret_fd);

/* Waits for the child to exit (the caller knows it is exiting: its pipe closed) and returns
 * its status as spawn_and_wait() does, or -errno. */
int spawn_reap(pid_t pid);

/* Sends sig to the child's process group (the child and all it started). */
void spawn_kill(pid_t pid, int sig);

/* A child's output cut into lines as spawn_and_wait() cuts it, for a caller that reads the
 * pipe on its own event loop. Zero-initialized to start. */
typedef struct SpawnLines {
        char line[SPAWN_LINE_MAX + 1];
        size_t len;
        bool cut; /* the rest of an overlong line is dropped */
} SpawnLines;

/* Calls on_line for each line that n bytes of output complete. */
void spawn_lines_feed(SpawnLines *l, const char *buf, size_t n, spawn_line_t on_line, void *userdata);
/* At end of file: the last line, when it had no newline. */
void spawn_lines_flush(SpawnLines *l, spawn_line_t on_line, void *userdata);
