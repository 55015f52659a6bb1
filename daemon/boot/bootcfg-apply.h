/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Applying a BootPlan (bootcfg-plan.h) to a root directory: a timestamped backup of every file
 * before it changes (bootcfg-file.h names them), atomic writes (a temporary file in the same
 * directory, fsync, rename, fsync of the directory), then the plan's commands in order
 * (the initramfs rebuild first, then update-grub, proxmox-boot-tool or kernel-install). On
 * any failure half-way, every file written is put back as it was, the commands that had run
 * run again on the restored files (an initramfs rebuilt with the early-bind list is rebuilt
 * without it), and the report says so, naming any command whose result still carries the
 * change.
 *
 * A rebuild takes minutes, so boot_apply_start() has all of it done elsewhere and the daemon
 * keeps serving: in a forked child (the plan itself, or the helper it execs), or by the helper
 * behind its socket (bootcfg-helper.h). Each progress line (a stage and a line of text, the
 * commands' own output among them) comes back over a pipe or the socket to the progress
 * callback, and the done callback says how it ended. The pieces that run are plain functions,
 * tested on fixture roots. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "bootcfg-plan.h"
#include "macros.h"

/* Longest a whole apply may take; a stuck generator is killed after it. */
#define BOOT_APPLY_TIMEOUT_USEC (30ULL * 60 * 1000 * 1000)
/* Over the socket the helper's unit stops it after BOOT_APPLY_TIMEOUT_USEC (RuntimeMaxSec=):
 * the daemon waits this much longer for the helper to restore the files and say so. */
#define BOOT_APPLY_SOCKET_GRACE_USEC (3ULL * 60 * 1000 * 1000)

/* Stages of the progress lines. */
#define BOOT_APPLY_STAGE_FILES "files"
#define BOOT_APPLY_STAGE_COMMAND "command"
#define BOOT_APPLY_STAGE_OUTPUT "output"
#define BOOT_APPLY_STAGE_RESTORE "restore"
#define BOOT_APPLY_STAGE_DONE "done"
/* The helper's last line, "exit<TAB>N": its exit status, which a socket does not carry. Not
 * passed on as progress. */
#define BOOT_APPLY_STAGE_EXIT "exit"

/* Writes each file of plan under rootfd (a backup of an existing file first, stamped with
 * now), logging one line per file to log ("STAGE\tTEXT\n"; log may be NULL). On failure the
 * files written so far stay written: *ret_n_written says how many (plan order), for
 * boot_plan_restore_files(). */
int boot_plan_write_files(int rootfd, const BootPlan *plan, time_t now, FILE *log, size_t *ret_n_written);
/* Puts the first n files of plan back as they were before (old_text; removed where there was
 * none). Tries every file; returns the first error. */
int boot_plan_restore_files(int rootfd, const BootPlan *plan, size_t n, FILE *log);
/* Runs one command line (words split on blanks, looked up in PATH) with stdin from /dev/null,
 * its stdout and stderr forwarded line by line to log as output. 0 on exit status 0,
 * -EPROTO for another status (message in log), negative errno when it could not run. */
int boot_command_run(const char *command, FILE *log);
/* From now on SIGTERM stops the command running (it took too long, or the daemon is
 * stopping) and boot_plan_apply() restores the files and returns -ETIMEDOUT. */
void boot_apply_catch_sigterm(void);
/* The whole apply, synchronously: files, commands, and on failure the restore and the
 * commands that had run again. Returns 0 or
 * the first error; *ret_message (may be NULL) gets a sentence for a person either way. */
int boot_plan_apply(int rootfd, const BootPlan *plan, bool run_commands, time_t now, FILE *log,
                    char **ret_message);

typedef struct BootApply BootApply;

typedef void (*boot_apply_progress_t)(const char *stage, const char *line, void *userdata);
/* error 0: everything written and run. message: one sentence saying how it ended. */
typedef void (*boot_apply_done_t)(int error, const char *message, void *userdata);

typedef struct BootApplyParams {
        sd_event *event;
        int rootfd;
        bool run_commands; /* false on fixture roots: the commands would act on this host */
        /* set: the child runs this program instead (the helper, bootcfg-helper.h), its stdout
         * and stderr being the progress lines */
        char **argv;
        /* set: no child; connect to the helper's socket, send request (boot_helper_request())
         * and read its lines there, the last one its exit status */
        const char *socket_path;
        const char *request;
        /* 0: BOOT_APPLY_TIMEOUT_USEC, and over a socket BOOT_APPLY_SOCKET_GRACE_USEC more */
        uint64_t timeout_usec;
        boot_apply_progress_t on_progress;
        boot_apply_done_t on_done;
        void *userdata;
} BootApplyParams;

/* Forks the child that runs boot_plan_apply(), or execs p->argv, or connects to
 * p->socket_path; plan is read before this returns. */
int boot_apply_start(const BootApplyParams *p, const BootPlan *plan, BootApply **ret);
/* Stops watching; a child still running is killed (its files are then not restored). The
 * helper behind the socket is not: it finishes (or restores) on its own. */
BootApply *boot_apply_free(BootApply *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(BootApply *, boot_apply_free);
