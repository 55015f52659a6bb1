/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passthructl against passthrud on the testbed host: the text and JSON of list, show and
 * groups, the one-line errors and exit statuses of passthructl(1), and monitor following
 * hotplug. JSON is parsed with json-c and compared with what the daemon says over D-Bus. */
#include <glib/gstdio.h>
#include <json-c/json.h>
#include <signal.h>

#include "harness.h"
#include "passthru-dbus.h"
#include "testbed.h"

#define GPU "0000:01:00.0"
#define MONITOR_READY "Monitoring passthru events"

typedef struct {
        Testbed *tb;
        Harness *h;
} ClientFixture;

static void fixture_setup(ClientFixture *f, gconstpointer data) {
        f->tb = testbed_new();
        testbed_set_console(f->tb, true);
        testbed_add_all(f->tb, testbed_host, testbed_host_len);
        f->h = harness_new(f->tb);
}

/* fbcon draws on the GPU's framebuffer: a holder from the start. */
static void fixture_setup_fb(ClientFixture *f, gconstpointer data) {
        f->tb = testbed_new();
        testbed_set_console(f->tb, true);
        testbed_add_all(f->tb, testbed_host, testbed_host_len);
        testbed_device_link(f->tb, "class/graphics/fb0", GPU, "graphics/fb0");
        f->h = harness_new(f->tb);
}

static void fixture_teardown(ClientFixture *f, gconstpointer data) {
        harness_free(f->h);
        testbed_free(f->tb);
}

static GSubprocess *spawn_client(ClientFixture *f, GSubprocessFlags flags, const char *const *args) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autoptr(GError) error = NULL;
        GSubprocess *p;

        g_ptr_array_add(argv, (char *) harness_client_path());
        for (const char *const *a = args; *a; a++)
                g_ptr_array_add(argv, (char *) *a);
        g_ptr_array_add(argv, NULL);
        p = harness_spawn(f->h, flags, (const char *const *) argv->pdata, &error);
        g_assert_no_error(error);
        return p;
}

#define RUN(f, ...) HARNESS_RUN((f)->h, __VA_ARGS__)

static char **lines_of(const char *text) {
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        size_t n = g_strv_length(lines);

        /* Output ends with a newline: the last piece is empty. */
        g_assert_cmpuint(n, >, 0);
        g_assert_cmpstr(lines[n - 1], ==, "");
        g_free(lines[n - 1]);
        lines[n - 1] = NULL;
        return g_steal_pointer(&lines);
}

static const char *line_starting(char **lines, const char *prefix) {
        for (char **l = lines; *l; l++)
                if (g_str_has_prefix(*l, prefix))
                        return *l;
        g_error("No line starting with \"%s\"", prefix);
}

/* An error is exactly one line "passthructl: ..." on stderr, nothing on stdout. */
static void assert_error_line(const HarnessRun *r, int status) {
        g_auto(GStrv) lines = lines_of(r->err);

        g_assert_cmpint(r->status, ==, status);
        g_assert_cmpstr(r->out, ==, "");
        g_assert_cmpuint(g_strv_length(lines), ==, 1);
        g_assert_true(g_str_has_prefix(lines[0], "passthructl: "));
        g_assert_cmpuint(strlen(lines[0]), >, strlen("passthructl: ") + 10);
}

static json_object *parse_json(const char *text) {
        json_tokener *tok = json_tokener_new();
        json_object *o = json_tokener_parse_ex(tok, text, (int) strlen(text));
        enum json_tokener_error e = json_tokener_get_error(tok);

        if (!o || e != json_tokener_success)
                g_error("Not JSON (%s): %s", json_tokener_error_desc(e), text);
        /* Nothing but white space may follow the value. */
        for (const char *rest = text + json_tokener_get_parse_end(tok); *rest; rest++)
                g_assert_true(g_ascii_isspace(*rest));
        json_tokener_free(tok);
        return o;
}

static json_object *member(json_object *o, const char *key) {
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v))
                g_error("JSON object without \"%s\": %s", key, json_object_to_json_string(o));
        return v;
}

static const char *member_string(json_object *o, const char *key) {
        json_object *v = member(o, key);

        g_assert_true(json_object_is_type(v, json_type_string));
        return json_object_get_string(v);
}

static int64_t member_int(json_object *o, const char *key) {
        json_object *v = member(o, key);

        g_assert_true(json_object_is_type(v, json_type_int));
        return json_object_get_int64(v);
}

static void test_list(ClientFixture *f, gconstpointer data) {
        g_auto(HarnessRun) r = RUN(f, "list");
        g_auto(HarnessRun) plain = RUN(f, "--bus-address", harness_bus_address(f->h));
        g_auto(GStrv) lines = NULL;

        g_assert_cmpint(r.status, ==, 0);
        g_assert_cmpstr(r.err, ==, "");
        lines = lines_of(r.out);
        g_assert_cmpuint(g_strv_length(lines), ==, testbed_host_len + 1);
        g_assert_true(g_str_has_prefix(lines[0], "ADDRESS"));
        for (size_t i = 0; i < testbed_host_len; i++) {
                const TestbedFunction *t = &testbed_host[i];
                g_autofree char *ids = g_strdup_printf("[%04x:%04x]", t->vendor, t->device);
                const char *line = line_starting(lines, t->address);

                g_test_message("line %s", line);
                g_assert_true(g_str_has_suffix(line, ids));
                g_assert_nonnull(strstr(line, t->driver ?: " - "));
        }
        g_assert_true(g_str_has_suffix(line_starting(lines, GPU),
                                       "NVIDIA Corporation GP104 [GeForce GTX 1080] [10de:1b80]"));
        /* Unknown names leave the IDs alone. */
        g_assert_true(g_str_has_suffix(line_starting(lines, "0000:07:01.0"), "unbound  [1a03:2000]"));
        /* No verb is list; --bus-address names the same bus. */
        g_assert_cmpint(plain.status, ==, 0);
        g_assert_cmpstr(plain.out, ==, r.out);
}

/* The JSON of list holds what ListDevices says, row by row, and nothing else. */
static void test_list_json(ClientFixture *f, gconstpointer data) {
        g_auto(HarnessRun) r = RUN(f, "--json", "list");
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply =
                harness_call(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "ListDevices", NULL,
                             "(a" PASSTHRU_DEVICE_ROW_SIGNATURE ")", &error);
        g_autoptr(GVariantIter) rows = NULL;
        const char *address, *class_name, *vendor_name, *device_name, *driver, *state;
        json_object *devices;
        guint16 vendor, device;
        guint32 class_code;
        gint32 group;
        size_t i = 0;

        g_assert_no_error(error);
        g_assert_cmpint(r.status, ==, 0);
        g_assert_cmpstr(r.err, ==, "");
        devices = parse_json(r.out);
        g_assert_true(json_object_is_type(devices, json_type_array));
        g_variant_get(reply, "(a" PASSTHRU_DEVICE_ROW_SIGNATURE ")", &rows);
        g_assert_cmpuint(json_object_array_length(devices), ==, g_variant_iter_n_children(rows));
        while (g_variant_iter_next(rows, "(&sqqu&s&s&s&si&s)", &address, &vendor, &device, &class_code,
                                   &class_name, &vendor_name, &device_name, &driver, &group, &state)) {
                json_object *d = json_object_array_get_idx(devices, i++);

                g_test_message("device %s", address);
                g_assert_cmpstr(member_string(d, "address"), ==, address);
                g_assert_cmpint(member_int(d, "vendor_id"), ==, vendor);
                g_assert_cmpint(member_int(d, "device_id"), ==, device);
                g_assert_cmpint(member_int(d, "class"), ==, class_code);
                g_assert_cmpstr(member_string(d, "class_name"), ==, class_name);
                g_assert_cmpstr(member_string(d, "vendor_name"), ==, vendor_name);
                g_assert_cmpstr(member_string(d, "device_name"), ==, device_name);
                g_assert_cmpstr(member_string(d, "driver"), ==, driver);
                g_assert_cmpint(member_int(d, "iommu_group"), ==, group);
                g_assert_cmpstr(member_string(d, "state"), ==, state);
                /* Only the row's fields: the rest of the properties are show's. */
                g_assert_cmpint(json_object_object_length(d), ==, 10);
        }
        json_object_put(devices);
}

/* A key of list --json is the same key, with the same value, in show --json. */
static void test_list_json_matches_show(ClientFixture *f, gconstpointer data) {
        g_auto(HarnessRun) list = RUN(f, "--json", "list");
        g_auto(HarnessRun) show = RUN(f, "--json", "show", GPU);
        json_object *devices, *shown, *listed = NULL;

        g_assert_cmpint(list.status, ==, 0);
        g_assert_cmpint(show.status, ==, 0);
        devices = parse_json(list.out);
        shown = parse_json(show.out);
        for (size_t i = 0; i < json_object_array_length(devices); i++)
                if (g_str_equal(member_string(json_object_array_get_idx(devices, i), "address"), GPU))
                        listed = json_object_array_get_idx(devices, i);
        g_assert_nonnull(listed);
        json_object_object_foreach(listed, key, value) {
                g_test_message("key %s", key);
                g_assert_cmpstr(json_object_to_json_string(value), ==,
                                json_object_to_json_string(member(shown, key)));
        }
        json_object_put(devices);
        json_object_put(shown);
}

static void test_show(ClientFixture *f, gconstpointer data) {
        g_auto(HarnessRun) r = RUN(f, "show", "01:00.0");
        g_auto(GStrv) lines = NULL;

        g_assert_cmpint(r.status, ==, 0);
        g_assert_cmpstr(r.err, ==, "");
        lines = lines_of(r.out);
        g_assert_true(g_str_has_prefix(lines[0], "Address:"));
        g_assert_true(g_str_has_suffix(lines[0], " " GPU));
        g_assert_true(g_str_has_suffix(line_starting(lines, "VendorId:"), " 10de"));
        g_assert_true(g_str_has_suffix(line_starting(lines, "Class:"), " 030000"));
        g_assert_true(g_str_has_suffix(line_starting(lines, "Driver:"), " nouveau"));
        g_assert_true(g_str_has_suffix(line_starting(lines, "IommuGroup:"), " 1"));
        g_assert_true(g_str_has_suffix(line_starting(lines, "BootVga:"), " yes"));
        g_assert_true(g_str_has_suffix(line_starting(lines, "Assignable:"), " no"));
        g_assert_true(g_str_has_suffix(line_starting(lines, "NumaNode:"), " -"));
        /* A list: one element per line, aligned under the first. */
        for (size_t i = 0; lines[i]; i++)
                if (g_str_has_prefix(lines[i], "KernelModules:")) {
                        g_assert_true(g_str_has_suffix(lines[i], " nouveau"));
                        g_assert_nonnull(lines[i + 1]);
                        g_assert_true(g_str_has_suffix(lines[i + 1], " nvidiafb"));
                        g_assert_cmpuint(strlen(lines[i]) - strlen("nouveau"), ==,
                                         strlen(lines[i + 1]) - strlen("nvidiafb"));
                        g_assert_cmpuint(strspn(lines[i + 1], " "), ==,
                                         strlen(lines[i + 1]) - strlen("nvidiafb"));
                }
        g_assert_nonnull(strstr(r.out, "0000:00:01.0 driver=pcieport state=host"));
        g_assert_nonnull(strstr(r.out, "0000:01:00.1 driver=snd_hda_intel state=host"));
}

#define FBCON "the text console (fbcon, vtcon1) is drawn on its framebuffer fb0"
#define UNBIND_FBCON "echo 0 > /sys/class/vtconsole/vtcon1/bind"

/* show and check name what holds the GPU, with the remedy, and how it is reset. */
static void test_holders(ClientFixture *f, gconstpointer data) {
        g_auto(HarnessRun) show = RUN(f, "show", GPU);
        g_auto(HarnessRun) json = RUN(f, "--json", "show", GPU);
        g_auto(HarnessRun) check = RUN(f, "check");
        g_auto(HarnessRun) check_json = RUN(f, "--json", "check");
        g_auto(GStrv) lines = NULL;
        json_object *shown, *holders, *checked, *gpus, *gpu = NULL;

        g_assert_cmpint(show.status, ==, 0);
        lines = lines_of(show.out);
        g_assert_true(g_str_has_suffix(line_starting(lines, "Holders:"), " " FBCON " -> " UNBIND_FBCON));
        g_assert_true(g_str_has_suffix(line_starting(lines, "ResetVerdict:"), " bus reset available"));
        g_assert_nonnull(strstr(show.out, FBCON "; to end it: " UNBIND_FBCON "."));

        shown = parse_json(json.out);
        holders = member(shown, "holders");
        g_assert_cmpuint(json_object_array_length(holders), ==, 1);
        g_assert_cmpstr(
                json_object_get_string(json_object_array_get_idx(json_object_array_get_idx(holders, 0), 1)),
                ==, UNBIND_FBCON);
        g_assert_cmpstr(member_string(shown, "reset_verdict"), ==, "bus reset available");

        /* The display controllers (the GPU, the BMC's ASPEED) and the GPU's audio function. */
        g_assert_nonnull(strstr(check.out,
                                "\nGPUs:\n  0000:01:00.0  driver=nouveau  reset: bus reset available\n"
                                "    held: " FBCON "\n      -> " UNBIND_FBCON "\n"
                                "  0000:01:00.1  driver=snd_hda_intel  reset: bus reset available\n"));
        checked = parse_json(check_json.out);
        gpus = member(checked, "gpus");
        g_assert_cmpuint(json_object_array_length(gpus), ==, 3);
        g_assert_cmpstr(member_string(json_object_array_get_idx(gpus, 2), "address"), ==, "0000:07:01.0");
        gpu = json_object_array_get_idx(gpus, 0);
        g_assert_cmpstr(member_string(gpu, "address"), ==, GPU);
        g_assert_cmpuint(json_object_array_length(member(gpu, "holders")), ==, 1);
        json_object_put(shown);
        json_object_put(checked);
}

static void test_show_json(ClientFixture *f, gconstpointer data) {
        g_auto(HarnessRun) r = RUN(f, "show", "--json", "0000:03:10.4");
        json_object *d, *mates, *vfs;

        g_assert_cmpint(r.status, ==, 0);
        d = parse_json(r.out);
        g_assert_cmpstr(member_string(d, "address"), ==, "0000:03:10.4");
        g_assert_cmpstr(member_string(d, "physical_function"), ==, "0000:03:00.0");
        g_assert_cmpstr(member_string(d, "state"), ==, "vfio");
        g_assert_cmpint(member_int(d, "vendor_id"), ==, 0x8086);
        g_assert_true(json_object_get_boolean(member(d, "assignable")));
        vfs = member(d, "virtual_functions");
        g_assert_cmpuint(json_object_array_length(vfs), ==, 0);
        mates = member(d, "group_mates");
        g_assert_true(json_object_is_type(mates, json_type_array));
        g_assert_cmpuint(json_object_array_length(mates), ==, 0);
        json_object_put(d);
}

static void test_bad_address(ClientFixture *f, gconstpointer data) {
        static const char *const invalid[] = { "../../x", "0000:00:1f.8", "zz", "", "0000:00:20.0" };
        g_autofree char *huge = g_strnfill(10 * 1024, '0');

        for (size_t i = 0; i < G_N_ELEMENTS(invalid); i++) {
                g_auto(HarnessRun) r = RUN(f, "show", invalid[i]);

                assert_error_line(&r, 1);
        }
        {
                g_auto(HarnessRun) r = RUN(f, "show", huge);

                assert_error_line(&r, 1);
        }
        {
                g_auto(HarnessRun) r = RUN(f, "show", "09:00.0");

                assert_error_line(&r, 1);
                g_assert_nonnull(strstr(r.err, "0000:09:00.0"));
        }
        {
                g_auto(HarnessRun) r = RUN(f, "--json", "show", "zz");

                assert_error_line(&r, 1);
        }
        {
                /* The quote stops at 32 bytes, never inside a character: "x" and 15 of the
                 * two-byte ä are 31 bytes, the 16th would end at 33. */
                g_autoptr(GString) umlauts = g_string_new("x");
                g_autoptr(GString) quoted = g_string_new("'x");

                for (int i = 0; i < 40; i++)
                        g_string_append(umlauts, "\xc3\xa4");
                for (int i = 0; i < 15; i++)
                        g_string_append(quoted, "\xc3\xa4");
                g_string_append(quoted, "...'");
                {
                        g_auto(HarnessRun) r = RUN(f, "show", umlauts->str);

                        assert_error_line(&r, 1);
                        g_assert_true(g_utf8_validate(r.err, -1, NULL));
                        g_assert_nonnull(strstr(r.err, quoted->str));
                }
        }
}

static void test_usage(ClientFixture *f, gconstpointer data) {
        g_auto(HarnessRun) help = RUN(f, "--help");
        g_auto(HarnessRun) version = RUN(f, "--version");
        g_auto(HarnessRun) no_address = RUN(f, "show");
        g_auto(HarnessRun) two = RUN(f, "show", GPU, GPU);
        g_auto(HarnessRun) unknown = RUN(f, "frobnicate");
        g_auto(HarnessRun) option = RUN(f, "--frobnicate");
        g_auto(HarnessRun) extra = RUN(f, "list", "extra");

        g_assert_cmpint(help.status, ==, 0);
        for (const char *const *verb = (const char *const[]){ "list", "show", "groups", "monitor", NULL };
             *verb; verb++)
                g_assert_nonnull(strstr(help.out, *verb));
        g_assert_cmpint(version.status, ==, 0);
        g_assert_true(g_str_has_prefix(version.out, "passthructl "));
        assert_error_line(&no_address, 64);
        assert_error_line(&two, 64);
        assert_error_line(&unknown, 64);
        assert_error_line(&option, 64);
        assert_error_line(&extra, 64);
}

static void test_no_bus(ClientFixture *f, gconstpointer data) {
        g_auto(HarnessRun) r = RUN(f, "--bus-address", "unix:path=/nonexistent/passthru-test-bus", "list");

        assert_error_line(&r, 1);
}

/* -H: sd-bus runs "ssh -xT -- HOST systemd-stdio-bridge". Our stand-in for ssh, first on
 * PATH, records its arguments and runs the real bridge against the private bus, as the
 * remote host's ssh would against its system bus. */
static void test_remote_host(ClientFixture *f, gconstpointer data) {
        g_autofree char *dir = g_dir_make_tmp("passthru-ssh-XXXXXX", NULL);
        g_autofree char *ssh = g_build_filename(dir, "ssh", NULL);
        g_autofree char *args_file = g_build_filename(dir, "ssh-args", NULL);
        g_autofree char *script =
                g_strdup_printf("#!/bin/sh\nprintf '%%s\\n' \"$@\" >'%s'\n"
                                "exec systemd-stdio-bridge --bus-path=\"$DBUS_SYSTEM_BUS_ADDRESS\"\n",
                                args_file);
        g_autofree char *old_path = g_strdup(g_getenv("PATH"));
        g_autofree char *path = g_strdup_printf("%s:%s", dir, old_path);
        g_autofree char *args = NULL, *bridge = g_find_program_in_path("systemd-stdio-bridge");
        g_autoptr(GError) error = NULL;

        if (!bridge) {
                g_test_skip("systemd-stdio-bridge (package systemd) is not installed");
                return;
        }
        g_assert_true(g_file_set_contents(ssh, script, -1, &error));
        g_assert_no_error(error);
        g_assert_cmpint(g_chmod(ssh, 0755), ==, 0);
        g_setenv("PATH", path, TRUE);
        g_auto(HarnessRun) remote = RUN(f, "-H", "admin@server.invalid", "list");
        g_setenv("PATH", old_path, TRUE);
        g_auto(HarnessRun) local = RUN(f, "list");

        g_assert_cmpint(remote.status, ==, 0);
        g_assert_cmpstr(remote.out, ==, local.out);
        g_assert_true(g_file_get_contents(args_file, &args, NULL, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(args, ==, "-xT\n--\nadmin@server.invalid\nsystemd-stdio-bridge\n");
        g_assert_cmpint(g_unlink(args_file), ==, 0);
        g_assert_cmpint(g_unlink(ssh), ==, 0);
        g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void test_groups(ClientFixture *f, gconstpointer data) {
        g_auto(HarnessRun) text = RUN(f, "groups");
        g_auto(HarnessRun) json = RUN(f, "groups", "--json");
        g_auto(GStrv) lines = NULL;
        json_object *groups, *first;

        g_assert_cmpint(text.status, ==, 0);
        lines = lines_of(text.out);
        g_assert_true(g_str_has_prefix(lines[0], "GROUP"));
        /* One line per member: the 14 functions are all in groups. */
        g_assert_cmpuint(g_strv_length(lines), ==, testbed_host_len + 1);

        g_assert_cmpint(json.status, ==, 0);
        groups = parse_json(json.out);
        g_assert_cmpuint(json_object_array_length(groups), ==, 10);
        first = json_object_array_get_idx(groups, 0);
        g_assert_cmpint(member_int(first, "number"), ==, 1);
        g_assert_false(json_object_get_boolean(member(first, "viable")));
        g_assert_cmpuint(json_object_array_length(member(first, "devices")), ==, 3);
        g_assert_cmpstr(member_string(json_object_array_get_idx(member(first, "devices"), 1), "address"), ==,
                        GPU);
        json_object_put(groups);
}

typedef struct {
        GDataInputStream *stream;
        char *line;
        gboolean done;
} LineRead;

static void on_line(GObject *source, GAsyncResult *result, gpointer data) {
        LineRead *l = data;

        l->line = g_data_input_stream_read_line_finish_utf8(l->stream, result, NULL, NULL);
        l->done = TRUE;
}

static gboolean line_done(gpointer data) {
        return ((LineRead *) data)->done;
}

/* Reads lines until one starts with prefix; fails at end of output or after the timeout. */
static char *read_line_starting(GDataInputStream *stream, const char *prefix) {
        for (;;) {
                LineRead l = { .stream = stream };

                g_data_input_stream_read_line_async(stream, G_PRIORITY_DEFAULT, NULL, on_line, &l);
                harness_wait_until(line_done, &l, prefix);
                if (!l.line)
                        g_error("Output ended before a line starting with \"%s\"", prefix);
                g_test_message("monitor: %s", l.line);
                if (g_str_has_prefix(l.line, prefix))
                        return l.line;
                g_free(l.line);
        }
}

typedef struct {
        GSubprocess *process;
        GDataInputStream *out, *err;
} Monitor;

static void monitor_start(ClientFixture *f, Monitor *m, gboolean json) {
        const char *const text[] = { "monitor", NULL }, *const with_json[] = { "monitor", "--json", NULL };
        g_autofree char *ready = NULL;

        m->process = spawn_client(f, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                  json ? with_json : text);
        m->out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(m->process));
        m->err = g_data_input_stream_new(g_subprocess_get_stderr_pipe(m->process));
        /* Subscribed once this is out: nothing after it can be missed. */
        ready = read_line_starting(m->err, MONITOR_READY);
}

static void monitor_stop(Monitor *m) {
        g_subprocess_send_signal(m->process, SIGTERM);
        harness_wait_process(m->process);
        g_assert_true(g_subprocess_get_if_exited(m->process));
        g_assert_cmpint(g_subprocess_get_exit_status(m->process), ==, 0);
        g_object_unref(m->out);
        g_object_unref(m->err);
        g_object_unref(m->process);
}

static void hotplug(ClientFixture *f, gboolean add) {
        TestbedFunction unbound = testbed_hotplug_nic;

        unbound.driver = NULL;
        if (add)
                testbed_add(f->tb, &unbound);
        else {
                testbed_uevent(f->tb, unbound.address, "remove");
                testbed_remove(f->tb, unbound.address);
        }
}

static void test_monitor(ClientFixture *f, gconstpointer data) {
        g_autofree char *added = NULL, *removed = NULL, *driver = NULL, *group = NULL;
        Monitor m = {};

        monitor_start(f, &m, FALSE);
        hotplug(f, TRUE);
        added = read_line_starting(m.out, "device-added ");
        g_assert_cmpstr(added, ==, "device-added 0000:00:05.0");
        group = read_line_starting(m.out, "interfaces-added group:");
        g_assert_cmpstr(group, ==, "interfaces-added group:11 org.passthru.Group");
        testbed_set_driver(f->tb, testbed_hotplug_nic.address, "e1000e");
        testbed_uevent(f->tb, testbed_hotplug_nic.address, "bind");
        driver = read_line_starting(m.out, "driver-changed ");
        g_assert_cmpstr(driver, ==, "driver-changed 0000:00:05.0 - -> e1000e");
        hotplug(f, FALSE);
        removed = read_line_starting(m.out, "device-removed ");
        g_assert_cmpstr(removed, ==, "device-removed 0000:00:05.0");
        monitor_stop(&m);
}

/* Reads JSON lines until an event named name; returns it (json_object_put() it). */
static json_object *read_event(Monitor *m, const char *name) {
        for (;;) {
                g_autofree char *line = read_line_starting(m->out, "{");
                json_object *event = parse_json(line);

                if (g_str_equal(member_string(event, "event"), name))
                        return event;
                json_object_put(event);
        }
}

static void test_monitor_json(ClientFixture *f, gconstpointer data) {
        g_autofree char *first = NULL;
        json_object *event;
        Monitor m = {};

        monitor_start(f, &m, TRUE);
        hotplug(f, TRUE);
        first = read_line_starting(m.out, "{");
        event = parse_json(first);
        /* The first event of a hotplug is the object appearing. */
        g_assert_cmpstr(member_string(event, "event"), ==, "interfaces-added");
        g_assert_cmpstr(member_string(event, "address"), ==, "0000:00:05.0");
        g_assert_cmpstr(member_string(event, "object"), ==, PASSTHRU_DEVICES_PATH "/0000_00_05_0");
        json_object_put(event);
        event = read_event(&m, "device-added");
        g_assert_cmpstr(member_string(event, "address"), ==, "0000:00:05.0");
        json_object_put(event);
        hotplug(f, FALSE);
        event = read_event(&m, "device-removed");
        g_assert_cmpstr(member_string(event, "address"), ==, "0000:00:05.0");
        json_object_put(event);
        monitor_stop(&m);
}

/* The snippet alone on stdout (a VMM's arguments), what to do first on stderr. */
static void test_vm_config(ClientFixture *f, gconstpointer data) {
        g_auto(HarnessRun) r = RUN(f, "vm-config", "--qemu", "01:00.1");

        g_assert_cmpint(r.status, ==, 0);
        g_assert_cmpstr(r.out, ==,
                        "-device vfio-pci,host=0000:01:00.0,id=hostdev0,addr=0x10.0,multifunction=on\n"
                        "-device vfio-pci,host=0000:01:00.1,id=hostdev1,addr=0x10.1\n");
        g_assert_nonnull(
                strstr(r.err, "Not on vfio-pci yet; first run: passthructl bind --group 0000:01:00.1\n"));
        g_assert_nonnull(strstr(r.err, "Note: 0000:01:00.0: "));
}

static void test_vm_config_json(ClientFixture *f, gconstpointer data) {
        g_auto(HarnessRun) r = RUN(f, "vm-config", "--json", "0000:01:00.0");
        g_auto(HarnessRun) usage = RUN(f, "list", "--proxmox");
        json_object *o;

        g_assert_cmpint(r.status, ==, 0);
        o = parse_json(r.out);
        g_assert_cmpstr(member_string(o, "format"), ==, "libvirt");
        g_assert_true(g_str_has_prefix(member_string(o, "text"),
                                       "<hostdev mode='subsystem' type='pci' managed='no'>"));
        g_assert_false(json_object_get_boolean(member(o, "ready")));
        g_assert_cmpuint(json_object_array_length(member(o, "devices")), ==, 2);
        g_assert_cmpstr(json_object_get_string(json_object_array_get_idx(member(o, "pending"), 1)), ==,
                        "0000:01:00.1");
        g_assert_cmpstr(member_string(o, "bind-command"), ==, "passthructl bind --group 0000:01:00.0");
        json_object_put(o);
        assert_error_line(&usage, 64);
}

#define ADD(path, func) g_test_add(path, ClientFixture, NULL, fixture_setup, func, fixture_teardown)

int main(int argc, char *argv[]) {
        const char *client = harness_client_path();

        g_test_init(&argc, &argv, NULL);
        if (test_skip_all("/client", harness_unavailable_reason()))
                return g_test_run();
        if (test_skip_all("/client",
                          client && g_file_test(client, G_FILE_TEST_IS_EXECUTABLE)
                                  ? NULL
                                  : "$PASSTHRUCTL does not name the built client: run through meson test"))
                return g_test_run();
        ADD("/client/list", test_list);
        ADD("/client/list-json", test_list_json);
        ADD("/client/list-json-matches-show", test_list_json_matches_show);
        ADD("/client/show", test_show);
        ADD("/client/show-json", test_show_json);
        g_test_add("/client/holders", ClientFixture, NULL, fixture_setup_fb, test_holders, fixture_teardown);
        ADD("/client/bad-address", test_bad_address);
        ADD("/client/usage", test_usage);
        ADD("/client/no-bus", test_no_bus);
        ADD("/client/remote-host", test_remote_host);
        ADD("/client/groups", test_groups);
        ADD("/client/monitor", test_monitor);
        ADD("/client/monitor-json", test_monitor_json);
        ADD("/client/vm-config", test_vm_config);
        ADD("/client/vm-config-json", test_vm_config_json);
        return g_test_run();
}
