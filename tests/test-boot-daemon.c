/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ApplyBootConfig and the boot rows of CheckHost through the daemon: passthrud on a private
 * bus over the realistic testbed host, with --config-dir, --proc-root and --boot-root in a
 * temporary directory (a copy of the debian12-grub fixture root whose update-initramfs and
 * update-grub are stand-ins that log their runs), the built passthru-boot-config as its
 * helper (--boot-helper), and a mock polkit. Nothing of this machine's /etc or /boot is read
 * or written. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "harness.h"
#include "mock-polkit.h"
#include "passthru-dbus.h"
#include "testbed.h"

/* A VF already on vfio-pci in the testbed host: start-up moves nothing. */
#define VF4 "0000:03:10.4"
#define REMEMBER_VF4 "[" VF4 "]\nid = 8086:1520\nclass = 0x020000\n"

#define GRUB_LATIN1                              \
        "GRUB_DEFAULT=0\n"                       \
        "# r\xe9glages du noyau (Latin-1)\n"     \
        "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n" \
        "GRUB_CMDLINE_LINUX=\"\"\n"

typedef struct {
        const char *grub;        /* etc/default/grub of the root; NULL: the fixture's */
        const char *update_grub; /* the stand-in's script body; NULL: it logs and succeeds */
        const char *lister;      /* usr/bin/lsinitramfs of the root; NULL: none */
} Config;

typedef struct {
        Testbed *tb;
        Harness *h;
        MockPolkit polkit;
        char *dir; /* root/ (the boot root), etc-passthru/, proc/ */
        char *root;
} Fixture;

static void copy_fixture_root(Fixture *f) {
        g_autofree char *src =
                g_test_build_filename(G_TEST_DIST, "data", "bootcfg", "roots", "debian12-grub", NULL);
        g_autofree char *dot = g_build_filename(src, ".", NULL);
        const char *argv[] = { "cp", "-R", dot, f->root, NULL };
        int status;

        g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                                   &status, NULL));
        g_assert_true(g_spawn_check_wait_status(status, NULL));
}

/* A command of the root: appends its name and arguments to ROOT/ran, then runs body. */
static void stand_in_at(Fixture *f, const char *dir, const char *name, const char *body) {
        g_autofree char *rel = g_build_filename("usr", dir, name, NULL);
        g_autofree char *path = g_build_filename(f->root, rel, NULL);
        g_autofree char *script =
                g_strdup_printf("#!/bin/sh\necho \"${0##*/} $*\" >> \"${0%%/usr/sbin/*}/ran\"\n%s\n", body);

        test_write_file(f->root, rel, script);
        g_assert_no_errno(g_chmod(path, 0755));
}

static void stand_in(Fixture *f, const char *name, const char *body) {
        stand_in_at(f, "sbin", name, body);
}

static void fixture_setup(Fixture *f, gconstpointer data) {
        const Config *c = data;
        g_autoptr(GError) error = NULL;
        g_autofree char *conf = NULL, *proc = NULL, *root_arg = NULL, *conf_arg = NULL, *proc_arg = NULL,
                        *helper_arg = NULL;

        f->tb = testbed_new();
        testbed_add_all(f->tb, testbed_host, testbed_host_len);
        f->dir = g_dir_make_tmp("passthru-boot-XXXXXX", &error);
        g_assert_no_error(error);
        f->root = g_build_filename(f->dir, "root", NULL);
        copy_fixture_root(f);
        if (c->grub)
                test_write_file(f->root, "etc/default/grub", c->grub);
        stand_in(f, "update-initramfs", "exit 0");
        stand_in(f, "update-grub", c->update_grub ?: "exit 0");
        if (c->lister) {
                struct utsname u;
                g_autofree char *image = NULL;

                g_assert_no_errno(uname(&u));
                image = g_strdup_printf("boot/initrd.img-%s", u.release);
                test_write_file(f->root, image, "an image\n");
                stand_in_at(f, "bin", "lsinitramfs", c->lister);
        }

        conf = g_build_filename(f->dir, "etc-passthru", NULL);
        test_write_file(conf, "devices.conf", REMEMBER_VF4);
        proc = g_build_filename(f->dir, "proc", NULL);
        test_write_idle_proc(proc);
        test_write_file(proc, "cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n");

        root_arg = g_strconcat("--boot-root=", f->root, NULL);
        conf_arg = g_strconcat("--config-dir=", conf, NULL);
        proc_arg = g_strconcat("--proc-root=", proc, NULL);
        helper_arg = g_strconcat("--boot-helper=", g_getenv("PASSTHRU_BOOT_HELPER"), NULL);
        f->h = harness_new_with_args(
                f->tb, (const char *const[]){ root_arg, conf_arg, proc_arg, helper_arg, NULL });
        mock_polkit_start(&f->polkit, harness_connection(f->h), POLKIT_ALLOW);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        mock_polkit_stop(&f->polkit, harness_connection(f->h));
        harness_free(f->h);
        testbed_assert_contained(f->tb);
        testbed_free(f->tb);
        test_remove_tree(f->dir);
        g_free(f->dir);
        g_free(f->root);
}

static char *root_file(Fixture *f, const char *rel) {
        g_autofree char *path = g_build_filename(f->root, rel, NULL);
        char *text = NULL;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return NULL;
        return text;
}

static GVariant *apply(Fixture *f, bool dry_run, GError **error) {
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "dry-run", g_variant_new_boolean(dry_run));
        /* something for the command line to change, whatever the kernels' configurations say */
        g_variant_builder_add(&b, "{sv}", "iommu-pt", g_variant_new_boolean(true));
        return harness_call_looping(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                    "ApplyBootConfig", g_variant_new("(a{sv})", &b), "(a(sss)asas)", error);
}

/* The diff of path in a reply, NULL when the reply does not list it. */
static const char *reply_diff(GVariant *reply, const char *path) {
        g_autoptr(GVariant) files = g_variant_get_child_value(reply, 0);
        GVariantIter iter;
        const char *p, *action, *diff;

        g_variant_iter_init(&iter, files);
        while (g_variant_iter_next(&iter, "(&s&s&s)", &p, &action, &diff))
                if (g_str_equal(p, path))
                        return diff;
        return NULL;
}

/* The remembered devices come from --config-dir, for the plan and for the host checks. */
static void test_config_dir(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = apply(f, true, &error), checks = NULL;
        const char *list, *id, *status, *summary, *remedy;
        bool seen = false;
        GVariantIter *iter;

        g_assert_no_error(error);
        list = reply_diff(reply, "/etc/passthru/early-bind.list");
        g_assert_nonnull(list);
        g_assert_nonnull(strstr(list, "+" VF4));

        checks = harness_call(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "CheckHost", NULL,
                              "(a(ssss))", &error);
        g_assert_no_error(error);
        g_variant_get(checks, "(a(ssss))", &iter);
        while (g_variant_iter_next(iter, "(&s&s&s&s)", &id, &status, &summary, &remedy))
                if (g_str_equal(id, "boot-early")) {
                        g_test_message("boot-early: %s: %s", status, summary);
                        g_assert_cmpstr(status, ==, "warn");
                        g_assert_nonnull(strstr(summary, "not bound early: " VF4));
                        seen = true;
                }
        g_variant_iter_free(iter);
        g_assert_true(seen);
}

static const Config latin1 = { .grub = GRUB_LATIN1 };

/* A Latin-1 comment next to the edited line: the dry run answers, the byte shown as \xe9. */
static void test_not_utf8_dry_run(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = apply(f, true, &error);
        const char *diff;

        g_assert_no_error(error);
        diff = reply_diff(reply, "/etc/default/grub");
        g_assert_nonnull(diff);
        g_test_message("%s", diff);
        g_assert_true(g_utf8_validate(diff, -1, NULL));
        g_assert_nonnull(strstr(diff, "r\\xe9glages"));
        g_assert_nonnull(strstr(diff, "+GRUB_CMDLINE_LINUX_DEFAULT=\"quiet iommu=pt\""));
}

/* The real apply writes the file (its Latin-1 byte kept as it was), runs the commands (whose
 * output is Latin-1 too) and answers. */
static const Config latin1_output = { .grub = GRUB_LATIN1, .update_grub = "printf 'G\\351n\\351r\\351\\n'" };

static void test_not_utf8_apply(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = apply(f, false, &error);
        g_autofree char *grub = NULL, *ran = NULL;
        g_autoptr(GVariant) progress = NULL;

        g_assert_no_error(error);
        g_assert_true(g_utf8_validate(reply_diff(reply, "/etc/default/grub"), -1, NULL));
        grub = root_file(f, "etc/default/grub");
        g_assert_nonnull(strstr(grub, "# r\xe9glages du noyau"));
        g_assert_nonnull(strstr(grub, "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet iommu=pt\""));
        ran = root_file(f, "ran");
        g_test_message("ran:\n%s", ran);
        g_assert_nonnull(strstr(ran, "update-grub"));
        /* the progress signals carried the commands' lines */
        do {
                const char *stage, *line;

                g_clear_pointer(&progress, g_variant_unref);
                progress = harness_wait_signal(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                               "BootConfigProgress");
                g_variant_get(progress, "(&s&s)", &stage, &line);
                if (strstr(line, "G\\xe9n\\xe9r\\xe9"))
                        break;
        } while (true);
}

/* Applied, then applied again: the second time there is nothing to write or run, and
 * passthructl says so and exits 0. */
static void test_apply_twice(Fixture *f, gconstpointer data) {
        g_auto(HarnessRun) first = HARNESS_RUN(f->h, "boot-config", "--iommu-pt");
        g_auto(HarnessRun) second = HARNESS_RUN(f->h, "boot-config", "--iommu-pt");

        g_test_message("first: exit %d\n%s%s", first.status, first.out, first.err);
        g_assert_cmpint(first.status, ==, 0);
        /* Each command once, under one heading. */
        g_assert_nonnull(strstr(first.out, "\n  update-grub\n\n"));
        g_test_message("second: exit %d\n%s%s", second.status, second.out, second.err);
        g_assert_nonnull(strstr(second.out, "Every file is as it should be already."));
        g_assert_null(strstr(second.out, "passthru.early=0"));
        g_assert_null(strstr(second.out, "(null)"));
        g_assert_null(strstr(second.out, "Ran:"));
        g_assert_cmpint(second.status, ==, 0);
}

/* A symbolic link at /etc/default/grub is refused before anything is written: a named error
 * that says so, no backup, no command run. */
static void test_symlink(Fixture *f, gconstpointer data) {
        g_autofree char *grub = g_build_filename(f->root, "etc", "default", "grub", NULL);
        g_autofree char *real = g_build_filename(f->root, "etc", "default", "grub.real", NULL);
        g_autofree char *dir = g_build_filename(f->root, "etc", "default", NULL), *ran = NULL;
        g_autoptr(GError) dry_error = NULL, error = NULL;
        g_autoptr(GVariant) dry = NULL, reply = NULL;
        g_autoptr(GDir) d = NULL;
        const char *name;

        g_assert_cmpint(g_rename(grub, real), ==, 0);
        g_assert_cmpint(symlink("grub.real", grub), ==, 0);
        dry = apply(f, true, &dry_error);
        harness_assert_dbus_error(dry_error, PASSTHRU_ERROR_FAILED, "/etc/default/grub is a symbolic link");
        reply = apply(f, false, &error);
        harness_assert_dbus_error(error, PASSTHRU_ERROR_FAILED, "/etc/default/grub is a symbolic link");
        d = g_dir_open(dir, 0, NULL);
        while ((name = g_dir_read_name(d)))
                g_assert_false(g_str_has_prefix(name, "grub.passthru-"));
        ran = root_file(f, "ran");
        g_assert_null(ran);
        g_assert_null(root_file(f, "etc/passthru/early-bind.list"));
}

static gboolean call_done(gpointer data) {
        return ((HarnessCall *) data)->done;
}

/* CheckHost waits for a slow lsinitramfs off the event loop: another client's ListDevices
 * is answered meanwhile, and the CheckHost calls get the listing's result when it ends. The
 * image is rebuilt after start-up's listing, so the checks list it again. */
static const Config slow_lister = {
        .lister = "sleep 3\necho usr/lib/modules/x/kernel/drivers/vfio/pci/vfio-pci.ko",
};

static void rebuild_image(Fixture *f) {
        struct utsname u;
        g_autofree char *image = NULL;

        g_assert_no_errno(uname(&u));
        image = g_strdup_printf("boot/initrd.img-%s", u.release);
        test_write_file(f->root, image, "another image\n");
}

static void test_check_host_slow_lister(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) rows = NULL, listing = NULL;
        g_autoptr(GError) error = NULL;
        const char *id, *status, *summary, *remedy;
        HarnessCall check, again;
        bool seen = false;
        GVariantIter *iter;
        gint64 t0, listed_us;

        /* start-up's listing first */
        rows = harness_call_looping(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "CheckHost",
                                    NULL, "(a(ssss))", &error);
        g_assert_no_error(error);
        rebuild_image(f);

        harness_call_start(f->h, &check, G_DBUS_CALL_FLAGS_NONE, PASSTHRU_MANAGER_PATH,
                           PASSTHRU_MANAGER_INTERFACE, "CheckHost", NULL, "(a(ssss))");
        harness_call_start(f->h, &again, G_DBUS_CALL_FLAGS_NONE, PASSTHRU_MANAGER_PATH,
                           PASSTHRU_MANAGER_INTERFACE, "CheckHost", NULL, "(a(ssss))");
        t0 = g_get_monotonic_time();
        listing = harness_call_looping(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                       "ListDevices", NULL, NULL, &error);
        g_assert_no_error(error);
        listed_us = g_get_monotonic_time() - t0;
        g_test_message("ListDevices answered in %.1f ms", listed_us / 1000.0);
        g_assert_cmpint(listed_us, <, 2 * G_USEC_PER_SEC);
        /* the lister sleeps 4 s: the checks are still waiting for it */
        g_assert_false(check.done);
        g_assert_false(again.done);

        harness_wait_until(call_done, &check, "CheckHost");
        harness_call_finish(&again, "the second CheckHost");
        g_assert_no_error(check.error);
        g_assert_no_error(again.error);
        g_assert_true(g_variant_equal(check.reply, again.reply));
        g_variant_get(check.reply, "(a(ssss))", &iter);
        while (g_variant_iter_next(iter, "(&s&s&s&s)", &id, &status, &summary, &remedy))
                if (g_str_equal(id, "initramfs")) {
                        g_test_message("initramfs: %s: %s", status, summary);
                        g_assert_cmpstr(status, ==, "pass");
                        g_assert_nonnull(strstr(summary, "carries vfio-pci"));
                        seen = true;
                }
        g_variant_iter_free(iter);
        g_assert_true(seen);
        g_clear_pointer(&check.reply, g_variant_unref);
        g_clear_pointer(&again.reply, g_variant_unref);
}

/* Dry runs are planned off the event loop, one after the other: another client's ListDevices
 * queued behind 40 of them is answered before they all are, and each gets its plan. */
static void test_dry_runs_off_loop(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusConnection) other = NULL;
        g_autoptr(GVariant) listing = NULL;
        g_autoptr(GError) error = NULL;
        HarnessCall dry[40];
        unsigned waiting = 0;

        other = g_dbus_connection_new_for_address_sync(
                harness_bus_address(f->h),
                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);
        g_assert_no_error(error);
        for (size_t i = 0; i < G_N_ELEMENTS(dry); i++)
                harness_call_start_on(other, &dry[i], G_DBUS_CALL_FLAGS_NONE, PASSTHRU_MANAGER_PATH,
                                      PASSTHRU_MANAGER_INTERFACE, "ApplyBootConfig",
                                      g_variant_new_parsed("({'dry-run': <true>},)"), "(a(sss)asas)");
        g_assert_true(g_dbus_connection_flush_sync(other, NULL, NULL));
        listing = harness_call_looping(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                       "ListDevices", NULL, NULL, &error);
        g_assert_no_error(error);
        for (size_t i = 0; i < G_N_ELEMENTS(dry); i++)
                waiting += !dry[i].done;
        g_test_message("ListDevices answered with %u of %zu dry runs still waiting", waiting,
                       G_N_ELEMENTS(dry));
        g_assert_cmpuint(waiting, >, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(dry); i++) {
                harness_call_finish(&dry[i], "a dry run");
                g_assert_no_error(dry[i].error);
                g_assert_nonnull(reply_diff(dry[i].reply, "/etc/passthru/early-bind.list"));
                g_variant_unref(dry[i].reply);
        }
}

int main(int argc, char *argv[]) {
        static const Config plain = {};

        g_test_init(&argc, &argv, NULL);
        if (harness_skip_all("/boot-daemon"))
                return g_test_run();
#define ADD(path, config, func) g_test_add(path, Fixture, config, fixture_setup, func, fixture_teardown)
        ADD("/boot-daemon/config-dir", &plain, test_config_dir);
        ADD("/boot-daemon/not-utf8-dry-run", &latin1, test_not_utf8_dry_run);
        ADD("/boot-daemon/not-utf8-apply", &latin1_output, test_not_utf8_apply);
        ADD("/boot-daemon/symlink", &plain, test_symlink);
        ADD("/boot-daemon/apply-twice", &plain, test_apply_twice);
        ADD("/boot-daemon/check-host-slow-lister", &slow_lister, test_check_host_slow_lister);
        ADD("/boot-daemon/dry-runs-off-loop", &plain, test_dry_runs_off_loop);
        return g_test_run();
}
