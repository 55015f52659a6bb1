/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Spawn-and-wait (common/spawn-wait.c): exit statuses, output line by line, a timeout that
 * stops the whole process group, cancellation by a signal, a program that does not exist. */
#include <glib.h>
#include <signal.h>

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
        g_test_add_func("/spawn/missing", test_missing);
        return g_test_run();
}
