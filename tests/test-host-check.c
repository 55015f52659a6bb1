/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host checks (daemon/host/host-check.c) over the hosts of tests/data/hostcheck (written from
 * real machines' output, or recorded in the tests/vm guests; see its README): facts
 * read by daemon/host/host-facts.c from each host's sys/, proc/, etc/, dev/ and boot/, its kernel
 * log read by daemon/host/klog.c, its module index built with depmod, its devices read by the
 * device model. Some cases then change one fact to reach a state the recording lacks. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "device-read.h"
#include "device-table.h"
#include "host-check.h"
#include "host-facts.h"
#include "klog.h"
#include "kmod.h"
#include "strv.h"
#include "testbed.h"
#include "sysfs.h"

typedef struct {
        const char *host; /* a directory of tests/data/hostcheck */
        const char *kmsg; /* its kernel log file */
} HostParam;

typedef struct {
        char *dir, *tmp, *release;
        DeviceSources src;
        DeviceTable table;
        HostRoots roots;
        HostFacts facts;
        HostChecks checks;
} HostFixture;

static char *host_path(HostFixture *f, const char *name) {
        return g_build_filename(f->dir, name, NULL);
}

/* The files depmod reads besides the modules: modules.builtin as recorded, the others empty
 * (libkmod refuses to load an index set with one missing). */
static void write_module_lists(HostFixture *f, const char *dir) {
        g_autofree char *recorded = host_path(f, "builtin"), *builtin = NULL, *target = NULL;
        g_autoptr(GError) error = NULL;

        g_assert_true(g_file_get_contents(recorded, &builtin, NULL, &error));
        target = g_build_filename(dir, "modules.builtin", NULL);
        g_assert_true(g_file_set_contents(target, builtin, -1, &error));
        for (const char *const *name =
                     (const char *const[]){ "modules.builtin.modinfo", "modules.order", NULL };
             *name; name++) {
                g_autofree char *path = g_build_filename(dir, *name, NULL);

                g_assert_true(g_file_set_contents(path, "", 0, &error));
        }
}

/* A module index for the recorded kernel: its .ko files (any ELF does for depmod) and
 * depmod's own index, as on the host. */
static char *build_modules_dir(HostFixture *f) {
        g_autofree char *list_path = host_path(f, "modules"), *list = NULL, *dir = NULL;
        g_autofree char *depmod = g_find_program_in_path("depmod");
        g_auto(GStrv) lines = NULL;
        g_autoptr(GError) error = NULL;
        int status;

        dir = g_build_filename(f->tmp, "lib", "modules", f->release, NULL);
        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_assert_true(g_file_get_contents(list_path, &list, NULL, &error));
        lines = g_strsplit(list, "\n", -1);
        for (char **l = lines; *l; l++) {
                g_autofree char *ko = NULL, *parent = NULL, *elf = NULL;
                gsize size;

                if (!**l)
                        continue;
                ko = g_build_filename(dir, *l, NULL);
                parent = g_path_get_dirname(ko);
                g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
                g_assert_true(g_file_get_contents("/proc/self/exe", &elf, &size, &error));
                g_assert_true(g_file_set_contents(ko, elf, (gssize) size, &error));
        }
        write_module_lists(f, dir);
        if (!depmod)
                depmod = g_strdup(g_file_test("/usr/sbin/depmod", G_FILE_TEST_IS_EXECUTABLE)
                                          ? "/usr/sbin/depmod"
                                          : "/sbin/depmod");
        const char *argv[] = { depmod, "-b", f->tmp, f->release, NULL };
        g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL,
                                   NULL, &status, &error));
        g_assert_no_error(error);
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        return g_steal_pointer(&dir);
}

/* Every directory under sys/devices named like a PCI function is one. */
static void read_devices(HostFixture *f, const char *sys, const char *devpath) {
        g_autofree char *path = g_build_filename(sys, devpath, NULL);
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;

        while (dir && (name = g_dir_read_name(dir))) {
                g_autofree char *child = g_build_filename(devpath, name, NULL);
                g_autofree char *child_path = g_build_filename(sys, child, NULL);
                Device *d = NULL;
                PciAddress a;

                if (!g_file_test(child_path, G_FILE_TEST_IS_DIR) ||
                    g_file_test(child_path, G_FILE_TEST_IS_SYMLINK))
                        continue;
                if (pci_address_parse(name, &a) >= 0) {
                        g_assert_cmpint(device_new_from_sysfs(&f->src, child, &d), ==, 0);
                        g_assert_cmpint(device_table_insert(&f->table, d), ==, 0);
                }
                read_devices(f, sys, child);
        }
}

static void rebuild_groups(HostFixture *f) {
        Group **old;
        size_t n_old;

        g_assert_cmpint(device_table_rebuild_groups(&f->table, &old, &n_old), ==, 0);
        groups_free(old, n_old);
}

/* What no row may say (issue 18): a pass with a remedy, a remedy of vfio-pci ids= and
 * softdeps (they capture twins; early binding is `passthructl boot-config`), a command with
 * several addresses where the verb takes one, a summary that contradicts itself, a doubled
 * full stop. */
static void assert_rows_sane(HostFixture *f) {
        g_autoptr(GRegex) several = g_regex_new("passthructl [a-z-]+ [0-9a-f:.]+ [0-9a-f]{4}:", 0, 0, NULL);

        for (size_t i = 0; i < f->checks.n; i++) {
                const HostCheck *c = &f->checks.items[i];

                if (c->status == HOST_CHECK_PASS)
                        g_assert_cmpstr(c->remedy, ==, "");
                g_assert_null(strstr(c->remedy, "ids="));
                g_assert_null(strstr(c->remedy, "softdep"));
                g_assert_false(g_regex_match(several, c->remedy, 0, NULL));
                g_assert_null(strstr(c->summary, " 0 units"));
                g_assert_null(strstr(c->summary, "kept in: nothing"));
                g_assert_null(strstr(c->summary, ".."));
                g_assert_null(strstr(c->remedy, ".."));
        }
}

static void run_checks(HostFixture *f) {
        host_checks_done(&f->checks);
        f->facts.table = &f->table;
        g_assert_cmpint(host_facts_read_current(&f->facts, &f->roots, f->src.kmod), ==, 0);
        g_assert_cmpint(host_checks_run(&f->facts, &f->checks), ==, 0);
        for (size_t i = 0; i < f->checks.n; i++)
                g_test_message("%s %s: %s | %s", host_check_status_to_string(f->checks.items[i].status),
                               f->checks.items[i].id, f->checks.items[i].summary, f->checks.items[i].remedy);
        assert_rows_sane(f);
}

/* Runs the checks again on facts a test has changed, without reading the host again. */
static void rerun_checks(HostFixture *f) {
        host_checks_done(&f->checks);
        g_assert_cmpint(host_checks_run(&f->facts, &f->checks), ==, 0);
        assert_rows_sane(f);
}

static void fixture_setup(HostFixture *f, gconstpointer data) {
        const HostParam *p = data;
        g_autofree char *release_path = NULL, *aliases = NULL, *modules_dir = NULL, *sys = NULL,
                        *etc_modprobe = NULL;
        g_autoptr(GError) error = NULL;

        f->dir = g_strdup(g_test_get_filename(G_TEST_DIST, "data", "hostcheck", p->host, NULL));
        f->tmp = g_dir_make_tmp("passthru-hostcheck-XXXXXX", &error);
        g_assert_no_error(error);
        release_path = host_path(f, "release");
        g_assert_true(g_file_get_contents(release_path, &f->release, NULL, &error));
        g_strstrip(f->release);

        modules_dir = build_modules_dir(f);
        aliases = host_path(f, "aliases.conf");
        etc_modprobe = host_path(f, "etc/modprobe.d");
        /* The host's modprobe.d as libkmod reads it, beside the recorded aliases. */
        g_assert_cmpint(
                kmod_open(modules_dir, (const char *const[]){ aliases, etc_modprobe, NULL }, &f->src.kmod),
                ==, 0);
        sys = host_path(f, "sys");
        g_assert_cmpint(sysfs_open(sys, &f->src.sysfs), ==, 0);
        read_devices(f, sys, "devices");
        rebuild_groups(f);

        f->roots = (HostRoots){
                .sysfs = f->src.sysfs,
                .proc = host_path(f, "proc"),
                .etc = host_path(f, "etc"),
                .dev = host_path(f, "dev"),
                .boot = host_path(f, "boot"),
                .kmsg = host_path(f, p->kmsg),
                .no_journal = true,
                .kernel_release = f->release,
                /* The recorded images hold lsinitramfs's output for them. */
                .initramfs_lister = "/bin/cat",
        };
        g_assert_cmpint(host_facts_read_boot(&f->facts, &f->roots), ==, 0);
        run_checks(f);
}

static void fixture_teardown(HostFixture *f, gconstpointer data) {
        host_checks_done(&f->checks);
        host_facts_done(&f->facts);
        device_table_done(&f->table);
        sysfs_free(f->src.sysfs);
        kmod_close(f->src.kmod);
        test_remove_tree(f->tmp);
        g_free((char *) f->roots.proc);
        g_free((char *) f->roots.etc);
        g_free((char *) f->roots.dev);
        g_free((char *) f->roots.boot);
        g_free((char *) f->roots.kmsg);
        g_free(f->release);
        g_free(f->tmp);
        g_free(f->dir);
}

static const HostCheck *assert_check(HostFixture *f, const char *id, HostCheckStatus status) {
        const HostCheck *c = host_checks_find(&f->checks, id);

        g_assert_nonnull(c);
        g_assert_cmpstr(host_check_status_to_string(c->status), ==, host_check_status_to_string(status));
        return c;
}

#define assert_contains(haystack, needle) g_assert_nonnull(strstr((haystack), (needle)))

static void assert_status(HostFixture *f, HostStatus s) {
        g_assert_cmpstr(host_status_to_string(host_status_from_checks(&f->checks)), ==,
                        host_status_to_string(s));
}

/* The folklore argument must never be advised: the kernel answers it "Unknown option". */
static void assert_no_amd_iommu_on(HostFixture *f) {
        for (size_t i = 0; i < f->checks.n; i++) {
                g_assert_null(strstr(f->checks.items[i].remedy, "amd_iommu=on"));
                g_assert_null(strstr(f->checks.items[i].summary, "amd_iommu=on"));
        }
}

static Device *find_device(HostFixture *f, const char *address) {
        for (size_t i = 0; i < f->table.n_devices; i++)
                if (streq(f->table.devices[i]->address_str, address))
                        return f->table.devices[i];
        g_assert_not_reached();
}

static void set_driver(HostFixture *f, const char *address, const char *driver) {
        Device *d = find_device(f, address);

        g_free(d->driver);
        d->driver = g_strdup(driver);
}

/* The admin asked to keep these two functions on vfio-pci. */
static void persist(HostFixture *f, const char *a, const char *b) {
        find_device(f, a)->persistent = true;
        find_device(f, b)->persistent = true;
        run_checks(f);
}

/* An Intel IOMMU the kernel enabled, with interrupt remapping; vfio loaded (6.1 still has
 * vfio_virqfd as a module of its own) and no device kept on vfio-pci. */
static void assert_intel_vfio_host(HostFixture *f, const char *groups, const char *ir_chips,
                                   const char *ir_line) {
        const HostCheck *c;

        assert_contains(assert_check(f, "iommu-firmware", HOST_CHECK_PASS)->summary, "ACPI DMAR table");
        c = assert_check(f, "iommu-kernel", HOST_CHECK_PASS);
        assert_contains(c->summary, groups);
        assert_contains(c->summary, "DMAR: IOMMU enabled");
        c = assert_check(f, "interrupt-remapping", HOST_CHECK_PASS);
        assert_contains(c->summary, ir_chips);
        assert_contains(c->summary, ir_line);
        assert_contains(assert_check(f, "vfio-modules", HOST_CHECK_PASS)->summary,
                        "vfio, vfio_iommu_type1, vfio_pci, vfio_virqfd");
        assert_contains(assert_check(f, "vfio-bound", HOST_CHECK_SKIP)->summary,
                        "no device is configured to stay on vfio-pci");
        assert_contains(assert_check(f, "dev-vfio", HOST_CHECK_PASS)->summary, "/dev/vfio/vfio present");
}

static void test_intel_ready(HostFixture *f, gconstpointer data) {
        const HostCheck *c;

        g_assert_true(f->facts.klog->complete);
        g_assert_cmpuint(f->checks.n, ==, 17);
        assert_contains(assert_check(f, "cpu-virt", HOST_CHECK_PASS)->summary, "vmx");
        assert_intel_vfio_host(f, "7 IOMMU groups", "8 interrupts on IR- chips",
                               "DMAR-IR: Enabled IRQ remapping in x2apic mode");
        /* iommu=pt is advice: a pass that mentions it, with no remedy. */
        c = assert_check(f, "iommu-pt", HOST_CHECK_PASS);
        assert_contains(c->summary, "translated DMA (group 0 is of type DMA-FQ); iommu=pt on the kernel");
        g_assert_cmpstr(c->remedy, ==, "");
        g_assert_cmpstr(assert_check(f, "modules-boot", HOST_CHECK_PASS)->summary, ==,
                        "loaded at boot: vfio, vfio_iommu_type1, vfio_pci, vfio_virqfd "
                        "(/etc/modules-load.d/vfio.conf)");
        assert_check(f, "iommu-groups", HOST_CHECK_PASS);
        assert_check(f, "vfio-boot", HOST_CHECK_SKIP);
        assert_check(f, "initramfs", HOST_CHECK_SKIP);
        assert_status(f, HOST_STATUS_READY);
}

/* Group types are read up to the first that is not identity, the one the check names. */
static void set_group_type(const char *sys, int group, const char *type) {
        g_autofree char *path = g_strdup_printf("%s/kernel/iommu_groups/%d/type", sys, group);

        if (!type)
                g_assert_no_errno(g_unlink(path));
        else
                g_assert_true(g_file_set_contents(path, type, -1, NULL));
}

/* A writable copy of the host's sys/ in the temporary directory, opened as *ret. */
static char *copy_sys(HostFixture *f, Sysfs **ret) {
        g_autofree char *sys = host_path(f, "sys");
        char *copy = g_build_filename(f->tmp, "sys", NULL);
        const char *argv[] = { "cp", "-a", sys, copy, NULL };
        int status;

        g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                                   &status, NULL));
        g_assert_cmpint(status, ==, 0);
        g_assert_cmpint(sysfs_open(copy, ret), ==, 0);
        return copy;
}

static void test_intel_iommu_pt(HostFixture *f, gconstpointer data) {
        _cleanup_(sysfs_freep) Sysfs *s = NULL;
        g_autofree char *copy = copy_sys(f, &s);
        Sysfs *recorded = f->roots.sysfs;

        for (int g = 0; g < 7; g++)
                set_group_type(copy, g, "identity\n");
        f->roots.sysfs = s;

        run_checks(f);
        g_assert_cmpstr(assert_check(f, "iommu-pt", HOST_CHECK_PASS)->summary, ==,
                        "host devices bypass translation (iommu=pt: every group is of type identity)");
        set_group_type(copy, 5, "DMA\n");
        set_group_type(copy, 3, NULL);
        run_checks(f);
        g_assert_true(g_str_has_prefix(assert_check(f, "iommu-pt", HOST_CHECK_PASS)->summary,
                                       "host devices use translated DMA (group 3 is of type unknown);"));
        set_group_type(copy, 3, "identity\n");
        run_checks(f);
        g_assert_true(g_str_has_prefix(assert_check(f, "iommu-pt", HOST_CHECK_PASS)->summary,
                                       "host devices use translated DMA (group 5 is of type DMA);"));
        /* the count of groups in the other checks is still every group */
        assert_contains(assert_check(f, "iommu-kernel", HOST_CHECK_PASS)->summary, "7 IOMMU groups");
        f->roots.sysfs = recorded;
}

/* The Secure Boot variable of efivarfs: 4 bytes of attributes, then the value. */
static void test_intel_secure_boot(HostFixture *f, gconstpointer data) {
        _cleanup_(sysfs_freep) Sysfs *s = NULL;
        g_autofree char *copy = copy_sys(f, &s);
        g_autofree char *vars = g_build_filename(copy, "firmware", "efi", "efivars", NULL);
        g_autofree char *var =
                g_build_filename(vars, "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", NULL);
        Sysfs *recorded = f->roots.sysfs;

        g_assert_cmpint(g_mkdir_with_parents(vars, 0755), ==, 0);
        f->roots.sysfs = s;
        g_assert_true(g_file_set_contents(var, "\x06\0\0\0\x01", 5, NULL));
        g_assert_cmpint(host_facts_read_bootcfg(&f->facts, &f->roots), ==, 0);
        g_assert_cmpint(f->facts.boot.secure_boot, ==, 1);
        g_assert_true(g_file_set_contents(var, "\x06\0\0\0\0", 5, NULL));
        g_assert_cmpint(host_facts_read_bootcfg(&f->facts, &f->roots), ==, 0);
        g_assert_cmpint(f->facts.boot.secure_boot, ==, 0);
        /* Cut short: unknown, not off. */
        g_assert_true(g_file_set_contents(var, "\x06\0", 2, NULL));
        g_assert_cmpint(host_facts_read_bootcfg(&f->facts, &f->roots), ==, 0);
        g_assert_cmpint(f->facts.boot.secure_boot, <, 0);
        f->roots.sysfs = recorded;
}

static void test_intel_wrapped_log(HostFixture *f, gconstpointer data) {
        const HostCheck *c;

        g_assert_false(f->facts.klog->complete);
        g_assert_null(klog_find(f->facts.klog, "DMAR"));
        /* The groups and the interrupt chips still tell, and the row says what it rests on. */
        c = assert_check(f, "iommu-kernel", HOST_CHECK_PASS);
        assert_contains(c->summary, "/sys/kernel/iommu_groups");
        assert_contains(c->summary, "no longer reaches back to boot");
        c = assert_check(f, "interrupt-remapping", HOST_CHECK_PASS);
        assert_contains(c->summary, "IR- chips in /proc/interrupts");
        assert_status(f, HOST_STATUS_READY);

        /* Without IR- chips nothing proves remapping: a warning that names the missing log. */
        f->facts.n_ir_chips = 0;
        rerun_checks(f);
        c = assert_check(f, "interrupt-remapping", HOST_CHECK_WARN);
        assert_contains(c->summary, "(the kernel log no longer reaches back to boot)");
}

static void test_intel_no_ir(HostFixture *f, gconstpointer data) {
        const HostCheck *c;

        /* The same host as if its firmware had interrupt remapping off, vfio told to cope. */
        f->facts.n_ir_chips = 0;
        klog_free(f->facts.klog);
        g_assert_cmpint(klog_read("/nonexistent/kmsg", false, &f->facts.klog), ==, 0); /* unreadable */
        f->facts.unsafe_interrupts_allowed = true;
        rerun_checks(f);
        c = assert_check(f, "interrupt-remapping", HOST_CHECK_WARN);
        assert_contains(c->summary, "off: no IR- chips");
        assert_contains(c->summary, "the kernel log is not readable");
        assert_contains(c->summary,
                        "vfio_iommu_type1 runs with allow_unsafe_interrupts=1, which is insecure");
        assert_contains(c->remedy, "insecure");
        assert_contains(c->remedy, "firmware setup");
        assert_status(f, HOST_STATUS_DEGRADED);

        /* Set in modprobe.d (libkmod names no file): the row says where to look. */
        f->facts.modprobe.items = g_renew(ConfigLine, f->facts.modprobe.items, f->facts.modprobe.n + 1);
        f->facts.modprobe.items[f->facts.modprobe.n] = (ConfigLine){ .file = NULL };
        g_assert_cmpint(strv_split("options vfio_iommu_type1 allow_unsafe_interrupts=1", " ",
                                   &f->facts.modprobe.items[f->facts.modprobe.n++].words),
                        ==, 0);
        rerun_checks(f);
        assert_contains(
                assert_check(f, "interrupt-remapping", HOST_CHECK_WARN)->summary,
                "the modprobe configuration (`modprobe -c`) sets allow_unsafe_interrupts=1, which is "
                "insecure");
}

static void test_intel_persistent(HostFixture *f, gconstpointer data) {
        const HostCheck *c;

        persist(f, "0000:01:00.0", "0000:01:00.1");
        g_assert_cmpstr(find_device(f, "0000:01:00.0")->kernel_modules[0], ==, "nouveau");
        c = assert_check(f, "vfio-bound", HOST_CHECK_WARN);
        assert_contains(c->summary, "0000:01:00.0 (nouveau), 0000:01:00.1 (snd_hda_intel)");
        g_assert_cmpstr(c->remedy, ==,
                        "Run `passthructl bind 0000:01:00.0`, `passthructl bind 0000:01:00.1`.");
        c = assert_check(f, "vfio-boot", HOST_CHECK_PASS);
        assert_contains(c->summary, "0000:01:00.0 (\"options vfio_pci\" in modprobe.d)");
        c = assert_check(f, "initramfs", HOST_CHECK_PASS);
        assert_contains(c->summary, "/boot/initrd.img-6.1.0-27-amd64 carries vfio-pci");
        assert_check(f, "iommu-groups", HOST_CHECK_PASS);
        assert_status(f, HOST_STATUS_DEGRADED);

        /* Bound now: each group on vfio-pci needs its node, and only its owner may open it. */
        set_driver(f, "0000:01:00.0", "vfio-pci");
        set_driver(f, "0000:01:00.1", "vfio-pci");
        run_checks(f);
        assert_check(f, "vfio-bound", HOST_CHECK_PASS);
        assert_contains(assert_check(f, "dev-vfio", HOST_CHECK_WARN)->summary,
                        "without a node in /dev/vfio: 1");
        f->facts.vfio_nodes = g_renew(VfioNode, f->facts.vfio_nodes, f->facts.n_vfio_nodes + 1);
        f->facts.vfio_nodes[f->facts.n_vfio_nodes++] = (VfioNode){ .group = 1, .mode = 0600 };
        rerun_checks(f);
        assert_contains(assert_check(f, "dev-vfio", HOST_CHECK_PASS)->summary, "group nodes: 1");
        assert_status(f, HOST_STATUS_READY);
        f->facts.vfio_nodes[f->facts.n_vfio_nodes - 1].mode = 0666;
        rerun_checks(f);
        assert_contains(assert_check(f, "dev-vfio", HOST_CHECK_WARN)->summary, "any user can open");
}

static void test_intel_no_argument(HostFixture *f, gconstpointer data) {
        const HostCheck *c;

        assert_check(f, "iommu-firmware", HOST_CHECK_PASS);
        c = assert_check(f, "iommu-kernel", HOST_CHECK_FAIL);
        assert_contains(c->summary, "no IOMMU argument on the kernel command line");
        assert_contains(c->remedy, "Add intel_iommu=on to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub");
        assert_contains(c->remedy, "update-grub");
        /* The kernel remaps interrupts without DMA remapping, but that helps nobody here. */
        assert_check(f, "interrupt-remapping", HOST_CHECK_SKIP);
        assert_check(f, "iommu-groups", HOST_CHECK_SKIP);
        assert_contains(assert_check(f, "vfio-modules", HOST_CHECK_WARN)->summary,
                        "available but not loaded");
        assert_check(f, "dev-vfio", HOST_CHECK_SKIP);
        assert_status(f, HOST_STATUS_NOT_READY);

        /* VT-d off in the firmware as well: both steps, firmware first. */
        f->facts.dmar_table = false;
        rerun_checks(f);
        assert_contains(assert_check(f, "iommu-firmware", HOST_CHECK_FAIL)->remedy, "Enable VT-d");
        g_assert_cmpstr(
                assert_check(f, "iommu-kernel", HOST_CHECK_FAIL)->remedy, ==,
                "Enable VT-d (\"Intel Virtualization Technology for Directed I/O\") in the firmware setup "
                "and reboot. Then add intel_iommu=on to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, "
                "run `update-grub` and reboot.");
}

static void test_amd_degraded(HostFixture *f, gconstpointer data) {
        const HostCheck *c;

        assert_contains(assert_check(f, "cpu-virt", HOST_CHECK_PASS)->summary, "svm");
        assert_contains(assert_check(f, "iommu-firmware", HOST_CHECK_PASS)->summary, "IVRS");
        assert_contains(assert_check(f, "iommu-kernel", HOST_CHECK_PASS)->summary, "AMD-Vi: Found IOMMU");
        c = assert_check(f, "interrupt-remapping", HOST_CHECK_PASS);
        assert_contains(c->summary, "AMD-Vi: Interrupt remapping enabled");
        /* 6.12 has no vfio_virqfd: not asked for, and a line naming it is a fault. */
        c = assert_check(f, "vfio-modules", HOST_CHECK_WARN);
        g_assert_cmpstr(c->summary, ==, "available but not loaded: vfio, vfio_iommu_type1, vfio_pci");
        c = assert_check(f, "modules-boot", HOST_CHECK_WARN);
        assert_contains(c->summary, "/etc/modules-load.d/vfio.conf:4 lists vfio_virqfd");
        g_assert_cmpstr(c->remedy, ==, "Delete line 4 of /etc/modules-load.d/vfio.conf.");
        /* The chipset's functions share a group: named, members listed, bridges left out. */
        c = assert_check(f, "iommu-groups", HOST_CHECK_WARN);
        assert_contains(c->summary, "group 1 (0000:02:00.0 0000:02:00.1 0000:04:00.0 0000:05:00.0)");
        g_assert_null(strstr(c->summary, "group 3"));
        g_assert_null(strstr(c->summary, "group 4"));
        assert_check(f, "dev-vfio", HOST_CHECK_SKIP);
        assert_no_amd_iommu_on(f);
        assert_status(f, HOST_STATUS_DEGRADED);

        /* No firmware table, groups but no unit in /sys/class/iommu: the row counts what is there. */
        f->facts.ivrs_table = false;
        f->facts.n_iommus = 0;
        rerun_checks(f);
        assert_contains(assert_check(f, "iommu-firmware", HOST_CHECK_PASS)->summary,
                        "but the kernel has IOMMU groups (");
        f->facts.n_iommus = 1;
        rerun_checks(f);
        assert_contains(assert_check(f, "iommu-firmware", HOST_CHECK_PASS)->summary, "an IOMMU (1 unit)");
}

#define VFIO_BOOT_REMEDY                                                                           \
        "Run `passthructl boot-config` (preview it with --dry-run): it binds the devices kept on " \
        "vfio-pci by address in the initramfs, before any host driver."

static void test_amd_persistent(HostFixture *f, gconstpointer data) {
        const HostCheck *c;

        persist(f, "0000:0b:00.0", "0000:0b:00.1");
        /* Only the groups of the devices kept on vfio-pci matter now. */
        assert_contains(assert_check(f, "iommu-groups", HOST_CHECK_PASS)->summary,
                        "every device kept on vfio-pci");
        c = assert_check(f, "vfio-boot", HOST_CHECK_WARN);
        assert_contains(c->summary, "0000:0b:00.0 (\"options vfio_pci\" in modprobe.d)");
        assert_contains(c->summary, "0000:0b:00.1: snd_hda_intel takes it first (vfio-pci has its ID");
        g_assert_cmpstr(c->remedy, ==, VFIO_BOOT_REMEDY);

        /* passthru's own early binding keeps the host driver off: the address in the early-bind
         * list, which the initramfs carries (unknown here: the image could not be listed). */
        g_assert_cmpint(strv_extend(&f->facts.boot.early, "0000:0b:00.1"), >=, 0);
        f->facts.boot.image_early_list = -1;
        rerun_checks(f);
        c = assert_check(f, "vfio-boot", HOST_CHECK_PASS);
        assert_contains(c->summary, "0000:0b:00.1 (bound early by address, /etc/passthru/early-bind.list)");
        /* The modules come with the early binding when every kept device is bound early (the
         * lines of modules-load.d hidden for a moment: they are freed with their count). */
        size_t boot_modules = f->facts.boot_modules.n;
        f->facts.boot_modules.n = 0;
        rerun_checks(f);
        c = assert_check(f, "modules-boot", HOST_CHECK_WARN);
        assert_contains(c->summary, "not loaded at boot");
        g_assert_cmpint(strv_extend(&f->facts.boot.early, "0000:0b:00.0"), >=, 0);
        rerun_checks(f);
        c = assert_check(f, "modules-boot", HOST_CHECK_PASS);
        assert_contains(c->summary, "loaded in the initramfs by passthru's early binding");
        g_assert_cmpstr(c->remedy, ==, "");
        /* An image built before the list does not bind it early yet. */
        f->facts.boot.image_early_list = 0;
        rerun_checks(f);
        assert_contains(assert_check(f, "modules-boot", HOST_CHECK_WARN)->summary, "not loaded at boot");
        f->facts.boot_modules.n = boot_modules;
        rerun_checks(f);
        c = assert_check(f, "vfio-boot", HOST_CHECK_WARN);
        assert_contains(c->summary,
                        "0000:0b:00.1: snd_hda_intel takes it first (it is in "
                        "/etc/passthru/early-bind.list, but the initramfs does not carry the list yet)");
        g_assert_cmpstr(c->remedy, ==, VFIO_BOOT_REMEDY);
        c = assert_check(f, "initramfs", HOST_CHECK_WARN);
        assert_contains(c->summary, "/boot/initrd.img-6.12.48+deb13-amd64 does not carry vfio-pci");
        assert_contains(c->remedy, "/etc/initramfs-tools/modules");
        assert_contains(c->remedy, "lsinitramfs /boot/initrd.img-$(uname -r) | grep vfio");
        assert_no_amd_iommu_on(f);
}

static void test_amd_no_iommu(HostFixture *f, gconstpointer data) {
        const HostCheck *c;

        g_assert_true(f->facts.klog->complete);
        c = assert_check(f, "iommu-firmware", HOST_CHECK_FAIL);
        assert_contains(c->summary, "no ACPI DMAR or IVRS table");
        assert_contains(c->remedy, "firmware setup");
        c = assert_check(f, "iommu-kernel", HOST_CHECK_FAIL);
        assert_contains(c->remedy, "firmware setup");
        assert_check(f, "interrupt-remapping", HOST_CHECK_SKIP);
        assert_check(f, "iommu-pt", HOST_CHECK_SKIP);
        assert_no_amd_iommu_on(f);
        assert_status(f, HOST_STATUS_NOT_READY);
}

/* The recorded hosts (tests/data/hostcheck/recorded-*): the guests of tests/vm, whose
 * kernel wrote these logs and files. Each case asserts what its hostcheck-* scenario asserts
 * of `passthructl check` in that guest, so a regression shows here without booting one.
 * They were recorded with the topology full, whose conventional PCI bridge puts its two
 * functions in one group (no ACS): iommu-groups warns, where the scenarios' single NIC
 * passes. */
static void assert_recorded_bridge_group(HostFixture *f) {
        assert_contains(assert_check(f, "iommu-groups", HOST_CHECK_WARN)->summary,
                        "group 6 (0000:01:01.0 0000:01:02.0)");
}

/* The host would be ready but for the rows named: every other row passes or is skipped. */
static void assert_ready_but(HostFixture *f, const char *const *ids) {
        for (size_t i = 0; i < f->checks.n; i++) {
                const HostCheck *c = &f->checks.items[i];

                if (strv_contains((char *const *) ids, c->id))
                        continue;
                if (c->status != HOST_CHECK_PASS && c->status != HOST_CHECK_SKIP)
                        g_error("%s is %s: %s", c->id, host_check_status_to_string(c->status), c->summary);
        }
        assert_status(f, HOST_STATUS_DEGRADED);
}

static void test_recorded_intel(HostFixture *f, gconstpointer data) {
        g_assert_true(f->facts.klog->complete);
        g_assert_cmpstr(f->facts.cpu_vendor, ==, "AuthenticAMD"); /* TCG's -cpu max */
        assert_contains(assert_check(f, "cpu-virt", HOST_CHECK_PASS)->summary, "svm");
        /* The recorder loaded vfio-pci, as hostcheck-intel does. */
        assert_intel_vfio_host(f, "12 IOMMU groups", "IR- chips in /proc/interrupts",
                               "DMAR-IR: Enabled IRQ remapping in xapic mode");
        assert_recorded_bridge_group(f);
        assert_ready_but(f, (const char *const[]){ "iommu-groups", NULL });
}

static void test_recorded_intel_nointremap(HostFixture *f, gconstpointer data) {
        const HostCheck *c;

        g_assert_cmpuint(f->facts.n_ir_chips, ==, 0);
        assert_contains(assert_check(f, "iommu-kernel", HOST_CHECK_PASS)->summary, "DMAR: IOMMU enabled");
        c = assert_check(f, "interrupt-remapping", HOST_CHECK_WARN);
        assert_contains(c->summary, "off: no IR- chips in /proc/interrupts");
        assert_contains(c->remedy, "allow_unsafe_interrupts=1");
        assert_contains(c->remedy, "insecure");
        assert_recorded_bridge_group(f);
        assert_ready_but(f, (const char *const[]){ "interrupt-remapping", "iommu-groups", NULL });
}

static void test_recorded_amd(HostFixture *f, gconstpointer data) {
        const HostCheck *c;

        g_assert_true(f->facts.klog->complete);
        assert_contains(assert_check(f, "cpu-virt", HOST_CHECK_PASS)->summary, "svm");
        assert_contains(assert_check(f, "iommu-firmware", HOST_CHECK_PASS)->summary, "ACPI IVRS table");
        /* 6.1 prefixes the line with the IOMMU's own PCI function. */
        assert_contains(assert_check(f, "iommu-kernel", HOST_CHECK_PASS)->summary,
                        "pci 0000:00:05.0: AMD-Vi: Found IOMMU");
        c = assert_check(f, "interrupt-remapping", HOST_CHECK_PASS);
        assert_contains(c->summary, "AMD-Vi: Interrupt remapping enabled");
        assert_check(f, "vfio-modules", HOST_CHECK_PASS);
        assert_no_amd_iommu_on(f);
        assert_recorded_bridge_group(f);
        assert_ready_but(f, (const char *const[]){ "iommu-groups", NULL });
}

static void test_recorded_noiommu(HostFixture *f, gconstpointer data) {
        const HostCheck *c;

        g_assert_true(f->facts.klog->complete);
        g_assert_cmpstr(f->facts.cpu_vendor, ==, "GenuineIntel"); /* -cpu max,vendor=GenuineIntel */
        c = assert_check(f, "iommu-firmware", HOST_CHECK_FAIL);
        assert_contains(c->summary, "no ACPI DMAR or IVRS table");
        assert_contains(c->remedy, "in the firmware setup");
        c = assert_check(f, "iommu-kernel", HOST_CHECK_FAIL);
        assert_contains(c->summary, "/sys/kernel/iommu_groups is empty");
        assert_contains(c->remedy, "in the firmware setup");
        assert_contains(c->remedy,
                        "Then add intel_iommu=on to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub");
        assert_check(f, "interrupt-remapping", HOST_CHECK_SKIP);
        assert_check(f, "iommu-groups", HOST_CHECK_SKIP);
        assert_no_amd_iommu_on(f);
        assert_status(f, HOST_STATUS_NOT_READY);
}

static void test_klog_records(void) {
        g_autofree char *wrapped = g_strdup(
                g_test_get_filename(G_TEST_DIST, "data", "hostcheck", "intel", "kmsg-wrapped", NULL));
        g_autofree char *complete =
                g_strdup(g_test_get_filename(G_TEST_DIST, "data", "hostcheck", "intel", "kmsg", NULL));
        _cleanup_(klog_freep) Klog *k = NULL;

        g_assert_cmpint(klog_read_kmsg(wrapped, &k), ==, 0);
        /* Eight records; the dictionary lines of one are not messages. */
        g_assert_cmpuint(strv_length(k->lines), ==, 8);
        g_assert_false(k->complete);
        g_assert_cmpstr(k->lines[0], ==,
                        "wlp0s20f3: disconnect from AP 3c:84:6a:11:22:33 for new auth to "
                        "3c:84:6a:11:22:34");
        g_assert_null(klog_find(k, "SUBSYSTEM=hid"));
        k = klog_free(k);

        g_assert_cmpint(klog_read(complete, false, &k), ==, 0);
        g_assert_true(k->complete);
        g_assert_cmpstr(k->source, ==, complete);
        g_assert_cmpstr(klog_find(k, "DMAR-IR: Enabled"), ==,
                        "DMAR-IR: Enabled IRQ remapping in x2apic mode");
        k = klog_free(k);

        /* Nothing readable: an empty log that does not claim to be complete. */
        g_assert_cmpint(klog_read("/nonexistent/kmsg", false, &k), ==, 0);
        g_assert_null(k->lines[0]);
        g_assert_false(k->complete);
}

/* /dev/kmsg never ends; a reader that waits for more would hang the daemon. A FIFO with a
 * writer still attached behaves the same way: read until EAGAIN, then return. */
static void test_klog_never_blocks(void) {
        g_autofree char *dir = g_dir_make_tmp("passthru-kmsg-XXXXXX", NULL);
        g_autofree char *fifo = g_build_filename(dir, "kmsg", NULL);
        const char records[] = "6,0,0,-;Linux version 6.1.0-27-amd64\n6,1,10,-;DMAR: IOMMU enabled\n";
        _cleanup_(klog_freep) Klog *k = NULL;
        int writer;

        g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
        writer = open(fifo, O_RDWR | O_CLOEXEC);
        g_assert_cmpint(writer, >=, 0);
        g_assert_cmpint(write(writer, records, strlen(records)), ==, (ssize_t) strlen(records));
        alarm(10); /* a blocking read ends the test with SIGALRM */
        g_assert_cmpint(klog_read_kmsg(fifo, &k), ==, 0);
        alarm(0);
        g_assert_cmpuint(strv_length(k->lines), ==, 2);
        g_assert_true(k->complete);
        close(writer);
        g_assert_cmpint(g_unlink(fifo), ==, 0);
        g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* klog_parse() takes a buffer without a NUL: the header's sequence number is read within
 * the record (sscanf() on the record read past the buffer; libFuzzer found it). The buffer
 * is allocated to its exact size, so memcheck (`meson test --setup valgrind`) catches a read
 * beyond it; ASan does not see reads inside libc's sscanf(). */
static void test_klog_parse_unterminated(void) {
        const char text[] = "6,0,0,-;Linux version 6.1.0-27-amd64\n6,1,10,-;DMAR: IOMMU enabled\n4,2";
        g_autofree char *buf = g_memdup2(text, strlen(text));
        _cleanup_(klog_freep) Klog *k = NULL;

        g_assert_cmpint(klog_parse("test", buf, strlen(text), &k), ==, 0);
        g_assert_cmpuint(k->n_lines, ==, 2);
        g_assert_cmpstr(k->lines[1], ==, "DMAR: IOMMU enabled");
        g_assert_true(k->complete);
        k = klog_free(k);

        /* A header whose sequence number runs to the buffer's end. */
        g_assert_cmpint(klog_parse("test", buf + strlen(text) - 2, 2, &k), ==, 0);
        g_assert_cmpuint(k->n_lines, ==, 0);
}

static void test_status_rule(void) {
        HostCheck items[] = {
                { .id = "a", .status = HOST_CHECK_PASS },
                { .id = "b", .status = HOST_CHECK_SKIP },
                { .id = "c", .status = HOST_CHECK_WARN },
                { .id = "d", .status = HOST_CHECK_FAIL },
        };
        HostChecks c = { .items = items, .n = 2 };

        g_assert_cmpint(host_status_from_checks(&c), ==, HOST_STATUS_READY);
        c.n = 3;
        g_assert_cmpint(host_status_from_checks(&c), ==, HOST_STATUS_DEGRADED);
        c.n = 4;
        g_assert_cmpint(host_status_from_checks(&c), ==, HOST_STATUS_NOT_READY);
        g_assert_cmpstr(host_status_to_string(HOST_STATUS_NOT_READY), ==, "not-ready");
}

/* The boot-configuration rows, one case a row: BootFacts as host-facts-boot.c reads them. */
typedef struct BootCase {
        const char *name;
        const char *persisted, *early; /* blank-separated addresses; NULL: none / no list */
        const char *generator;
        int image_early_list;      /* as BootFacts */
        long input_age, image_age; /* seconds before now; 0: no such file */
        const char *configured;    /* command line arguments configured, NULL: no file */
        const char *running;       /* /proc/cmdline */
        const char *lockdown;
        bool vfio_loaded;
        const char *id;
        HostCheckStatus status;
        const char *summary; /* a part of it */
} BootCase;

static const BootCase boot_cases[] = {
        { "nothing kept", NULL, NULL, "initramfs-tools", -1, 0, 100, NULL, "", NULL, false, "boot-early",
          HOST_CHECK_SKIP, "no device is kept" },
        { "kept, not early", "0000:01:00.0", NULL, "initramfs-tools", 0, 0, 100, NULL, "", NULL, false,
          "boot-early", HOST_CHECK_WARN, "kept on vfio-pci but not bound early: 0000:01:00.0" },
        { "kept and early", "0000:01:00.0", "0000:01:00.0", "initramfs-tools", 1, 200, 100, NULL, "", NULL,
          false, "boot-early", HOST_CHECK_PASS, "bound early by address" },
        { "early but forgotten", "0000:01:00.0", "0000:01:00.0 0000:02:00.0", "initramfs-tools", 1, 200, 100,
          NULL, "", NULL, false, "boot-early", HOST_CHECK_WARN, "no longer kept: 0000:02:00.0" },
        { "image fresh", "0000:01:00.0", "0000:01:00.0", "initramfs-tools", 1, 200, 100, NULL, "", NULL,
          false, "initramfs-stale", HOST_CHECK_PASS, "carries the early-bind list" },
        { "list newer than image", "0000:01:00.0", "0000:01:00.0", "initramfs-tools", 1, 100, 200, NULL, "",
          NULL, false, "initramfs-stale", HOST_CHECK_WARN, "/etc/passthru/early-bind.list changed after" },
        { "image without list", "0000:01:00.0", "0000:01:00.0", "initramfs-tools", 0, 200, 100, NULL, "",
          NULL, false, "initramfs-stale", HOST_CHECK_WARN, "does not carry /etc/passthru/early-bind.list" },
        { "list removed, image keeps it", NULL, NULL, "initramfs-tools", 1, 0, 100, NULL, "", NULL, false,
          "initramfs-stale", HOST_CHECK_WARN, "still carries an early-bind list" },
        { "no image", "0000:01:00.0", "0000:01:00.0", "initramfs-tools", -1, 200, 0, NULL, "", NULL, false,
          "initramfs-stale", HOST_CHECK_SKIP, "no /boot/initrd.img-" },
        { "no generator", "0000:01:00.0", "0000:01:00.0", NULL, -1, 200, 100, NULL, "", NULL, false,
          "boot-setup", HOST_CHECK_WARN, "no initramfs generator passthru knows" },
        { "generator found", "0000:01:00.0", "0000:01:00.0", "dracut", 1, 200, 100, NULL, "", NULL, false,
          "boot-setup", HOST_CHECK_PASS,
          "initramfs generator: dracut; no command line configuration passthru" },
        { "nothing found", NULL, NULL, NULL, -1, 0, 0, NULL, "", NULL, false, "boot-setup", HOST_CHECK_SKIP,
          "no initramfs generator and no command line configuration passthru knows" },
        { "cmdline pending", NULL, NULL, "initramfs-tools", -1, 0, 100, "intel_iommu=on iommu=pt",
          "BOOT_IMAGE=/vmlinuz intel_iommu=on quiet", NULL, false, "cmdline-pending", HOST_CHECK_WARN,
          "iommu=pt configured in /etc/default/grub" },
        { "cmdline applied", NULL, NULL, "initramfs-tools", -1, 0, 100, "intel_iommu=on",
          "BOOT_IMAGE=/vmlinuz intel_iommu=on quiet", NULL, false, "cmdline-pending", HOST_CHECK_PASS,
          "the running command line has what /etc/default/grub configures" },
        { "no cmdline file", NULL, NULL, "initramfs-tools", -1, 0, 100, NULL, "", NULL, false,
          "cmdline-pending", HOST_CHECK_SKIP, "no kernel command line configuration" },
        { "lockdown none", NULL, NULL, NULL, -1, 0, 0, NULL, "", "none", false, "lockdown", HOST_CHECK_PASS,
          "kernel lockdown: none" },
        { "lockdown, vfio-pci not loaded", NULL, NULL, NULL, -1, 0, 0, NULL, "", "integrity", false,
          "lockdown", HOST_CHECK_WARN, "only signed modules load, and vfio-pci is not loaded yet" },
        { "lockdown, vfio-pci loaded", NULL, NULL, NULL, -1, 0, 0, NULL, "", "confidentiality", true,
          "lockdown", HOST_CHECK_PASS, "vfio-pci is loaded" },
};

static char **words_or_null(const char *s) {
        char **l = NULL;

        if (s)
                g_assert_cmpint(strv_split(s, " ", &l), >=, 0);
        return l;
}

static void test_boot_rows(HostFixture *f, gconstpointer data) {
        for (size_t i = 0; i < G_N_ELEMENTS(boot_cases); i++) {
                const BootCase *bc = &boot_cases[i];
                BootFacts *b = &f->facts.boot;
                struct timespec now;
                const HostCheck *c;

                g_test_message("case: %s", bc->name);
                clock_gettime(CLOCK_REALTIME, &now);
                boot_facts_done(b);
                b->read = true;
                b->generator = bc->generator;
                b->persisted = words_or_null(bc->persisted);
                b->early = words_or_null(bc->early);
                b->early_list = bc->early != NULL;
                b->image_early_list = bc->image_early_list;
                if (bc->input_age) {
                        b->newest_input = g_strdup("/etc/passthru/early-bind.list");
                        b->newest_input_mtime = (struct timespec){ .tv_sec = now.tv_sec - bc->input_age };
                }
                b->image = bc->image_age > 0;
                b->image_mtime = (struct timespec){ .tv_sec = now.tv_sec - bc->image_age };
                if (bc->configured) {
                        b->cmdline_file = g_strdup("/etc/default/grub");
                        b->cmdline_configured = words_or_null(bc->configured);
                }
                free(f->facts.cmdline);
                f->facts.cmdline = g_strdup(bc->running);
                b->lockdown = g_strdup(bc->lockdown);
                f->facts.modules[HOST_MODULE_VFIO_PCI].loaded = bc->vfio_loaded;
                f->facts.modules[HOST_MODULE_VFIO_PCI].availability = KMOD_MODULE;
                rerun_checks(f);
                c = host_checks_find(&f->checks, bc->id);
                g_assert_nonnull(c);
                if (c->status != bc->status || !strstr(c->summary, bc->summary))
                        g_error("case \"%s\": %s is %s: %s", bc->name, bc->id,
                                host_check_status_to_string(c->status), c->summary);
                if (bc->status == HOST_CHECK_WARN)
                        g_assert_cmpstr(c->remedy, !=, "");
        }
}

static const HostParam intel = { "intel", "kmsg" };
static const HostParam intel_wrapped = { "intel", "kmsg-wrapped" };
static const HostParam intel_noarg = { "intel-noarg", "kmsg" };
static const HostParam amd = { "amd", "kmsg" };
static const HostParam amd_noiommu = { "amd-noiommu", "kmsg" };
static const HostParam recorded_intel = { "recorded-intel", "kmsg" };
static const HostParam recorded_intel_nointremap = { "recorded-intel-nointremap", "kmsg" };
static const HostParam recorded_amd = { "recorded-amd", "kmsg" };
static const HostParam recorded_noiommu = { "recorded-noiommu", "kmsg" };

#define ADD(path, param, func) g_test_add(path, HostFixture, &(param), fixture_setup, func, fixture_teardown)

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        ADD("/hostcheck/intel/ready", intel, test_intel_ready);
        ADD("/hostcheck/intel/iommu-pt", intel, test_intel_iommu_pt);
        ADD("/hostcheck/intel/secure-boot", intel, test_intel_secure_boot);
        ADD("/hostcheck/intel/wrapped-log", intel_wrapped, test_intel_wrapped_log);
        ADD("/hostcheck/intel/no-interrupt-remapping", intel, test_intel_no_ir);
        ADD("/hostcheck/intel/persistent", intel, test_intel_persistent);
        ADD("/hostcheck/intel/no-argument", intel_noarg, test_intel_no_argument);
        ADD("/hostcheck/amd/degraded", amd, test_amd_degraded);
        ADD("/hostcheck/amd/persistent", amd, test_amd_persistent);
        ADD("/hostcheck/amd/no-iommu", amd_noiommu, test_amd_no_iommu);
        ADD("/hostcheck/recorded/intel", recorded_intel, test_recorded_intel);
        ADD("/hostcheck/recorded/intel-nointremap", recorded_intel_nointremap,
            test_recorded_intel_nointremap);
        ADD("/hostcheck/recorded/amd", recorded_amd, test_recorded_amd);
        ADD("/hostcheck/recorded/noiommu", recorded_noiommu, test_recorded_noiommu);
        ADD("/hostcheck/boot/rows", intel, test_boot_rows);
        g_test_add_func("/hostcheck/klog/records", test_klog_records);
        g_test_add_func("/hostcheck/klog/never-blocks", test_klog_never_blocks);
        g_test_add_func("/hostcheck/klog/parse-unterminated", test_klog_parse_unterminated);
        g_test_add_func("/hostcheck/status-rule", test_status_rule);
        return g_test_run();
}
