/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How the daemon hands a boot configuration to passthru-boot-config, the one-shot helper
 * that writes it (daemon/boot/boot-config-helper.c): the plan's inputs as arguments (the helper
 * plans again with the same pure function, bootcfg-plan.c, on the same root) and a digest of
 * the plan the daemon previewed, so the helper refuses to write anything else (a file changed
 * in between).
 *
 * Two ways to run it, one set of arguments:
 * - under systemd, passthrud runs as User=passthru in a sandbox that keeps /etc and /boot
 *   read-only. It connects to the socket BOOT_HELPER_SOCKET (passthru-boot-config.socket,
 *   Accept=yes, owned by passthru, mode 0600: only passthru and root may connect), and
 *   systemd starts one passthru-boot-config@.service as root for the connection, its stdin
 *   and stdout being the socket. The daemon writes the arguments one a line, then an empty
 *   line (boot_helper_request()); the helper answers with its progress lines and, last,
 *   "exit<TAB>N" (BOOT_APPLY_STAGE_EXIT), since a socket carries no exit status. No polkit
 *   rule is needed and the daemon cannot run anything else as root.
 * - elsewhere (no socket: tests, the guest-init VM harness, tools/demo, where the daemon
 *   runs as root) the daemon forks and execs the helper with the arguments on its command
 *   line (boot_helper_argv()). */

#include <stdbool.h>
#include <stdint.h>

#include "bootcfg-plan.h"

/* Not under /run/passthru: that is passthrud's RuntimeDirectory, mode 0700. */
#define BOOT_HELPER_SOCKET "/run/passthru-boot-config.sock"
/* Longest request the helper reads: each entry is one line of about 50 bytes. */
#define BOOT_HELPER_REQUEST_MAX (64u * 1024)

/* A digest of what the plan writes and runs (paths, new texts, commands). Not a security
 * boundary: it catches a file that changed between the preview and the writing. */
uint64_t boot_plan_digest(const BootPlan *p);

/* The helper's arguments for in (without the program name): --digest=, the options,
 * one --entry= per device. */
int boot_helper_args(const BootPlanInput *in, uint64_t digest, char ***ret);
/* The command line that runs helper (an absolute path) with those arguments. */
int boot_helper_argv(const char *helper, const BootPlanInput *in, uint64_t digest, char ***ret);
/* The same arguments as a request on the socket: one a line, then an empty line. */
int boot_helper_request(const BootPlanInput *in, uint64_t digest, char **ret);

/* The helper's side: reads a request from fd up to its empty line (at most
 * BOOT_HELPER_REQUEST_MAX bytes; -E2BIG beyond, -EBADMSG when fd ends before the empty line)
 * and returns its lines as arguments. */
int boot_helper_request_read(int fd, char ***ret_args);
/* Parses the arguments boot_helper_args() made into in (its entries allocated in
 * *ret_entries; running_cmdline is left NULL). -EINVAL for anything else. */
int boot_helper_parse(int argc, char *const *argv, BootPlanInput *ret_in, EarlyBindEntry **ret_entries,
                      uint64_t *ret_digest);
