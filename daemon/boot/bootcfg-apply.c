/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "bootcfg-apply.h"
#include "bootcfg-file.h"
#include "fileio.h"
#include "log.h"
#include "spawn-wait.h"
#include "strv.h"

static void say(FILE *log, const char *stage, const char *fmt, ...) _printf_(3, 4);
static void say(FILE *log, const char *stage, const char *fmt, ...) {
        va_list ap;

        if (!log)
                return;
        fprintf(log, "%s\t", stage);
        va_start(ap, fmt);
        vfprintf(log, fmt, ap);
        va_end(ap);
        fputc('\n', log);
        fflush(log);
}

/* The directory of the absolute path under rootfd, created (0755) where missing. */
static int open_parent(int rootfd, const char *path, bool create, const char **ret_name) {
        _cleanup_free_ char *dir = NULL;
        const char *slash = strrchr(path, '/');
        int fd = -EBADF;

        if (path[0] != '/' || !slash || !slash[1])
                return -EINVAL;
        dir = strndup(path + 1, slash - path - 1);
        if (!dir)
                return -ENOMEM;
        fd = openat(rootfd, dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
                /* one level only: /etc/passthru, /etc/modules-load.d, /etc/kernel */
                if (mkdirat(rootfd, dir, 0755) < 0 && errno != EEXIST)
                        return -errno;
                fd = openat(rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        if (fd < 0)
                return -errno;
        *ret_name = slash + 1;
        return fd;
}

/* On the helper's socket with MSG_NOSIGNAL: a helper that went away is an error here, not a
 * SIGPIPE. */
static int send_all(int fd, const char *text) {
        size_t len = strlen(text);

        while (len > 0) {
                ssize_t n = send(fd, text, len, MSG_NOSIGNAL);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                text += n;
                len -= n;
        }
        return 0;
}

/* text into name under dirfd (write_file_atomic_at()): a crash leaves the old file or the new
 * one, never a part. mode for a new file; an existing file keeps its own mode and owner. */
static int write_atomic_at(int dirfd, const char *name, const char *text, mode_t mode) {
        return write_file_atomic_at(dirfd, name, text, strlen(text), &(WriteFileParams){ .mode = mode },
                                    NULL);
}

/* A copy of the file as it is now, under a name no earlier backup has. */
static int backup_at(int dirfd, const char *name, const char *path, const char *text, time_t now,
                     FILE *log) {
        const WriteFileParams params = { .mode = 0600, .expect = WRITE_NOREPLACE };

        for (unsigned n = 0; n < 100; n++) {
                _cleanup_free_ char *backup = NULL;
                const char *base;
                int r;

                r = bootcfg_backup_path(name, now, n, &backup);
                if (r < 0)
                        return r;
                r = write_file_atomic_at(dirfd, backup, text, strlen(text), &params, NULL);
                if (r == -EEXIST)
                        continue;
                if (r < 0)
                        return r;
                base = strrchr(path, '/');
                say(log, BOOT_APPLY_STAGE_FILES, "backup of %s: %.*s%s", path, (int) (base - path + 1), path,
                    backup);
                return 0;
        }
        return -EEXIST;
}

static int write_one(int rootfd, const BootFileChange *f, time_t now, FILE *log) {
        _cleanup_close_ int dirfd = -EBADF;
        const char *name;
        int r;

        r = open_parent(rootfd, f->path, f->new_text != NULL, &name);
        if (r < 0)
                return r;
        dirfd = r;
        if (f->old_text) {
                r = backup_at(dirfd, name, f->path, f->old_text, now, log);
                if (r < 0)
                        return r;
        }
        if (f->new_text) {
                r = write_atomic_at(dirfd, name, f->new_text, 0644);
                if (r < 0)
                        return r;
                say(log, BOOT_APPLY_STAGE_FILES, "%s %s", f->old_text ? "changed" : "created", f->path);
                return 0;
        }
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                return -errno;
        if (fsync(dirfd) < 0)
                return -errno;
        say(log, BOOT_APPLY_STAGE_FILES, "removed %s", f->path);
        return 0;
}

int boot_plan_write_files(int rootfd, const BootPlan *plan, time_t now, FILE *log, size_t *ret_n_written) {
        size_t i;
        int r = 0;

        assert(plan);
        assert(ret_n_written);
        for (i = 0; i < plan->n_files; i++) {
                r = write_one(rootfd, &plan->files[i], now, log);
                if (r < 0) {
                        errno = -r;
                        say(log, BOOT_APPLY_STAGE_FILES, "could not write %s: %m", plan->files[i].path);
                        /* the failed one may be half-done (a backup made, the rename not): restore it too */
                        i++;
                        break;
                }
        }
        *ret_n_written = i;
        return r;
}

int boot_plan_restore_files(int rootfd, const BootPlan *plan, size_t n, FILE *log) {
        int ret = 0;

        assert(plan);
        for (size_t i = n; i-- > 0;) {
                const BootFileChange *f = &plan->files[i];
                _cleanup_close_ int dirfd = -EBADF;
                const char *name;
                int r;

                r = open_parent(rootfd, f->path, false, &name);
                if (r >= 0) {
                        dirfd = r;
                        if (f->old_text)
                                r = write_atomic_at(dirfd, name, f->old_text, 0644);
                        else if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                                r = -errno;
                }
                if (r == -ENOENT && !f->old_text)
                        r = 0;
                if (r < 0) {
                        errno = -r;
                        say(log, BOOT_APPLY_STAGE_RESTORE, "could not restore %s: %m", f->path);
                        if (ret == 0)
                                ret = r;
                        continue;
                }
                say(log, BOOT_APPLY_STAGE_RESTORE, "%s %s", f->old_text ? "restored" : "removed again",
                    f->path);
        }
        return ret;
}

/* Set by SIGTERM in the child: the daemon gave up waiting. */
static volatile sig_atomic_t child_cancelled;

static void on_sigterm(int sig) {
        child_cancelled = 1;
}

void boot_apply_catch_sigterm(void) {
        /* no SA_RESTART: a blocking read of a command's output returns EINTR */
        struct sigaction sa = { .sa_handler = on_sigterm };
        sigset_t term;

        (void) sigaction(SIGTERM, &sa, NULL);
        /* a child forked off the daemon has it blocked (sd-event's) */
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        (void) sigprocmask(SIG_UNBLOCK, &term, NULL);
}

static void say_output(const char *line, void *userdata) {
        say(userdata, BOOT_APPLY_STAGE_OUTPUT, "%s", line);
}

int boot_command_run(const char *command, FILE *log) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        assert(command);
        r = strv_split(command, " \t", &argv);
        if (r < 0)
                return r;
        if (!argv || !argv[0])
                return -EINVAL;
        say(log, BOOT_APPLY_STAGE_COMMAND, "%s", command);
        /* No time limit of its own: the daemon's timeout reaches us as SIGTERM (child_cancelled). */
        r = spawn_and_wait(&(SpawnParams){
                .argv = argv,
                .on_line = say_output,
                .userdata = log,
                .stderr_to_lines = true,
                .cancel = &child_cancelled,
        });
        if (r == -ECANCELED) {
                say(log, BOOT_APPLY_STAGE_COMMAND, "%s was stopped: it took too long", argv[0]);
                return -ETIMEDOUT;
        }
        if (r < 0) {
                errno = -r;
                say(log, BOOT_APPLY_STAGE_COMMAND, "cannot run %s: %m", argv[0]);
                return r;
        }
        if (r == 0)
                return 0;
        if (r < 128)
                say(log, BOOT_APPLY_STAGE_COMMAND, "%s failed with exit status %d", argv[0], r);
        else
                say(log, BOOT_APPLY_STAGE_COMMAND, "%s was killed by signal %d", argv[0], r - 128);
        return -EPROTO;
}

/* "`a`, `b`" for a message. */
static char *quote_commands(char *const *commands) {
        _cleanup_free_ char *joined = strv_join(commands, "`, `");
        char *s;

        if (!joined || asprintf(&s, "`%s`", joined) < 0)
                return NULL;
        return s;
}

/* After a failure, the files are back as they were: the commands that already ran on the new
 * files (an initramfs rebuilt with the early-bind list) run again on the old ones. Returns
 * the commands that failed again, whose results still carry the change (NULL: none). */
static int rerun_commands(char *const *commands, size_t n, FILE *log, char ***ret_failed) {
        _cleanup_strv_free_ char **failed = NULL;
        int r;

        for (size_t i = 0; i < n; i++) {
                say(log, BOOT_APPLY_STAGE_RESTORE, "running %s again on the restored files", commands[i]);
                if ((child_cancelled ? -ETIMEDOUT : boot_command_run(commands[i], log)) >= 0)
                        continue;
                r = strv_extend(&failed, commands[i]);
                if (r < 0)
                        return r;
        }
        *ret_failed = TAKE_PTR(failed);
        return 0;
}

/* Restores the files after a failure and runs again the first n_ran commands of the plan
 * (those that had run); *ret_outcome says in one clause what is left. */
static int restore(int rootfd, const BootPlan *plan, size_t n_written, size_t n_ran, FILE *log,
                   char **ret_outcome) {
        _cleanup_strv_free_ char **ran = NULL, **still = NULL;
        _cleanup_free_ char *ran_text = NULL, *still_text = NULL;
        int r;

        for (size_t i = 0; i < n_ran; i++)
                if (strv_extend(&ran, plan->commands[i]) < 0)
                        return -ENOMEM;
        if ((ran && !(ran_text = quote_commands(ran))))
                return -ENOMEM;
        if (boot_plan_restore_files(rootfd, plan, n_written, log) < 0)
                /* files not restored: running the commands again would build from them */
                r = asprintf(ret_outcome,
                             "some files could NOT be restored, see the lines above and the backups next to "
                             "them%s%s%s",
                             ran ? "; what " : "", strempty(ran_text),
                             ran ? " built from them still carries the change" : "");
        else {
                if (rerun_commands(ran, n_ran, log, &still) < 0 ||
                    (still && !(still_text = quote_commands(still))))
                        return -ENOMEM;
                if (still)
                        r = asprintf(
                                ret_outcome,
                                "every file written was restored as it was, but %s failed when run again: "
                                "what it built still carries the change; run it again by hand",
                                still_text);
                else if (ran)
                        r = asprintf(ret_outcome,
                                     "every file written was restored as it was, and %s ran again on them",
                                     ran_text);
                else
                        r = asprintf(ret_outcome, "every file written was restored as it was");
        }
        return r < 0 ? -ENOMEM : 0;
}

int boot_plan_apply(int rootfd, const BootPlan *plan, bool run_commands, time_t now, FILE *log,
                    char **ret_message) {
        _cleanup_free_ char *message = NULL, *outcome = NULL;
        const char *failed = NULL;
        size_t n_written = 0, n_ran = 0;
        int r;

        assert(plan);
        r = boot_plan_write_files(rootfd, plan, now, log, &n_written);
        if (r < 0)
                failed = "writing the files";
        for (char **c = plan->commands; r >= 0 && run_commands && c && *c; c++) {
                r = child_cancelled ? -ETIMEDOUT : boot_command_run(*c, log);
                if (r < 0)
                        failed = *c;
                else
                        n_ran++;
        }
        if (r >= 0) {
                if (asprintf(&message, "%zu file(s) written, %zu command(s) run.", n_written,
                             run_commands ? strv_length(plan->commands) : 0) < 0)
                        return -ENOMEM;
                say(log, BOOT_APPLY_STAGE_DONE, "%s", message);
                if (ret_message)
                        *ret_message = TAKE_PTR(message);
                return 0;
        }
        if (restore(rootfd, plan, n_written, n_ran, log, &outcome) < 0)
                return -ENOMEM;
        errno = -r;
        if (asprintf(&message, "Failed at %s (%m); %s.", failed, outcome) < 0)
                return -ENOMEM;
        say(log, BOOT_APPLY_STAGE_DONE, "%s", message);
        if (ret_message)
                *ret_message = TAKE_PTR(message);
        return r;
}

struct BootApply {
        BootApplyParams params;
        pid_t pid; /* the child; 0 over the socket */
        int fd;
        sd_event_source *io, *timer;
        SpawnLines lines; /* the output read so far, cut into lines */
        char *last_done;  /* the text of the last "done" line */
        int exit_status;  /* of the "exit" line; -1 before it */
        bool timed_out;
};

/* What the forked child needs: a copy of the parent's state, which it frees. */
typedef struct ChildInput {
        const BootApplyParams *params;
        const BootPlan *plan;
        BootApply *copy;
} ChildInput;

/* In the forked child (spawn_fork()): the plan, with the progress lines on fd. */
static int child_run(int fd, void *userdata) {
        const ChildInput *in = userdata;
        _cleanup_free_ char *message = NULL;
        FILE *log;
        int r;

        /* The child's copy of the state is not the child's to keep: memcheck counts it. */
        free(in->copy);
        boot_apply_catch_sigterm();
        log = fdopen(fd, "w");
        if (!log)
                return EXIT_FAILURE;
        r = boot_plan_apply(in->params->rootfd, in->plan, in->params->run_commands, time(NULL), log,
                            &message);
        fclose(log);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* One line from the pipe or the socket, "STAGE<TAB>TEXT" (without a tab: output). */
static void handle_line(const char *text, void *userdata) {
        BootApply *a = userdata;
        char copy[SPAWN_LINE_MAX + 1], *line = copy, *tab;
        const char *stage = "output";

        (void) snprintf(copy, sizeof(copy), "%s", text);
        tab = strchr(line, '\t');
        if (tab) {
                *tab = 0;
                stage = line;
                line = tab + 1;
        }
        if (streq(stage, BOOT_APPLY_STAGE_EXIT)) {
                char *end;
                long status;

                errno = 0;
                status = strtol(line, &end, 10);
                a->exit_status =
                        errno || end == line || *end || status < 0 || status > 255 ? 255 : (int) status;
                return;
        }
        if (streq(stage, BOOT_APPLY_STAGE_DONE)) {
                free(a->last_done);
                a->last_done = strdup(line);
        }
        if (a->params.on_progress)
                a->params.on_progress(stage, line, a->params.userdata);
}

/* How the work ended: the child's exit status, or over the socket the helper's exit line. */
static int outcome(BootApply *a, const char **ret_message) {
        *ret_message = a->last_done;
        if (a->pid > 0) {
                int status = spawn_reap(a->pid);

                a->pid = 0;
                if (status == 0)
                        return 0;
                return a->timed_out ? -ETIMEDOUT : -EPROTO;
        }
        if (a->timed_out) {
                *ret_message = "The boot configuration helper did not finish in time. It goes on in its own "
                               "unit, which stops it and restores the files when its time is up: "
                               "journalctl -u 'passthru-boot-config@*' says how it ended.";
                return -ETIMEDOUT;
        }
        if (a->exit_status < 0) {
                /* the helper died, or its unit failed to start: a socket carries no exit status */
                *ret_message = "The boot configuration helper ended without saying how (no exit line); "
                               "journalctl -u 'passthru-boot-config@*' says why.";
                return -EPROTO;
        }
        return a->exit_status == 0 ? 0 : -EPROTO;
}

static void finish(BootApply *a) {
        const char *message;
        int error;

        a->io = sd_event_source_disable_unref(a->io);
        a->timer = sd_event_source_disable_unref(a->timer);
        spawn_lines_flush(&a->lines, handle_line, a);
        error = outcome(a, &message);
        a->params.on_done(error,
                          message
                                  ?: "The boot configuration worker ended without saying how; the "
                                     "daemon's log may say more.",
                          a->params.userdata);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        BootApply *a = userdata;
        char chunk[4096];
        ssize_t n;

        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                finish(a);
                return 0;
        }
        spawn_lines_feed(&a->lines, chunk, (size_t) n, handle_line, a);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        BootApply *a = userdata;

        a->timer = sd_event_source_disable_unref(a->timer);
        a->timed_out = true;
        if (a->pid == 0) {
                /* the helper runs as root in its own unit: not ours to stop; stop waiting */
                log_warning("The boot configuration helper did not finish in time; no longer waiting.");
                finish(a);
                return 0;
        }
        log_warning("Boot configuration worker %d did not finish in time, stopping it.", (int) a->pid);
        /* the child stops its command, restores the files and exits: the pipe closes then */
        spawn_kill(a->pid, SIGTERM);
        return 0;
}

/* Connected to the helper's socket, the request sent and the sending side shut. */
static int connect_helper(const char *path, const char *request) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -EINVAL;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        r = send_all(fd, strempty(request));
        if (r < 0)
                return r;
        if (shutdown(fd, SHUT_WR) < 0)
                return -errno;
        return TAKE_FD(fd);
}

/* The child that runs the plan or the helper (its stdout and stderr the progress lines; SIGTERM,
 * the timeout, goes to it); returns the read end of its pipe. */
static int start_child(BootApply *a, const BootApplyParams *p, const BootPlan *plan) {
        int fd, r;

        if (p->argv)
                r = spawn_start(&(SpawnParams){ .argv = p->argv, .stderr_to_lines = true }, &a->pid, &fd);
        else
                r = spawn_fork(&(SpawnForkParams){ .run = child_run,
                                                   .userdata = &(ChildInput){ p, plan, a },
                                                   .keep_fd = p->rootfd },
                               &a->pid, &fd);
        if (r < 0)
                return log_error_errno(r, "Failed to start the boot configuration worker: %m");
        return fd;
}

int boot_apply_start(const BootApplyParams *p, const BootPlan *plan, BootApply **ret) {
        _cleanup_(boot_apply_freep) BootApply *a = NULL;
        uint64_t timeout = p->timeout_usec;
        int r;

        assert(p);
        assert(plan);
        assert(ret);
        a = calloc(1, sizeof(BootApply));
        if (!a)
                return -ENOMEM;
        a->params = *p;
        a->fd = -EBADF;
        a->exit_status = -1;
        if (p->socket_path) {
                a->fd = connect_helper(p->socket_path, p->request);
                if (a->fd < 0)
                        return log_error_errno(
                                a->fd, "Failed to hand the boot configuration to the helper at %s: %m",
                                p->socket_path);
                if (timeout == 0)
                        timeout = BOOT_APPLY_TIMEOUT_USEC + BOOT_APPLY_SOCKET_GRACE_USEC;
        } else {
                a->fd = start_child(a, p, plan);
                if (a->fd < 0)
                        return a->fd;
        }
        (void) fcntl(a->fd, F_SETFL, O_NONBLOCK);
        r = sd_event_add_io(p->event, &a->io, a->fd, EPOLLIN, on_io, a);
        if (r >= 0)
                r = sd_event_add_time_relative(p->event, &a->timer, CLOCK_MONOTONIC,
                                               timeout ?: BOOT_APPLY_TIMEOUT_USEC, 0, on_timeout, a);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the boot configuration worker: %m");
        *ret = TAKE_PTR(a);
        return 0;
}

BootApply *boot_apply_free(BootApply *a) {
        if (!a)
                return NULL;
        sd_event_source_disable_unref(a->io);
        sd_event_source_disable_unref(a->timer);
        if (a->pid > 0) {
                spawn_kill(a->pid, SIGKILL);
                (void) spawn_reap(a->pid);
        }
        if (a->fd >= 0)
                close(a->fd);
        free(a->last_done);
        free(a);
        return NULL;
}
