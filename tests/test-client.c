/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passthructl against passthrud on the testbed host: the text and JSON of list, show and
 * groups, the one-line errors and exit statuses of passthructl(1), and monitor following
 * hotplug. JSON is parsed with json-c and compared with what the daemon says over D-Bus. */
#include <glib/gstdio.h>
#include <json-c/json.h>
#include <gio/gunixsocketaddress.h>
#include <signal.h>
#include <sys/resource.h>

#include "harness.h"
#include "hwdb-names.h"
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

static int compare_strings(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* A second parser, Python's, reads the same text: it must agree that it is one object with
 * "version": 1 and on its keys (printed sorted, compared with json-c's). */
static void assert_python_agrees(const char *text, json_object *o) {
        static const char *const argv[] = { "python3", "-c",
                                            "import json, sys\n"
                                            "d = json.loads(sys.stdin.read())\n"
                                            "assert isinstance(d, dict) and d['version'] == 1, d\n"
                                            "print(' '.join(sorted(d)))\n",
                                            NULL };
        g_autoptr(GSubprocess) p = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL, *err = NULL;
        g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *joined = NULL;

        p = g_subprocess_newv(argv,
                              G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                      G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error);
        g_assert_no_error(error);
        g_assert_true(g_subprocess_communicate_utf8(p, text, NULL, &out, &err, &error));
        g_assert_no_error(error);
        if (!g_subprocess_get_successful(p))
                g_error("python3's json refused it (%s): %s", err, text);
        json_object_object_foreach(o, key, unused) g_ptr_array_add(keys, g_strdup(key));
        g_ptr_array_sort(keys, compare_strings);
        g_ptr_array_add(keys, NULL);
        joined = g_strjoinv(" ", (char **) keys->pdata);
        g_assert_cmpstr(g_strchomp(out), ==, joined);
}

/* A JSON document as passthructl prints it: one object, "version": 1 first, read the same
 * by json-c and by Python. */
static json_object *parse_json(const char *text) {
        json_tokener *tok = json_tokener_new();
        json_object *o = json_tokener_parse_ex(tok, text, (int) strlen(text));
        enum json_tokener_error e = json_tokener_get_error(tok);
        json_object *version = NULL;

        if (!o || e != json_tokener_success)
                g_error("Not JSON (%s): %s", json_tokener_error_desc(e), text);
        /* Nothing but white space may follow the value. */
        for (const char *rest = text + json_tokener_get_parse_end(tok); *rest; rest++)
                g_assert_true(g_ascii_isspace(*rest));
        json_tokener_free(tok);
        g_assert_true(json_object_is_type(o, json_type_object));
        g_assert_true(json_object_object_get_ex(o, "version", &version));
        g_assert_cmpint(json_object_get_int(version), ==, 1);
        g_assert_true(g_str_has_prefix(text, "{\n  \"version\": 1,") ||
                      g_str_has_prefix(text, "{\"version\":1,"));
        assert_python_agrees(text, o);
        return o;
}

/* A PCI ID or class as lspci prints it: lowercase hex of a fixed width. */
static void assert_hex_string(json_object *o, const char *key, size_t digits, unsigned expected) {
        json_object *v = NULL;
        g_autofree char *want = g_strdup_printf("%0*x", (int) digits, expected);

        g_assert_true(json_object_object_get_ex(o, key, &v));
        g_assert_true(json_object_is_type(v, json_type_string));
        g_assert_cmpstr(json_object_get_string(v), ==, want);
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
        g_autofree char *vendor = hwdb_vendor_name(0x1a03), *device = hwdb_device_name(0x1a03, 0x2000);
        g_autofree char *aspeed = vendor && device ? g_strdup_printf("%s %s [1a03:2000]", vendor, device)
                                                   : g_strdup("unbound  [1a03:2000]");
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
        /* Names the fixture pci.ids lacks come from the hwdb; unknown to both, the IDs alone. */
        g_assert_true(g_str_has_suffix(line_starting(lines, "0000:07:01.0"), aspeed));
        /* No verb is list; --bus-address names the same bus. */
        g_assert_cmpint(plain.status, ==, 0);
        g_assert_cmpstr(plain.out, ==, r.out);
}

/* A reader that leaves before the output is written (grep -q, head, true) is not a failure:
 * with SIGPIPE ignored (as systemd's services have it) passthructl says nothing and exits 0. */
static void test_reader_gone(ClientFixture *f, gconstpointer data) {
        const char *const argv[] = { "bash", "-c",
                                     "trap '' PIPE; set -o pipefail; \"$0\" list | true; "
                                     "\"$0\" --json list | true",
                                     harness_client_path(), NULL };
        g_auto(HarnessRun) r = harness_run(f->h, argv);

        g_assert_cmpstr(r.err, ==, "");
        g_assert_cmpint(r.status, ==, 0);
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
        json_object *document, *devices;
        guint16 vendor, device;
        guint32 class_code;
        gint32 group;
        size_t i = 0;

        g_assert_no_error(error);
        g_assert_cmpint(r.status, ==, 0);
        g_assert_cmpstr(r.err, ==, "");
        document = parse_json(r.out);
        g_assert_cmpint(json_object_object_length(document), ==, 2);
        devices = member(document, "devices");
        g_assert_true(json_object_is_type(devices, json_type_array));
        g_variant_get(reply, "(a" PASSTHRU_DEVICE_ROW_SIGNATURE ")", &rows);
        g_assert_cmpuint(json_object_array_length(devices), ==, g_variant_iter_n_children(rows));
        while (g_variant_iter_next(rows, "(&sqqu&s&s&s&si&s)", &address, &vendor, &device, &class_code,
                                   &class_name, &vendor_name, &device_name, &driver, &group, &state)) {
                json_object *d = json_object_array_get_idx(devices, i++);

                g_test_message("device %s", address);
                g_assert_cmpstr(member_string(d, "address"), ==, address);
                assert_hex_string(d, "vendor_id", 4, vendor);
                assert_hex_string(d, "device_id", 4, device);
                assert_hex_string(d, "class", 6, class_code);
                g_assert_cmpstr(member_string(d, "class_name"), ==, class_name);
                g_assert_cmpstr(member_string(d, "vendor_name"), ==, vendor_name);
                g_assert_cmpstr(member_string(d, "device_name"), ==, device_name);
                g_assert_cmpstr(member_string(d, "driver"), ==, driver);
                g_assert_cmpint(member_int(d, "iommu_group"), ==, group);
                g_assert_cmpstr(member_string(d, "state"), ==, state);
                /* Only the row's fields: the rest of the properties are show's. */
                g_assert_cmpint(json_object_object_length(d), ==, 10);
        }
        json_object_put(document);
}

/* A key of list --json is the same key, with the same value, in show --json. */
static void test_list_json_matches_show(ClientFixture *f, gconstpointer data) {
        g_auto(HarnessRun) list = RUN(f, "--json", "list");
        g_auto(HarnessRun) show = RUN(f, "--json", "show", GPU);
        json_object *document, *devices, *shown, *listed = NULL;

        g_assert_cmpint(list.status, ==, 0);
        g_assert_cmpint(show.status, ==, 0);
        document = parse_json(list.out);
        devices = member(document, "devices");
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
        json_object_put(document);
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
        assert_hex_string(d, "vendor_id", 4, 0x8086);
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

/* Every mistake on the command line is a usage error (64), said in one line, before
 * anything is sent: the daemon never sees these. */
static void test_usage_errors(ClientFixture *f, gconstpointer data) {
        static const struct {
                const char *args[5];
                const char *says;
        } cases[] = {
                { { "unbind", "--force", GPU }, "'--force' is not an option of unbind" },
                { { "bind", "--driver=foo", GPU }, "'--driver' is not an option of bind" },
                { { "persist", GPU, "maybe" }, "'persist' takes on or off, not 'maybe'" },
                { { "bind", "--group=yes", GPU }, "Option '--group' takes no value" },
                { { "list", "--force" }, "'--force' is not an option of list" },
                { { "boot-config", "--group" }, "'--group' is not an option of boot-config" },
                { { "show", "--remove", GPU }, "'--remove' is not an option of show" },
                { { "--timeout=0", "list" }, "--timeout takes whole seconds" },
                { { "--timeout=soon", "list" }, "--timeout takes whole seconds" },
                { { "--host=h", "--bus-address=unix:path=/x", "list" }, "cannot be used together" },
                { { "help", "frobnicate" }, "Unknown command 'frobnicate'" },
                { { "bind" }, "'bind' needs ADDRESS" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(GPtrArray) argv = g_ptr_array_new();

                g_ptr_array_add(argv, (char *) harness_client_path());
                for (const char *const *a = cases[i].args; *a; a++)
                        g_ptr_array_add(argv, (char *) *a);
                g_ptr_array_add(argv, NULL);
                {
                        g_auto(HarnessRun) r = harness_run(f->h, (const char *const *) argv->pdata);

                        assert_error_line(&r, 64);
                        g_assert_nonnull(strstr(r.err, cases[i].says));
                }
        }
}

/* passthructl VERB --help and passthructl help VERB print the same: usage, the verb's
 * options, an example. */
static void test_verb_help(ClientFixture *f, gconstpointer data) {
        static const struct {
                const char *verb;
                const char *options[6];
        } verbs[] = {
                { "list", {} },
                { "show", {} },
                { "groups", {} },
                { "monitor", {} },
                { "check", {} },
                { "bind", { "--group", "--dry-run", "--force", "--persist" } },
                { "unbind", { "--group", "--dry-run", "--driver=NAME", "--persist" } },
                { "persist", {} },
                { "config", {} },
                { "reset-method", { "--persist" } },
                { "boot-config",
                  { "--dry-run", "--no-initramfs", "--no-cmdline", "--remove", "--iommu-pt" } },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++) {
                g_auto(HarnessRun) flag = RUN(f, verbs[i].verb, "--help");
                g_auto(HarnessRun) help = RUN(f, "help", verbs[i].verb);
                g_autofree char *usage =
                        g_strdup_printf("Usage: passthructl [OPTIONS...] %s", verbs[i].verb);
                const char *example = "Example:\n  passthructl ";

                g_assert_cmpint(flag.status, ==, 0);
                g_assert_cmpstr(flag.err, ==, "");
                g_assert_true(g_str_has_prefix(flag.out, usage));
                g_assert_nonnull(strstr(flag.out, example));
                g_assert_nonnull(strstr(strstr(flag.out, example), verbs[i].verb));
                g_assert_nonnull(strstr(flag.out, "--timeout=SECONDS"));
                for (const char *const *o = verbs[i].options; *o; o++)
                        g_assert_nonnull(strstr(flag.out, *o));
                if (!verbs[i].options[0]) {
                        g_autofree char *own = g_strdup_printf("Options of %s:", verbs[i].verb);

                        g_assert_null(strstr(flag.out, own));
                }
                g_assert_cmpint(help.status, ==, 0);
                g_assert_cmpstr(help.out, ==, flag.out);
        }
        {
                g_auto(HarnessRun) plain = RUN(f, "help");
                g_auto(HarnessRun) flag = RUN(f, "--help");

                g_assert_cmpint(plain.status, ==, 0);
                g_assert_cmpstr(plain.out, ==, flag.out);
        }
}

static void test_no_bus(ClientFixture *f, gconstpointer data) {
        g_auto(HarnessRun) r = RUN(f, "--bus-address", "unix:path=/nonexistent/passthru-test-bus", "list");
        g_auto(HarnessRun) garbage = RUN(f, "--bus-address", "no-such-transport:x=y", "list");

        assert_error_line(&r, 1);
        g_assert_nonnull(strstr(r.err, "the bus at unix:path=/nonexistent/passthru-test-bus"));
        assert_error_line(&garbage, 1);
        g_assert_nonnull(strstr(garbage.err, "no-such-transport:x=y"));
}

/* A failed -H: ssh's own message, then passthructl's line naming the host. */
static void test_remote_host_fails(ClientFixture *f, gconstpointer data) {
        g_autofree char *dir = g_dir_make_tmp("passthru-ssh-XXXXXX", NULL);
        g_autofree char *ssh = g_build_filename(dir, "ssh", NULL);
        g_autofree char *old_path = g_strdup(g_getenv("PATH"));
        g_autofree char *path = g_strdup_printf("%s:%s", dir, old_path);
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) lines = NULL;

        g_assert_true(g_file_set_contents(
                ssh, "#!/bin/sh\necho \"ssh: Could not resolve hostname nowhere.invalid\" >&2\nexit 255\n",
                -1, &error));
        g_assert_no_error(error);
        g_assert_cmpint(g_chmod(ssh, 0755), ==, 0);
        g_setenv("PATH", path, TRUE);
        g_auto(HarnessRun) r = RUN(f, "-H", "admin@nowhere.invalid", "list");
        g_setenv("PATH", old_path, TRUE);

        g_assert_cmpint(r.status, ==, 1);
        g_assert_cmpstr(r.out, ==, "");
        lines = lines_of(r.err);
        g_assert_cmpuint(g_strv_length(lines), ==, 2);
        g_assert_cmpstr(lines[0], ==, "ssh: Could not resolve hostname nowhere.invalid");
        g_assert_true(g_str_has_prefix(lines[1], "passthructl: "));
        g_assert_nonnull(strstr(lines[1], "admin@nowhere.invalid"));
        g_assert_nonnull(strstr(lines[1], "ssh"));
        test_remove_tree(dir);
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
        json_object *document, *groups, *first;

        g_assert_cmpint(text.status, ==, 0);
        lines = lines_of(text.out);
        g_assert_true(g_str_has_prefix(lines[0], "GROUP"));
        /* One line per member: the 14 functions are all in groups. */
        g_assert_cmpuint(g_strv_length(lines), ==, testbed_host_len + 1);
        /* A group of bridges alone is not viable, as the Cockpit page says ("Bridges only"). */
        for (char **l = lines; *l; l++)
                if (strstr(*l, "0000:00:1c.0"))
                        g_assert_true(g_regex_match_simple("^2 +no +0000:00:1c.0 ", *l, 0, 0));

        g_assert_cmpint(json.status, ==, 0);
        document = parse_json(json.out);
        groups = member(document, "groups");
        g_assert_cmpuint(json_object_array_length(groups), ==, 10);
        first = json_object_array_get_idx(groups, 0);
        g_assert_cmpint(member_int(first, "number"), ==, 1);
        g_assert_false(json_object_get_boolean(member(first, "viable")));
        g_assert_cmpuint(json_object_array_length(member(first, "devices")), ==, 3);
        g_assert_cmpstr(member_string(json_object_array_get_idx(member(first, "devices"), 1), "address"), ==,
                        GPU);
        json_object_put(document);
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

/* ---- Buses that misbehave: passthructl keeps its deadline and prints no raw control
 * character, whatever the other end does. Each is a private server in this process:
 * FAKE_SILENT accepts and never says a word (no SASL), FAKE_NO_HELLO authenticates and
 * never answers Hello, FAKE_FLOOD answers the bus's own calls (Hello, AddMatch), then sends
 * signals without end and answers nothing else, FAKE_HOSTILE answers like passthrud with control characters
 * in every string. ---- */
typedef enum {
        FAKE_SILENT,
        FAKE_NO_HELLO,
        FAKE_FLOOD,
        FAKE_HOSTILE,
} FakeBusKind;

typedef struct {
        FakeBusKind kind;
        char *dir, *address;
        GSocketService *silent;
        GDBusServer *server;
        GPtrArray *held;     /* connections kept open */
        GPtrArray *flooders; /* GThread, one per connection of FAKE_FLOOD */
        gint stop;
} FakeBus;

/* ESC ] 0 ; ... BEL sets a terminal's title; ESC [ 2 J clears it; U+009B is C1's CSI. */
#define HOSTILE                                     \
        "e1000e\x1b]0;owned\x07\x1b[2J\r\n\xc2\x9b" \
        "31m"

static gboolean on_silent_incoming(GSocketService *service, GSocketConnection *connection, GObject *source,
                                   gpointer data) {
        FakeBus *fb = data;

        g_ptr_array_add(fb->held, g_object_ref(connection));
        return TRUE;
}

static gpointer flood(gpointer data) {
        GDBusConnection *c = data;
        FakeBus *fb = g_object_get_data(G_OBJECT(c), "fake-bus");

        while (!g_atomic_int_get(&fb->stop) && !g_dbus_connection_is_closed(c)) {
                for (int i = 0; i < 100; i++)
                        g_dbus_connection_emit_signal(c, NULL, PASSTHRU_MANAGER_PATH, "org.example.Noise",
                                                      "Noise", g_variant_new("(s)", "noise"), NULL);
                /* Written to the socket before more: the client sets the pace, not our memory. */
                (void) g_dbus_connection_flush_sync(c, NULL, NULL);
        }
        return NULL;
}

static GDBusMessage *hostile_reply(GDBusMessage *call) {
        const char *member = g_dbus_message_get_member(call);
        GDBusMessage *reply;

        if (g_strcmp0(member, "ListDevicesPacked") == 0) {
                /* One function, 0000:06:00.0; names index the string table. */
                static const char *const strings[] = { "", "Ethernet controller", "Intel\x1b[31m", HOSTILE,
                                                       "host" };
                static const guint32 names[] = { 1, 2, 3, 3, 4 }; /* class, vendor, device, driver, state */
                GVariantBuilder b;

                reply = g_dbus_message_new_method_reply(call);
                g_variant_builder_init(&b, G_VARIANT_TYPE("(" PASSTHRU_DEVICE_COLUMNS_SIGNATURE ")"));
                g_variant_builder_add_value(&b, g_variant_new_strv(strings, G_N_ELEMENTS(strings)));
                g_variant_builder_add_value(&b, g_variant_new_fixed_array(G_VARIANT_TYPE_UINT64,
                                                                          (guint64[]){ 0x0600 }, 1,
                                                                          sizeof(guint64)));
                g_variant_builder_add_value(&b, g_variant_new_fixed_array(G_VARIANT_TYPE_UINT16,
                                                                          (guint16[]){ 0x8086 }, 1,
                                                                          sizeof(guint16)));
                g_variant_builder_add_value(&b, g_variant_new_fixed_array(G_VARIANT_TYPE_UINT16,
                                                                          (guint16[]){ 0x10d3 }, 1,
                                                                          sizeof(guint16)));
                g_variant_builder_add_value(&b, g_variant_new_fixed_array(G_VARIANT_TYPE_UINT32,
                                                                          (guint32[]){ 0x020000 }, 1,
                                                                          sizeof(guint32)));
                g_variant_builder_add_value(
                        &b,
                        g_variant_new_fixed_array(G_VARIANT_TYPE_INT32, (gint32[]){ 7 }, 1, sizeof(gint32)));
                for (size_t k = 0; k < G_N_ELEMENTS(names); k++)
                        g_variant_builder_add_value(&b, g_variant_new_fixed_array(G_VARIANT_TYPE_UINT32,
                                                                                  &names[k], 1,
                                                                                  sizeof(guint32)));
                g_dbus_message_set_body(reply, g_variant_builder_end(&b));
                return reply;
        }
        return g_dbus_message_new_method_error(call, PASSTHRU_ERROR_FAILED, "%s", "No such device " HOSTILE);
}

static GDBusMessage *fake_bus_filter(GDBusConnection *c, GDBusMessage *message, gboolean incoming,
                                     gpointer data) {
        FakeBus *fb = data;
        g_autoptr(GDBusMessage) reply = NULL;

        if (!incoming || g_dbus_message_get_message_type(message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
                return message;
        if (g_strcmp0(g_dbus_message_get_interface(message), "org.freedesktop.DBus") == 0) {
                const char *member = g_dbus_message_get_member(message);

                if (fb->kind == FAKE_NO_HELLO)
                        goto drop;
                reply = g_dbus_message_new_method_reply(message);
                if (g_strcmp0(member, "Hello") == 0)
                        g_dbus_message_set_body(reply, g_variant_new("(s)", ":1.42"));
                g_dbus_connection_send_message(c, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
                if (fb->kind == FAKE_FLOOD && g_strcmp0(member, "Hello") == 0) {
                        g_object_set_data(G_OBJECT(c), "fake-bus", fb);
                        g_ptr_array_add(fb->flooders, g_thread_new("flood", flood, c));
                }
                goto drop;
        }
        if (fb->kind == FAKE_HOSTILE) {
                reply = hostile_reply(message);
                g_dbus_connection_send_message(c, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
        }
drop:
        g_object_unref(message);
        return NULL;
}

static gboolean on_new_connection(GDBusServer *server, GDBusConnection *c, gpointer data) {
        FakeBus *fb = data;

        g_ptr_array_add(fb->held, g_object_ref(c));
        g_dbus_connection_add_filter(c, fake_bus_filter, fb, NULL);
        return TRUE;
}

static FakeBus *fake_bus_new(FakeBusKind kind) {
        FakeBus *fb = g_new0(FakeBus, 1);
        g_autofree char *path = NULL;
        g_autoptr(GError) error = NULL;

        fb->kind = kind;
        fb->dir = g_dir_make_tmp("passthru-fake-bus-XXXXXX", &error);
        g_assert_no_error(error);
        path = g_build_filename(fb->dir, "bus", NULL);
        fb->address = g_strdup_printf("unix:path=%s", path);
        fb->held = g_ptr_array_new_with_free_func(g_object_unref);
        fb->flooders = g_ptr_array_new();
        if (kind == FAKE_SILENT) {
                g_autoptr(GSocketAddress) a = g_unix_socket_address_new(path);

                fb->silent = g_socket_service_new();
                g_socket_listener_add_address(G_SOCKET_LISTENER(fb->silent), a, G_SOCKET_TYPE_STREAM,
                                              G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &error);
                g_assert_no_error(error);
                g_signal_connect(fb->silent, "incoming", G_CALLBACK(on_silent_incoming), fb);
                g_socket_service_start(fb->silent);
                return fb;
        }
        {
                g_autofree char *guid = g_dbus_generate_guid();

                fb->server = g_dbus_server_new_sync(fb->address, G_DBUS_SERVER_FLAGS_NONE, guid, NULL, NULL,
                                                    &error);
                g_assert_no_error(error);
        }
        g_signal_connect(fb->server, "new-connection", G_CALLBACK(on_new_connection), fb);
        g_dbus_server_start(fb->server);
        return fb;
}

static void fake_bus_free(FakeBus *fb) {
        g_atomic_int_set(&fb->stop, 1);
        for (guint i = 0; i < fb->flooders->len; i++)
                g_thread_join(fb->flooders->pdata[i]);
        g_ptr_array_unref(fb->flooders);
        for (guint i = 0; i < fb->held->len; i++)
                if (G_IS_DBUS_CONNECTION(fb->held->pdata[i]))
                        g_dbus_connection_close_sync(fb->held->pdata[i], NULL, NULL);
        g_ptr_array_unref(fb->held);
        if (fb->silent) {
                g_socket_service_stop(fb->silent);
                g_socket_listener_close(G_SOCKET_LISTENER(fb->silent));
                g_object_unref(fb->silent);
        }
        if (fb->server) {
                g_dbus_server_stop(fb->server);
                g_object_unref(fb->server);
        }
        test_remove_tree(fb->dir);
        g_free(fb->dir);
        g_free(fb->address);
        g_free(fb);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeBus, fake_bus_free)

/* The client's CPU time while it ran: children reaped so far, before and after. */
static double children_cpu_seconds(void) {
        struct rusage u;

        g_assert_cmpint(getrusage(RUSAGE_CHILDREN, &u), ==, 0);
        return (double) (u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
               (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/* A bus that never answers SASL or Hello, or floods signals: every kind of call (a plain
 * one, bind's with its polkit allowance, boot-config's that dispatches signals while it
 * waits) fails within --timeout with one error line; waiting costs no CPU. */
static void test_fake_bus_deadline(ClientFixture *f, gconstpointer data) {
        static const FakeBusKind kinds[] = { FAKE_SILENT, FAKE_NO_HELLO, FAKE_FLOOD };
        static const char *const verbs[][3] = {
                { "list" },
                { "bind", "06:00.0" },
                { "boot-config", "--dry-run" },
        };

        for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
                g_autoptr(FakeBus) fb = fake_bus_new(kinds[k]);
                g_autofree char *option = g_strdup_printf("--bus-address=%s", fb->address);

                for (size_t v = 0; v < G_N_ELEMENTS(verbs); v++) {
                        double cpu = children_cpu_seconds();
                        gint64 start = g_get_monotonic_time();
                        g_auto(HarnessRun) r =
                                RUN(f, option, "--timeout=2", verbs[v][0], verbs[v][1], verbs[v][2]);
                        double seconds = (double) (g_get_monotonic_time() - start) / G_USEC_PER_SEC;

                        cpu = children_cpu_seconds() - cpu;
                        g_test_message("bus %zu, %s: %.2f s, %.2f s of CPU: %s", k, verbs[v][0], seconds,
                                       cpu, r.err);
                        assert_error_line(&r, 1);
                        g_assert_cmpfloat(seconds, <, 10);
                        if (kinds[k] != FAKE_FLOOD) {
                                g_assert_nonnull(strstr(r.err, "did not answer within 2 s"));
                                g_assert_cmpfloat(seconds, >=, 1.9);
                                /* valgrind's own start-up costs seconds of CPU */
                                if (!g_getenv("PASSTHRU_TEST_WRAPPER"))
                                        g_assert_cmpfloat(cpu, <, 0.5);
                        }
                }
        }
}

static void assert_no_raw_controls(const char *text) {
        for (const char *p = text; *p; p++) {
                g_assert_true((unsigned char) *p >= ' ' || *p == '\n');
                g_assert_true((unsigned char) *p != 0x7f);
                g_assert_false((unsigned char) p[0] == 0xc2 && (unsigned char) p[1] >= 0x80 &&
                               (unsigned char) p[1] <= 0x9f);
        }
}

/* Names and errors full of terminal escapes are printed escaped, in text and JSON. */
static void test_fake_bus_controls(ClientFixture *f, gconstpointer data) {
        g_autoptr(FakeBus) fb = fake_bus_new(FAKE_HOSTILE);
        g_autofree char *option = g_strdup_printf("--bus-address=%s", fb->address);
        g_auto(HarnessRun) list = RUN(f, option, "list");
        g_auto(HarnessRun) json = RUN(f, option, "--json", "list");
        g_auto(HarnessRun) show = RUN(f, option, "show", "06:00.0");
        g_auto(HarnessRun) bind = RUN(f, option, "bind", "06:00.0");
        json_object *document, *device;

        g_assert_cmpint(list.status, ==, 0);
        assert_no_raw_controls(list.out);
        g_assert_nonnull(strstr(list.out, "0000:06:00.0"));
        g_assert_nonnull(strstr(list.out, "e1000e\\x1b]0;owned\\x07\\x1b[2J\\x0d\\x0a\\xc2\\x9b31m"));

        g_assert_cmpint(json.status, ==, 0);
        assert_no_raw_controls(json.out);
        document = parse_json(json.out);
        device = json_object_array_get_idx(member(document, "devices"), 0);
        g_assert_cmpstr(member_string(device, "driver"), ==, HOSTILE);
        json_object_put(document);

        for (const HarnessRun *r = &show; r; r = r == &show ? &bind : NULL) {
                assert_error_line(r, 1);
                assert_no_raw_controls(r->err);
                g_assert_nonnull(strstr(r->err, "\\x1b]0;owned"));
        }
}

/* What bash offers for a command line typed up to its end, as bash itself would call the
 * completion: the line split at COMP_WORDBREAKS (so "00:" is the words "00" and ":"),
 * bash-completion's library loaded first, passthructl on PATH talking to the test's bus. */
static char **bash_completions(ClientFixture *f, const char *const *words) {
        g_autofree char *client_dir = g_path_get_dirname(harness_client_path());
        g_autofree char *completion = g_build_filename(g_getenv("G_TEST_SRCDIR"), "..", "shell-completion",
                                                       "bash", "passthructl", NULL);
        g_autoptr(GString) script = g_string_new(NULL);
        g_autoptr(GString) line = g_string_new(NULL);
        guint n = 0;

        for (const char *const *w = words; *w; w++, n++) {
                g_autofree char *quoted = g_shell_quote(*w);

                g_string_append_printf(script, "COMP_WORDS+=(%s)\n", quoted);
                /* ":" joins its neighbours on the line, as typed */
                if (line->len > 0 && !g_str_equal(*w, ":") && !g_str_has_suffix(line->str, ":"))
                        g_string_append_c(line, ' ');
                g_string_append(line, *w);
        }
        {
                g_autofree char *quoted_line = g_shell_quote(line->str);
                g_autofree char *quoted_completion = g_shell_quote(completion);
                g_autofree char *quoted_dir = g_shell_quote(client_dir);
                g_autofree char *text = g_strdup_printf(
                        "export PATH=%s:$PATH\n"
                        "source /usr/share/bash-completion/bash_completion || exit 2\nsource %s || exit 2\n"
                        "COMP_WORDS=()\n%sCOMP_CWORD=%u\nCOMP_LINE=%s\nCOMP_POINT=${#COMP_LINE}\n"
                        "_passthructl\nprintf '%%s\\n' \"${COMPREPLY[@]}\" | sort\n",
                        quoted_dir, quoted_completion, script->str, n - 1, quoted_line);
                /* Not through the harness: under valgrind it would check bash itself. */
                g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
                        G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
                g_autoptr(GSubprocess) bash = NULL;
                g_autoptr(GError) error = NULL;
                g_autofree char *out = NULL, *err = NULL;

                g_subprocess_launcher_setenv(launcher, "DBUS_SYSTEM_BUS_ADDRESS", harness_bus_address(f->h),
                                             TRUE);
                bash = g_subprocess_launcher_spawn(launcher, &error, "bash", "-c", text, NULL);
                g_assert_no_error(error);
                g_assert_true(g_subprocess_communicate_utf8(bash, NULL, NULL, &out, &err, &error));
                g_assert_no_error(error);
                g_test_message("completions of '%s': %s", line->str, out);
                g_assert_true(g_subprocess_get_if_exited(bash));
                g_assert_cmpint(g_subprocess_get_exit_status(bash), ==, 0);
                g_assert_cmpstr(err, ==, "");
                return g_strsplit(g_strchomp(out), "\n", -1);
        }
}

static char *joined(char **strv) {
        return g_strjoinv(" ", strv);
}

/* The functions of the testbed whose address starts with prefix, as completed after it
 * (bash drops what was typed up to its last colon), sorted; bind's and unbind's only
 * those they can act on: no bridges, and for bind none on vfio-pci already, for unbind only
 * those. */
static char *expected_addresses(const char *verb, const char *prefix) {
        g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
        const char *colon = strrchr(prefix, ':');
        size_t typed = colon ? (size_t) (colon - prefix) + 1 : 0;

        for (size_t i = 0; i < testbed_host_len; i++) {
                const TestbedFunction *t = &testbed_host[i];
                bool bridge = t->class_code >> 8 == 0x0604, vfio = g_strcmp0(t->driver, "vfio-pci") == 0;

                if (!g_str_has_prefix(t->address, prefix))
                        continue;
                if ((g_str_equal(verb, "bind") || g_str_equal(verb, "unbind")) && bridge)
                        continue;
                if ((g_str_equal(verb, "bind") && vfio) || (g_str_equal(verb, "unbind") && !vfio))
                        continue;
                g_ptr_array_add(found, g_strdup(t->address + typed));
        }
        g_ptr_array_sort(found, compare_strings);
        g_ptr_array_add(found, NULL);
        return g_strjoinv(" ", (char **) found->pdata);
}

/* The bash completion: commands, a command's options, and the addresses a command can act
 * on, from the daemon, in the form typed so far. */
static void test_bash_completion(ClientFixture *f, gconstpointer data) {
        g_auto(GStrv) verb = bash_completions(f, (const char *const[]){ "passthructl", "bi", NULL });
        g_auto(GStrv) options =
                bash_completions(f, (const char *const[]){ "passthructl", "bind", "--", NULL });
        g_auto(GStrv) unbind_options =
                bash_completions(f, (const char *const[]){ "passthructl", "unbind", "--d", NULL });
        g_auto(GStrv) bus0 =
                bash_completions(f, (const char *const[]){ "passthructl", "bind", "00", ":", NULL });
        g_auto(GStrv) full =
                bash_completions(f, (const char *const[]){ "passthructl", "bind", "0000", ":", "0", NULL });
        g_auto(GStrv) show =
                bash_completions(f, (const char *const[]){ "passthructl", "show", "00", ":", NULL });
        g_auto(GStrv) unbind =
                bash_completions(f, (const char *const[]){ "passthructl", "unbind", "0000", ":", NULL });
        g_auto(GStrv) persist =
                bash_completions(f, (const char *const[]){ "passthructl", "persist", GPU, "o", NULL });
        g_autofree char *got_options = joined(options), *got_bus0 = joined(bus0), *got_full = joined(full),
                        *got_show = joined(show), *got_unbind = joined(unbind);
        g_autofree char *want_bus0 = expected_addresses("bind", "0000:00:"),
                        *want_full = expected_addresses("bind", "0000:0"),
                        *want_show = expected_addresses("show", "0000:00:"),
                        *want_unbind = expected_addresses("unbind", "0000:");

        g_assert_cmpstrv(verb, ((const char *const[]){ "bind", NULL }));
        g_assert_cmpstr(
                got_options, ==,
                "--bus-address= --dry-run --force --group --help --host= --json --persist --timeout= --version");
        g_assert_cmpstrv(unbind_options, ((const char *const[]){ "--driver=", "--dry-run", NULL }));
        /* Bus 00 of the testbed holds only bridges: bind offers none of them, show all. */
        g_assert_cmpstr(got_bus0, ==, want_bus0);
        g_assert_cmpstr(want_bus0, ==, "");
        g_assert_cmpstr(got_show, ==, want_show);
        g_assert_cmpstr(want_show, ==, "01.0 1c.0 1d.0 1e.0");
        /* The full form: everything bind can take, the VF already on vfio-pci left out. */
        g_assert_cmpstr(got_full, ==, want_full);
        g_assert_null(strstr(got_full, "03:10.4"));
        g_assert_nonnull(strstr(got_full, "01:00.0"));
        g_assert_cmpstr(got_unbind, ==, want_unbind);
        g_assert_cmpstr(want_unbind, ==, "03:10.4");
        g_assert_cmpstrv(persist, ((const char *const[]){ "off", "on", NULL }));
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
        g_assert_cmpint(json_object_get_int(member(o, "version")), ==, 1);
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
        ADD("/client/usage-errors", test_usage_errors);
        ADD("/client/verb-help", test_verb_help);
        ADD("/client/no-bus", test_no_bus);
        ADD("/client/remote-host-fails", test_remote_host_fails);
        ADD("/client/remote-host", test_remote_host);
        ADD("/client/groups", test_groups);
        ADD("/client/monitor", test_monitor);
        ADD("/client/monitor-json", test_monitor_json);
        ADD("/client/fake-bus-deadline", test_fake_bus_deadline);
        ADD("/client/fake-bus-controls", test_fake_bus_controls);
        ADD("/client/bash-completion", test_bash_completion);
        ADD("/client/reader-gone", test_reader_gone);
        ADD("/client/vm-config", test_vm_config);
        ADD("/client/vm-config-json", test_vm_config_json);
        return g_test_run();
}
