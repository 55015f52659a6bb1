/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Children (common/spawn-wait.c): spawn-and-wait's exit statuses, output line by line (cut at
 * SPAWN_LINE_MAX), a timeout and an idle timeout that stop the whole process group,
 * cancellation by a signal and by an eventfd, a program that does not exist; a program started
 * without waiting, a forked function's exit status, pipe and closed fds, and its kill. */
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "macros.h"
#include "spawn-wait.h"

static void collect(const char *line, void *userdata) {
        g_ptr_array_add(userdata, g_strdup(line));
}

static int run_sh(const char *script, int timeout_ms, GPtrArray *lines, bool stderr_too) {
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) script, NULL };
        SpawnParams p = {
                .argv = argv,
                .timeout_ms = timeout_ms,
                .on_line = lines ? collect : NULL,
                .userdata = lines,
                .stderr_to_lines = stderr_too,
        };

        return spawn_and_wait(&p);
}

static void test_status(void) {
        g_assert_cmpint(run_sh("exit 0", 0, NULL, false), ==, 0);
        g_assert_cmpint(run_sh("exit 3", 0, NULL, false), ==, 3);
        g_assert_cmpint(run_sh("kill -KILL $$", 0, NULL, false), ==, 128 + SIGKILL);
}

static void test_lines(void) {
        g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) quiet = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *long_line = g_strnfill(SPAWN_LINE_MAX + 100, 'x');
        g_autofree char *script = g_strdup_printf("echo one; echo two >&2; printf 'three'; echo; echo %s; "
                                                  "printf last",
                                                  long_line);

        g_assert_cmpint(run_sh(script, 0, lines, true), ==, 0);
        g_assert_cmpuint(lines->len, ==, 5);
        g_assert_cmpstr(lines->pdata[0], ==, "one");
        g_assert_cmpstr(lines->pdata[1], ==, "two");
        g_assert_cmpstr(lines->pdata[2], ==, "three");
        g_assert_cmpuint(strlen(lines->pdata[3]), ==, SPAWN_LINE_MAX);
        g_assert_cmpstr(lines->pdata[4], ==, "last");
        /* stderr not asked for: it goes nowhere. */
        g_assert_cmpint(run_sh("echo out; echo err >&2", 0, quiet, false), ==, 0);
        g_assert_cmpuint(quiet->len, ==, 1);
        g_assert_cmpstr(quiet->pdata[0], ==, "out");
}

/* The program and a child it started (which holds the pipe open) are both stopped. */
static void test_timeout(void) {
        g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
        gint64 start = g_get_monotonic_time();

        g_assert_cmpint(run_sh("echo started; sleep 60 & sleep 60", 300, lines, false), ==, -ETIMEDOUT);
        g_assert_cmpint(g_get_monotonic_time() - start, <, 10 * G_USEC_PER_SEC);
        g_assert_cmpuint(lines->len, ==, 1);
        /* Without output to read, the wait for the exit has the deadline too. */
        start = g_get_monotonic_time();
        g_assert_cmpint(run_sh("sleep 60", 300, NULL, false), ==, -ETIMEDOUT);
        g_assert_cmpint(g_get_monotonic_time() - start, <, 10 * G_USEC_PER_SEC);
        /* One that ignores SIGTERM gets SIGKILL after the grace. */
        start = g_get_monotonic_time();
        g_assert_cmpint(run_sh("trap '' TERM; sleep 60", 300, NULL, false), ==, -ETIMEDOUT);
        g_assert_cmpint(g_get_monotonic_time() - start, <, (SPAWN_KILL_GRACE_MS + 5000) * 1000);
}

static volatile sig_atomic_t cancelled;

static void on_alarm(int sig) {
        cancelled = 1;
}

static void test_cancel(void) {
        char *argv[] = { (char *) "/bin/sleep", (char *) "60", NULL };
        SpawnParams p = { .argv = argv, .cancel = &cancelled };
        struct sigaction sa = { .sa_handler = on_alarm }, old;
        gint64 start = g_get_monotonic_time();

        /* No SA_RESTART: the wait is interrupted and sees the flag. */
        g_assert_cmpint(sigaction(SIGALRM, &sa, &old), ==, 0);
        alarm(1);
        g_assert_cmpint(spawn_and_wait(&p), ==, -ECANCELED);
        g_assert_cmpint(g_get_monotonic_time() - start, <, 10 * G_USEC_PER_SEC);
        g_assert_cmpint(sigaction(SIGALRM, &old, NULL), ==, 0);
}

/* A program that writes now and then may take longer than the idle timeout in all; a silent
 * one is stopped after it, also when it has closed its output and does not exit. */
static void test_idle_timeout(void) {
        g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
        char *busy[] = { (char *) "/bin/sh", (char *) "-c",
                         (char *) "for i in 1 2 3 4 5 6; do echo $i; sleep 0.2; done", NULL };
        char *silent[] = { (char *) "/bin/sh", (char *) "-c", (char *) "echo one; sleep 60", NULL };
        char *closed[] = { (char *) "/bin/sh", (char *) "-c", (char *) "exec >&-; sleep 60", NULL };
        gint64 start;

        g_assert_cmpint(
                spawn_and_wait(&(SpawnParams){
                        .argv = busy, .idle_timeout_ms = 700, .on_line = collect, .userdata = lines }),
                ==, 0);
        g_assert_cmpuint(lines->len, ==, 6);
        start = g_get_monotonic_time();
        g_assert_cmpint(
                spawn_and_wait(&(SpawnParams){
                        .argv = silent, .idle_timeout_ms = 300, .on_line = collect, .userdata = lines }),
                ==, -ETIMEDOUT);
        g_assert_cmpuint(lines->len, ==, 7);
        g_assert_cmpint(g_get_monotonic_time() - start, <, 10 * G_USEC_PER_SEC);
        start = g_get_monotonic_time();
        g_assert_cmpint(
                spawn_and_wait(&(SpawnParams){
                        .argv = closed, .idle_timeout_ms = 300, .on_line = collect, .userdata = lines }),
                ==, -ETIMEDOUT);
        g_assert_cmpint(g_get_monotonic_time() - start, <, 10 * G_USEC_PER_SEC);
}

static gpointer cancel_later(gpointer data) {
        g_usleep(300 * 1000);
        g_assert_cmpint(eventfd_write(GPOINTER_TO_INT(data), 1), ==, 0);
        return NULL;
}

/* Another thread cancels through the eventfd, whether or not the program writes. */
static void test_cancel_fd(void) {
        char *quiet[] = { (char *) "/bin/sleep", (char *) "60", NULL };
        char *chatty[] = { (char *) "/bin/sh", (char *) "-c", (char *) "echo hello; sleep 60", NULL };
        char *const *programs[] = { quiet, chatty };

        for (size_t i = 0; i < G_N_ELEMENTS(programs); i++) {
                g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
                int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                gint64 start = g_get_monotonic_time();
                GThread *thread;

                g_assert_cmpint(fd, >, 0);
                thread = g_thread_new("cancel", cancel_later, GINT_TO_POINTER(fd));
                g_assert_cmpint(spawn_and_wait(&(SpawnParams){ .argv = programs[i],
                                                               .on_line = i ? collect : NULL,
                                                               .userdata = lines,
                                                               .cancel_fd = fd }),
                                ==, -ECANCELED);
                g_assert_cmpint(g_get_monotonic_time() - start, <, 10 * G_USEC_PER_SEC);
                g_thread_join(thread);
                close(fd);
        }
}

/* Started without waiting: the caller reads the pipe to its end, then reaps. */
static void test_start(void) {
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) "echo out; echo err >&2; exit 4",
                         NULL };
        char buf[64] = "";
        ssize_t n, got = 0;
        pid_t pid;
        int fd;

        g_assert_cmpint(spawn_start(&(SpawnParams){ .argv = argv, .stderr_to_lines = true }, &pid, &fd), ==,
                        0);
        while ((n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
                got += n;
        close(fd);
        g_assert_cmpstr(buf, ==, "out\nerr\n");
        g_assert_cmpint(spawn_reap(pid), ==, 4);
        argv[2] = (char *) "exit 0";
        g_assert_cmpint(spawn_start(&(SpawnParams){ .argv = argv }, &pid, NULL), ==, 0);
        g_assert_cmpint(spawn_reap(pid), ==, 0);
        argv[0] = (char *) "/nonexistent/program";
        g_assert_cmpint(spawn_start(&(SpawnParams){ .argv = argv }, &pid, &fd), ==, -ENOENT);
}

typedef struct ForkCheck {
        int kept, closed;
} ForkCheck;

/* In the child: says over the pipe which of the fds are open, and exits with 42. */
static int report_fds(int fd, void *userdata) {
        const ForkCheck *c = userdata;
        char line[32];
        int n;

        n = snprintf(line, sizeof(line), "%d %d %d\n", fcntl(c->kept, F_GETFD) >= 0,
                     fcntl(c->closed, F_GETFD) >= 0, getpgid(0) == getpid());
        return write(fd, line, (size_t) n) == n ? 42 : 1;
}

/* A forked function: its return value is the exit status, its pipe reaches the parent, it
 * keeps only keep_fd besides stdio and the pipe, and it leads its own process group. */
static void test_fork_status(void) {
        ForkCheck c = { .kept = open("/dev/null", O_RDONLY | O_CLOEXEC),
                        .closed = open("/dev/null", O_RDONLY | O_CLOEXEC) };
        char buf[32] = "";
        pid_t pid;
        int fd;

        g_assert_cmpint(c.kept, >, STDERR_FILENO);
        g_assert_cmpint(c.closed, >, STDERR_FILENO);
        g_assert_cmpint(
                spawn_fork(&(SpawnForkParams){ .run = report_fds, .userdata = &c, .keep_fd = c.kept }, &pid,
                           &fd),
                ==, 0);
        g_assert_cmpint(read(fd, buf, sizeof(buf) - 1), >, 0);
        g_assert_cmpstr(buf, ==, "1 0 1\n");
        /* end of file: the child has exited */
        g_assert_cmpint(read(fd, buf, sizeof(buf)), ==, 0);
        g_assert_cmpint(spawn_reap(pid), ==, 42);
        close(fd);
        close(c.kept);
        close(c.closed);
}

static int hang(int fd, void *userdata) {
        pause();
        return 0;
}

static void test_fork_kill(void) {
        char buf[1];
        pid_t pid;
        int fd;

        g_assert_cmpint(spawn_fork(&(SpawnForkParams){ .run = hang }, &pid, &fd), ==, 0);
        spawn_kill(pid, SIGKILL);
        g_assert_cmpint(read(fd, buf, sizeof(buf)), ==, 0);
        g_assert_cmpint(spawn_reap(pid), ==, 128 + SIGKILL);
        close(fd);
}

static void test_missing(void) {
        char *argv[] = { (char *) "/nonexistent/program", NULL };
        char *path_argv[] = { (char *) "passthru-no-such-program", NULL };

        g_assert_cmpint(spawn_and_wait(&(SpawnParams){ .argv = argv }), ==, -ENOENT);
        g_assert_cmpint(spawn_and_wait(&(SpawnParams){ .argv = path_argv }), ==, -ENOENT);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/spawn/status", test_status);
        g_test_add_func("/spawn/lines", test_lines);
        g_test_add_func("/spawn/timeout", test_timeout);
        g_test_add_func("/spawn/cancel", test_cancel);
        g_test_add_func("/spawn/idle-timeout", test_idle_timeout);
        g_test_add_func("/spawn/cancel-fd", test_cancel_fd);
        g_test_add_func("/spawn/missing", test_missing);
        g_test_add_func("/spawn/start", test_start);
        g_test_add_func("/spawn/fork-status", test_fork_status);
        g_test_add_func("/spawn/fork-kill", test_fork_kill);
        return g_test_run();
}
