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

typedef struct Roots {
        const char *root, *proc;
} Roots;

/* The arguments: from stdin with --stdin (the socket), else from the command line. There,
 * and only there (the daemon's own child, with the daemon's rights), --root=DIR and
 * --proc-root=DIR may come first: a daemon started with --boot-root writes under DIR. */
static int read_arguments(int argc, char *argv[], Roots *roots, char ***ret) {
        int r;

        if (argc == 2 && streq(argv[1], "--stdin")) {
                if (!peer_allowed(STDIN_FILENO))
                        return -EPERM;
                return boot_helper_request_read(STDIN_FILENO, ret);
        }
        for (argv++; *argv; argv++)
                if (strncmp(*argv, "--root=", 7) == 0)
                        roots->root = *argv + 7;
                else if (strncmp(*argv, "--proc-root=", 12) == 0)
                        roots->proc = *argv + 12;
                else
                        break;
        r = strv_copy(argv, ret);
        return r < 0 ? r : 0;
}

static int set_root_path(const char *root) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%1$s/usr/sbin:%1$s/usr/bin:%1$s/sbin:%1$s/bin", root) < 0)
                return -ENOMEM;
        return setenv("PATH", path, 1) < 0 ? -errno : 0;
}

static int run(int argc, char *argv[]) {
        _cleanup_(boot_plan_done) BootPlan plan = {};
        _cleanup_free_ EarlyBindEntry *entries = NULL;
        _cleanup_free_ char *cmdline = NULL, *message = NULL, *plan_error = NULL;
        _cleanup_close_ int rootfd = -EBADF, procfd = -EBADF;
        _cleanup_strv_free_ char **args = NULL;
        Roots roots = { "/", "/proc" };
        BootPlanInput in;
        uint64_t digest;
        int r;

        r = read_arguments(argc, argv, &roots, &args);
        if (r < 0 || boot_helper_parse(strv_length(args), args, &in, &entries, &digest) < 0) {
                printf("done\tpassthru-boot-config: bad request; it is run by passthrud, not by hand.\n");
                return EXIT_BAD_REQUEST;
        }
        rootfd = open(roots.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        procfd = open(roots.proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0 || procfd < 0 || bootcfg_read_file_at(procfd, "cmdline", 65536, &cmdline) < 0) {
                printf("done\tpassthru-boot-config: cannot read / or /proc/cmdline.\n");
                return EXIT_FAILED;
        }
        cmdline[strcspn(cmdline, "\n")] = 0;
        /* another root's commands are its own: never this host's update-grub on its files */
        if (!streq(roots.root, "/") && set_root_path(roots.root) < 0) {
                printf("done\tpassthru-boot-config: out of memory.\n");
                return EXIT_FAILED;
        }
        in.running_cmdline = cmdline;
        r = boot_plan_make(rootfd, &in, &plan, &plan_error);
        if (r < 0 && plan_error) {
                printf("done\t%s Nothing was written.\n", plan_error);
                return EXIT_FAILED;
        }
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
