/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passthru-boot-config: the one-shot helper that writes the boot configuration passthrud
 * planned (ApplyBootConfig). passthrud's own sandbox keeps /etc and /boot read-only, so under
 * systemd it connects to passthru-boot-config.socket and systemd runs this, as root, as
 * passthru-boot-config@.service with --stdin: the request comes on stdin, one argument a line
 * (see bootcfg-helper.h). Without systemd the daemon runs it as a child with the arguments on
 * its command line. It plans again from the same inputs, refuses when the plan is not the one
 * passthrud showed (the digest), writes the files with backups and runs the commands
 * (bootcfg-apply.c), printing one "STAGE<TAB>LINE" a line on stdout: that is the progress the
 * daemon forwards. A failure half-way restores every file written, and so does SIGTERM (its
 * unit's RuntimeMaxSec=). The last line is "exit<TAB>N" with its exit status, which a socket
 * does not carry: 0 on success, 1 on failure, 2 for a bad request, 3 when the plan changed.
 * Not for people: use passthructl boot-config. */
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bootcfg-apply.h"
#include "bootcfg-file.h"
#include "bootcfg-helper.h"
#include "log.h"
#include "strv.h"

enum {
        EXIT_WRITTEN = 0,
        EXIT_FAILED = 1,
        EXIT_BAD_REQUEST = 2,
        EXIT_PLAN_CHANGED = 3,
};

/* Who is at the other end of the socket on stdin: root or the user passthrud runs as. The
 * socket's owner and mode already say so; this holds when someone loosens them. */
static bool peer_allowed(int fd) {
        struct ucred cred;
        socklen_t len = sizeof(cred);
        struct passwd *pw;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return false;
        if (cred.uid == 0)
                return true;
        pw = getpwnam("passthru");
        return pw && pw->pw_uid == cred.uid;
}

/* The arguments: from stdin with --stdin (the socket), else from the command line. */
static int read_arguments(int argc, char *argv[], char ***ret) {
        int r;

        if (argc == 2 && streq(argv[1], "--stdin")) {
                if (!peer_allowed(STDIN_FILENO))
                        return -EPERM;
                return boot_helper_request_read(STDIN_FILENO, ret);
        }
        r = strv_copy(argv + 1, ret);
        return r < 0 ? r : 0;
}

static int run(int argc, char *argv[]) {
        _cleanup_(boot_plan_done) BootPlan plan = {};
        _cleanup_free_ EarlyBindEntry *entries = NULL;
        _cleanup_free_ char *cmdline = NULL, *message = NULL;
        _cleanup_close_ int rootfd = -EBADF, procfd = -EBADF;
        _cleanup_strv_free_ char **args = NULL;
        BootPlanInput in;
        uint64_t digest;
        int r;

        r = read_arguments(argc, argv, &args);
        if (r < 0 || boot_helper_parse(strv_length(args), args, &in, &entries, &digest) < 0) {
                printf("done\tpassthru-boot-config: bad request; it is run by passthrud, not by hand.\n");
                return EXIT_BAD_REQUEST;
        }
        rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0 || procfd < 0 || bootcfg_read_file_at(procfd, "cmdline", 65536, &cmdline) < 0) {
                printf("done\tpassthru-boot-config: cannot read / or /proc/cmdline.\n");
                return EXIT_FAILED;
        }
        cmdline[strcspn(cmdline, "\n")] = 0;
        in.running_cmdline = cmdline;
        r = boot_plan_make(rootfd, &in, &plan);
        if (r < 0) {
                errno = -r;
                printf("done\tThe boot configuration could not be planned again (%m); nothing was written.\n");
                return EXIT_FAILED;
        }
        if (boot_plan_digest(&plan) != digest) {
                printf("done\tThe boot configuration changed since it was shown (a file was edited "
                       "meanwhile); nothing was written. Look at it again with --dry-run.\n");
                return EXIT_PLAN_CHANGED;
        }
        boot_apply_catch_sigterm();
        r = boot_plan_apply(rootfd, &plan, true, time(NULL), stdout, &message);
        return r < 0 ? EXIT_FAILED : EXIT_WRITTEN;
}

int main(int argc, char *argv[]) {
        int status = run(argc, argv);

        printf(BOOT_APPLY_STAGE_EXIT "\t%d\n", status);
        fflush(stdout);
        return status;
}
