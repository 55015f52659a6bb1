/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Early binding in the initramfs: the list daemon/boot/bootcfg-initramfs.c writes (against a golden
 * file), the HOOKS edit of mkinitcpio.conf (fixtures in tests/data/bootcfg/mkinitcpio), and the
 * scripts of initramfs/ for real: early-bind run by sh, dash and busybox sh over a fixture sysfs
 * with the list the C code wrote, each script through its shell's syntax check and shellcheck,
 * and initramfs-tools' own ordering code putting our init-top script before udev's. */
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "bootcfg-file.h"
#include "bootcfg-initramfs.h"

static char *source_path(const char *first, ...) G_GNUC_NULL_TERMINATED;

/* A file of the source tree, from tests/ up. */
static char *source_path(const char *first, ...) {
        g_autofree char *top = g_test_build_filename(G_TEST_DIST, "..", NULL);
        g_autoptr(GPtrArray) parts = g_ptr_array_new();
        va_list ap;

        g_ptr_array_add(parts, top);
        va_start(ap, first);
        for (const char *p = first; p; p = va_arg(ap, const char *))
                g_ptr_array_add(parts, (char *) p);
        va_end(ap);
        g_ptr_array_add(parts, NULL);
        return g_build_filenamev((char **) parts->pdata);
}

static char *read_data(const char *dir, const char *name) {
        g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "bootcfg", dir, name, NULL);
        char *text = NULL;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return NULL;
        return text;
}

static EarlyBindEntry entry(const char *address, uint16_t vendor, uint16_t device, uint16_t subvendor,
                            uint16_t subdevice, uint32_t class) {
        EarlyBindEntry e = {
                .vendor = vendor,
                .device = device,
                .subsystem_vendor = subvendor,
                .subsystem_device = subdevice,
                .class = class,
        };

        g_assert_cmpint(pci_address_parse(address, &e.address), ==, 0);
        return e;
}

/* ---- the list ---- */

static void test_list_golden(void) {
        /* out of order on purpose: the list comes sorted */
        const EarlyBindEntry entries[] = {
                entry("0000:0a:00.1", 0x10de, 0x10f0, 0x1462, 0x3711, 0x040300),
                entry("0000:01:00.0", 0x8086, 0x10d3, 0x8086, 0xa01f, 0x020000),
                entry("0000:0a:00.0", 0x10de, 0x1b80, 0x1462, 0x3362, 0x030000),
        };
        g_autofree char *text = NULL, *golden = read_data("golden", "early-bind.list");

        g_assert_cmpint(early_bind_list_format(entries, G_N_ELEMENTS(entries), &text), ==, 0);
        g_assert_nonnull(golden);
        g_assert_cmpstr(text, ==, golden);
        g_assert_true(bootcfg_text_is_ours(text));
}

static void test_list_refused(void) {
        const EarlyBindEntry twice[] = {
                entry("0000:01:00.0", 0x8086, 0x10d3, 0x8086, 0xa01f, 0x020000),
                entry("01:00.0", 0x8086, 0x10d3, 0x8086, 0xa01f, 0x020000),
        };
        const EarlyBindEntry wide[] = { entry("0000:01:00.0", 0x8086, 0x10d3, 0x8086, 0xa01f, 0x1020000) };
        g_autofree char *empty = NULL;
        char *text = NULL;

        g_assert_cmpint(early_bind_list_format(twice, 2, &text), ==, -EEXIST);
        g_assert_cmpint(early_bind_list_format(wide, 1, &text), ==, -EINVAL);
        g_assert_null(text);
        g_assert_cmpint(early_bind_list_format(NULL, 0, &empty), ==, 0);
        g_assert_true(bootcfg_text_is_ours(empty));
}

/* ---- mkinitcpio.conf ---- */

typedef struct {
        const char *name;
        bool add;
        int expected;
} HooksCase;

static const HooksCase hooks_cases[] = {
        { "arch-udev", true, 1 },
        { "multiline", true, 1 },
        { "late", true, 1 },
        { "present", true, 0 },
        { "remove", false, 1 },
        { "arch-udev", false, 0 },
        { "arch-systemd", true, -EOPNOTSUPP },
        { "no-hooks", true, -EBADMSG },
};

static void test_hooks(gconstpointer data) {
        const HooksCase *c = data;
        g_autofree char *in_name = g_strconcat(c->name, ".in", NULL),
                        *out_name = g_strconcat(c->name, ".out", NULL);
        g_autofree char *in = read_data("mkinitcpio", in_name), *out = NULL, *result = NULL, *again = NULL;

        g_assert_nonnull(in);
        g_assert_cmpint(mkinitcpio_hooks_edit(in, c->add, &result), ==, c->expected);
        if (c->expected < 0)
                return;
        if (c->expected == 0) {
                g_assert_cmpstr(result, ==, in);
                return;
        }
        out = read_data("mkinitcpio", out_name);
        g_assert_cmpstr(result, ==, out);
        g_assert_cmpint(mkinitcpio_hooks_edit(result, c->add, &again), ==, 0);
        g_assert_cmpstr(again, ==, result);
}

/* ---- early-bind over a fixture sysfs ---- */

typedef struct {
        char *tmp, *sysfs, *list, *cmdline, *kmsg, *modprobe, *modprobe_log;
} SysfsFixture;

static void write_file(const char *dir, const char *name, const char *text) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autoptr(GError) error = NULL;

        g_assert_true(g_file_set_contents(path, text, -1, &error));
}

/* A PCI function as sysfs shows it, driver_override unset ("(null)"). */
static void add_device(SysfsFixture *f, const char *address, const char *vendor, const char *device,
                       const char *subvendor, const char *subdevice, const char *class) {
        g_autofree char *dir = g_build_filename(f->sysfs, "bus", "pci", "devices", address, NULL);
        struct {
                const char *name, *value;
        } attrs[] = {
                { "vendor", vendor },
                { "device", device },
                { "subsystem_vendor", subvendor },
                { "subsystem_device", subdevice },
                { "class", class },
                { "driver_override", "(null)" },
        };

        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(attrs); i++) {
                g_autofree char *line = g_strconcat(attrs[i].value, "\n", NULL);

                write_file(dir, attrs[i].name, line);
        }
}

static char *driver_override(SysfsFixture *f, const char *address) {
        g_autofree char *path =
                g_build_filename(f->sysfs, "bus", "pci", "devices", address, "driver_override", NULL);
        char *text = NULL;

        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        return g_strchomp(text);
}

static void sysfs_setup(SysfsFixture *f, gconstpointer data) {
        /* The remembered devices: the NIC at 01:00.0, a GPU at 03:00.0 that has since been
         * replaced by another card, and a device at 04:00.0 that is gone. */
        const EarlyBindEntry entries[] = {
                entry("0000:01:00.0", 0x8086, 0x10d3, 0x8086, 0xa01f, 0x020000),
                entry("0000:03:00.0", 0x10de, 0x1b80, 0x1462, 0x3362, 0x030000),
                entry("0000:04:00.0", 0x1b36, 0x0010, 0x1af4, 0x1100, 0x010802),
        };
        g_autofree char *list = NULL, *stub = NULL;

        f->tmp = g_dir_make_tmp("passthru-early-XXXXXX", NULL);
        g_assert_nonnull(f->tmp);
        f->sysfs = g_build_filename(f->tmp, "sys", NULL);
        f->list = g_build_filename(f->tmp, "early-bind.list", NULL);
        f->cmdline = g_build_filename(f->tmp, "cmdline", NULL);
        f->kmsg = g_build_filename(f->tmp, "kmsg", NULL);
        f->modprobe = g_build_filename(f->tmp, "modprobe", NULL);
        f->modprobe_log = g_build_filename(f->tmp, "modprobe.log", NULL);

        add_device(f, "0000:01:00.0", "0x8086", "0x10d3", "0x8086", "0xa01f", "0x020000");
        /* its identical twin, which must stay with the host driver */
        add_device(f, "0000:02:00.0", "0x8086", "0x10d3", "0x8086", "0xa01f", "0x020000");
        add_device(f, "0000:03:00.0", "0x1002", "0x73bf", "0x1002", "0x0e3a", "0x030000");

        g_assert_cmpint(early_bind_list_format(entries, G_N_ELEMENTS(entries), &list), ==, 0);
        g_assert_true(g_file_set_contents(f->list, list, -1, NULL));
        g_assert_true(
                g_file_set_contents(f->cmdline, "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet\n", -1, NULL));
        g_assert_true(g_file_set_contents(f->kmsg, "", 0, NULL));
        stub = g_strdup_printf("#!/bin/sh\necho \"$*\" >>'%s'\n", f->modprobe_log);
        g_assert_true(g_file_set_contents(f->modprobe, stub, -1, NULL));
        g_assert_cmpint(g_chmod(f->modprobe, 0755), ==, 0);
}

static int remove_tree(const char *path) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);

        if (dir)
                for (const char *name; (name = g_dir_read_name(dir));) {
                        g_autofree char *child = g_build_filename(path, name, NULL);

                        remove_tree(child);
                }
        return g_remove(path);
}

static void sysfs_teardown(SysfsFixture *f, gconstpointer data) {
        remove_tree(f->tmp);
        g_free(f->tmp);
        g_free(f->sysfs);
        g_free(f->list);
        g_free(f->cmdline);
        g_free(f->kmsg);
        g_free(f->modprobe);
        g_free(f->modprobe_log);
}

/* Runs initramfs/early-bind with shell (a NULL-terminated argv prefix such as "busybox", "sh"). */
static void run_early_bind(SysfsFixture *f, const char *const *shell, char **ret_stderr) {
        g_autofree char *script = source_path("initramfs", "early-bind", NULL);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_auto(GStrv) env = g_get_environ();
        g_autoptr(GError) error = NULL;
        int status;

        for (const char *const *s = shell; *s; s++)
                g_ptr_array_add(argv, (char *) *s);
        g_ptr_array_add(argv, script);
        g_ptr_array_add(argv, NULL);
        env = g_environ_setenv(env, "PASSTHRU_SYSFS", f->sysfs, TRUE);
        env = g_environ_setenv(env, "PASSTHRU_LIST", f->list, TRUE);
        env = g_environ_setenv(env, "PASSTHRU_CMDLINE", f->cmdline, TRUE);
        env = g_environ_setenv(env, "PASSTHRU_KMSG", f->kmsg, TRUE);
        env = g_environ_setenv(env, "PASSTHRU_MODPROBE", f->modprobe, TRUE);
        g_assert_true(g_spawn_sync(NULL, (char **) argv->pdata, env, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                                   ret_stderr, &status, &error));
        g_assert_no_error(error);
        g_assert_true(g_spawn_check_wait_status(status, NULL));
}

typedef struct {
        const char *name;
        const char *shell[3];
} Shell;

static const Shell shells[] = {
        { "sh", { "sh", NULL } },
        { "dash", { "dash", NULL } },
        { "busybox", { "busybox", "sh", NULL } },
};

static bool shell_found(const Shell *s) {
        g_autofree char *path = g_find_program_in_path(s->shell[0]);

        if (!path) {
                g_autofree char *msg = g_strdup_printf("%s is not installed", s->shell[0]);

                g_test_skip(msg);
                return false;
        }
        return true;
}

static void test_binds_checked(SysfsFixture *f, gconstpointer data) {
        const Shell *s = data;
        g_autofree char *err = NULL, *o1 = NULL, *o2 = NULL, *o3 = NULL, *kmsg = NULL, *modprobe = NULL;

        if (!shell_found(s))
                return;
        run_early_bind(f, s->shell, &err);
        g_test_message("stderr: %s", err);

        o1 = driver_override(f, "0000:01:00.0");
        o2 = driver_override(f, "0000:02:00.0");
        o3 = driver_override(f, "0000:03:00.0");
        g_assert_cmpstr(o1, ==, "vfio-pci");
        /* the twin at another address is left to its driver */
        g_assert_cmpstr(o2, ==, "(null)");
        /* another card in the remembered slot: logged, left alone */
        g_assert_cmpstr(o3, ==, "(null)");
        g_assert_nonnull(
                strstr(err, "0000:03:00.0: is 0x1002 0x73bf 0x1002 0x0e3a 0x030000, not the remembered"));
        g_assert_nonnull(strstr(err, "0000:04:00.0: no such device"));

        /* the kernel log gets the same, with levels */
        g_assert_true(g_file_get_contents(f->kmsg, &kmsg, NULL, NULL));
        g_assert_nonnull(strstr(kmsg, "<6>passthru: 0000:01:00.0: driver_override set to vfio-pci\n"));
        g_assert_nonnull(strstr(kmsg, "<4>passthru: 0000:03:00.0: is "));

        /* vfio-pci is loaded once, to take the overridden device */
        g_assert_true(g_file_get_contents(f->modprobe_log, &modprobe, NULL, NULL));
        g_assert_cmpstr(modprobe, ==, "-q vfio-pci\n");
}

static void test_early_off(SysfsFixture *f, gconstpointer data) {
        const Shell *s = data;
        g_autofree char *err = NULL, *o1 = NULL;

        if (!shell_found(s))
                return;
        g_assert_true(
                g_file_set_contents(f->cmdline, "root=/dev/vda1 ro passthru.early=0 quiet\n", -1, NULL));
        run_early_bind(f, s->shell, &err);
        o1 = driver_override(f, "0000:01:00.0");
        g_assert_cmpstr(o1, ==, "(null)");
        g_assert_nonnull(strstr(err, "passthru.early=0"));
        g_assert_false(g_file_test(f->modprobe_log, G_FILE_TEST_EXISTS));
}

static void test_no_list(SysfsFixture *f, gconstpointer data) {
        const Shell *s = data;
        g_autofree char *err = NULL, *o1 = NULL;

        if (!shell_found(s))
                return;
        g_assert_cmpint(g_unlink(f->list), ==, 0);
        run_early_bind(f, s->shell, &err);
        o1 = driver_override(f, "0000:01:00.0");
        g_assert_cmpstr(o1, ==, "(null)");
        g_assert_cmpstr(err, ==, "");
        g_assert_false(g_file_test(f->modprobe_log, G_FILE_TEST_EXISTS));
}

static void test_hostile_list(SysfsFixture *f, gconstpointer data) {
        const Shell *s = data;
        g_autofree char *err = NULL, *o1 = NULL;
        g_autofree char *escape = g_build_filename(f->tmp, "driver_override", NULL);

        if (!shell_found(s))
                return;
        /* a path instead of an address, a short line, a line with too much: none is used */
        g_assert_true(g_file_set_contents(f->list,
                                          "../../../.. 0x8086 0x10d3 0x8086 0xa01f 0x020000\n"
                                          "0000:01:00.0 0x8086 0x10d3\n"
                                          "0000:01:00.0 0x8086 0x10d3 0x8086 0xa01f 0x020000 extra\n",
                                          -1, NULL));
        run_early_bind(f, s->shell, &err);
        o1 = driver_override(f, "0000:01:00.0");
        g_assert_cmpstr(o1, ==, "(null)");
        g_assert_false(g_file_test(escape, G_FILE_TEST_EXISTS));
        g_assert_nonnull(strstr(err, "malformed"));
}

/* A bridge listed by hand (with its true identity) is never overridden: the devices behind it
 * would lose their path. */
static void test_bridge_refused(SysfsFixture *f, gconstpointer data) {
        const Shell *s = data;
        g_autofree char *err = NULL, *o = NULL;

        if (!shell_found(s))
                return;
        add_device(f, "0000:00:1c.0", "0x8086", "0xa110", "0x8086", "0x7270", "0x060400");
        g_assert_true(g_file_set_contents(f->list, "0000:00:1c.0 0x8086 0xa110 0x8086 0x7270 0x060400\n", -1,
                                          NULL));
        run_early_bind(f, s->shell, &err);
        o = driver_override(f, "0000:00:1c.0");
        g_assert_cmpstr(o, ==, "(null)");
        g_assert_nonnull(strstr(err, "is a bridge"));
        g_assert_false(g_file_test(f->modprobe_log, G_FILE_TEST_EXISTS));
}

/* ---- the static scripts ---- */

typedef struct {
        const char *path; /* under initramfs/ */
        const char *shell;
        bool executable; /* run as a program; mkinitcpio sources its files */
} ScriptCase;

static const ScriptCase scripts[] = {
        { "early-bind", "sh", true },
        { "initramfs-tools/scripts/init-top/passthru", "sh", true },
        { "initramfs-tools/hooks/passthru", "sh", true },
        { "dracut/90passthru/module-setup.sh", "bash", true },
        { "dracut/90passthru/passthru-pre-udev.sh", "sh", true },
        { "mkinitcpio/install/passthru", "bash", false },
        { "mkinitcpio/hooks/passthru", "sh", false },
};

static bool run_ok(const char *const *argv, char **ret_output) {
        g_autoptr(GError) error = NULL;
        int status;

        g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL,
                                   G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, ret_output,
                                   NULL, &status, &error));
        return g_spawn_check_wait_status(status, NULL);
}

static void test_script(gconstpointer data) {
        const ScriptCase *c = data;
        g_autofree char *path = source_path("initramfs", c->path, NULL), *shellcheck = NULL, *output = NULL;
        const char *check[] = { c->shell, "-n", path, NULL };
        struct stat st;

        /* initramfs-tools and dracut skip scripts that are not executable */
        g_assert_cmpint(g_stat(path, &st), ==, 0);
        g_assert_cmpint(!!(st.st_mode & S_IXUSR), ==, c->executable);
        g_assert_true(run_ok(check, NULL));
        if (g_str_equal(c->shell, "sh")) {
                const char *dash[] = { "dash", "-n", path, NULL };

                g_assert_true(run_ok(dash, NULL));
        }

        shellcheck = g_find_program_in_path("shellcheck");
        if (!shellcheck) {
                g_test_skip("shellcheck is not installed; the syntax check passed");
                return;
        }
        const char *lint[] = { "shellcheck", "-s", c->shell, path, NULL };
        if (!run_ok(lint, &output))
                g_error("shellcheck %s:\n%s", c->path, output);
}

/* dracut's side of module-setup.sh, with dracut's functions recording their calls: included
 * when the list exists in the system root, only on request (255) without it; what it installs
 * matches the golden trace. */
static void test_dracut_module(void) {
        g_autofree char *setup = source_path("initramfs", "dracut", "90passthru", "module-setup.sh", NULL);
        g_autofree char *tmp = g_dir_make_tmp("passthru-dracut-XXXXXX", NULL), *list_dir = NULL,
                        *list = NULL;
        g_autofree char *script = NULL, *trace = NULL,
                        *golden = read_data("golden", "dracut-module-setup.trace");
        g_autofree char *bash = g_find_program_in_path("bash");
        int status;

        if (!bash) {
                g_test_skip("bash is not installed");
                return;
        }
        list_dir = g_build_filename(tmp, "with", "etc", "passthru", NULL);
        g_assert_cmpint(g_mkdir_with_parents(list_dir, 0755), ==, 0);
        list = g_build_filename(list_dir, "early-bind.list", NULL);
        g_assert_true(
                g_file_set_contents(list, "0000:01:00.0 0x8086 0x10d3 0x8086 0xa01f 0x020000\n", -1, NULL));
        script =
                g_strdup_printf("moddir=/usr/lib/dracut/modules.d/90passthru\n"
                                "inst_simple() { echo \"inst_simple $*\"; }\n"
                                "inst_script() { echo \"inst_script $*\"; }\n"
                                "inst_multiple() { echo \"inst_multiple $*\"; }\n"
                                "inst_hook() { echo \"inst_hook $*\"; }\n"
                                "instmods() { echo \"instmods $* (hostonly='${hostonly-unset}')\"; }\n"
                                ". '%s'\n"
                                "dracutsysrootdir='%s/with'; check; echo \"check $?\"\n"
                                "depends; echo \"depends $?\"\n"
                                "installkernel\n"
                                "install\n"
                                "dracutsysrootdir='%s/without'; check; echo \"check without the list $?\"\n",
                                setup, tmp, tmp);
        const char *argv[] = { "bash", "-c", script, NULL };
        g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &trace, NULL,
                                   &status, NULL));
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        g_assert_cmpstr(trace, ==, golden);
        remove_tree(tmp);
}

/* initramfs-tools caches the order of init-top in ORDER at build time with its own
 * cache_run_scripts(): run that code on our script next to udev's and the others. */
static void test_init_top_order(void) {
        const char *hook_functions =
                g_getenv("PASSTHRU_TEST_HOOK_FUNCTIONS") ?: "/usr/share/initramfs-tools/hook-functions";
        const char *real_udev = "/usr/share/initramfs-tools/scripts/init-top/udev";
        g_autofree char *ours =
                source_path("initramfs", "initramfs-tools", "scripts", "init-top", "passthru", NULL);
        g_autofree char *tmp = g_dir_make_tmp("passthru-order-XXXXXX", NULL), *order = NULL,
                        *order_path = NULL;
        g_autofree char *command = NULL;
        const char *p_ours, *p_udev;
        int status;

        if (!g_file_test(hook_functions, G_FILE_TEST_EXISTS)) {
                g_test_skip(
                        "initramfs-tools is not installed (set PASSTHRU_TEST_HOOK_FUNCTIONS to its hook-functions)");
                g_rmdir(tmp);
                return;
        }
        /* CONFDIR: where cache_run_scripts asks each script for its prereqs; DESTDIR: the image */
        for (const char *const *d = (const char *const[]){ "conf", "dest", NULL }; *d; d++) {
                g_autofree char *dir = g_build_filename(tmp, *d, "scripts", "init-top", NULL);
                g_autofree char *copy = NULL, *udev = g_build_filename(dir, "udev", NULL);
                g_autofree char *blacklist = g_build_filename(dir, "blacklist", NULL);
                g_autofree char *zz = g_build_filename(dir, "zz_after", NULL);
                g_autofree char *text = NULL;

                g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
                copy = g_build_filename(dir, "passthru", NULL);
                g_assert_true(g_file_get_contents(ours, &text, NULL, NULL));
                g_assert_true(g_file_set_contents(copy, text, -1, NULL));
                g_clear_pointer(&text, g_free);
                /* udev's own script when installed; otherwise one like it, without prereqs */
                if (!g_file_get_contents(real_udev, &text, NULL, NULL))
                        text = g_strdup(
                                "#!/bin/sh\nPREREQS=\"\"\ncase \"$1\" in prereqs) echo \"$PREREQS\"; exit 0;; esac\n");
                g_assert_true(g_file_set_contents(udev, text, -1, NULL));
                g_assert_true(g_file_set_contents(blacklist, "#!/bin/sh\n[ \"$1\" = prereqs ] && exit 0\n",
                                                  -1, NULL));
                /* a script that waits for udev must still come after it */
                g_assert_true(g_file_set_contents(
                        zz, "#!/bin/sh\n[ \"$1\" = prereqs ] && echo udev && exit 0\n", -1, NULL));
                for (const char *const *s = (const char *const[]){ copy, udev, blacklist, zz, NULL }; *s;
                     s++)
                        g_assert_cmpint(g_chmod(*s, 0755), ==, 0);
        }
        command = g_strdup_printf("CONFDIR='%s/conf'; . '%s'; cache_run_scripts '%s/dest' /scripts/init-top",
                                  tmp, hook_functions, tmp);
        const char *argv[] = { "sh", "-c", command, NULL };
        g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                                   &status, NULL));
        g_assert_true(g_spawn_check_wait_status(status, NULL));

        order_path = g_build_filename(tmp, "dest", "scripts", "init-top", "ORDER", NULL);
        g_assert_true(g_file_get_contents(order_path, &order, NULL, NULL));
        g_test_message("ORDER:\n%s", order);
        p_ours = strstr(order, "/scripts/init-top/passthru ");
        p_udev = strstr(order, "/scripts/init-top/udev ");
        g_assert_nonnull(p_ours);
        g_assert_nonnull(p_udev);
        g_assert_true(p_ours < p_udev);
        g_assert_true(p_udev < strstr(order, "/scripts/init-top/zz_after "));
        remove_tree(tmp);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/initramfs/list/golden", test_list_golden);
        g_test_add_func("/initramfs/list/refused", test_list_refused);
        for (size_t i = 0; i < G_N_ELEMENTS(hooks_cases); i++) {
                g_autofree char *path =
                        g_strdup_printf("/initramfs/mkinitcpio-hooks/%s-%s", hooks_cases[i].name,
                                        hooks_cases[i].add ? "add" : "remove");

                g_test_add_data_func(path, &hooks_cases[i], test_hooks);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(shells); i++) {
                const struct {
                        const char *name;
                        void (*func)(SysfsFixture *, gconstpointer);
                } cases[] = {
                        { "binds-checked", test_binds_checked },
                        { "early-off", test_early_off },
                        { "no-list", test_no_list },
                        { "hostile-list", test_hostile_list },
                        { "bridge-refused", test_bridge_refused },
                };

                for (size_t j = 0; j < G_N_ELEMENTS(cases); j++) {
                        g_autofree char *path = g_strdup_printf("/initramfs/early-bind/%s/%s",
                                                                shells[i].name, cases[j].name);

                        g_test_add(path, SysfsFixture, &shells[i], sysfs_setup, cases[j].func,
                                   sysfs_teardown);
                }
        }
        for (size_t i = 0; i < G_N_ELEMENTS(scripts); i++) {
                g_autofree char *path = g_strconcat("/initramfs/script/", scripts[i].path, NULL);

                g_test_add_data_func(path, &scripts[i], test_script);
        }
        g_test_add_func("/initramfs/init-top-order", test_init_top_order);
        g_test_add_func("/initramfs/dracut-module", test_dracut_module);
        return g_test_run();
}
