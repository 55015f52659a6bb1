/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* passthrud on a private bus over a testbed, for integration tests: a dbus-daemon of our
 * own (session-like config, nothing of the host's), the built passthrud spawned on it with
 * the fixture pci.ids and modprobe config, a GDBus connection, and a record of every signal
 * the daemon sends. Spawned programs inherit the umockdev preload and testbed, and run under
 * $PASSTHRU_TEST_WRAPPER when set (valgrind in `meson test --setup valgrind`). */

#include <gio/gio.h>

#include "testbed.h"

/* Generous: under valgrind, starting the daemon takes seconds. */
#define HARNESS_TIMEOUT_SECONDS 90
/* Exit status the wrapper (valgrind --error-exitcode) uses for errors it found. */
#define HARNESS_WRAPPER_ERROR_EXIT 99

typedef struct Harness Harness;

/* NULL when integration tests can run; else what is missing (the umockdev preload,
 * dbus-daemon, the built daemon), for test_skip_all(). */
const char *harness_unavailable_reason(void);
/* test_skip_all() when integration tests cannot run. */
bool harness_skip_all(const char *prefix);
/* A running daemon with its name owned, over tb. */
Harness *harness_new(Testbed *tb);
/* The same, with more passthrud options (NULL-terminated), e.g. "--runtime-dir=DIR". */
Harness *harness_new_with_args(Testbed *tb, const char *const *extra_args);
/* Stops the daemon with SIGTERM and fails the test unless it exited 0 (so leaks and memory
 * errors the wrapper found fail the test), then stops the bus. */
void harness_free(Harness *h);

/* Stops the daemon as harness_free() does (failing the test unless it exits 0) and starts
 * a new one on the same bus, with the same options. */
void harness_restart_daemon(Harness *h);

/* Stops the bus under the running daemon and waits for the daemon to exit on its own;
 * returns its exit status (harness_free() then checks nothing more). */
int harness_lose_bus(Harness *h);

GDBusConnection *harness_connection(Harness *h);
const char *harness_bus_address(Harness *h);

/* Spawns argv (prefixed with the wrapper) with DBUS_SYSTEM_BUS_ADDRESS pointing at the
 * private bus; the child dies with the test. */
GSubprocess *harness_spawn(Harness *h, GSubprocessFlags flags, const char *const *argv, GError **error);
/* Waits for a spawned process, failing the test if it does not exit in time. */
void harness_wait_process(GSubprocess *p);

/* What passthructl did: its exit status and output. */
typedef struct HarnessRun {
        int status;
        char *out, *err;
} HarnessRun;
void harness_run_clear(HarnessRun *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HarnessRun, harness_run_clear)
/* Runs passthructl ARGS... (NULL-terminated) on the private bus while this process's main
 * context keeps running (a mock polkit in the test answers meanwhile); fails the test when
 * the wrapper found errors in it. */
HarnessRun harness_run_client(Harness *h, const char *const *args);
/* The passthructl to run: $PASSTHRUCTL, the built client. NULL outside meson test. */
const char *harness_client_path(void);
/* The same for any command line (argv[0] looked up in $PATH), e.g. passthructl under setpriv. */
HarnessRun harness_run(Harness *h, const char *const *argv);
#define HARNESS_RUN(h, ...) harness_run_client((h), (const char *const[]){ __VA_ARGS__, NULL })

/* A method call on the daemon; reply_type may be NULL. */
GVariant *harness_call(Harness *h, const char *path, const char *interface, const char *method,
                       GVariant *args, const char *reply_type, GError **error);
/* A method call answered later, while this process's main context keeps running (a mock
 * polkit or the kernel emulator in the test answers meanwhile). */
typedef struct HarnessCall {
        GVariant *reply;
        GError *error;
        bool done;
} HarnessCall;
void harness_call_start(Harness *h, HarnessCall *c, GDBusCallFlags flags, const char *path,
                        const char *interface, const char *method, GVariant *args, const char *reply_type);
/* The same on another connection to the private bus (another client). */
void harness_call_start_on(GDBusConnection *connection, HarnessCall *c, GDBusCallFlags flags,
                           const char *path, const char *interface, const char *method, GVariant *args,
                           const char *reply_type);
/* Waits for its reply (or error), failing the test after the timeout; what names it then. */
void harness_call_finish(HarnessCall *c, const char *what);
/* harness_call_start() and _finish(): the reply, or NULL with *error set. */
GVariant *harness_call_looping(Harness *h, const char *path, const char *interface, const char *method,
                               GVariant *args, const char *reply_type, GError **error);
/* The object path of the device at address (/org/passthru/devices/0000_01_00_0). */
char *harness_device_path(const char *address);
/* error is the D-Bus error name, and its message mentions mentions (unless NULL). */
void harness_assert_dbus_error(GError *error, const char *name, const char *mentions);
/* A property of an object of the daemon; fails the test on error. */
GVariant *harness_get_property(Harness *h, const char *path, const char *interface, const char *name);

/* The oldest signal not yet taken that matches (path NULL: any path), removed from the
 * record; waits for it, failing the test after the timeout. Returns its parameters. */
GVariant *harness_wait_signal(Harness *h, const char *path, const char *interface, const char *member);
/* Number of signals recorded and not yet taken. */
guint harness_pending_signals(Harness *h);
/* The signals not yet taken, for messages. */
char *harness_describe_pending(Harness *h);
/* Runs the main context until cond(data) or the timeout (then fails the test). */
void harness_wait_until(gboolean (*cond)(gpointer data), gpointer data, const char *what);
