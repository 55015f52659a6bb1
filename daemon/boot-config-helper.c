/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passthru-boot-config: the one-shot helper that writes the boot configuration passthrud
 * planned (ApplyBootConfig). passthrud's own sandbox keeps /etc and /boot read-only, so it
 * starts this as a transient unit of its own (systemd-run, see bootcfg-helper.c) or, without
 * systemd, as a child. It plans again from the same inputs (its arguments), refuses when the
 * plan is not the one passthrud showed (the digest), writes the files with backups and runs
 * the commands (bootcfg-apply.c), printing one "STAGE<TAB>LINE" a line on stdout: that is the
 * progress the daemon forwards. A failure half-way restores every file written. Exit status
 * 0 on success, 1 on failure, 2 for bad arguments, 3 when the plan changed. Not for people:
 * use passthructl boot-config. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bootcfg-apply.h"
#include "bootcfg-file.h"
#include "bootcfg-helper.h"
#include "log.h"

int main(int argc, char *argv[]) {
        _cleanup_(boot_plan_done) BootPlan plan = {};
        _cleanup_free_ EarlyBindEntry *entries = NULL;
        _cleanup_free_ char *cmdline = NULL, *message = NULL;
        _cleanup_close_ int rootfd = -EBADF, procfd = -EBADF;
        BootPlanInput in;
        uint64_t digest;
        int r;

        if (boot_helper_parse(argc - 1, argv + 1, &in, &entries, &digest) < 0) {
                printf("done\tpassthru-boot-config: bad arguments; it is run by passthrud, not by hand.\n");
                return 2;
        }
        rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0 || procfd < 0 || bootcfg_read_file_at(procfd, "cmdline", 65536, &cmdline) < 0) {
                printf("done\tpassthru-boot-config: cannot read / or /proc/cmdline.\n");
                return 1;
        }
        cmdline[strcspn(cmdline, "\n")] = 0;
        in.running_cmdline = cmdline;
        r = boot_plan_make(rootfd, &in, &plan);
        if (r < 0) {
                errno = -r;
                printf("done\tThe boot configuration could not be planned again (%m); nothing was written.\n");
                return 1;
        }
        if (boot_plan_digest(&plan) != digest) {
                printf("done\tThe boot configuration changed since it was shown (a file was edited "
                       "meanwhile); nothing was written. Look at it again with --dry-run.\n");
                return 3;
        }
        boot_apply_catch_sigterm();
        r = boot_plan_apply(rootfd, &plan, true, time(NULL), stdout, &message);
        return r < 0 ? 1 : 0;
}
