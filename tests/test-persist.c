/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Persistence (daemon/engine/persist.c, bus/bus-persist.c, bus-bind.c's persist option) against the
 * kernel emulator: passthrud on a private bus over the realistic testbed host with
 * --config-dir in a temporary directory, a mock polkit authority in this process. The
 * configuration file is written by the tests before the daemon starts, or by the daemon. */
#include <ftw.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "config.h"
#include "editor.h"
#include "harness.h"
#include "mock-polkit.h"
#include "kernel-emulator.h"
#include "passthru-dbus.h"
#include "testbed.h"

#define NVME "0000:06:00.0"
#define VF4 "0000:03:10.4" /* on vfio-pci in the testbed host */
#define E1000 "0000:07:00.0"
#define HOTPLUG "0000:00:05.0"
#define PF "0000:03:00.0" /* SR-IOV, 2 of 7 VFs enabled */

#define CONFIGURE_HOST "org.passthru.configure-host"

typedef struct {
        bool deny;        /* polkit says no */
        bool host_uses;   /* root on the NVMe */
        bool route_e1000; /* the default route through the e1000 at 07:00.0 */
        const char *conf; /* devices.conf before the daemon starts; NULL: none */
        bool pf_no_vfs;   /* the SR-IOV PF reads sriov_numvfs 0 */
        bool no_dir;      /* the config directory does not exist at start-up */
        bool console;     /* a framebuffer console is bound (the boot VGA is protected) */
} Config;

typedef struct {
        const Config *config;
        Testbed *tb;
        KernelEmulator *kernel;
        Harness *h;
        char *dir; /* run/, proc/, etc/ (the config dir) */
        char *conf_dir, *conf_path;
        MockPolkit polkit;
} Fixture;

/* ---- fixture ---- */

static char *read_conf(Fixture *f) {
        char *contents = NULL;

        g_file_get_contents(f->conf_path, &contents, NULL, NULL);
        return contents;
}

static void daemon_start(Fixture *f) {
        g_autofree char *runtime_arg = g_strconcat("--runtime-dir=", f->dir, "/run", NULL);
        g_autofree char *proc_arg = g_strconcat("--proc-root=", f->dir, "/proc", NULL);
        g_autofree char *config_arg = g_strconcat("--config-dir=", f->conf_dir, NULL);
        const char *args[] = { runtime_arg, proc_arg, config_arg, NULL };

        f->h = harness_new_with_args(f->tb, args);
        if (f->h)
                mock_polkit_start(&f->polkit, harness_connection(f->h),
                                  f->config->deny ? POLKIT_DENY : POLKIT_ALLOW);
}

static void daemon_stop(Fixture *f) {
        mock_polkit_stop(&f->polkit, harness_connection(f->h));
        harness_free(f->h);
        f->h = NULL;
}

/* The default route leaves through the e1000's interface enp7s0 (a protection --force and
 * allow-protected = yes override: the host survives losing it). */
static void route_through_e1000(Fixture *f, const char *proc) {
        test_write_file(proc, "net/route",
                        "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
                        "enp7s0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n");
        testbed_device_link(f->tb, "class/net/enp7s0", E1000, "net/enp7s0");
}

static void fixture_setup(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *proc = NULL, *module = NULL, *etc = NULL;

        f->config = data;
        f->tb = testbed_new();
        testbed_add_all(f->tb, testbed_host, testbed_host_len);
        f->kernel = kernel_emulator_new(f->tb);
        kernel_emulator_add_driver(f->kernel, "vfio-pci");
        module = g_build_filename(testbed_sys_dir(f->tb), "module", "vfio_iommu_type1", NULL);
        g_assert_no_errno(g_mkdir_with_parents(module, 0755));
        f->dir = g_dir_make_tmp("passthru-persist-XXXXXX", &error);
        g_assert_no_error(error);
        proc = g_build_filename(f->dir, "proc", NULL);
        test_write_idle_proc(proc);
        if (f->config->route_e1000)
                route_through_e1000(f, proc);
        if (f->config->host_uses) {
                test_write_file(proc, "self/mountinfo",
                                "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n");
                testbed_device_link(f->tb, "dev/block/259:2", NVME, "nvme/nvme0/nvme0n1/nvme0n1p2");
        }
        testbed_assert_contained(f->tb);
        f->conf_dir = g_build_filename(f->dir, "etc", "passthru", NULL);
        f->conf_path = g_build_filename(f->conf_dir, "devices.conf", NULL);
        /* Like /etc, the parent is always there. */
        etc = g_path_get_dirname(f->conf_dir);
        g_assert_no_errno(g_mkdir_with_parents(f->config->no_dir ? etc : f->conf_dir, 0755));
        if (f->config->conf)
                test_write_path(f->conf_path, f->config->conf);
        if (f->config->console) {
                test_write_file(testbed_sys_dir(f->tb), "class/vtconsole/vtcon1/bind", "1\n");
                test_write_file(testbed_sys_dir(f->tb), "class/vtconsole/vtcon1/name",
                                "(M) frame buffer device\n");
        }
        if (f->config->pf_no_vfs)
                testbed_set_attr(f->tb, PF, "sriov_numvfs", "0");
        daemon_start(f);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return remove(path);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        if (f->h)
                daemon_stop(f);
        kernel_emulator_free(f->kernel);
        testbed_free(f->tb);
        g_assert_no_errno(nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS));
        g_free(f->dir);
        g_free(f->conf_dir);
        g_free(f->conf_path);
}

#define SKIP_WITHOUT_DAEMON(f)  \
        do {                    \
                if (!(f)->h)    \
                        return; \
        } while (0)

/* ---- calls ---- */

/* Manager.METHOD(args) while this process keeps answering as polkit and kernel. */
static GVariant *call(Fixture *f, const char *method, GVariant *args, const char *reply_type,
                      GError **error) {
        return harness_call_looping(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, method, args,
                                    reply_type, error);
}

static void persist(Fixture *f, const char *address, bool enabled) {
        g_autoptr(GError) error = NULL;
        GVariant *reply = call(f, "Persist", g_variant_new("(sb)", address, enabled), "()", &error);

        g_assert_no_error(error);
        g_variant_unref(reply);
}

static GVariant *bind_persist(Fixture *f, const char *method, const char *address, GError **error) {
        return call(f, method, g_variant_new_parsed("(%s, {'persist': <true>})", address), "(a(sss))",
                    error);
}

/* The GetConfig row of address: "state reason", or NULL when it has none. */
static char *config_state(Fixture *f, const char *address) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call(f, "GetConfig", NULL, "(a(sa{sv}ss))", &error);
        g_autoptr(GVariantIter) rows = NULL;
        const char *a, *state, *reason;
        GVariant *entry;

        g_assert_no_error(error);
        g_variant_get(reply, "(a(sa{sv}ss))", &rows);
        while (g_variant_iter_loop(rows, "(&s@a{sv}&s&s)", &a, &entry, &state, &reason))
                if (g_str_equal(a, address)) {
                        char *s = g_strdup_printf("%s%s%s", state, *reason ? " " : "", reason);

                        g_variant_unref(entry);
                        return s;
                }
        return NULL;
}

static bool device_persistent(Fixture *f, const char *address) {
        g_autofree char *path = harness_device_path(address);
        g_autoptr(GVariant) v = harness_get_property(f->h, path, PASSTHRU_DEVICE_INTERFACE, "Persistent");

        return g_variant_get_boolean(v);
}

typedef struct {
        Fixture *f;
        const char *address, *driver;
} DriverWait;

static gboolean driver_is(gpointer data) {
        DriverWait *w = data;
        g_autofree char *d = kernel_emulator_driver(w->f->kernel, w->address);

        return g_strcmp0(d, w->driver) == 0;
}

static gboolean tick(gpointer data) {
        *(bool *) data = true;
        return G_SOURCE_REMOVE;
}

/* The daemon's own view: the driver it shows, and no operation under way any more (its
 * remembered state follows once the transaction is over). */
static bool daemon_sees(Fixture *f, const char *address, const char *driver) {
        g_autofree char *path = harness_device_path(address);
        g_autoptr(GVariant) d = harness_get_property(f->h, path, PASSTHRU_DEVICE_INTERFACE, "Driver");
        g_autoptr(GVariant) state = harness_get_property(f->h, path, PASSTHRU_DEVICE_INTERFACE, "State");

        return g_str_equal(g_variant_get_string(d, NULL), driver) &&
               !g_str_equal(g_variant_get_string(state, NULL), "busy");
}

/* The kernel (emulator) has the device on driver, and the daemon has seen it. */
static void wait_driver(Fixture *f, const char *address, const char *driver) {
        DriverWait w = { f, address, driver };

        harness_wait_until(driver_is, &w, driver);
        for (unsigned waited = 0; !daemon_sees(f, address, driver); waited++) {
                bool done = false;

                if (waited > 900)
                        g_error("passthrud does not show %s on %s", address, driver);
                g_timeout_add(100, tick, &done);
                while (!done)
                        g_main_context_iteration(NULL, TRUE);
        }
}

static void assert_driver(Fixture *f, const char *address, const char *driver) {
        g_autofree char *d = kernel_emulator_driver(f->kernel, address);

        g_assert_cmpstr(d, ==, driver);
}

/* ---- tests ---- */

/* Persist remembers with the identity, without moving the driver; forgetting drops it. */
static void test_remember_forget(Fixture *f, gconstpointer data) {
        g_autofree char *conf = NULL, *state = NULL, *after = NULL;
        g_autoptr(GVariant) changed = NULL;

        SKIP_WITHOUT_DAEMON(f);
        g_assert_false(device_persistent(f, NVME));
        persist(f, NVME, true);
        conf = read_conf(f);
        g_assert_nonnull(conf);
        g_assert_nonnull(strstr(conf, "[0000:06:00.0]"));
        g_assert_nonnull(strstr(conf, "id = 144d:a808"));
        g_assert_nonnull(strstr(conf, "subsystem = 144d:a801"));
        g_assert_nonnull(strstr(conf, "class = 0x010802"));
        g_assert_cmpstr(f->polkit.action, ==, CONFIGURE_HOST);
        changed = harness_wait_signal(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                      "ConfigChanged");
        g_assert_true(device_persistent(f, NVME));
        state = config_state(f, NVME);
        g_assert_cmpstr(state, ==, "pending");
        assert_driver(f, NVME, "nvme");
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, NVME), ==, 0);

        persist(f, NVME, false);
        after = read_conf(f);
        g_assert_null(strstr(after, "0000:06:00.0"));
        g_assert_false(device_persistent(f, NVME));
        assert_driver(f, NVME, "nvme");
        /* Forgetting what is not remembered is not an error. */
        persist(f, NVME, false);
}

/* Bind with persist binds and remembers; Unbind with persist gives back and forgets, and a
 * restarted daemon leaves it on the host. */
static void test_bind_unbind_persist(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) bound = NULL, unbound = NULL;
        g_autofree char *conf = NULL, *state = NULL, *after = NULL;

        SKIP_WITHOUT_DAEMON(f);
        bound = bind_persist(f, "Bind", NVME, &error);
        g_assert_no_error(error);
        assert_driver(f, NVME, "vfio-pci");
        g_assert_cmpstr(f->polkit.action, ==, CONFIGURE_HOST);
        conf = read_conf(f);
        g_assert_nonnull(strstr(conf, "[0000:06:00.0]"));
        state = config_state(f, NVME);
        g_assert_cmpstr(state, ==, "applied");

        unbound = bind_persist(f, "Unbind", NVME, &error);
        g_assert_no_error(error);
        assert_driver(f, NVME, "nvme");
        after = read_conf(f);
        g_assert_null(strstr(after, "0000:06:00.0"));

        daemon_stop(f);
        daemon_start(f);
        g_assert_nonnull(f->h);
        g_assert_false(device_persistent(f, NVME));
        assert_driver(f, NVME, "nvme");
        /* Two writes each way (unbind, drivers_probe); none from the restart. */
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, NVME), ==, 4);
}

static const char startup_conf[] =
        "# hand-written\n"
        "[0000:03:10.4]\nid = 8086:1520\nclass = 0x020000\n\n"
        "[0000:06:00.0]\nid = 144d:a808\nsubsystem = 144d:a801\nclass = 0x010802\n\n"
        "[0000:07:00.0]\nid = 8086:10d3\nclass = 0x020000\n\n"
        "[0000:00:05.0]\nid = 8086:10d3\nsubsystem = 8086:a01f\nclass = 0x020000\n";

/* Start-up: the entry on its host driver ends on vfio-pci; the one already there gets no
 * write at all; a different card in a slot stays; an absent one waits for hotplug. */
static void test_startup(Fixture *f, gconstpointer data) {
        g_autofree char *nvme = NULL, *vf = NULL, *e1000 = NULL, *hot = NULL, *hot_after = NULL;
        g_autofree char *conf = NULL;
        TestbedFunction nic = testbed_hotplug_nic;
        struct stat before, after;
        g_autofree char *override = g_build_filename(testbed_sys_dir(f->tb), testbed_devpath(f->tb, VF4),
                                                     "driver_override", NULL);

        SKIP_WITHOUT_DAEMON(f);
        wait_driver(f, NVME, "vfio-pci");
        nvme = config_state(f, NVME);
        g_assert_cmpstr(nvme, ==, "applied");
        vf = config_state(f, VF4);
        g_assert_cmpstr(vf, ==, "applied");
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, VF4), ==, 0);
        g_assert_true(device_persistent(f, VF4));
        e1000 = config_state(f, E1000);
        g_assert_cmpstr(e1000, ==, "mismatch");
        assert_driver(f, E1000, "e1000");
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, E1000), ==, 0);
        g_assert_false(device_persistent(f, E1000));
        hot = config_state(f, HOTPLUG);
        g_assert_cmpstr(hot, ==, "missing");

        /* A restart with everything applied writes nothing, for any device. */
        g_assert_no_errno(stat(override, &before));
        daemon_stop(f);
        daemon_start(f);
        g_assert_nonnull(f->h);
        g_clear_pointer(&vf, g_free);
        vf = config_state(f, VF4);
        g_assert_cmpstr(vf, ==, "applied");
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, VF4), ==, 0);
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, NVME), ==, 2);
        g_assert_no_errno(stat(override, &after));
        g_assert_cmpint(before.st_mtim.tv_sec, ==, after.st_mtim.tv_sec);
        g_assert_cmpint(before.st_mtim.tv_nsec, ==, after.st_mtim.tv_nsec);

        /* Hotplug: added with no driver yet; the daemon binds it with no client call. */
        nic.driver = NULL;
        testbed_add(f->tb, &nic);
        testbed_assert_contained(f->tb);
        wait_driver(f, HOTPLUG, "vfio-pci");
        hot_after = config_state(f, HOTPLUG);
        g_assert_cmpstr(hot_after, ==, "applied");
        g_assert_true(device_persistent(f, HOTPLUG));

        /* The daemon never rewrote the hand-written file. */
        conf = read_conf(f);
        g_assert_cmpstr(conf, ==, startup_conf);
}

static const char corrupt_conf[] = "[0000:06:00.0]\nid = 144d:a808\nclass = blue\n";

/* A file that does not parse: the daemon serves, says where, never writes over it. */
static void test_corrupt(Fixture *f, gconstpointer data) {
        g_autoptr(GError) config_error = NULL, persist_error = NULL, bind_error = NULL;
        g_autoptr(GVariant) entries = NULL, persisted = NULL, bound = NULL, devices = NULL;
        g_autofree char *conf = NULL;

        SKIP_WITHOUT_DAEMON(f);
        devices = call(f, "ListDevices", NULL, NULL, NULL);
        g_assert_nonnull(devices);
        entries = call(f, "GetConfig", NULL, "(a(sa{sv}ss))", &config_error);
        harness_assert_dbus_error(config_error, PASSTHRU_ERROR_CONFIG_INVALID, "devices.conf:3:");
        persisted = call(f, "Persist", g_variant_new("(sb)", E1000, TRUE), "()", &persist_error);
        harness_assert_dbus_error(persist_error, PASSTHRU_ERROR_CONFIG_INVALID, "devices.conf:3:");
        bound = bind_persist(f, "Bind", E1000, &bind_error);
        harness_assert_dbus_error(bind_error, PASSTHRU_ERROR_CONFIG_INVALID, "devices.conf:3:");
        /* Refused before anything moved. */
        assert_driver(f, E1000, "e1000");
        assert_driver(f, NVME, "nvme");
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, NVME), ==, 0);
        conf = read_conf(f);
        g_assert_cmpstr(conf, ==, corrupt_conf);
}

/* A hand edit is picked up (inotify on the directory): the new entry is applied. */
static void test_hand_edit(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) changed = NULL;

        SKIP_WITHOUT_DAEMON(f);
        assert_driver(f, NVME, "nvme");
        test_write_path(f->conf_path, "[0000:06:00.0]\nid = 144d:a808\nclass = 0x010802\n");
        changed = harness_wait_signal(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                      "ConfigChanged");
        wait_driver(f, NVME, "vfio-pci");
        g_assert_true(device_persistent(f, NVME));
}

/* devices.conf is still as test_keeps_mode_owner made it: 0600, 1000:1001 (as root). */
static void assert_mode_owner_kept(Fixture *f) {
        struct stat st;

        g_assert_no_errno(stat(f->conf_path, &st));
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);
        if (geteuid() == 0) {
                g_assert_cmpuint(st.st_uid, ==, 1000);
                g_assert_cmpuint(st.st_gid, ==, 1001);
        }
}

/* Persist on and off keep the mode, owner and group the admin gave the file (issue 20,
 * item 13). */
static void test_keeps_mode_owner(Fixture *f, gconstpointer data) {
        g_autofree char *conf = NULL, *forgotten = NULL;

        SKIP_WITHOUT_DAEMON(f);
        test_write_path(f->conf_path, "# mine\n");
        g_assert_no_errno(chmod(f->conf_path, 0600));
        if (geteuid() == 0)
                g_assert_no_errno(chown(f->conf_path, 1000, 1001));
        else
                g_test_message("Not root: the owner is ours, only the mode is shown to be kept.");
        persist(f, NVME, true);
        conf = read_conf(f);
        g_assert_true(g_str_has_prefix(conf, "# mine\n"));
        g_assert_nonnull(strstr(conf, "[0000:06:00.0]"));
        assert_mode_owner_kept(f);
        persist(f, NVME, false);
        forgotten = read_conf(f);
        g_assert_cmpstr(forgotten, ==, "# mine\n");
        assert_mode_owner_kept(f);
}

/* A save killed before its rename leaves its temporary file; the next start removes it
 * (issue 20, item 12). */
static void test_cleans_temporaries(Fixture *f, gconstpointer data) {
        g_autofree char *left = g_build_filename(f->conf_dir, ".devices.conf.Zq81xP", NULL);
        g_autofree char *other = g_build_filename(f->conf_dir, "notes.txt", NULL);

        SKIP_WITHOUT_DAEMON(f);
        daemon_stop(f);
        test_write_path(left, "[0000:06:00.0]\nid = 144d:a808\nclass = 0x010802\n");
        test_write_path(other, "mine\n");
        daemon_start(f);
        SKIP_WITHOUT_DAEMON(f);
        g_assert_false(g_file_test(left, G_FILE_TEST_EXISTS));
        g_assert_true(g_file_test(other, G_FILE_TEST_EXISTS));
}

/* An editor that saves by rename, over and over (tests/editor.h), while clients call Persist
 * (issue 20, item 6). Persist(false) of a device without an entry saves the file all the same:
 * every call is a rename racing the editor's. */
static void test_races_editor(Fixture *f, gconstpointer data) {
        guint saved = 0, busy = 0, edits = 0, lost;
        TestEditor *editor;

        SKIP_WITHOUT_DAEMON(f);
        test_write_path(f->conf_path, "");
        editor = test_editor_start(f->conf_path);
        for (guint i = 0; i < 45; i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) reply =
                        call(f, "Persist", g_variant_new("(sb)", NVME, false), "()", &error);

                g_autofree char *remote = error && g_dbus_error_is_remote_error(error)
                                                  ? g_dbus_error_get_remote_error(error)
                                                  : NULL;

                (void) reply; /* freed by its cleanup: only the error matters */

                /* "keeps changing on disk; try again": allowed, it lost nothing. */
                if (g_strcmp0(remote, PASSTHRU_ERROR_BUSY) == 0) {
                        busy++;
                        continue;
                }
                g_assert_no_error(error);
                saved++;
        }
        lost = test_editor_stop(editor, &edits);
        g_test_message("%u Persist calls saved, %u busy, %u hand edits, %u lost", saved, busy, edits, lost);
        g_assert_cmpuint(saved, >, 0);
        g_assert_cmpuint(edits, >, 0);
        g_assert_cmpuint(lost, ==, 0);
}

/* Without the directory at start-up: the first Persist makes it, and from then on hand
 * edits are seen too. */
static void test_dir_made(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) changed = NULL, edited = NULL;
        g_autofree char *conf = NULL, *edit = NULL;

        SKIP_WITHOUT_DAEMON(f);
        g_assert_false(g_file_test(f->conf_dir, G_FILE_TEST_EXISTS));
        persist(f, NVME, true);
        changed = harness_wait_signal(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                      "ConfigChanged");
        conf = read_conf(f);
        g_assert_nonnull(strstr(conf, "[0000:06:00.0]"));
        edit = g_strconcat(conf, "\n[0000:07:00.0]\nid = 8086:100e\nclass = 0x020000\n", NULL);
        test_write_path(f->conf_path, edit);
        edited = harness_wait_signal(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                     "ConfigChanged");
        wait_driver(f, E1000, "vfio-pci");
        /* Persist moved nothing, and the hand edit applies only what is new. */
        assert_driver(f, NVME, "nvme");
}

static const char protected_conf[] = "[0000:06:00.0]\nid = 144d:a808\nclass = 0x010802\n";

/* The safety gate applies at start-up as for a client: the root disk is refused. */
static void test_protected(Fixture *f, gconstpointer data) {
        g_autofree char *state = NULL;

        SKIP_WITHOUT_DAEMON(f);
        state = config_state(f, NVME);
        g_test_message("state: %s", state);
        g_assert_true(g_str_has_prefix(state, "refused "));
        g_assert_nonnull(strstr(state, "root"));
        assert_driver(f, NVME, "nvme");
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, NVME), ==, 0);
}

static const char protected_allowed_conf[] =
        "[0000:06:00.0]\nid = 144d:a808\nclass = 0x010802\nallow-protected = yes\n\n"
        "[0000:07:00.0]\nid = 8086:100e\nclass = 0x020000\nallow-protected = yes\n";

/* allow-protected = yes, written by the admin, is the one way start-up takes a protected
 * device, and only where --force could: the NIC of the default route is taken, the disk
 * under / never is. */
static void test_protected_allowed(Fixture *f, gconstpointer data) {
        g_autofree char *nic = NULL, *disk = NULL;

        SKIP_WITHOUT_DAEMON(f);
        wait_driver(f, E1000, "vfio-pci");
        nic = config_state(f, E1000);
        g_assert_cmpstr(nic, ==, "applied");
        disk = config_state(f, NVME);
        g_test_message("state: %s", disk);
        g_assert_true(g_str_has_prefix(disk, "refused "));
        g_assert_nonnull(strstr(disk, "root"));
        assert_driver(f, NVME, "nvme");
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, NVME), ==, 0);
}

/* Changing what is remembered needs configure-host; denied, nothing changes. */
static void test_polkit_deny(Fixture *f, gconstpointer data) {
        g_autoptr(GError) persist_error = NULL, bind_error = NULL;
        g_autoptr(GVariant) persisted = NULL, bound = NULL;

        SKIP_WITHOUT_DAEMON(f);
        persisted = call(f, "Persist", g_variant_new("(sb)", NVME, TRUE), "()", &persist_error);
        harness_assert_dbus_error(persist_error, PASSTHRU_ERROR_NOT_AUTHORIZED, CONFIGURE_HOST);
        g_assert_cmpstr(f->polkit.action, ==, CONFIGURE_HOST);
        bound = bind_persist(f, "Bind", NVME, &bind_error);
        harness_assert_dbus_error(bind_error, PASSTHRU_ERROR_NOT_AUTHORIZED, CONFIGURE_HOST);
        g_assert_cmpstr(f->polkit.action, ==, CONFIGURE_HOST);
        assert_driver(f, NVME, "nvme");
        g_assert_false(g_file_test(f->conf_path, G_FILE_TEST_EXISTS));
}

/* One group only: the emulator's drivers_probe is a plain file, so two transactions probing
 * at once (which the kernel handles) would overwrite each other's address there. */
static const char group_conf[] = "[0000:01:00.0]\nid = 10de:1b80\nclass = 0x030000\n\n"
                                 "[0000:01:00.1]\nid = 10de:10f0\nclass = 0x040300\n";
static const char half_group_conf[] = "[0000:01:00.1]\nid = 10de:10f0\nclass = 0x040300\n";

/* A group whose endpoints are all remembered moves as one transaction. */
static void test_group(Fixture *f, gconstpointer data) {
        g_autofree char *gpu = NULL, *audio = NULL;

        SKIP_WITHOUT_DAEMON(f);
        wait_driver(f, "0000:01:00.0", "vfio-pci");
        wait_driver(f, "0000:01:00.1", "vfio-pci");
        gpu = config_state(f, "0000:01:00.0");
        audio = config_state(f, "0000:01:00.1");
        g_assert_cmpstr(gpu, ==, "applied");
        g_assert_cmpstr(audio, ==, "applied");
}

typedef struct {
        Fixture *f;
        const char *address, *prefix;
} StateWait;

static gboolean state_has_prefix(gpointer data) {
        StateWait *w = data;
        g_autofree char *state = config_state(w->f, w->address);

        return state && g_str_has_prefix(state, w->prefix);
}

/* One whose mate is not remembered is refused by the group check, with its sentence. */
static void test_half_group(Fixture *f, gconstpointer data) {
        StateWait w = { f, "0000:01:00.1", "refused " };
        g_autofree char *audio = NULL;

        SKIP_WITHOUT_DAEMON(f);
        harness_wait_until(state_has_prefix, &w, "the refusal");
        audio = config_state(f, "0000:01:00.1");
        g_assert_nonnull(strstr(audio, "0000:01:00.0 (nouveau)"));
        assert_driver(f, "0000:01:00.1", "snd_hda_intel");
        assert_driver(f, "0000:01:00.0", "nouveau");
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, "0000:01:00.1"), ==, 0);
}

/* A sysfs attribute of the testbed as the kernel (emulator) has it now. */
static char *read_attr(Fixture *f, const char *address, const char *attr) {
        g_autofree char *path =
                g_build_filename(testbed_sys_dir(f->tb), testbed_devpath(f->tb, address), attr, NULL);
        char *contents = NULL;

        g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
        return g_strstrip(contents);
}

static char *pf_numvfs(Fixture *f) {
        return read_attr(f, PF, "sriov_numvfs");
}

static const char sriov_same_conf[] =
        "[0000:03:00.0]\nid = 8086:1521\nclass = 0x020000\nvfio = no\nsriov-numvfs = 2\n";
static const char sriov_other_conf[] =
        "[0000:03:00.0]\nid = 8086:1521\nclass = 0x020000\nvfio = no\nsriov-numvfs = 4\n";

/* The VF count the PF has: applied, nothing written. */
static void test_sriov_same(Fixture *f, gconstpointer data) {
        g_autofree char *state = NULL, *numvfs = NULL;

        SKIP_WITHOUT_DAEMON(f);
        state = config_state(f, PF);
        g_assert_cmpstr(state, ==, "applied");
        numvfs = pf_numvfs(f);
        g_assert_cmpstr(numvfs, ==, "2");
        assert_driver(f, PF, "igb");
}

/* Another count than the live one: refused, the VFs guests may use are not removed. */
static void test_sriov_other(Fixture *f, gconstpointer data) {
        StateWait w = { f, PF, "refused " };
        g_autofree char *state = NULL, *numvfs = NULL;

        SKIP_WITHOUT_DAEMON(f);
        harness_wait_until(state_has_prefix, &w, "the refusal");
        state = config_state(f, PF);
        g_assert_nonnull(strstr(state, "has 2 virtual functions"));
        numvfs = pf_numvfs(f);
        g_assert_cmpstr(numvfs, ==, "2");
}

static gboolean tick_continue(gpointer data) {
        return G_SOURCE_CONTINUE;
}

static gboolean numvfs_written(gpointer data) {
        g_autofree char *numvfs = pf_numvfs(data);

        return g_str_equal(numvfs, "2");
}

/* No VFs yet: start-up writes the count through the worker. */
static void test_sriov_create(Fixture *f, gconstpointer data) {
        SKIP_WITHOUT_DAEMON(f);
        /* A plain file changes without any event: wake the main loop to look again. */
        guint tick = g_timeout_add(20, tick_continue, NULL);

        harness_wait_until(numvfs_written, f, "sriov_numvfs to be written");
        g_source_remove(tick);
        assert_driver(f, PF, "igb");
}

static char *nvme_reset_method(Fixture *f) {
        return read_attr(f, NVME, "reset_method");
}

static gboolean nvme_resets_by_bus(gpointer data) {
        g_autofree char *methods = nvme_reset_method(data);

        return g_str_equal(methods, "bus");
}

static GVariant *set_reset_method(Fixture *f, const char *methods, bool persist, GError **error) {
        g_auto(GStrv) list = g_strsplit(methods, " ", -1);

        return call(f, "SetResetMethod",
                    g_variant_new_parsed("(%s, %^as, {'persist': <%b>})", NVME, list, (gboolean) persist),
                    "()", error);
}

/* SetResetMethod writes the kernel's list, remembers it (vfio = no: the NVMe stays with the
 * host), and start-up puts it back; what the kernel does not offer is refused. */
static void test_reset_method(Fixture *f, gconstpointer data) {
        g_autoptr(GError) unknown = NULL, twice = NULL, not_offered = NULL, e1 = NULL, e2 = NULL;
        g_autoptr(GVariant) r1 = NULL, r2 = NULL;
        g_autofree char *conf = NULL, *state = NULL, *methods = NULL, *after = NULL, *path = NULL;
        g_autoptr(GVariant) shown = NULL;
        guint tick;

        SKIP_WITHOUT_DAEMON(f);
        (void) set_reset_method(f, "reset", false, &unknown);
        harness_assert_dbus_error(unknown, PASSTHRU_ERROR_INVALID_ARGUMENT, "not a reset method");
        (void) set_reset_method(f, "flr flr", false, &twice);
        harness_assert_dbus_error(twice, PASSTHRU_ERROR_INVALID_ARGUMENT, "twice");

        r1 = set_reset_method(f, "bus", true, &e1);
        g_assert_no_error(e1);
        g_assert_cmpstr(f->polkit.action, ==, CONFIGURE_HOST);
        methods = nvme_reset_method(f);
        g_assert_cmpstr(methods, ==, "bus");
        path = harness_device_path(NVME);
        shown = harness_get_property(f->h, path, PASSTHRU_DEVICE_INTERFACE, "ResetMethods");
        {
                g_autofree const char **shown_methods = g_variant_get_strv(shown, NULL);

                g_assert_cmpstr(shown_methods[0], ==, "bus");
        }
        conf = read_conf(f);
        g_assert_nonnull(strstr(conf, "[0000:06:00.0]\nid = 144d:a808\nsubsystem = 144d:a801\nclass = "
                                      "0x010802\nvfio = no\nreset-method = bus\n"));
        state = config_state(f, NVME);
        g_assert_cmpstr(state, ==, "applied");

        /* Not in the kernel's full list (the testbed's "default" is that word alone): refused,
         * the list as it was. */
        (void) set_reset_method(f, "pm", false, &not_offered);
        harness_assert_dbus_error(not_offered, PASSTHRU_ERROR_INVALID_ARGUMENT, "does not offer");
        g_free(methods);
        methods = nvme_reset_method(f);
        g_assert_cmpstr(methods, ==, "bus");
        g_assert_cmpstr(f->polkit.action, ==, "org.passthru.manage-devices");

        /* A new boot: the kernel's own list again; start-up writes the remembered one. */
        daemon_stop(f);
        testbed_set_attr(f->tb, NVME, "reset_method", "flr bus");
        daemon_start(f);
        tick = g_timeout_add(20, tick_continue, NULL);
        harness_wait_until(nvme_resets_by_bus, f, "reset_method to be written again");
        g_source_remove(tick);

        /* default with persist: the kernel's list, and the entry (only there for it) goes. */
        r2 = set_reset_method(f, "default", true, &e2);
        g_assert_no_error(e2);
        g_free(methods);
        methods = nvme_reset_method(f);
        g_assert_cmpstr(methods, ==, "default");
        after = read_conf(f);
        g_assert_null(strstr(after, "0000:06:00.0"));
}

typedef struct {
        char *out, *err;
        int status;
        bool done;
} ClientRun;

static void on_client_done(GObject *source, GAsyncResult *result, gpointer data) {
        ClientRun *r = data;
        g_autoptr(GError) error = NULL;

        g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result, &r->out, &r->err, &error);
        g_assert_no_error(error);
        r->done = true;
}

static gboolean client_done(gpointer data) {
        return ((ClientRun *) data)->done;
}

/* passthructl ARGS..., run while this process keeps answering as polkit and kernel. */
static ClientRun run_client(Fixture *f, const char *const *args) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autoptr(GSubprocess) p = NULL;
        g_autoptr(GError) error = NULL;
        ClientRun r = {};

        g_ptr_array_add(argv, (char *) harness_client_path());
        for (const char *const *a = args; *a; a++)
                g_ptr_array_add(argv, (char *) *a);
        g_ptr_array_add(argv, NULL);
        p = harness_spawn(f->h, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                          (const char *const *) argv->pdata, &error);
        g_assert_no_error(error);
        g_subprocess_communicate_utf8_async(p, NULL, NULL, on_client_done, &r);
        harness_wait_until(client_done, &r, "passthructl to finish");
        harness_wait_process(p);
        g_assert_true(g_subprocess_get_if_exited(p));
        r.status = g_subprocess_get_exit_status(p);
        g_test_message("passthructl: exit %d, stdout: %s, stderr: %s", r.status, r.out, r.err);
        return r;
}

static void client_run_clear(ClientRun *r) {
        g_free(r->out);
        g_free(r->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ClientRun, client_run_clear)

#define CLIENT(f, ...) run_client((f), (const char *const[]){ __VA_ARGS__, NULL })

/* passthructl persist, config (text and JSON), bind --persist, unbind --persist. */
static void test_client(Fixture *f, gconstpointer data) {
        SKIP_WITHOUT_DAEMON(f);
        if (!harness_client_path()) {
                g_test_skip("$PASSTHRUCTL does not name the built client: run through meson test");
                return;
        }
        g_auto(ClientRun) empty = CLIENT(f, "config");
        g_assert_cmpint(empty.status, ==, 0);
        g_assert_cmpstr(empty.out, ==, "No device is remembered.\n");

        g_auto(ClientRun) on = CLIENT(f, "persist", NVME, "on");
        g_assert_cmpint(on.status, ==, 0);
        assert_driver(f, NVME, "nvme");
        g_auto(ClientRun) text = CLIENT(f, "config");
        g_assert_cmpint(text.status, ==, 0);
        g_test_message("config:\n%s", text.out);
        g_assert_true(
                g_regex_match_simple("0000:06:00\\.0 +144d:a808 +NVMe SSD Controller SM981/PM981/PM983 +"
                                     "144d:a801 +0x010802 +pending",
                                     text.out, 0, 0));
        g_auto(ClientRun) json = CLIENT(f, "config", "--json");
        g_assert_cmpint(json.status, ==, 0);
        g_assert_nonnull(strstr(json.out, "\"address\": \"0000:06:00.0\""));
        g_assert_nonnull(strstr(json.out, "\"id\": \"144d:a808\""));
        g_assert_nonnull(strstr(json.out, "\"class\": \"0x010802\""));
        g_assert_nonnull(strstr(json.out, "\"state\": \"pending\""));

        g_auto(ClientRun) bound = CLIENT(f, "bind", "--persist", E1000, "--group");
        g_assert_cmpint(bound.status, ==, 0);
        assert_driver(f, E1000, "vfio-pci");
        g_auto(ClientRun) after = CLIENT(f, "--json", "config");
        g_assert_nonnull(strstr(after.out, "\"address\": \"0000:07:00.0\""));
        /* The group mate moved with it is remembered too. */
        g_assert_nonnull(strstr(after.out, "\"address\": \"0000:07:01.0\""));

        /* A plain unbind of a remembered device says it comes back, and how not to. */
        g_auto(ClientRun) plain_unbind = CLIENT(f, "unbind", "--group", E1000);
        g_assert_cmpint(plain_unbind.status, ==, 0);
        g_assert_nonnull(strstr(plain_unbind.err, "0000:07:00.0 is remembered: it returns to vfio-pci"));
        g_assert_nonnull(strstr(plain_unbind.err, "--persist"));
        g_auto(ClientRun) off = CLIENT(f, "persist", NVME, "off");
        g_assert_cmpint(off.status, ==, 0);
        /* Already on its host driver: forgetting is all there is to do, and it says so. */
        g_auto(ClientRun) unbound = CLIENT(f, "unbind", "--persist", "--group", E1000);
        g_assert_cmpint(unbound.status, ==, 0);
        g_assert_nonnull(strstr(unbound.out, "No driver to change for 0000:07:00.0."));
        g_assert_nonnull(strstr(unbound.out, "Forgotten, with its group: it stays with the host"));
        assert_driver(f, E1000, "e1000");
        g_auto(ClientRun) none = CLIENT(f, "config");
        g_assert_cmpstr(none.out, ==, "No device is remembered.\n");

        g_auto(ClientRun) reset = CLIENT(f, "reset-method", NVME, "bus", "--persist");
        g_assert_cmpint(reset.status, ==, 0);
        g_assert_cmpstr(reset.out, ==, NVME ": reset methods bus (bus reset available); remembered.\n");
        g_auto(ClientRun) reset_json = CLIENT(f, "--json", "config");
        g_assert_nonnull(strstr(reset_json.out, "\"address\": \"0000:06:00.0\""));
        g_auto(ClientRun) unknown = CLIENT(f, "reset-method", NVME, "flr,nope");
        g_assert_cmpint(unknown.status, ==, 1);
        g_assert_nonnull(strstr(unknown.err, "'nope' is not a reset method"));
        g_auto(ClientRun) reset_default = CLIENT(f, "reset-method", NVME, "default", "--persist");
        g_assert_cmpint(reset_default.status, ==, 0);

        g_auto(ClientRun) bad = CLIENT(f, "persist", NVME, "maybe");
        g_assert_cmpint(bad.status, ==, 64); /* EX_USAGE */
        g_auto(ClientRun) misplaced = CLIENT(f, "list", "--persist");
        g_assert_cmpint(misplaced.status, ==, 64); /* EX_USAGE */
}

/* Persist and Bind with persist refuse what Bind refuses for the device itself, with Bind's
 * sentence, and write nothing: the root disk's controller, a bridge, an SR-IOV PF with VFs;
 * forcing a move does not make a protected device remembered. */
static void test_persist_gate(Fixture *f, gconstpointer data) {
        static const struct {
                const char *address, *mentions;
        } refused[] = {
                { NVME, "root" },
                { "0000:00:1e.0", "bridge" },
                { PF, "virtual functions" },
        };
        g_autoptr(GError) forced_error = NULL;
        g_autoptr(GVariant) forced = NULL;

        SKIP_WITHOUT_DAEMON(f);
        for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) reply =
                        call(f, "Persist", g_variant_new("(sb)", refused[i].address, TRUE), "()", &error);

                (void) reply; /* freed by its cleanup: only the error matters */

                g_test_message("Persist %s: %s", refused[i].address, error ? error->message : "accepted");
                harness_assert_dbus_error(error, PASSTHRU_ERROR_PROTECTED_DEVICE, refused[i].mentions);
                g_assert_nonnull(strstr(error->message, "cannot leave the host"));
        }
        /* The NIC of the default route may be forced off the host, but not remembered so. */
        forced = call(f, "Bind", g_variant_new_parsed("(%s, {'persist': <true>, 'force': <true>})", E1000),
                      "(a(sss))", &forced_error);
        harness_assert_dbus_error(forced_error, PASSTHRU_ERROR_PROTECTED_DEVICE, "default route");
        assert_driver(f, E1000, "e1000");
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, E1000), ==, 0);
        g_assert_false(g_file_test(f->conf_path, G_FILE_TEST_EXISTS));
}

/* Entries written by hand for devices the gate refuses: GetConfig says refused with the
 * reason, start-up leaves them, and the boot configuration leaves them out of every file,
 * naming each among its warnings. */
static const char hand_protected_conf[] = "[0000:06:00.0]\nid = 144d:a808\nclass = 0x010802\n\n"
                                          "[0000:00:1e.0]\nid = 8086:244e\nclass = 0x060401\n\n"
                                          "[0000:03:00.0]\nid = 8086:1521\nclass = 0x020000\n\n"
                                          "[0000:03:10.4]\nid = 8086:1520\nclass = 0x020000\n";

static void test_boot_gate(Fixture *f, gconstpointer data) {
        static const char *const refused[] = { NVME, "0000:00:1e.0", PF };
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL, files = NULL, warnings = NULL;
        g_autofree char *all_warnings = NULL;
        g_autofree char *kept = NULL;
        const char *path, *action, *diff;
        GVariantIter iter;

        SKIP_WITHOUT_DAEMON(f);
        for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
                g_autofree char *state = config_state(f, refused[i]);

                g_test_message("%s: %s", refused[i], state);
                g_assert_true(g_str_has_prefix(state, "refused "));
                g_assert_cmpuint(kernel_emulator_writes(f->kernel, refused[i]), ==, 0);
        }
        kept = config_state(f, VF4);
        g_assert_cmpstr(kept, ==, "applied");
        reply = call(f, "ApplyBootConfig", g_variant_new_parsed("({'dry-run': <true>},)"), "(a(sss)asas)",
                     &error);
        g_assert_no_error(error);
        files = g_variant_get_child_value(reply, 0);
        warnings = g_variant_get_child_value(reply, 2);
        {
                g_autofree const char **strv = g_variant_get_strv(warnings, NULL);

                all_warnings = g_strjoinv("\n", (char **) strv);
        }
        g_test_message("warnings:\n%s", all_warnings);
        for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
                g_autofree char *left_out = g_strconcat(refused[i], " is left out of early binding", NULL);

                g_assert_nonnull(strstr(all_warnings, left_out));
        }
        /* Where this machine's boot setup gives the list, only the kept device is on it. */
        g_variant_iter_init(&iter, files);
        while (g_variant_iter_next(&iter, "(&s&s&s)", &path, &action, &diff)) {
                if (!g_str_equal(path, "/etc/passthru/early-bind.list"))
                        continue;
                g_assert_nonnull(strstr(diff, "0000:03:10.4"));
                for (size_t i = 0; i < G_N_ELEMENTS(refused); i++)
                        g_assert_null(strstr(diff, refused[i]));
        }
}

/* allow-protected covers the function whose section holds it: the boot VGA's audio entry
 * with it does not take the boot VGA (with the console on it) along. */
static const char allow_mate_conf[] = "[0000:01:00.0]\nid = 10de:1b80\nclass = 0x030000\n\n"
                                      "[0000:01:00.1]\nid = 10de:10f0\nclass = 0x040300\n"
                                      "allow-protected = yes\n";

static void test_allow_protected_own(Fixture *f, gconstpointer data) {
        StateWait w = { f, "0000:01:00.0", "refused " };
        g_autofree char *gpu = NULL;

        SKIP_WITHOUT_DAEMON(f);
        harness_wait_until(state_has_prefix, &w, "the refusal");
        gpu = config_state(f, "0000:01:00.0");
        g_test_message("GPU: %s", gpu);
        g_assert_nonnull(strstr(gpu, "boot VGA"));
        assert_driver(f, "0000:01:00.0", "nouveau");
        assert_driver(f, "0000:01:00.1", "snd_hda_intel");
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, "0000:01:00.0"), ==, 0);
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, "0000:01:00.1"), ==, 0);
}

/* Unbind with group and persist forgets every endpoint of the group, also those already on
 * their host driver. */
static const char group_mates_conf[] = "[0000:07:00.0]\nid = 8086:100e\nclass = 0x020000\nvfio = no\n\n"
                                       "[0000:07:01.0]\nid = 1a03:2000\nclass = 0x030000\nvfio = no\n";

static void test_forget_group(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autofree char *conf = NULL;

        SKIP_WITHOUT_DAEMON(f);
        reply = call(f, "Unbind", g_variant_new_parsed("(%s, {'persist': <true>, 'group': <true>})", E1000),
                     "(a(sss))", &error);
        g_assert_no_error(error);
        conf = read_conf(f);
        g_test_message("devices.conf now:\n%s", conf);
        g_assert_null(strstr(conf, "0000:07:00.0"));
        g_assert_null(strstr(conf, "0000:07:01.0"));
}

static const Config plain = {};
static const Config no_dir = { .no_dir = true };
static const Config startup = { .conf = startup_conf };
static const Config corrupt = { .conf = corrupt_conf };
static const Config protected = { .conf = protected_conf, .host_uses = true };
static const Config protected_allowed = { .conf = protected_allowed_conf,
                                          .host_uses = true,
                                          .route_e1000 = true };
static const Config deny = { .deny = true };
static const Config gate = { .host_uses = true, .route_e1000 = true };
static const Config hand_protected = { .conf = hand_protected_conf, .host_uses = true };
static const Config allow_mate = { .conf = allow_mate_conf, .console = true };
static const Config group_mates = { .conf = group_mates_conf };
static const Config group = { .conf = group_conf };
static const Config half_group = { .conf = half_group_conf };
static const Config sriov_same = { .conf = sriov_same_conf };
static const Config sriov_other = { .conf = sriov_other_conf };
static const Config sriov_create = { .conf = sriov_same_conf, .pf_no_vfs = true };

#define ADD(name, config, fn) \
        g_test_add("/persist/" name, Fixture, &(config), fixture_setup, fn, fixture_teardown)

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        if (testbed_skip_all("/persist") || harness_skip_all("/persist"))
                return g_test_run();
        ADD("remember-forget", plain, test_remember_forget);
        ADD("bind-unbind-persist", plain, test_bind_unbind_persist);
        ADD("startup", startup, test_startup);
        ADD("corrupt", corrupt, test_corrupt);
        ADD("hand-edit", plain, test_hand_edit);
        ADD("keeps-mode-owner", plain, test_keeps_mode_owner);
        ADD("cleans-temporaries", plain, test_cleans_temporaries);
        ADD("races-editor", plain, test_races_editor);
        ADD("dir-made", no_dir, test_dir_made);
        ADD("protected", protected, test_protected);
        ADD("protected-allowed", protected_allowed, test_protected_allowed);
        ADD("polkit-deny", deny, test_polkit_deny);
        ADD("client", plain, test_client);
        ADD("group", group, test_group);
        ADD("half-group", half_group, test_half_group);
        ADD("sriov-same", sriov_same, test_sriov_same);
        ADD("sriov-other", sriov_other, test_sriov_other);
        ADD("sriov-create", sriov_create, test_sriov_create);
        ADD("persist-gate", gate, test_persist_gate);
        ADD("boot-gate", hand_protected, test_boot_gate);
        ADD("allow-protected-own", allow_mate, test_allow_protected_own);
        ADD("forget-group", group_mates, test_forget_group);
        ADD("reset-method", plain, test_reset_method);
        return g_test_run();
}
