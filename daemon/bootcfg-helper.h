/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How the daemon hands a boot configuration to passthru-boot-config, the one-shot helper
 * that writes it (daemon/boot-config-helper.c): the plan's inputs as command-line arguments
 * (the helper plans again with the same pure function, bootcfg-plan.c, on the same root) and
 * a digest of the plan the daemon previewed, so the helper refuses to write anything else
 * (a file changed in between). Under systemd the helper runs as its own transient unit
 * through systemd-run (the daemon's sandbox keeps /etc and /boot read-only); elsewhere the
 * daemon runs it directly.
 *
 * Open: passthrud.service now runs as User=passthru, and systemd asks polkit
 * (org.freedesktop.systemd1.manage-units) before it starts a transient unit for that user.
 * Granting it would let the daemon run any command as root, so it is not granted, and
 * ApplyBootConfig under systemd fails before anything is written. The way on: a static
 * passthru-boot-config.service that the daemon may only start (a polkit rule for that unit
 * and verb), reading its inputs itself and its progress going to a file under /run/passthru. */

#include <stdbool.h>
#include <stdint.h>

#include "bootcfg-plan.h"

#define BOOT_HELPER_UNIT "passthru-boot-config.service"

/* A digest of what the plan writes and runs (paths, new texts, commands). Not a security
 * boundary: it catches a file that changed between the preview and the writing. */
uint64_t boot_plan_digest(const BootPlan *p);

/* The command line that runs helper (an absolute path) for in: through systemd-run when
 * via_systemd, else the helper itself. */
int boot_helper_argv(const char *helper, const BootPlanInput *in, uint64_t digest, bool via_systemd,
                     char ***ret);

/* The helper's side: parses the arguments boot_helper_argv() made (after argv[0]) into in
 * (its entries allocated in *ret_entries; running_cmdline is left NULL). -EINVAL for anything
 * else. */
int boot_helper_parse(int argc, char *const *argv, BootPlanInput *ret_in, EarlyBindEntry **ret_entries,
                      uint64_t *ret_digest);
