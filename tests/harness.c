/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A private bus and a spawned passthrud for integration tests (see harness.h). */
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>

#include "harness.h"
#include "passthru-dbus.h"

typedef struct {
        char *path, *interface, *member;
        GVariant *parameters;
} Signal;

struct Harness {
        Testbed *tb;
        char *dir; /* bus config and socket, module dir */
        GSubprocess *bus;
        char *address;
        GSubprocess *daemon;
        GDBusConnection *connection;
        char *owner;              /* the daemon's unique name */
        char **extra_args;        /* for harness_restart_daemon() */
        bool daemon_exit_checked; /* harness_lose_bus() saw it exit */
        guint subscription;
        GQueue signals;
};

static void signal_free(Signal *s) {
        g_free(s->path);
        g_free(s->interface);
        g_free(s->member);
        g_variant_unref(s->parameters);
        g_free(s);
}

/* Spawned children must not outlive a test that aborts halfway. */
static void child_setup(gpointer data) {
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean timed_out(gpointer data) {
        *(gboolean *) data = TRUE;
        return G_SOURCE_REMOVE;
}

void harness_wait_until(gboolean (*cond)(gpointer data), gpointer data, const char *what) {
        gboolean expired = FALSE;
        guint timeout = g_timeout_add_seconds(HARNESS_TIMEOUT_SECONDS, timed_out, &expired);

        while (!cond(data) && !expired)
                g_main_context_iteration(NULL, TRUE);
        if (expired)
                g_error("Timed out after %d s waiting for %s", HARNESS_TIMEOUT_SECONDS, what);
        g_source_remove(timeout);
}

static gboolean process_done(gpointer data) {
        return g_subprocess_get_identifier(data) == NULL;
}

static void on_wait_done(GObject *source, GAsyncResult *result, gpointer data) {
        (void) g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL);
}

void harness_wait_process(GSubprocess *p) {
        g_subprocess_wait_async(p, NULL, on_wait_done, NULL);
        harness_wait_until(process_done, p, "a spawned process to exit");
}

void harness_run_clear(HarnessRun *r) {
        g_free(r->out);
        g_free(r->err);
}

typedef struct {
        HarnessRun *run;
        bool done;
} RunState;

static void on_client_done(GObject *source, GAsyncResult *result, gpointer data) {
        RunState *s = data;
        g_autoptr(GError) error = NULL;

        g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result, &s->run->out, &s->run->err,
                                             &error);
        g_assert_no_error(error);
        s->done = true;
}

static gboolean client_done(gpointer data) {
        return ((RunState *) data)->done;
}

/* Two full stops in a row that are not an ellipsis or a path's "..": one sentence glued to another's
 * stop ("expected a class.. Fix the file"). Nothing passthru says has them (issue 18). */
static bool has_doubled_stop(const char *s) {
        for (const char *p = s ? strstr(s, "..") : NULL; p; p = strstr(p + 1, ".."))
                if ((p == s || (p[-1] != '.' && p[-1] != '/')) && p[2] != '.' && p[2] != '/')
                        return true;
        return false;
}

static void assert_no_doubled_stop(const char *what, const char *text) {
        if (has_doubled_stop(text))
                g_error("%s has a doubled full stop: %s", what, text);
}

HarnessRun harness_run(Harness *h, const char *const *argv) {
        g_autoptr(GSubprocess) p = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *joined = g_strjoinv(" ", (char **) argv);
        HarnessRun r = {};
        RunState s = { .run = &r };

        p = harness_spawn(h, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, argv, &error);
        g_assert_no_error(error);
        g_subprocess_communicate_utf8_async(p, NULL, NULL, on_client_done, &s);
        harness_wait_until(client_done, &s, "a spawned client to finish");
        harness_wait_process(p);
        g_assert_true(g_subprocess_get_if_exited(p));
        r.status = g_subprocess_get_exit_status(p);
        g_test_message("%.200s: exit %d, stderr: %.300s", joined, r.status, r.err);
        if (r.status == HARNESS_WRAPPER_ERROR_EXIT)
                g_error("The wrapper found errors in %s:\n%s", joined, r.err);
        assert_no_doubled_stop(joined, r.out);
        assert_no_doubled_stop(joined, r.err);
        return r;
}

const char *harness_client_path(void) {
        return g_getenv("PASSTHRUCTL");
}

HarnessRun harness_run_client(Harness *h, const char *const *args) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();

        g_ptr_array_add(argv, (char *) harness_client_path());
        for (const char *const *a = args; *a; a++)
                g_ptr_array_add(argv, (char *) *a);
        g_ptr_array_add(argv, NULL);
        return harness_run(h, (const char *const *) argv->pdata);
}

static char *write_bus_config(const char *dir) {
        g_autofree char *config = g_build_filename(dir, "bus.conf", NULL);
        g_autofree char *contents = NULL;
        g_autoptr(GError) error = NULL;

        /* Like a session bus: anyone may own and call, any user may connect (a test calls as
         * nobody); nothing from the host is included. */
        contents = g_strdup_printf(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                "<busconfig>\n"
                "  <type>session</type>\n"
                "  <listen>unix:path=%s/bus</listen>\n"
                "  <auth>EXTERNAL</auth>\n"
                "  <policy context=\"default\">\n"
                "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                "    <allow eavesdrop=\"true\"/>\n"
                "    <allow own=\"*\"/>\n"
                "    <allow user=\"*\"/>\n"
                "  </policy>\n"
                "</busconfig>\n",
                dir);
        g_file_set_contents(config, contents, -1, &error);
        g_assert_no_error(error);
        return g_steal_pointer(&config);
}

/* dbus-daemon gets a clean environment: not the umockdev preload, not our bus addresses. */
static void start_bus(Harness *h) {
        g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
        g_autofree char *config = write_bus_config(h->dir);
        g_autofree char *config_arg = g_strconcat("--config-file=", config, NULL);
        g_autoptr(GDataInputStream) out = NULL;
        g_autoptr(GError) error = NULL;

        g_subprocess_launcher_unsetenv(launcher, "LD_PRELOAD");
        g_subprocess_launcher_unsetenv(launcher, "UMOCKDEV_DIR");
        g_subprocess_launcher_unsetenv(launcher, "DBUS_SESSION_BUS_ADDRESS");
        g_subprocess_launcher_unsetenv(launcher, "DBUS_SYSTEM_BUS_ADDRESS");
        g_subprocess_launcher_set_child_setup(launcher, child_setup, NULL, NULL);
        h->bus = g_subprocess_launcher_spawn(launcher, &error, "dbus-daemon", config_arg, "--nofork",
                                             "--print-address=1", NULL);
        g_assert_no_error(error);
        out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(h->bus));
        h->address = g_data_input_stream_read_line(out, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_nonnull(h->address);
        g_assert_true(g_str_has_prefix(h->address, "unix:"));
}

GSubprocess *harness_spawn(Harness *h, GSubprocessFlags flags, const char *const *argv, GError **error) {
        g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(flags);
        g_autoptr(GPtrArray) full = g_ptr_array_new_with_free_func(g_free);
        g_auto(GStrv) wrapper = NULL;
        const char *w = g_getenv("PASSTHRU_TEST_WRAPPER");

        if (w && *w) {
                g_shell_parse_argv(w, NULL, &wrapper, error);
                g_assert_no_error(error ? *error : NULL);
                for (char **a = wrapper; *a; a++)
                        g_ptr_array_add(full, g_strdup(*a));
        }
        for (const char *const *a = argv; *a; a++)
                g_ptr_array_add(full, g_strdup(*a));
        g_ptr_array_add(full, NULL);
        g_subprocess_launcher_setenv(launcher, "DBUS_SYSTEM_BUS_ADDRESS", h->address, TRUE);
        g_subprocess_launcher_unsetenv(launcher, "DBUS_SESSION_BUS_ADDRESS");
        g_subprocess_launcher_set_child_setup(launcher, child_setup, NULL, NULL);
        return g_subprocess_launcher_spawnv(launcher, (const char *const *) full->pdata, error);
}

static void on_signal(GDBusConnection *connection, const char *sender, const char *path,
                      const char *interface, const char *member, GVariant *parameters, gpointer data) {
        Harness *h = data;
        Signal *s = g_new0(Signal, 1);

        s->path = g_strdup(path);
        s->interface = g_strdup(interface);
        s->member = g_strdup(member);
        s->parameters = g_variant_ref(parameters);
        g_queue_push_tail(&h->signals, s);
}

static void on_name_appeared(GDBusConnection *connection, const char *name, const char *owner,
                             gpointer data) {
        Harness *h = data;

        g_free(h->owner);
        h->owner = g_strdup(owner);
}

static gboolean name_owned_or_daemon_gone(gpointer data) {
        Harness *h = data;

        return h->owner != NULL || g_subprocess_get_identifier(h->daemon) == NULL;
}

/* GDBus sends the subscription's AddMatch without waiting for the bus to take it. A test
 * that makes the daemon emit right away (a hotplug event) could otherwise lose the signals
 * emitted before the bus installs the match: one round trip to the bus on the same
 * connection, which the bus answers in order, closes that window. */
static void sync_with_bus(Harness *h) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
                h->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                "GetId", NULL, G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);

        g_assert_no_error(error);
        g_assert_nonnull(reply);
}

static void start_daemon(Harness *h, const char *passthrud, const char *const *extra_args) {
        g_autofree char *bus = g_strconcat("--bus-address=", h->address, NULL);
        g_autofree char *ids =
                g_strconcat("--pci-ids=", g_test_get_filename(G_TEST_DIST, "data", "pci.ids", NULL), NULL);
        g_autofree char *modprobe = g_strconcat(
                "--modprobe-config=", g_test_get_filename(G_TEST_DIST, "data", "modprobe.conf", NULL), NULL);
        /* An empty module directory: the host's module index never answers. */
        g_autofree char *modules = g_strconcat("--modules-dir=", h->dir, "/modules", NULL);
        /* Never /run/passthru of the machine; extra_args may name another. */
        g_autofree char *runtime = g_strconcat("--runtime-dir=", h->dir, "/run", NULL);
        /* Nor /etc/passthru: a test that makes devices persistent names its own. */
        g_autofree char *config = g_strconcat("--config-dir=", h->dir, "/etc-passthru", NULL);
        /* Every caller asks the mock polkit, whatever user the tests run as; a test of the
         * root rule passes --polkit-for-root=no (the last one counts). */
        const char *base[] = { passthrud,
                               bus,
                               ids,
                               modprobe,
                               modules,
                               runtime,
                               config,
                               "--log-level=debug",
                               "--polkit-for-root=yes" };
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autoptr(GError) error = NULL;
        guint watch;

        for (size_t i = 0; i < G_N_ELEMENTS(base); i++)
                g_ptr_array_add(argv, (char *) base[i]);
        for (const char *const *a = extra_args; a && *a; a++)
                g_ptr_array_add(argv, (char *) *a);
        g_ptr_array_add(argv, NULL);
        h->daemon = harness_spawn(h, G_SUBPROCESS_FLAGS_NONE, (const char *const *) argv->pdata, &error);
        g_assert_no_error(error);
        g_subprocess_wait_async(h->daemon, NULL, on_wait_done, NULL);
        watch = g_bus_watch_name_on_connection(h->connection, PASSTHRU_BUS_NAME,
                                               G_BUS_NAME_WATCHER_FLAGS_NONE, on_name_appeared, NULL, h,
                                               NULL);
        harness_wait_until(name_owned_or_daemon_gone, h, "passthrud to own " PASSTHRU_BUS_NAME);
        g_bus_unwatch_name(watch);
        if (!h->owner)
                g_error("passthrud exited before owning its name (status %d)",
                        g_subprocess_get_status(h->daemon));
        h->subscription = g_dbus_connection_signal_subscribe(h->connection, h->owner, NULL, NULL, NULL, NULL,
                                                             G_DBUS_SIGNAL_FLAGS_NONE, on_signal, h, NULL);
        sync_with_bus(h);
}

const char *harness_unavailable_reason(void) {
        const char *passthrud = g_getenv("PASSTHRUD");
        g_autofree char *dbus_daemon = g_find_program_in_path("dbus-daemon");

        if (testbed_unavailable_reason())
                return testbed_unavailable_reason();
        if (!passthrud || !g_file_test(passthrud, G_FILE_TEST_IS_EXECUTABLE))
                return "$PASSTHRUD does not name the built daemon: run through meson test";
        if (!dbus_daemon)
                return "dbus-daemon is not installed";
        return NULL;
}

bool harness_skip_all(const char *prefix) {
        return test_skip_all(prefix, harness_unavailable_reason());
}

Harness *harness_new(Testbed *tb) {
        return harness_new_with_args(tb, NULL);
}

Harness *harness_new_with_args(Testbed *tb, const char *const *extra_args) {
        const char *passthrud = g_getenv("PASSTHRUD");
        g_autoptr(GError) error = NULL;
        g_autofree char *modules = NULL;
        Harness *h;

        g_assert_null(harness_unavailable_reason());
        h = g_new0(Harness, 1);
        h->tb = tb;
        h->dir = g_dir_make_tmp("passthru-bus-XXXXXX", &error);
        g_assert_no_error(error);
        modules = g_build_filename(h->dir, "modules", NULL);
        g_assert_no_errno(g_mkdir(modules, 0755));
        g_queue_init(&h->signals);
        start_bus(h);
        h->connection = g_dbus_connection_new_for_address_sync(
                h->address,
                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);
        g_assert_no_error(error);
        h->extra_args = g_strdupv((char **) extra_args);
        start_daemon(h, passthrud, extra_args);
        return h;
}

static void stop(GSubprocess *p) {
        if (g_subprocess_get_identifier(p))
                g_subprocess_send_signal(p, SIGTERM);
        harness_wait_process(p);
}

/* Fails the test unless the daemon exited 0: a crash, a failed shutdown, or (exit status
 * HARNESS_WRAPPER_ERROR_EXIT) memory errors or leaks the wrapper found. */
static void check_exit(GSubprocess *daemon) {
        if (!g_subprocess_get_if_exited(daemon))
                g_test_fail_printf("passthrud did not exit on SIGTERM: killed by signal %d",
                                   g_subprocess_get_term_sig(daemon));
        else if (g_subprocess_get_exit_status(daemon) == HARNESS_WRAPPER_ERROR_EXIT)
                g_test_fail_printf("passthrud: the wrapper (%s) found errors, see its output above",
                                   g_getenv("PASSTHRU_TEST_WRAPPER") ?: "a sanitizer");
        else if (g_subprocess_get_exit_status(daemon) != 0)
                g_test_fail_printf("passthrud exited with status %d on SIGTERM",
                                   g_subprocess_get_exit_status(daemon));
}

int harness_lose_bus(Harness *h) {
        if (h->subscription)
                g_dbus_connection_signal_unsubscribe(h->connection, h->subscription);
        h->subscription = 0;
        stop(h->bus);
        harness_wait_process(h->daemon);
        h->daemon_exit_checked = true;
        if (!g_subprocess_get_if_exited(h->daemon))
                g_error("passthrud was killed by signal %d when its bus went away",
                        g_subprocess_get_term_sig(h->daemon));
        if (g_subprocess_get_exit_status(h->daemon) == HARNESS_WRAPPER_ERROR_EXIT)
                g_test_fail_printf("passthrud: the wrapper found errors, see its output above");
        return g_subprocess_get_exit_status(h->daemon);
}

void harness_restart_daemon(Harness *h) {
        if (h->subscription)
                g_dbus_connection_signal_unsubscribe(h->connection, h->subscription);
        h->subscription = 0;
        stop(h->daemon);
        check_exit(h->daemon);
        g_clear_object(&h->daemon);
        g_clear_pointer(&h->owner, g_free);
        start_daemon(h, g_getenv("PASSTHRUD"), (const char *const *) h->extra_args);
}

void harness_free(Harness *h) {
        if (!h)
                return;
        if (h->subscription)
                g_dbus_connection_signal_unsubscribe(h->connection, h->subscription);
        stop(h->daemon);
        if (!h->daemon_exit_checked)
                check_exit(h->daemon);
        g_dbus_connection_close_sync(h->connection, NULL, NULL);
        g_object_unref(h->connection);
        stop(h->bus);
        g_object_unref(h->bus);
        g_object_unref(h->daemon);
        g_queue_clear_full(&h->signals, (GDestroyNotify) signal_free);
        test_remove_tree(h->dir);
        g_free(h->dir);
        g_free(h->address);
        g_free(h->owner);
        g_strfreev(h->extra_args);
        g_free(h);
}

GDBusConnection *harness_connection(Harness *h) {
        return h->connection;
}

const char *harness_bus_address(Harness *h) {
        return h->address;
}

GVariant *harness_call(Harness *h, const char *path, const char *interface, const char *method,
                       GVariant *args, const char *reply_type, GError **error) {
        return g_dbus_connection_call_sync(h->connection, PASSTHRU_BUS_NAME, path, interface, method, args,
                                           reply_type ? G_VARIANT_TYPE(reply_type) : NULL,
                                           G_DBUS_CALL_FLAGS_NO_AUTO_START, HARNESS_TIMEOUT_SECONDS * 1000,
                                           NULL, error);
}

static void on_call_done(GObject *source, GAsyncResult *result, gpointer data) {
        HarnessCall *c = data;

        c->reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &c->error);
        c->done = true;
}

static gboolean call_done(gpointer data) {
        return ((HarnessCall *) data)->done;
}

void harness_call_start_on(GDBusConnection *connection, HarnessCall *c, GDBusCallFlags flags,
                           const char *path, const char *interface, const char *method, GVariant *args,
                           const char *reply_type) {
        *c = (HarnessCall){};
        g_dbus_connection_call(connection, PASSTHRU_BUS_NAME, path, interface, method, args,
                               reply_type ? G_VARIANT_TYPE(reply_type) : NULL,
                               flags | G_DBUS_CALL_FLAGS_NO_AUTO_START, HARNESS_TIMEOUT_SECONDS * 1000, NULL,
                               on_call_done, c);
}

void harness_call_start(Harness *h, HarnessCall *c, GDBusCallFlags flags, const char *path,
                        const char *interface, const char *method, GVariant *args, const char *reply_type) {
        harness_call_start_on(h->connection, c, flags, path, interface, method, args, reply_type);
}

void harness_call_finish(HarnessCall *c, const char *what) {
        harness_wait_until(call_done, c, what);
}

GVariant *harness_call_looping(Harness *h, const char *path, const char *interface, const char *method,
                               GVariant *args, const char *reply_type, GError **error) {
        HarnessCall c;

        harness_call_start(h, &c, G_DBUS_CALL_FLAGS_NONE, path, interface, method, args, reply_type);
        harness_call_finish(&c, method);
        if (c.error)
                g_propagate_error(error, c.error);
        return c.reply;
}

char *harness_device_path(const char *address) {
        g_autofree char *s = g_strdelimit(g_strdup(address), ":.", '_');

        return g_strconcat(PASSTHRU_DEVICES_PATH "/", s, NULL);
}

void harness_assert_dbus_error(GError *error, const char *name, const char *mentions) {
        g_autofree char *remote = NULL;

        g_assert_nonnull(error);
        remote = g_dbus_error_get_remote_error(error);
        if (g_strcmp0(remote, name) != 0)
                g_error("expected %s, got %s: %s", name, remote, error->message);
        if (mentions && !strstr(error->message, mentions))
                g_error("error \"%s\" does not mention \"%s\"", error->message, mentions);
        assert_no_doubled_stop(name, error->message);
}

GVariant *harness_get_property(Harness *h, const char *path, const char *interface, const char *name) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(h, path, "org.freedesktop.DBus.Properties", "Get",
                                                 g_variant_new("(ss)", interface, name), "(v)", &error);
        GVariant *value;

        g_assert_no_error(error);
        g_variant_get(reply, "(v)", &value);
        return value;
}

static Signal *take_signal(Harness *h, const char *path, const char *interface, const char *member) {
        for (GList *l = h->signals.head; l; l = l->next) {
                Signal *s = l->data;

                if ((!path || g_str_equal(s->path, path)) && g_str_equal(s->interface, interface) &&
                    g_str_equal(s->member, member)) {
                        g_queue_delete_link(&h->signals, l);
                        return s;
                }
        }
        return NULL;
}

GVariant *harness_wait_signal(Harness *h, const char *path, const char *interface, const char *member) {
        gboolean expired = FALSE;
        guint timeout = g_timeout_add_seconds(HARNESS_TIMEOUT_SECONDS, timed_out, &expired);
        Signal *s;
        GVariant *parameters;

        while (!(s = take_signal(h, path, interface, member)) && !expired)
                g_main_context_iteration(NULL, TRUE);
        if (!s) {
                g_autofree char *pending = harness_describe_pending(h);

                g_error("No signal %s.%s on %s within %d s; received: %s", interface, member,
                        path ?: "any path", HARNESS_TIMEOUT_SECONDS, pending);
        }
        g_source_remove(timeout);
        parameters = g_variant_ref(s->parameters);
        signal_free(s);
        return parameters;
}

guint harness_pending_signals(Harness *h) {
        return h->signals.length;
}

char *harness_describe_pending(Harness *h) {
        GString *s = g_string_new(NULL);

        for (GList *l = h->signals.head; l; l = l->next) {
                Signal *sig = l->data;
                g_autofree char *args = g_variant_print(sig->parameters, FALSE);

                g_string_append_printf(s, "%s%s %s.%s%s", s->len ? "; " : "", sig->path, sig->interface,
                                       sig->member, args);
        }
        if (s->len == 0)
                g_string_append(s, "nothing");
        return g_string_free(s, FALSE);
}
