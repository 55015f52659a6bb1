/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runtime binding (daemon/engine/operations.c and what it drives, bus/polkit.c, model/record.c,
 * model/safety.c) against the kernel emulator: passthrud on a private bus over the realistic testbed host, a
 * mock polkit authority in this process, and fixture /proc trees for the host's own use of devices. Calls
 * are made asynchronously so the emulator and the mock keep running while the daemon works. */
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "config.h"
#include "harness.h"
#include "mock-polkit.h"
#include "kernel-emulator.h"
#include "passthru-dbus.h"
#include "testbed.h"

#define GPU "0000:01:00.0"
#define GPU_AUDIO "0000:01:00.1"
#define PF "0000:03:00.0"
#define VF0 "0000:03:10.0"
#define NVME "0000:06:00.0"
#define PCI_BRIDGE "0000:00:1e.0"
#define E1000 "0000:07:00.0"
#define ASPEED "0000:07:01.0"

#define MANAGE_DEVICES "org.passthru.manage-devices"

/* What a test needs from the host before the daemon starts. */
typedef struct {
        bool no_vfio;            /* vfio-pci not loaded, not installable */
        bool host_uses;          /* root on the NVMe, default route on VF0, DRM open on the ASPEED */
        bool console;            /* a framebuffer console is bound */
        const char *timeout;     /* --operation-timeout */
        const char *fault_write; /* PASSTHRU_FAULT_WRITE for the daemon */
        PolkitMode polkit;
        bool root_rule;  /* the daemon's default: root callers are not asked (--polkit-for-root=no) */
        bool spare_nics; /* testbed_spare_nics added: many groups to move at once */
} Config;

typedef struct {
        const Config *config;
        Testbed *tb;
        KernelEmulator *kernel;
        Harness *h;
        char *dir; /* runtime dir and /proc fixture */
        MockPolkit polkit;
} Fixture;

/* ---- fixture ---- */

static void make_proc(Fixture *f, const char *proc) {
        test_write_idle_proc(proc);
        if (!f->config->host_uses)
                return;
        test_write_file(proc, "self/mountinfo",
                        "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
                        "23 22 0:21 / /proc rw shared:2 - proc proc rw\n");
        testbed_device_link(f->tb, "dev/block/259:2", NVME, "nvme/nvme0/nvme0n1/nvme0n1p2");
        test_write_file(proc, "net/route",
                        "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
                        "enp3s16\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
                        "enp3s16\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n");
        testbed_device_link(f->tb, "class/net/enp3s16", VF0, "net/enp3s16");
        test_symlink_in(proc, "4242/fd/7", "/dev/dri/card1");
        test_symlink_in(proc, "4242/fd/8", "/dev/null");
        testbed_device_link(f->tb, "class/drm/card1", ASPEED, "drm/card1");
        /* A VM holds the group of the VF on vfio-pci. */
        test_symlink_in(proc, "4243/fd/3", "/dev/vfio/5");
        test_write_file(proc, "4243/comm", "qemu-system-x86\n");
}

static void fixture_setup(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *runtime = NULL, *proc = NULL, *runtime_arg = NULL, *proc_arg = NULL,
                        *timeout_arg = NULL;
        g_autofree char *module = NULL;

        f->config = data;
        f->tb = testbed_new();
        testbed_add_all(f->tb, testbed_host, testbed_host_len);
        if (f->config->spare_nics)
                testbed_add_all(f->tb, testbed_spare_nics, testbed_spare_nics_len);
        f->kernel = kernel_emulator_new(f->tb);
        if (!f->config->no_vfio) {
                kernel_emulator_add_driver(f->kernel, "vfio-pci");
                module = g_build_filename(testbed_sys_dir(f->tb), "module", "vfio_iommu_type1", NULL);
                g_assert_no_errno(g_mkdir_with_parents(module, 0755));
        }
        if (f->config->console) {
                test_write_file(testbed_sys_dir(f->tb), "class/vtconsole/vtcon0/bind", "0\n");
                test_write_file(testbed_sys_dir(f->tb), "class/vtconsole/vtcon0/name", "(S) dummy device\n");
                test_write_file(testbed_sys_dir(f->tb), "class/vtconsole/vtcon1/bind", "1\n");
                test_write_file(testbed_sys_dir(f->tb), "class/vtconsole/vtcon1/name",
                                "(M) frame buffer device\n");
        }
        f->dir = g_dir_make_tmp("passthru-bind-XXXXXX", &error);
        g_assert_no_error(error);
        runtime = g_build_filename(f->dir, "run", NULL);
        proc = g_build_filename(f->dir, "proc", NULL);
        make_proc(f, proc);
        testbed_assert_contained(f->tb);
        runtime_arg = g_strconcat("--runtime-dir=", runtime, NULL);
        proc_arg = g_strconcat("--proc-root=", proc, NULL);
        timeout_arg = g_strconcat("--operation-timeout=", f->config->timeout ?: "20", NULL);
        const char *args[] = { runtime_arg, proc_arg, timeout_arg,
                               f->config->root_rule ? "--polkit-for-root=no" : NULL, NULL };
        if (f->config->fault_write)
                g_setenv("PASSTHRU_FAULT_WRITE", f->config->fault_write, TRUE);
        f->h = harness_new_with_args(f->tb, args);
        g_unsetenv("PASSTHRU_FAULT_WRITE");
        if (f->h)
                mock_polkit_start(&f->polkit, harness_connection(f->h), f->config->polkit);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        kernel_emulator_release(f->kernel);
        if (f->h) {
                mock_polkit_stop(&f->polkit, harness_connection(f->h));
                harness_free(f->h);
        }
        kernel_emulator_free(f->kernel);
        testbed_free(f->tb);
        test_remove_tree(f->dir);
        g_free(f->dir);
}

/* ---- calls ---- */

typedef HarnessCall Call;

/* Options as "key", GVariant*, ..., NULL. */
static GVariant *options_v(va_list ap) {
        GVariantBuilder b;
        const char *key;

        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        while ((key = va_arg(ap, const char *)))
                g_variant_builder_add(&b, "{sv}", key, va_arg(ap, GVariant *));
        return g_variant_builder_end(&b);
}

static void start_call_on(Fixture *f, Call *c, GDBusCallFlags flags, const char *path, const char *interface,
                          const char *method, GVariant *args) {
        harness_call_start(f->h, c, flags, path, interface, method, args, "(a(sss))");
}

/* Manager.METHOD(address, options), answered later: finish_call() waits for it. */
static void start_call(Fixture *f, Call *c, GDBusCallFlags flags, const char *method, const char *address,
                       GVariant *options) {
        start_call_on(f, c, flags, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, method,
                      g_variant_new("(s@a{sv})", address, options));
}

static void finish_call(Call *c) {
        harness_call_finish(c, "a Bind or Unbind reply");
}

/* Manager.Bind/Unbind; returns the a(sss) or NULL with *error set. */
static GVariant *call(Fixture *f, const char *method, const char *address, GError **error, ...) {
        Call c;
        va_list ap;

        va_start(ap, error);
        start_call(f, &c, G_DBUS_CALL_FLAGS_NONE, method, address, options_v(ap));
        va_end(ap);
        finish_call(&c);
        if (c.error) {
                g_propagate_error(error, c.error);
                return NULL;
        }
        GVariant *changes = g_variant_get_child_value(c.reply, 0);
        g_variant_unref(c.reply);
        return changes;
}

static GVariant *call_ok(Fixture *f, const char *method, const char *address, ...) {
        GVariant *changes;
        Call c;
        va_list ap;

        va_start(ap, address);
        start_call(f, &c, G_DBUS_CALL_FLAGS_NONE, method, address, options_v(ap));
        va_end(ap);
        finish_call(&c);
        g_assert_no_error(c.error);
        changes = g_variant_get_child_value(c.reply, 0);
        g_variant_unref(c.reply);
        return changes;
}

static void assert_changes(GVariant *changes, const char *expected) {
        g_autofree char *printed = g_variant_print(changes, FALSE);

        g_assert_cmpstr(printed, ==, expected);
}

static char *device_string(Fixture *f, const char *address, const char *property) {
        g_autofree char *path = harness_device_path(address);
        g_autoptr(GVariant) v = harness_get_property(f->h, path, PASSTHRU_DEVICE_INTERFACE, property);

        return g_variant_dup_string(v, NULL);
}

static void assert_kernel(Fixture *f, const char *address, const char *driver, const char *override) {
        kernel_emulator_assert(f->kernel, address, driver, override);
}

static char *record(Fixture *f, const char *address) {
        g_autofree char *run = g_build_filename(f->dir, "run", NULL);
        g_autofree char *rel = g_build_filename("devices", address, NULL);

        return test_read_file(run, rel);
}

#define SKIP_WITHOUT_DAEMON(f)  \
        do {                    \
                if (!(f)->h)    \
                        return; \
        } while (0)

/* ---- tests ---- */

/* Override, unbind, probe, check; the record first; signals; and back again. */
static void test_bind_unbind(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) bound = NULL, unbound = NULL, signal = NULL;
        g_autofree char *rec = NULL, *original = NULL, *driver = NULL, *state = NULL, *printed = NULL;
        g_autofree char *path = harness_device_path(NVME);
        Call c;

        SKIP_WITHOUT_DAEMON(f);
        bound = call_ok(f, "Bind", NVME, NULL);
        assert_changes(bound, "[('0000:06:00.0', 'nvme', 'vfio-pci')]");
        assert_kernel(f, NVME, "vfio-pci", "vfio-pci");
        rec = record(f, NVME);
        g_assert_cmpstr(rec, ==, "driver=nvme\noverride=\n");

        /* Asked as the caller, by unique name, for the right action, not interactively. */
        g_assert_cmpuint(f->polkit.calls, ==, 1);
        g_assert_cmpstr(f->polkit.subject_kind, ==, "system-bus-name");
        g_assert_cmpstr(f->polkit.subject_name, ==,
                        g_dbus_connection_get_unique_name(harness_connection(f->h)));
        g_assert_cmpstr(f->polkit.action, ==, MANAGE_DEVICES);
        g_assert_cmpuint(f->polkit.flags, ==, 0);

        /* The kernel's unbind event may be seen first: nvme -> none -> vfio-pci. */
        signal = harness_wait_signal(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                     "DriverChanged");
        printed = g_variant_print(signal, FALSE);
        if (g_str_equal(printed, "('0000:06:00.0', 'nvme', '')")) {
                g_clear_pointer(&printed, g_free);
                g_clear_pointer(&signal, g_variant_unref);
                signal = harness_wait_signal(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                             "DriverChanged");
                printed = g_variant_print(signal, FALSE);
                g_assert_cmpstr(printed, ==, "('0000:06:00.0', '', 'vfio-pci')");
        } else
                g_assert_cmpstr(printed, ==, "('0000:06:00.0', 'nvme', 'vfio-pci')");
        driver = device_string(f, NVME, "Driver");
        state = device_string(f, NVME, "State");
        original = device_string(f, NVME, "OriginalDriver");
        g_assert_cmpstr(driver, ==, "vfio-pci");
        g_assert_cmpstr(state, ==, "vfio");
        g_assert_cmpstr(original, ==, "nvme");

        /* Binding what is bound changes nothing. */
        g_clear_pointer(&bound, g_variant_unref);
        bound = call_ok(f, "Bind", NVME, NULL);
        assert_changes(bound, "[]");

        /* Back, through the device object this time. */
        start_call_on(f, &c, G_DBUS_CALL_FLAGS_NONE, path, PASSTHRU_DEVICE_INTERFACE, "Unbind",
                      g_variant_new_parsed("(@a{sv} {},)"));
        finish_call(&c);
        g_assert_no_error(c.error);
        unbound = g_variant_get_child_value(c.reply, 0);
        g_variant_unref(c.reply);
        assert_changes(unbound, "[('0000:06:00.0', 'vfio-pci', 'nvme')]");
        assert_kernel(f, NVME, "nvme", NULL);
        g_clear_pointer(&rec, g_free);
        rec = record(f, NVME);
        g_assert_null(rec);
}

static void test_group_not_viable(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) changes = NULL;

        SKIP_WITHOUT_DAEMON(f);
        changes = call(f, "Bind", GPU_AUDIO, &error, NULL);
        harness_assert_dbus_error(error, PASSTHRU_ERROR_GROUP_NOT_VIABLE, "0000:01:00.0 (nouveau)");
        assert_kernel(f, GPU_AUDIO, "snd_hda_intel", NULL);
        g_assert_null(record(f, GPU_AUDIO));
}

static void test_group(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) bound = NULL, unbound = NULL;

        SKIP_WITHOUT_DAEMON(f);
        bound = call_ok(f, "Bind", GPU_AUDIO, "group", g_variant_new_boolean(TRUE), NULL);
        assert_changes(
                bound,
                "[('0000:01:00.0', 'nouveau', 'vfio-pci'), ('0000:01:00.1', 'snd_hda_intel', 'vfio-pci')]");
        assert_kernel(f, GPU, "vfio-pci", "vfio-pci");
        assert_kernel(f, GPU_AUDIO, "vfio-pci", "vfio-pci");
        /* The bridge of the group stays where it was. */
        assert_kernel(f, "0000:00:01.0", "pcieport", NULL);

        unbound = call_ok(f, "Unbind", GPU, "group", g_variant_new_boolean(TRUE), NULL);
        assert_changes(
                unbound,
                "[('0000:01:00.0', 'vfio-pci', 'nouveau'), ('0000:01:00.1', 'vfio-pci', 'snd_hda_intel')]");
        assert_kernel(f, GPU, "nouveau", NULL);
        assert_kernel(f, GPU_AUDIO, "snd_hda_intel", NULL);
}

/* vfio-pci's probe fails on the second device: both go back, and the error says where. */
static void test_rollback(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) changes = NULL;
        g_autofree char *state = NULL;

        SKIP_WITHOUT_DAEMON(f);
        kernel_emulator_refuse(f->kernel, "vfio-pci", GPU_AUDIO);
        changes = call(f, "Bind", GPU, &error, "group", g_variant_new_boolean(TRUE), NULL);
        harness_assert_dbus_error(error, PASSTHRU_ERROR_FAILED,
                                  "0000:01:00.1 failed while verifying the bound driver");
        g_assert_nonnull(strstr(error->message, "no driver had taken it"));
        g_assert_nonnull(strstr(error->message, "given back"));
        assert_kernel(f, GPU, "nouveau", NULL);
        assert_kernel(f, GPU_AUDIO, "snd_hda_intel", NULL);
        state = device_string(f, GPU, "State");
        g_assert_cmpstr(state, ==, "host");
        /* Back where they were: nothing is left recorded. */
        g_assert_null(record(f, GPU));
        g_assert_null(record(f, GPU_AUDIO));
}

/* Test builds: PASSTHRU_FAULT_WRITE makes the daemon's Nth sysfs write fail. */
static void test_fault_point(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) changes = NULL;

        SKIP_WITHOUT_DAEMON(f);
        if (!PASSTHRU_FAULT_POINTS) {
                g_test_skip("built without -Dtest_fault_points=true");
                return;
        }
        /* Writes: GPU override, unbind, probe; audio override, unbind (the 5th) fails. */
        changes = call(f, "Bind", GPU, &error, "group", g_variant_new_boolean(TRUE), NULL);
        harness_assert_dbus_error(error, PASSTHRU_ERROR_FAILED,
                                  "0000:01:00.1 failed while unbinding from its driver");
        g_assert_nonnull(strstr(error->message, "Input/output error"));
        assert_kernel(f, GPU, "nouveau", NULL);
        assert_kernel(f, GPU_AUDIO, "snd_hda_intel", NULL);
}

static void test_dry_run(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) plan = NULL, unplan = NULL;

        SKIP_WITHOUT_DAEMON(f);
        plan = call_ok(f, "Bind", GPU_AUDIO, "group", g_variant_new_boolean(TRUE), "dry-run",
                       g_variant_new_boolean(TRUE), NULL);
        assert_changes(
                plan,
                "[('0000:01:00.0', 'nouveau', 'vfio-pci'), ('0000:01:00.1', 'snd_hda_intel', 'vfio-pci')]");
        assert_kernel(f, GPU, "nouveau", NULL);
        assert_kernel(f, GPU_AUDIO, "snd_hda_intel", NULL);
        g_assert_null(record(f, GPU));
        g_assert_cmpuint(f->polkit.calls, ==, 0);
        g_assert_cmpuint(harness_pending_signals(f->h), ==, 0);

        unplan = call_ok(f, "Unbind", "0000:03:10.4", "dry-run", g_variant_new_boolean(TRUE), NULL);
        assert_changes(unplan, "[('0000:03:10.4', 'vfio-pci', 'igbvf')]");
        assert_kernel(f, "0000:03:10.4", "vfio-pci", NULL);
}

static gboolean set_flag(gpointer data) {
        *(bool *) data = true;
        return G_SOURCE_REMOVE;
}

static gboolean flag_set(gpointer data) {
        return *(bool *) data;
}

/* Keeps the main context running (the mock polkit, the emulator) for a second. */
static void wait_a_second(void) {
        bool done = false;

        g_timeout_add_seconds(1, set_flag, &done);
        harness_wait_until(flag_set, &done, "a second");
}

static gboolean blockers_mention_drm(gpointer data) {
        Fixture *f = data;
        g_autofree char *path = harness_device_path(E1000);
        g_autoptr(GVariant) blockers =
                harness_get_property(f->h, path, PASSTHRU_DEVICE_INTERFACE, "Blockers");
        g_autofree char *printed = g_variant_print(blockers, FALSE);

        return strstr(printed, "DRM") != NULL;
}

static void wait_blockers_drm(Fixture *f) {
        while (!blockers_mention_drm(f))
                wait_a_second();
}

/* A handle opened while nobody calls is seen by the periodic look (every 10 s, in a thread
 * off the loop): Blockers changes by itself, and the daemon answers meanwhile. */
static void test_host_use_timer(Fixture *f, gconstpointer data) {
        g_autofree char *proc = g_build_filename(f->dir, "proc", NULL);

        SKIP_WITHOUT_DAEMON(f);
        g_assert_false(blockers_mention_drm(f));
        test_symlink_in(proc, "4244/fd/9", "/dev/dri/card3");
        testbed_device_link(f->tb, "class/drm/card3", E1000, "drm/card3");
        wait_blockers_drm(f);
}

static void test_protected(Fixture *f, gconstpointer data) {
        g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL, e6 = NULL, e7 = NULL;
        g_autoptr(GVariant) forced = NULL, blockers = NULL, assignable = NULL;
        g_autofree char *path = harness_device_path(NVME);
        g_autofree char *printed = NULL, *proc = NULL, *e1000_path = NULL;

        SKIP_WITHOUT_DAEMON(f);
        /* The disk under /: never, not even forced. */
        (void) call(f, "Bind", NVME, &e1, "force", g_variant_new_boolean(TRUE), NULL);
        harness_assert_dbus_error(e1, PASSTHRU_ERROR_PROTECTED_DEVICE, "the root filesystem");
        blockers = harness_get_property(f->h, path, PASSTHRU_DEVICE_INTERFACE, "Blockers");
        printed = g_variant_print(blockers, FALSE);
        g_assert_nonnull(strstr(printed, "the root filesystem"));
        assignable = harness_get_property(f->h, path, PASSTHRU_DEVICE_INTERFACE, "Assignable");
        g_assert_false(g_variant_get_boolean(assignable));

        (void) call(f, "Bind", PCI_BRIDGE, &e2, "force", g_variant_new_boolean(TRUE), NULL);
        harness_assert_dbus_error(e2, PASSTHRU_ERROR_PROTECTED_DEVICE, "bridge");
        (void) call(f, "Bind", PF, &e3, "force", g_variant_new_boolean(TRUE), NULL);
        harness_assert_dbus_error(e3, PASSTHRU_ERROR_PROTECTED_DEVICE, "SR-IOV");
        (void) call(f, "Bind", ASPEED, &e4, "group", g_variant_new_boolean(TRUE), NULL);
        harness_assert_dbus_error(e4, PASSTHRU_ERROR_DEVICE_IN_USE, "DRM");
        (void) call(f, "Bind", VF0, &e5, NULL);
        harness_assert_dbus_error(e5, PASSTHRU_ERROR_PROTECTED_DEVICE, "default route");
        g_assert_nonnull(strstr(e5->message, "force"));
        assert_kernel(f, VF0, "igbvf", NULL);

        /* Giving back what a VM holds open would block in the kernel: refused. */
        (void) call(f, "Unbind", "0000:03:10.4", &e6, NULL);
        harness_assert_dbus_error(e6, PASSTHRU_ERROR_DEVICE_IN_USE, "/dev/vfio/5");
        g_assert_nonnull(strstr(e6->message, "qemu-system-x86 (pid 4243)"));
        assert_kernel(f, "0000:03:10.4", "vfio-pci", NULL);

        /* A handle opened after the daemon started is seen at the next Bind, and in Blockers. */
        proc = g_build_filename(f->dir, "proc", NULL);
        test_symlink_in(proc, "4244/fd/9", "/dev/dri/card3");
        testbed_device_link(f->tb, "class/drm/card3", E1000, "drm/card3");
        (void) call(f, "Bind", E1000, &e7, NULL);
        harness_assert_dbus_error(e7, PASSTHRU_ERROR_DEVICE_IN_USE, "DRM");
        e1000_path = harness_device_path(E1000);
        g_clear_pointer(&blockers, g_variant_unref);
        g_clear_pointer(&printed, g_free);
        blockers = harness_get_property(f->h, e1000_path, PASSTHRU_DEVICE_INTERFACE, "Blockers");
        printed = g_variant_print(blockers, FALSE);
        g_assert_nonnull(strstr(printed, "DRM"));

        /* Forcing makes sense for the network interface: the administrator may be local. */
        forced = call_ok(f, "Bind", VF0, "force", g_variant_new_boolean(TRUE), NULL);
        assert_changes(forced, "[('0000:03:10.0', 'igbvf', 'vfio-pci')]");
        assert_kernel(f, VF0, "vfio-pci", "vfio-pci");
        g_assert_cmpuint(f->polkit.calls, >=, 1);
}

static void test_boot_vga_console(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) forced = NULL;

        SKIP_WITHOUT_DAEMON(f);
        (void) call(f, "Bind", GPU, &error, "group", g_variant_new_boolean(TRUE), NULL);
        harness_assert_dbus_error(error, PASSTHRU_ERROR_PROTECTED_DEVICE, "boot VGA");
        assert_kernel(f, GPU, "nouveau", NULL);
        forced = call_ok(f, "Bind", GPU, "group", g_variant_new_boolean(TRUE), "force",
                         g_variant_new_boolean(TRUE), NULL);
        assert_kernel(f, GPU, "vfio-pci", "vfio-pci");
        assert_kernel(f, GPU_AUDIO, "vfio-pci", "vfio-pci");
}

static void test_module_missing(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        SKIP_WITHOUT_DAEMON(f);
        /* The testbed's VF on vfio-pci means vfio-pci is loaded; the IOMMU backend is not. */
        (void) call(f, "Bind", NVME, &error, NULL);
        harness_assert_dbus_error(error, PASSTHRU_ERROR_FAILED, "vfio_iommu_type1 is not installed");
        assert_kernel(f, NVME, "nvme", NULL);
}

/* 100 Binds at once on one device: one does it, the others are told Busy or find it done. */
/* 100 Binds of one device at once from one client: one changes it, the others find it busy
 * or done, or are turned away while more than the per-client number wait for polkit. */
static void test_concurrent(Fixture *f, gconstpointer data) {
        Call calls[100];
        unsigned changed = 0, busy = 0, done = 0, limited = 0;

        SKIP_WITHOUT_DAEMON(f);
        for (size_t i = 0; i < G_N_ELEMENTS(calls); i++)
                start_call(f, &calls[i], G_DBUS_CALL_FLAGS_NONE, "Bind", NVME,
                           g_variant_new_parsed("@a{sv} {}"));
        for (size_t i = 0; i < G_N_ELEMENTS(calls); i++) {
                finish_call(&calls[i]);
                if (calls[i].error) {
                        g_autofree char *remote = g_dbus_error_get_remote_error(calls[i].error);

                        if (g_strcmp0(remote, PASSTHRU_ERROR_LIMIT_EXCEEDED) == 0) {
                                harness_assert_dbus_error(calls[i].error, PASSTHRU_ERROR_LIMIT_EXCEEDED,
                                                          "per user");
                                limited++;
                        } else {
                                harness_assert_dbus_error(calls[i].error, PASSTHRU_ERROR_BUSY,
                                                          "IOMMU group 9");
                                busy++;
                        }
                        g_error_free(calls[i].error);
                        continue;
                }
                g_autoptr(GVariant) changes = g_variant_get_child_value(calls[i].reply, 0);
                if (g_variant_n_children(changes) > 0)
                        changed++;
                else
                        done++;
                g_variant_unref(calls[i].reply);
        }
        g_test_message("%u changed, %u busy, %u already done, %u over the limit", changed, busy, done,
                       limited);
        g_assert_cmpuint(changed, ==, 1);
        g_assert_cmpuint(changed + busy + done + limited, ==, 100);
        /* The mock polkit answers at once, yet 100 calls arrive before the first answer. */
        g_assert_cmpuint(limited, >, 0);
        assert_kernel(f, NVME, "vfio-pci", "vfio-pci");
}

static gboolean state_is(gpointer data) {
        void **args = data;
        Fixture *f = args[0];
        g_autofree char *state = device_string(f, args[1], "State");

        return g_str_equal(state, args[2]);
}

static void wait_state(Fixture *f, const char *address, const char *state) {
        void *args[] = { f, (void *) address, (void *) state };

        harness_wait_until(state_is, args, state);
}

/* An unbind that never returns: the daemon answers meanwhile, times out, marks the device
 * stuck, refuses further work on it, and catches up when the kernel returns. */
static void test_hang(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL, stuck = NULL;
        g_autoptr(GVariant) rows = NULL;
        g_autofree char *state = NULL;
        Call c;

        SKIP_WITHOUT_DAEMON(f);
        kernel_emulator_block_unbind(f->kernel, "nvme");
        start_call(f, &c, G_DBUS_CALL_FLAGS_NONE, "Bind", NVME, g_variant_new_parsed("@a{sv} {}"));
        wait_state(f, NVME, "busy");
        /* The loop is free: a read is answered while the worker hangs. */
        rows = harness_call(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "ListDevices", NULL,
                            NULL, &error);
        g_assert_no_error(error);
        g_assert_false(c.done);

        finish_call(&c);
        harness_assert_dbus_error(c.error, PASSTHRU_ERROR_TIMEOUT, "unbinding from its driver");
        g_clear_error(&c.error);
        state = device_string(f, NVME, "State");
        g_assert_cmpstr(state, ==, "stuck");
        (void) call(f, "Unbind", NVME, &stuck, NULL);
        harness_assert_dbus_error(stuck, PASSTHRU_ERROR_STUCK, "0000:06:00.0 is stuck");

        /* The kernel returns: the worker finishes its steps, the device is free again. */
        kernel_emulator_release(f->kernel);
        wait_state(f, NVME, "vfio");
        assert_kernel(f, NVME, "vfio-pci", "vfio-pci");
}

/* Groups are independent: while NVMe's unbind hangs, VF0's operation in another group
 * runs, fails (vfio-pci's probe refuses it) and rolls back, and is answered first. */
static void test_independent_groups(Fixture *f, gconstpointer data) {
        Call vf, nvme;

        SKIP_WITHOUT_DAEMON(f);
        kernel_emulator_refuse(f->kernel, "vfio-pci", VF0);
        kernel_emulator_block_unbind(f->kernel, "nvme");
        start_call(f, &vf, G_DBUS_CALL_FLAGS_NONE, "Bind", VF0, g_variant_new_parsed("@a{sv} {}"));
        wait_state(f, VF0, "busy");
        start_call(f, &nvme, G_DBUS_CALL_FLAGS_NONE, "Bind", NVME, g_variant_new_parsed("@a{sv} {}"));
        wait_state(f, NVME, "busy");

        finish_call(&vf);
        harness_assert_dbus_error(vf.error, PASSTHRU_ERROR_FAILED, "given back");
        g_clear_error(&vf.error);
        assert_kernel(f, VF0, "igbvf", NULL);
        g_assert_false(nvme.done);

        finish_call(&nvme);
        harness_assert_dbus_error(nvme.error, PASSTHRU_ERROR_TIMEOUT, NVME);
        g_clear_error(&nvme.error);
        kernel_emulator_release(f->kernel);
        wait_state(f, NVME, "vfio");
}

static void test_polkit_refused(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        SKIP_WITHOUT_DAEMON(f);
        (void) call(f, "Bind", NVME, &error, NULL);
        harness_assert_dbus_error(error, PASSTHRU_ERROR_NOT_AUTHORIZED, MANAGE_DEVICES);
        assert_kernel(f, NVME, "nvme", NULL);
        g_assert_null(record(f, NVME));
        g_assert_cmpuint(f->polkit.calls, ==, f->config->polkit == POLKIT_ABSENT ? 0 : 1);
}

/* The daemon's default rule, with a polkit that denies everything: a caller running as root
 * is let through without a question (polkitd would say yes to root anyway); any other
 * caller is asked, and refused. */
static void test_polkit_root_rule(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) bound = NULL, back = NULL;
        g_autoptr(GError) error = NULL;

        SKIP_WITHOUT_DAEMON(f);
        if (getuid() != 0) {
                /* This process is the unprivileged caller: asked, and refused. */
                (void) call(f, "Bind", NVME, &error, NULL);
                harness_assert_dbus_error(error, PASSTHRU_ERROR_NOT_AUTHORIZED, MANAGE_DEVICES);
                g_assert_cmpuint(f->polkit.calls, ==, 1);
                g_test_skip("not root: the root half of the rule needs a root caller");
                return;
        }
        bound = call_ok(f, "Bind", NVME, NULL);
        assert_kernel(f, NVME, "vfio-pci", "vfio-pci");
        back = call_ok(f, "Unbind", NVME, NULL);
        assert_kernel(f, NVME, "nvme", NULL);
        g_assert_cmpuint(f->polkit.calls, ==, 0);
}

/* The other half, seen from root: passthructl run as nobody is asked about, and refused. */
static void test_polkit_root_rule_nobody(Fixture *f, gconstpointer data) {
        const char *argv[] = { "setpriv",
                               "--reuid=65534",
                               "--regid=65534",
                               "--clear-groups",
                               harness_client_path(),
                               "bind",
                               NVME,
                               NULL };
        g_autofree char *bus_dir = NULL, *setpriv = g_find_program_in_path("setpriv");
        g_auto(HarnessRun) r = {};

        SKIP_WITHOUT_DAEMON(f);
        if (getuid() != 0 || !setpriv) {
                g_test_skip(getuid() != 0 ? "not root: cannot run a caller as another user"
                                          : "setpriv (util-linux) is not installed");
                return;
        }
        /* nobody must reach the bus socket in the harness's private directory. */
        bus_dir = g_path_get_dirname(harness_bus_address(f->h) + strlen("unix:path="));
        g_assert_no_errno(g_chmod(bus_dir, 0711));
        r = harness_run(f->h, argv);
        g_assert_cmpint(r.status, !=, 0);
        g_assert_nonnull(strstr(r.err, MANAGE_DEVICES));
        g_assert_cmpuint(f->polkit.calls, ==, 1);
        assert_kernel(f, NVME, "nvme", NULL);
}

/* The caller allows interaction: polkit hears it. Meanwhile someone else binds the device;
 * when the answer comes, the daemon looks again and finds it done. */
static void test_polkit_recheck(Fixture *f, gconstpointer data) {
        g_autofree char *override = NULL, *unbind = NULL, *probe = NULL;
        g_autoptr(GVariant) changes = NULL;
        Call c;

        SKIP_WITHOUT_DAEMON(f);
        start_call(f, &c, G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, "Bind", NVME,
                   g_variant_new_parsed("@a{sv} {}"));
        while (!f->polkit.held)
                g_main_context_iteration(NULL, TRUE);
        g_assert_cmpuint(f->polkit.flags, ==, 1);

        override = g_build_filename(testbed_sys_dir(f->tb), testbed_devpath(f->tb, NVME), "driver_override",
                                    NULL);
        unbind = g_build_filename(testbed_sys_dir(f->tb), "bus/pci/drivers/nvme/unbind", NULL);
        probe = g_build_filename(testbed_sys_dir(f->tb), "bus/pci/drivers_probe", NULL);
        g_assert_true(g_file_set_contents(override, "vfio-pci\n", -1, NULL));
        g_assert_true(g_file_set_contents(unbind, NVME "\n", -1, NULL));
        g_assert_true(g_file_set_contents(probe, NVME "\n", -1, NULL));
        g_variant_unref(harness_wait_signal(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                            "DriverChanged"));

        mock_polkit_answer(&f->polkit, POLKIT_ALLOW);
        finish_call(&c);
        g_assert_no_error(c.error);
        changes = g_variant_get_child_value(c.reply, 0);
        g_variant_unref(c.reply);
        assert_changes(changes, "[]");
}

/* A caller that leaves while polkit decides takes its question with it: the answer that
 * comes afterwards starts nothing, and nothing is left behind (valgrind checks the daemon). */
static void test_polkit_caller_gone(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusConnection) other = NULL;
        g_autoptr(GVariant) plan = NULL;
        g_autoptr(GError) error = NULL;
        Call c;

        SKIP_WITHOUT_DAEMON(f);
        other = g_dbus_connection_new_for_address_sync(
                harness_bus_address(f->h),
                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);
        g_assert_no_error(error);
        harness_call_start_on(
                other, &c, G_DBUS_CALL_FLAGS_NONE, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "Bind",
                g_variant_new("(s@a{sv})", NVME, g_variant_new_parsed("@a{sv} {}")), "(a(sss))");
        while (!f->polkit.held)
                g_main_context_iteration(NULL, TRUE);
        g_dbus_connection_close_sync(other, NULL, &error);
        g_assert_no_error(error);

        /* Give the daemon time to hear that the caller left, then let polkit say yes. */
        wait_a_second();
        f->polkit.mode = POLKIT_ALLOW;
        mock_polkit_answer(&f->polkit, POLKIT_ALLOW);
        plan = call_ok(f, "Bind", NVME, "dry-run", g_variant_new_boolean(TRUE), NULL);
        wait_a_second();
        assert_kernel(f, NVME, "nvme", NULL);
        g_assert_null(record(f, NVME));
        g_clear_error(&c.error);
        g_clear_pointer(&c.reply, g_variant_unref);
}

static GDBusConnection *new_connection(Fixture *f) {
        g_autoptr(GError) error = NULL;
        GDBusConnection *c = g_dbus_connection_new_for_address_sync(
                harness_bus_address(f->h),
                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);

        g_assert_no_error(error);
        return c;
}

static void start_bind_on(GDBusConnection *connection, Call *c, const char *address) {
        harness_call_start_on(
                connection, c, G_DBUS_CALL_FLAGS_NONE, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                "Bind", g_variant_new("(s@a{sv})", address, g_variant_new_parsed("@a{sv} {}")), "(a(sss))");
}

static gboolean call_done_or_held(gpointer data) {
        void **args = data;
        Call *c = args[0];
        MockPolkit *p = args[1];

        return c->done || p->held_all->len > GPOINTER_TO_UINT(args[2]);
}

/* One user's questions waiting for polkit are capped however many connections it opens:
 * once two connections hold the user's share, a third connection of the same user is turned
 * away at once (its question never reaches polkit), so the daemon never awaits as many
 * polkitd replies as the bus allows it. Once polkit answers, the user is asked again. */
static void test_polkit_per_user(Fixture *f, gconstpointer data) {
        GDBusConnection *connections[3];
        Call held[8], over, later;
        void *args[] = { &over, &f->polkit, GUINT_TO_POINTER(G_N_ELEMENTS(held)) };

        SKIP_WITHOUT_DAEMON(f);
        for (size_t i = 0; i < G_N_ELEMENTS(connections); i++)
                connections[i] = new_connection(f);
        for (size_t i = 0; i < G_N_ELEMENTS(held); i++)
                harness_call_start_on(connections[i % 2], &held[i], G_DBUS_CALL_FLAGS_NONE,
                                      PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "Bind",
                                      g_variant_new("(s@a{sv})", NVME, g_variant_new_parsed("@a{sv} {}")),
                                      "(a(sss))");
        while (f->polkit.held_all->len < G_N_ELEMENTS(held))
                g_main_context_iteration(NULL, TRUE);

        harness_call_start_on(connections[2], &over, G_DBUS_CALL_FLAGS_NONE, PASSTHRU_MANAGER_PATH,
                              PASSTHRU_MANAGER_INTERFACE, "Persist", g_variant_new("(sb)", NVME, TRUE),
                              NULL);
        harness_wait_until(call_done_or_held, args, "Persist refused or held");
        g_assert_cmpuint(f->polkit.held_all->len, ==, G_N_ELEMENTS(held));
        harness_assert_dbus_error(over.error, PASSTHRU_ERROR_LIMIT_EXCEEDED, "per user");
        g_clear_error(&over.error);

        mock_polkit_answer_all(&f->polkit, POLKIT_DENY);
        for (size_t i = 0; i < G_N_ELEMENTS(held); i++) {
                harness_call_finish(&held[i], "a held Bind");
                harness_assert_dbus_error(held[i].error, PASSTHRU_ERROR_NOT_AUTHORIZED, NULL);
                g_clear_error(&held[i].error);
        }
        harness_call_start_on(connections[2], &later, G_DBUS_CALL_FLAGS_NONE, PASSTHRU_MANAGER_PATH,
                              PASSTHRU_MANAGER_INTERFACE, "Bind",
                              g_variant_new("(s@a{sv})", NVME, g_variant_new_parsed("@a{sv} {}")),
                              "(a(sss))");
        while (f->polkit.held_all->len < 1)
                g_main_context_iteration(NULL, TRUE);
        mock_polkit_answer_all(&f->polkit, POLKIT_DENY);
        harness_call_finish(&later, "a Bind asked again");
        harness_assert_dbus_error(later.error, PASSTHRU_ERROR_NOT_AUTHORIZED, NULL);
        g_clear_error(&later.error);
        for (size_t i = 0; i < G_N_ELEMENTS(connections); i++)
                g_object_unref(connections[i]);
}

/* One user's driver changes under way are capped however many connections it opens (each
 * runs a worker child): while two connections hold the user's eight, a third connection of
 * the same user is turned away at once and nothing of its device moves. When they have been
 * answered (here: they time out, their unbinds hang), the user may change drivers again. */
static void test_bind_calls_per_user(Fixture *f, gconstpointer data) {
        GDBusConnection *connections[3];
        Call held[8], over, later;
        const char *ninth = testbed_spare_nics[G_N_ELEMENTS(held)].address;

        SKIP_WITHOUT_DAEMON(f);
        g_assert_cmpuint(testbed_spare_nics_len, >, G_N_ELEMENTS(held));
        for (size_t i = 0; i < G_N_ELEMENTS(connections); i++)
                connections[i] = new_connection(f);
        kernel_emulator_block_unbind(f->kernel, "e1000e");
        for (size_t i = 0; i < G_N_ELEMENTS(held); i++)
                start_bind_on(connections[i % 2], &held[i], testbed_spare_nics[i].address);
        for (size_t i = 0; i < G_N_ELEMENTS(held); i++)
                wait_state(f, testbed_spare_nics[i].address, "busy");

        start_bind_on(connections[2], &over, ninth);
        finish_call(&over);
        harness_assert_dbus_error(over.error, PASSTHRU_ERROR_LIMIT_EXCEEDED, "per user");
        g_clear_error(&over.error);
        assert_kernel(f, ninth, "e1000e", NULL);

        for (size_t i = 0; i < G_N_ELEMENTS(held); i++) {
                finish_call(&held[i]);
                harness_assert_dbus_error(held[i].error, PASSTHRU_ERROR_TIMEOUT,
                                          "unbinding from its driver");
                g_clear_error(&held[i].error);
        }
        start_bind_on(connections[2], &later, NVME);
        finish_call(&later);
        g_assert_no_error(later.error);
        g_variant_unref(later.reply);
        assert_kernel(f, NVME, "vfio-pci", "vfio-pci");
        for (size_t i = 0; i < G_N_ELEMENTS(connections); i++)
                g_object_unref(connections[i]);
}

/* Another tool writes sysfs: listeners hear DriverChanged and PropertiesChanged anyway. */
static void test_external_change(Fixture *f, gconstpointer data) {
        g_autofree char *unbind =
                g_build_filename(testbed_sys_dir(f->tb), "bus/pci/drivers/igbvf/unbind", NULL);
        g_autofree char *path = harness_device_path(VF0);
        g_autoptr(GVariant) signal = NULL, props = NULL;
        g_autofree char *printed = NULL;

        SKIP_WITHOUT_DAEMON(f);
        g_assert_true(g_file_set_contents(unbind, VF0 "\n", -1, NULL));
        signal = harness_wait_signal(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                     "DriverChanged");
        printed = g_variant_print(signal, FALSE);
        g_assert_cmpstr(printed, ==, "('0000:03:10.0', 'igbvf', '')");
        g_clear_pointer(&printed, g_free);
        props = harness_wait_signal(f->h, path, "org.freedesktop.DBus.Properties", "PropertiesChanged");
        printed = g_variant_print(props, FALSE);
        g_assert_nonnull(strstr(printed, "'Driver'"));
        g_assert_nonnull(strstr(printed, "'State'"));
}

/* A restarted daemon still knows where a device came from. */
static void test_restart(Fixture *f, gconstpointer data) {
        g_autofree char *runtime_arg = NULL, *proc_arg = NULL, *original = NULL;
        g_autoptr(GVariant) bound = NULL, unbound = NULL;

        SKIP_WITHOUT_DAEMON(f);
        bound = call_ok(f, "Bind", VF0, NULL);
        mock_polkit_stop(&f->polkit, harness_connection(f->h));
        memset(&f->polkit, 0, sizeof(f->polkit));
        harness_free(f->h);

        runtime_arg = g_strconcat("--runtime-dir=", f->dir, "/run", NULL);
        proc_arg = g_strconcat("--proc-root=", f->dir, "/proc", NULL);
        const char *args[] = { runtime_arg, proc_arg, NULL };
        f->h = harness_new_with_args(f->tb, args);
        g_assert_nonnull(f->h);
        mock_polkit_start(&f->polkit, harness_connection(f->h), POLKIT_ALLOW);
        original = device_string(f, VF0, "OriginalDriver");
        g_assert_cmpstr(original, ==, "igbvf");
        unbound = call_ok(f, "Unbind", VF0, NULL);
        assert_changes(unbound, "[('0000:03:10.0', 'vfio-pci', 'igbvf')]");
        assert_kernel(f, VF0, "igbvf", NULL);
}

/* Unbind to a named driver; the override does not stay behind. */
static void test_unbind_driver(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) changes = NULL;
        g_autoptr(GError) error = NULL;

        SKIP_WITHOUT_DAEMON(f);
        kernel_emulator_add_driver(f->kernel, "pci-stub");
        changes = call_ok(f, "Unbind", "0000:03:10.4", "driver", g_variant_new_string("pci-stub"), NULL);
        assert_changes(changes, "[('0000:03:10.4', 'vfio-pci', 'pci-stub')]");
        assert_kernel(f, "0000:03:10.4", "pci-stub", NULL);
        (void) call(f, "Unbind", VF0, &error, "driver", g_variant_new_string("../x"), NULL);
        harness_assert_dbus_error(error, PASSTHRU_ERROR_INVALID_ARGUMENT, "driver name");
}

#define CLIENT(f, ...) HARNESS_RUN((f)->h, __VA_ARGS__)

/* ---- the libvirt hook: passthructl libvirt-hook with a domain XML of tests/data/libvirt ---- */

#define HOOK_DOMAIN "gpu-vm"

/* libvirt's call: hooks/qemu.d/passthru DOMAIN OPERATION SUB-OPERATION -, the XML on stdin. */
static HarnessRun run_hook(Fixture *f, const char *bus_option, const char *xml, const char *domain,
                           const char *op, const char *sub_op) {
        g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "libvirt", xml, NULL);

        return harness_run(
                f->h, (const char *const[]){
                              "/bin/sh", "-c", "exec \"$0\" $1 libvirt-hook \"$2\" \"$3\" \"$4\" - < \"$5\"",
                              harness_client_path(), bus_option, domain, op, sub_op, path, NULL });
}

static char *claim(Fixture *f, const char *address) {
        g_autofree char *path = g_build_filename(f->dir, "run", "vms", address, NULL);
        char *contents = NULL;

        g_file_get_contents(path, &contents, NULL, NULL);
        return contents;
}

/* prepare binds the domain's managed='no' PCI hostdevs (the GPU with its audio mate, a VF)
 * for it, leaves managed='yes' alone; release gives back exactly what prepare bound and is
 * not remembered: the VF, on vfio-pci before the VM started, stays there, and so does the
 * audio function, remembered while the domain ran. */
static void test_libvirt_hook(Fixture *f, gconstpointer data) {
        SKIP_WITHOUT_DAEMON(f);
        g_auto(HarnessRun) before = CLIENT(f, "bind", VF0);
        g_assert_cmpint(before.status, ==, 0);

        g_auto(HarnessRun) prepare = run_hook(f, "", "gpu-audio-vf.xml", HOOK_DOMAIN, "prepare", "begin");
        g_assert_cmpint(prepare.status, ==, 0);
        g_assert_cmpstr(prepare.err, ==, "");
        assert_kernel(f, GPU, "vfio-pci", "vfio-pci");
        assert_kernel(f, GPU_AUDIO, "vfio-pci", "vfio-pci");
        assert_kernel(f, VF0, "vfio-pci", "vfio-pci");
        assert_kernel(f, NVME, "nvme", NULL);
        g_autofree char *gpu_claim = claim(f, GPU), *audio_claim = claim(f, GPU_AUDIO),
                        *vf_claim = claim(f, VF0);
        g_assert_cmpstr(gpu_claim, ==, HOOK_DOMAIN);
        g_assert_cmpstr(audio_claim, ==, HOOK_DOMAIN);
        g_assert_null(vf_claim);
        /* On vfio-pci already: it only got its driver_override, and is not the domain's. */
        assert_kernel(f, "0000:03:10.4", "vfio-pci", "vfio-pci");
        g_autofree char *vf4_claim = claim(f, "0000:03:10.4");
        g_assert_null(vf4_claim);

        /* Another domain's release gives back nothing of this one's. */
        g_auto(HarnessRun) other = run_hook(f, "", "gpu-audio-vf.xml", "other-vm", "release", "end");
        g_assert_cmpint(other.status, ==, 0);
        assert_kernel(f, GPU, "vfio-pci", "vfio-pci");

        /* Remembered meanwhile: it stays on vfio-pci when the domain stops. */
        g_auto(HarnessRun) keep = CLIENT(f, "persist", GPU_AUDIO, "on");
        g_assert_cmpint(keep.status, ==, 0);

        g_auto(HarnessRun) release = run_hook(f, "", "gpu-audio-vf.xml", HOOK_DOMAIN, "release", "end");
        g_assert_cmpint(release.status, ==, 0);
        assert_kernel(f, GPU, "nouveau", NULL);
        assert_kernel(f, GPU_AUDIO, "vfio-pci", "vfio-pci");
        assert_kernel(f, VF0, "vfio-pci", "vfio-pci");
        assert_kernel(f, "0000:03:10.4", "vfio-pci", "vfio-pci");
        assert_kernel(f, NVME, "nvme", NULL);
        g_autofree char *gone = claim(f, GPU);
        g_assert_null(gone);
}

/* A protected function refuses the start with the daemon's reason; what the hook bound
 * before it in the same run goes back. */
static void test_libvirt_hook_refused(Fixture *f, gconstpointer data) {
        SKIP_WITHOUT_DAEMON(f);
        g_auto(HarnessRun) r = run_hook(f, "", "protected.xml", "protected-vm", "prepare", "begin");

        g_assert_cmpint(r.status, ==, 1);
        g_assert_nonnull(strstr(r.err, "default route"));
        g_assert_nonnull(strstr(r.err, "Domain 'protected-vm' does not start: 0000:03:10.0 cannot"));
        assert_kernel(f, VF0, "igbvf", NULL);
        assert_kernel(f, GPU, "nouveau", NULL);
        assert_kernel(f, GPU_AUDIO, "snd_hda_intel", NULL);
        g_autofree char *gpu_claim = claim(f, GPU);
        g_assert_null(gpu_claim);
}

/* A domain without managed='no' PCI hostdevs, or an operation other than prepare and
 * release, costs no D-Bus call: it succeeds even with no bus to connect to. */
static void test_libvirt_hook_no_call(Fixture *f, gconstpointer data) {
        const char *nowhere = "--bus-address=unix:path=/nonexistent/bus";

        SKIP_WITHOUT_DAEMON(f);
        g_auto(HarnessRun) plain_vm =
                run_hook(f, nowhere, "no-pci-hostdev.xml", "plain-vm", "prepare", "begin");
        g_assert_cmpint(plain_vm.status, ==, 0);
        g_assert_cmpstr(plain_vm.err, ==, "");
        g_auto(HarnessRun) started =
                run_hook(f, nowhere, "gpu-audio-vf.xml", HOOK_DOMAIN, "started", "begin");
        g_assert_cmpint(started.status, ==, 0);
        /* The same bus with hostdevs to bind: the call is made, and fails. */
        g_auto(HarnessRun) gpu_vm =
                run_hook(f, nowhere, "gpu-audio-vf.xml", HOOK_DOMAIN, "prepare", "begin");
        g_assert_cmpint(gpu_vm.status, ==, 1);
        g_auto(HarnessRun) garbage = harness_run(
                f->h, (const char *const[]){
                              "/bin/sh", "-c",
                              "echo '<domain><devices>' | exec \"$0\" libvirt-hook x prepare begin -",
                              harness_client_path(), NULL });
        g_assert_cmpint(garbage.status, ==, 1);
        g_assert_nonnull(strstr(garbage.err, "not well-formed"));
        assert_kernel(f, GPU, "nouveau", NULL);
}

/* passthructl bind/unbind: what changed, one line a device; errors as one line. */
static void test_client(Fixture *f, gconstpointer data) {
        SKIP_WITHOUT_DAEMON(f);
        if (!harness_client_path()) {
                g_test_skip("$PASSTHRUCTL does not name the built client: run through meson test");
                return;
        }
        g_auto(HarnessRun) plan = CLIENT(f, "bind", "--group", "--dry-run", GPU_AUDIO);
        g_assert_cmpint(plan.status, ==, 0);
        g_assert_cmpstr(plan.out, ==,
                        "would move 0000:01:00.0: nouveau -> vfio-pci\n"
                        "would move 0000:01:00.1: snd_hda_intel -> vfio-pci\n");
        assert_kernel(f, GPU, "nouveau", NULL);

        g_auto(HarnessRun) refused = CLIENT(f, "bind", GPU_AUDIO);
        g_assert_cmpint(refused.status, ==, 1);
        g_assert_cmpstr(refused.out, ==, "");
        g_assert_true(
                g_str_has_prefix(refused.err, "passthructl: IOMMU group 1 of 0000:01:00.1 also holds"));

        g_auto(HarnessRun) bound = CLIENT(f, "bind", NVME);
        g_assert_cmpint(bound.status, ==, 0);
        g_assert_cmpstr(bound.out, ==, "0000:06:00.0: nvme -> vfio-pci\n");
        assert_kernel(f, NVME, "vfio-pci", "vfio-pci");

        g_auto(HarnessRun) again = CLIENT(f, "bind", "06:00.0");
        g_assert_cmpint(again.status, ==, 0);
        g_assert_cmpstr(again.out, ==, "Nothing to change for 06:00.0.\n");

        g_auto(HarnessRun) unbound = CLIENT(f, "--json", "unbind", NVME);
        g_assert_cmpint(unbound.status, ==, 0);
        g_assert_nonnull(strstr(unbound.out, "\"to\": \"nvme\""));
        assert_kernel(f, NVME, "nvme", NULL);

        g_auto(HarnessRun) rebound = CLIENT(f, "bind", NVME);
        g_assert_cmpint(rebound.status, ==, 0);
        g_auto(HarnessRun) back = CLIENT(f, "unbind", NVME);
        g_assert_cmpint(back.status, ==, 0);
        g_assert_cmpstr(back.out, ==, "0000:06:00.0: vfio-pci -> nvme\n");
        assert_kernel(f, NVME, "nvme", NULL);

        g_auto(HarnessRun) misplaced = CLIENT(f, "list", "--force");
        g_assert_cmpint(misplaced.status, ==, 64);
}

/* Unbind's driver option is no way around Bind's protections: vfio-pci is refused outright,
 * and taking a protected device from its host driver to another is refused as binding it
 * would be. Nothing moves, nothing is recorded. */
static void test_unbind_driver_bypass(Fixture *f, gconstpointer data) {
        static const char *const protected[] = { NVME, PCI_BRIDGE, PF, VF0 };
        g_autoptr(GVariant) moved = NULL, back = NULL;
        g_autofree char *rec = NULL;

        SKIP_WITHOUT_DAEMON(f);
        kernel_emulator_add_driver(f->kernel, "pci-stub");
        for (size_t i = 0; i < G_N_ELEMENTS(protected); i++) {
                g_autoptr(GError) to_vfio = NULL, to_stub = NULL;
                g_autofree char *before = kernel_emulator_driver(f->kernel, protected[i]);

                (void) call(f, "Unbind", protected[i], &to_vfio, "driver", g_variant_new_string("vfio-pci"),
                            NULL);
                harness_assert_dbus_error(to_vfio, PASSTHRU_ERROR_INVALID_ARGUMENT, "use Bind");
                (void) call(f, "Unbind", protected[i], &to_stub, "driver", g_variant_new_string("pci-stub"),
                            NULL);
                harness_assert_dbus_error(to_stub, PASSTHRU_ERROR_PROTECTED_DEVICE, NULL);
                assert_kernel(f, protected[i], before, NULL);
                g_assert_null(record(f, protected[i]));
        }
        /* One function of a shared group: the group stays whole on the host. */
        {
                g_autoptr(GError) half = NULL;

                (void) call(f, "Unbind", GPU_AUDIO, &half, "driver", g_variant_new_string("vfio-pci"), NULL);
                harness_assert_dbus_error(half, PASSTHRU_ERROR_INVALID_ARGUMENT, NULL);
                assert_kernel(f, GPU_AUDIO, "snd_hda_intel", NULL);
        }
        /* A module nobody offers for the device is neither loaded nor used. */
        {
                g_autoptr(GError) unknown = NULL;

                (void) call(f, "Unbind", E1000, &unknown, "driver", g_variant_new_string("evil"), NULL);
                harness_assert_dbus_error(unknown, PASSTHRU_ERROR_INVALID_ARGUMENT, "it offers: e1000");
                assert_kernel(f, E1000, "e1000", NULL);
        }
        /* An unprotected device may change host drivers; its original is recorded, and a plain
         * Unbind gives it back there. */
        moved = call_ok(f, "Unbind", E1000, "driver", g_variant_new_string("pci-stub"), NULL);
        assert_changes(moved, "[('0000:07:00.0', 'e1000', 'pci-stub')]");
        rec = record(f, E1000);
        g_assert_cmpstr(rec, ==, "driver=e1000\noverride=\n");
        kernel_emulator_add_driver(f->kernel, "e1000");
        back = call_ok(f, "Unbind", E1000, NULL);
        assert_changes(back, "[('0000:07:00.0', 'pci-stub', 'e1000')]");
        assert_kernel(f, E1000, "e1000", NULL);
}

/* Every way in — Bind and Unbind, on the Manager and on the device object, with every
 * option — leaves each device the host cannot lose where it is. */
static void test_every_path_gated(Fixture *f, gconstpointer data) {
        static const char *const protected[] = { NVME, PCI_BRIDGE, PF };
        static const char *const methods[] = { "Bind", "Unbind" };
        static const struct {
                const char *name;
                bool group, force;
                const char *driver;
        } options[] = {
                { "none" },
                { "group", .group = true },
                { "force", .force = true },
                { "group+force", .group = true, .force = true },
                { "driver=pci-stub", .driver = "pci-stub" },
                { "driver=vfio-pci", .driver = "vfio-pci" },
                { "driver=vfio_pci", .driver = "vfio_pci" },
                { "group+driver=pci-stub", .group = true, .driver = "pci-stub" },
        };
        unsigned refused = 0;

        SKIP_WITHOUT_DAEMON(f);
        kernel_emulator_add_driver(f->kernel, "pci-stub");
        for (size_t d = 0; d < G_N_ELEMENTS(protected); d++) {
                g_autofree char *driver = kernel_emulator_driver(f->kernel, protected[d]);
                g_autofree char *path = harness_device_path(protected[d]);

                for (size_t m = 0; m < G_N_ELEMENTS(methods); m++)
                        for (size_t o = 0; o < G_N_ELEMENTS(options); o++)
                                for (int on_device = 0; on_device <= 1; on_device++) {
                                        GVariantBuilder b;
                                        Call c;

                                        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
                                        if (options[o].group)
                                                g_variant_builder_add(&b, "{sv}", "group",
                                                                      g_variant_new_boolean(TRUE));
                                        if (options[o].force)
                                                g_variant_builder_add(&b, "{sv}", "force",
                                                                      g_variant_new_boolean(TRUE));
                                        if (options[o].driver)
                                                g_variant_builder_add(
                                                        &b, "{sv}", "driver",
                                                        g_variant_new_string(options[o].driver));
                                        if (on_device)
                                                start_call_on(f, &c, G_DBUS_CALL_FLAGS_NONE, path,
                                                              PASSTHRU_DEVICE_INTERFACE, methods[m],
                                                              g_variant_new("(@a{sv})",
                                                                            g_variant_builder_end(&b)));
                                        else
                                                start_call(f, &c, G_DBUS_CALL_FLAGS_NONE, methods[m],
                                                           protected[d], g_variant_builder_end(&b));
                                        finish_call(&c);
                                        g_test_message("%s %s(%s) on %s: %s", protected[d], methods[m],
                                                       options[o].name, on_device ? "device" : "manager",
                                                       c.error ? c.error->message : "no change");
                                        refused += c.error != NULL;
                                        g_clear_error(&c.error);
                                        g_clear_pointer(&c.reply, g_variant_unref);
                                        assert_kernel(f, protected[d], driver, NULL);
                                        g_assert_null(record(f, protected[d]));
                                }
        }
        /* Unbind without a driver, alone or with its group, has nothing to do on a host driver
         * (two calls on each object); every other call was refused. */
        g_assert_cmpuint(refused, ==, G_N_ELEMENTS(protected) * (2 * G_N_ELEMENTS(options) * 2 - 4));
}

/* Another tool moved the device and its uevents have not been read: Bind and Unbind plan
 * on what the kernel shows, not on the daemon's table, and listeners hear the change. */
static void test_stale_view(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) back = NULL, bound = NULL, signal = NULL;
        g_autofree char *printed = NULL;

        SKIP_WITHOUT_DAEMON(f);
        /* Bound to vfio-pci behind the daemon's back, no uevent. */
        testbed_set_attr(f->tb, E1000, "driver_override", "vfio-pci");
        testbed_set_driver(f->tb, E1000, "vfio-pci");
        back = call_ok(f, "Unbind", E1000, NULL);
        assert_changes(back, "[('0000:07:00.0', 'vfio-pci', 'e1000')]");
        assert_kernel(f, E1000, "e1000", NULL);
        signal = harness_wait_signal(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                     "DriverChanged");
        printed = g_variant_print(signal, FALSE);
        g_assert_cmpstr(printed, ==, "('0000:07:00.0', 'e1000', 'vfio-pci')");
        /* Given back behind its back again while the table says vfio-pci: Bind moves it. */
        bound = call_ok(f, "Bind", E1000, "group", g_variant_new_boolean(TRUE), NULL);
        g_clear_pointer(&bound, g_variant_unref);
        testbed_set_attr(f->tb, E1000, "driver_override", "");
        testbed_set_attr(f->tb, ASPEED, "driver_override", "");
        testbed_set_driver(f->tb, E1000, "e1000");
        testbed_set_driver(f->tb, ASPEED, "ast");
        bound = call_ok(f, "Bind", E1000, "group", g_variant_new_boolean(TRUE), NULL);
        assert_changes(bound,
                       "[('0000:07:00.0', 'e1000', 'vfio-pci'), ('0000:07:01.0', 'ast', 'vfio-pci')]");
        assert_kernel(f, E1000, "vfio-pci", "vfio-pci");
        assert_kernel(f, ASPEED, "vfio-pci", "vfio-pci");
}

/* A device on vfio-pci without the override (ids=, new_id, another tool): Bind only sets the
 * override; no unbind, no probe, so a VM holding it notices nothing. */
static void test_override_only(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) bound = NULL;

        SKIP_WITHOUT_DAEMON(f);
        testbed_set_driver(f->tb, E1000, "vfio-pci");
        testbed_set_driver(f->tb, ASPEED, "vfio-pci");
        testbed_uevent(f->tb, E1000, "bind");
        testbed_uevent(f->tb, ASPEED, "bind");
        bound = call_ok(f, "Bind", E1000, NULL);
        assert_changes(bound, "[('0000:07:00.0', 'vfio-pci', 'vfio-pci')]");
        assert_kernel(f, E1000, "vfio-pci", "vfio-pci");
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, E1000), ==, 0);
        g_assert_null(record(f, E1000));
}

static const Config plain = { .polkit = POLKIT_ALLOW };
static const Config no_vfio = { .no_vfio = true, .polkit = POLKIT_ALLOW };
static const Config host_uses = { .host_uses = true, .polkit = POLKIT_ALLOW };
static const Config console = { .console = true, .polkit = POLKIT_ALLOW };
static const Config short_timeout = { .timeout = "1", .polkit = POLKIT_ALLOW };
static const Config medium_timeout = { .timeout = "4", .polkit = POLKIT_ALLOW };
static const Config polkit_deny = { .polkit = POLKIT_DENY };
static const Config polkit_challenge = { .polkit = POLKIT_CHALLENGE };
static const Config polkit_error = { .polkit = POLKIT_ERROR };
static const Config polkit_absent = { .polkit = POLKIT_ABSENT };
static const Config polkit_hold = { .polkit = POLKIT_HOLD };
static const Config polkit_hold_all = { .polkit = POLKIT_HOLD_ALL };
static const Config polkit_deny_root_rule = { .polkit = POLKIT_DENY, .root_rule = true };
static const Config spare_nics = { .spare_nics = true, .timeout = "6", .polkit = POLKIT_ALLOW };
static const Config fault_5th_write = { .fault_write = "5", .polkit = POLKIT_ALLOW };

#define ADD(name, config, fn) \
        g_test_add("/bind/" name, Fixture, &(config), fixture_setup, fn, fixture_teardown)

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        if (testbed_skip_all("/bind"))
                return g_test_run();
        ADD("bind-unbind", plain, test_bind_unbind);
        ADD("group-not-viable", plain, test_group_not_viable);
        ADD("group", plain, test_group);
        ADD("rollback", plain, test_rollback);
        ADD("dry-run", plain, test_dry_run);
        ADD("protected", host_uses, test_protected);
        ADD("unbind-driver-bypass", host_uses, test_unbind_driver_bypass);
        ADD("host-use-timer", host_uses, test_host_use_timer);
        ADD("every-path-gated", host_uses, test_every_path_gated);
        ADD("boot-vga-console", console, test_boot_vga_console);
        ADD("module-missing", no_vfio, test_module_missing);
        ADD("concurrent", plain, test_concurrent);
        ADD("hang", short_timeout, test_hang);
        ADD("independent-groups", medium_timeout, test_independent_groups);
        ADD("polkit-deny", polkit_deny, test_polkit_refused);
        ADD("polkit-challenge", polkit_challenge, test_polkit_refused);
        ADD("polkit-error", polkit_error, test_polkit_refused);
        ADD("polkit-absent", polkit_absent, test_polkit_refused);
        ADD("polkit-root-rule", polkit_deny_root_rule, test_polkit_root_rule);
        ADD("polkit-root-rule-nobody", polkit_deny_root_rule, test_polkit_root_rule_nobody);
        ADD("polkit-recheck", polkit_hold, test_polkit_recheck);
        ADD("polkit-caller-gone", polkit_hold, test_polkit_caller_gone);
        ADD("polkit-per-user", polkit_hold_all, test_polkit_per_user);
        ADD("bind-calls-per-user", spare_nics, test_bind_calls_per_user);
        ADD("external-change", plain, test_external_change);
        ADD("stale-view", plain, test_stale_view);
        ADD("override-only", plain, test_override_only);
        ADD("restart", plain, test_restart);
        ADD("unbind-driver", plain, test_unbind_driver);
        ADD("fault-point", fault_5th_write, test_fault_point);
        ADD("client", plain, test_client);
        ADD("libvirt-hook", plain, test_libvirt_hook);
        ADD("libvirt-hook-refused", host_uses, test_libvirt_hook_refused);
        ADD("libvirt-hook-no-call", plain, test_libvirt_hook_no_call);
        return g_test_run();
}
