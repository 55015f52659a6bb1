/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macros.h"
#include "spawn-wait.h"

extern char **environ;

static int64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the program can be run: a path, or a name found in $PATH. posix_spawn() reports
 * a missing program as the child's exit 127 where it is not run through vfork (valgrind,
 * older C libraries); looking first gives the caller -ENOENT everywhere. */
static int check_program(const char *program) {
        const char *path = getenv("PATH") ?: "/usr/local/bin:/usr/bin:/bin";

        if (strchr(program, '/'))
                return access(program, X_OK) < 0 ? -errno : 0;
        for (const char *dir = path; *dir;) {
                size_t len = strcspn(dir, ":");
                _cleanup_free_ char *full = NULL;

                if (asprintf(&full, "%.*s/%s", (int) len, len > 0 ? dir : ".", program) < 0)
                        return -ENOMEM;
                if (access(full, X_OK) == 0)
                        return 0;
                dir += len + (dir[len] == ':');
        }
        return -ENOENT;
}

static int spawn_child(const SpawnParams *p, int out_fd, pid_t *ret_pid) {
        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        sigset_t none, all;
        int r;

        r = check_program(p->argv[0]);
        if (r < 0)
                return r;
        sigemptyset(&none);
        sigfillset(&all);
        r = posix_spawn_file_actions_init(&actions);
        if (r != 0)
                return -r;
        r = posix_spawnattr_init(&attr);
        if (r != 0) {
                posix_spawn_file_actions_destroy(&actions);
                return -r;
        }
        (void) posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (out_fd >= 0)
                (void) posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
        else
                (void) posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        if (out_fd >= 0 && p->stderr_to_lines)
                (void) posix_spawn_file_actions_adddup2(&actions, out_fd, STDERR_FILENO);
        else
                (void) posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        (void) posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                       POSIX_SPAWN_SETSIGDEF);
        (void) posix_spawnattr_setpgroup(&attr, 0);
        (void) posix_spawnattr_setsigmask(&attr, &none);
        (void) posix_spawnattr_setsigdefault(&attr, &all);
        r = strchr(p->argv[0], '/') ? posix_spawn(ret_pid, p->argv[0], &actions, &attr, p->argv, environ)
                                    : posix_spawnp(ret_pid, p->argv[0], &actions, &attr, p->argv, environ);
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&actions);
        return -r;
}

static void emit_line(SpawnLines *l, spawn_line_t on_line, void *userdata) {
        l->line[l->len] = '\0';
        on_line(l->line, userdata);
        l->len = 0;
        l->cut = false;
}

void spawn_lines_feed(SpawnLines *l, const char *buf, size_t n, spawn_line_t on_line, void *userdata) {
        assert(l);
        assert(on_line);
        for (size_t i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                        emit_line(l, on_line, userdata);
                        continue;
                }
                if (l->len < SPAWN_LINE_MAX)
                        l->line[l->len++] = buf[i];
                else
                        l->cut = true;
        }
}

void spawn_lines_flush(SpawnLines *l, spawn_line_t on_line, void *userdata) {
        assert(l);
        if (l->len > 0 || l->cut)
                emit_line(l, on_line, userdata);
}

/* The earlier of deadline and idle_timeout_ms from now (-1: neither). */
static int64_t idle_deadline(const SpawnParams *p, int64_t deadline) {
        int64_t idle;

        if (p->idle_timeout_ms <= 0)
                return deadline;
        idle = now_ms() + p->idle_timeout_ms;
        return deadline < 0 || idle < deadline ? idle : deadline;
}

/* Waits until fd (-1: none) is readable (0) or the deadline (-1: none) passes (-ETIMEDOUT);
 * a readable cancel_fd, or a signal with the cancel flag set, is -ECANCELED. */
static int wait_readable(int fd, const SpawnParams *p, int64_t deadline) {
        for (;;) {
                struct pollfd pfd[] = { { .fd = fd, .events = POLLIN },
                                        { .fd = p->cancel_fd > 0 ? p->cancel_fd : -1, .events = POLLIN } };
                int64_t left = deadline < 0 ? -1 : deadline - now_ms();
                int n;

                if (deadline >= 0 && left <= 0)
                        return -ETIMEDOUT;
                n = poll(pfd, ELEMENTSOF(pfd), (int) left);
                if (n < 0 && errno == EINTR && p->cancel && *p->cancel)
                        return -ECANCELED;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (pfd[1].revents)
                        return -ECANCELED;
                return n == 0 ? -ETIMEDOUT : 0;
        }
}

/* Reads fd until end of file or the deadline (-1: none). 0 at end of file, -ETIMEDOUT,
 * -ECANCELED, or -errno. */
static int read_output(int fd, const SpawnParams *p, int64_t deadline) {
        _cleanup_free_ SpawnLines *l = calloc(1, sizeof(SpawnLines));

        if (!l)
                return -ENOMEM;
        for (;;) {
                char buf[4096];
                ssize_t n;
                int r;

                r = wait_readable(fd, p, idle_deadline(p, deadline));
                if (r < 0)
                        return r;
                n = read(fd, buf, sizeof(buf));
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                spawn_lines_feed(l, buf, (size_t) n, p->on_line, p->userdata);
        }
        spawn_lines_flush(l, p->on_line, p->userdata);
        return 0;
}

static int pidfd_open_(pid_t pid) {
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);

        return fd < 0 ? -errno : fd;
}

int spawn_reap(pid_t pid) {
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Without a pidfd (a kernel before 5.3, or valgrind, which does not know pidfd_open):
 * looks every 10 ms whether the program has exited, leaving it to be reaped. */
static int wait_exit_polling(pid_t pid, const SpawnParams *p, int64_t deadline) {
        for (;;) {
                siginfo_t info = {};

                if (waitid(P_PID, (id_t) pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno != EINTR)
                        return -errno;
                if (info.si_pid == pid)
                        return 0;
                if (p->cancel && *p->cancel)
                        return -ECANCELED;
                if (deadline >= 0 && now_ms() >= deadline)
                        return -ETIMEDOUT;
                /* 10 ms, or less when cancel_fd becomes readable */
                if (wait_readable(-1, p, now_ms() + 10) == -ECANCELED)
                        return -ECANCELED;
        }
}

/* A pidfd is readable once the program has exited. */
static int wait_exit(pid_t pid, int pidfd, const SpawnParams *p, int64_t deadline) {
        return pidfd >= 0 ? wait_readable(pidfd, p, deadline) : wait_exit_polling(pid, p, deadline);
}

void spawn_kill(pid_t pid, int sig) {
        assert(pid > 0);
        (void) kill(-pid, sig);
}

/* SIGTERM to the program's group, SIGKILL after the grace, then reaped. */
static void stop(pid_t pid, int pidfd) {
        static const SpawnParams no_cancel = {};

        spawn_kill(pid, SIGTERM);
        if (wait_exit(pid, pidfd, &no_cancel, now_ms() + SPAWN_KILL_GRACE_MS) < 0)
                spawn_kill(pid, SIGKILL);
        (void) spawn_reap(pid);
}

int spawn_start(const SpawnParams *p, pid_t *ret_pid, int *ret_fd) {
        _cleanup_close_ int out_read = -EBADF, out_write = -EBADF;
        pid_t pid;
        int r;

        assert(p);
        assert(p->argv && p->argv[0]);
        assert(ret_pid);
        if (ret_fd) {
                int fds[2];

                if (pipe2(fds, O_CLOEXEC) < 0)
                        return -errno;
                out_read = fds[0];
                out_write = fds[1];
        }
        r = spawn_child(p, out_write, &pid);
        if (r < 0)
                return r;
        *ret_pid = pid;
        if (ret_fd)
                *ret_fd = TAKE_FD(out_read);
        return 0;
}

/* Closes every fd but stdio and the two given (each > 2, or ignored). */
static void close_all_but(int a, int b) {
        int lo, hi;

        if (b <= STDERR_FILENO)
                b = a;
        lo = a < b ? a : b;
        hi = a < b ? b : a;
        if (lo > STDERR_FILENO + 1)
                (void) close_range(STDERR_FILENO + 1, lo - 1, 0);
        if (hi > lo + 1)
                (void) close_range(lo + 1, hi - 1, 0);
        (void) close_range(hi + 1, ~0U, 0);
}

_noreturn_ static void fork_child_run(const SpawnForkParams *p, int fd) {
        int r;

        /* Before the parent may signal the group: both set it, whichever runs first. */
        (void) setpgid(0, 0);
        close_all_but(fd, p->keep_fd);
        r = p->run(fd, p->userdata);
        _exit(r < 0 || r > 255 ? EXIT_FAILURE : r);
}

int spawn_fork(const SpawnForkParams *p, pid_t *ret_pid, int *ret_fd) {
        int fds[2];
        pid_t pid;

        assert(p);
        assert(p->run);
        assert(ret_pid);
        assert(ret_fd);
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int r = -errno;

                close(fds[0]);
                close(fds[1]);
                return r;
        }
        if (pid == 0) {
                close(fds[0]);
                fork_child_run(p, fds[1]);
        }
        (void) setpgid(pid, pid);
        close(fds[1]);
        *ret_pid = pid;
        *ret_fd = fds[0];
        return 0;
}

int spawn_and_wait(const SpawnParams *p) {
        _cleanup_close_ int out_read = -EBADF, pidfd = -EBADF;
        int64_t deadline;
        pid_t pid;
        int r;

        assert(p);
        deadline = p->timeout_ms > 0 ? now_ms() + p->timeout_ms : -1;
        r = spawn_start(p, &pid, p->on_line ? &out_read : NULL);
        if (r < 0)
                return r;
        pidfd = pidfd_open_(pid);
        r = out_read >= 0 ? read_output(out_read, p, deadline) : 0;
        if (r >= 0)
                r = wait_exit(pid, pidfd, p, idle_deadline(p, deadline));
        if (r < 0) {
                stop(pid, pidfd);
                return r;
        }
        return spawn_reap(pid);
}
