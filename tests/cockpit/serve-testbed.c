/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* serve-testbed: a live passthrud for the Cockpit page's browser test (test-cockpit.py).
 *
 * Starts what the integration tests use (tests/harness.c, testbed.c, kernel-emulator.c):
 * the realistic testbed host on umockdev, the kernel emulator with vfio-pci, a private
 * dbus-daemon, passthrud on it, and a mock polkit authority on the same bus. Prints the
 * bus address on stdout, then obeys one command per line on stdin and answers each with
 * "ok" (or "error: ..."). Its own lines start with "serve: ", apart from GLib's TAP output:
 *
 *   hotplug         the testbed's hotplug NIC appears (an "add" uevent), then e1000e binds
 *   unplug          it goes away again
 *   restart         passthrud stops (SIGTERM) and a new one starts on the same bus
 *   polkit allow    the mock authority authorizes every question (the default)
 *   polkit deny     it refuses every question
 *   quit            stop everything (as does end of input)
 *
 * Must run with the umockdev preload (LD_PRELOAD=libumockdev-preload.so.0) and $PASSTHRUD;
 * without them it prints "serve: skip: REASON" and exits 77. */
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>
#include <stdio.h>

#include "harness.h"
#include "mock-polkit.h"
#include "kernel-emulator.h"
#include "testbed.h"

typedef struct {
        Testbed *tb;
        KernelEmulator *kernel;
        Harness *h;
        char *dir;
        MockPolkit polkit;
        bool quit;
        GDataInputStream *in;
} Server;

static void answer(const char *line) {
        fprintf(stdout, "serve: %s\n", line);
        fflush(stdout);
}

static void command(Server *s, const char *line) {
        TestbedFunction nic = testbed_hotplug_nic;

        if (g_str_equal(line, "quit")) {
                s->quit = true;
                return;
        }
        if (g_str_equal(line, "hotplug")) {
                /* As on a host: the "add" event first, the driver binds afterwards. */
                nic.driver = NULL;
                testbed_add(s->tb, &nic);
                testbed_set_driver(s->tb, nic.address, "e1000e");
                testbed_uevent(s->tb, nic.address, "bind");
        } else if (g_str_equal(line, "unplug")) {
                testbed_uevent(s->tb, nic.address, "remove");
                testbed_remove(s->tb, nic.address);
        } else if (g_str_equal(line, "restart")) {
                harness_restart_daemon(s->h);
        } else if (g_str_equal(line, "polkit allow")) {
                s->polkit.mode = POLKIT_ALLOW;
        } else if (g_str_equal(line, "polkit deny")) {
                s->polkit.mode = POLKIT_DENY;
        } else {
                g_autofree char *e = g_strdup_printf("error: unknown command \"%s\"", line);
                answer(e);
                return;
        }
        answer("ok");
}

static void read_line(Server *s);

static void on_line(GObject *source, GAsyncResult *result, gpointer data) {
        Server *s = data;
        g_autoptr(GError) error = NULL;
        g_autofree char *line = g_data_input_stream_read_line_finish(s->in, result, NULL, &error);

        if (!line) {
                s->quit = true; /* end of input: the driver is gone */
                return;
        }
        command(s, g_strstrip(line));
        if (!s->quit)
                read_line(s);
}

static void read_line(Server *s) {
        g_data_input_stream_read_line_async(s->in, G_PRIORITY_DEFAULT, NULL, on_line, s);
}

/* One GLib test case, so the harness's g_test_get_filename() and assertions work. */
static void serve(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *proc = NULL, *runtime_arg = NULL, *proc_arg = NULL, *module = NULL,
                        *config_arg = NULL;
        g_autoptr(GInputStream) stdin_stream = NULL;
        Server s = { 0 };

        s.tb = testbed_new();
        testbed_add_all(s.tb, testbed_host, testbed_host_len);
        s.kernel = kernel_emulator_new(s.tb);
        kernel_emulator_add_driver(s.kernel, "vfio-pci");
        module = g_build_filename(testbed_sys_dir(s.tb), "module", "vfio_iommu_type1", NULL);
        g_assert_no_errno(g_mkdir_with_parents(module, 0755));

        /* The host uses none of the devices (an empty /proc fixture), but a user's audio
         * server has the GPU's audio function open: a holder that is only a warning. */
        s.dir = g_dir_make_tmp("passthru-cockpit-XXXXXX", &error);
        g_assert_no_error(error);
        proc = g_build_filename(s.dir, "proc", NULL);
        test_write_idle_proc(proc);
        testbed_device_link(s.tb, "class/sound/pcmC0D0p", "0000:01:00.1", "sound/pcmC0D0p");
        test_symlink_in(proc, "1402/fd/20", "/dev/snd/pcmC0D0p");
        test_symlink_in(proc, "1402/exe", "/usr/bin/pipewire");
        test_write_file(proc, "1402/cgroup",
                        "0::/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service\n");
        testbed_assert_contained(s.tb);
        runtime_arg = g_strconcat("--runtime-dir=", s.dir, "/run", NULL);
        proc_arg = g_strconcat("--proc-root=", proc, NULL);
        /* Never the machine's /etc/passthru: the page can make devices persistent. */
        config_arg = g_strconcat("--config-dir=", s.dir, "/etc-passthru", NULL);
        const char *args[] = { runtime_arg, proc_arg, config_arg, "--operation-timeout=20", NULL };
        s.h = harness_new_with_args(s.tb, args);

        mock_polkit_start(&s.polkit, harness_connection(s.h), POLKIT_ALLOW);

        answer(harness_bus_address(s.h));
        stdin_stream = g_unix_input_stream_new(0, FALSE);
        s.in = g_data_input_stream_new(stdin_stream);
        read_line(&s);
        while (!s.quit)
                g_main_context_iteration(NULL, TRUE);

        mock_polkit_stop(&s.polkit, harness_connection(s.h));
        kernel_emulator_release(s.kernel);
        harness_free(s.h);
        kernel_emulator_free(s.kernel);
        testbed_free(s.tb);
        test_remove_tree(s.dir);
        g_free(s.dir);
        g_object_unref(s.in);
}

int main(int argc, char **argv) {
        const char *reason;

        g_test_init(&argc, &argv, NULL);
        if ((reason = harness_unavailable_reason())) {
                fprintf(stdout, "serve: skip: %s\n", reason);
                return 77;
        }
        g_test_add_func("/cockpit/serve-testbed", serve);
        return g_test_run();
}
