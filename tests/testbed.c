/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI hosts on a umockdev testbed (see testbed.h): what the kernel would show in sysfs for
 * each function, with the links made relative and checked to stay inside the testbed. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <umockdev.h>
#include <unistd.h>

#include "testbed.h"

#define ROOT_BUS "/devices/pci0000:00"

struct Testbed {
        UMockdevTestbed *umockdev;
        char *root; /* canonical: no symlink in it */
        char *sys;
        GHashTable *devpaths; /* address -> devpath */
};

/* Group numbers as a consumer Intel board with ACS on the switch would give them. */
const TestbedFunction testbed_host[] = {
        /* GPU behind the x16 root port: port, VGA and HDA audio share group 1. */
        { .address = "0000:00:01.0",
          .vendor = 0x8086,
          .device = 0x1901,
          .class_code = 0x060400,
          .driver = "pcieport",
          .iommu_group = 1,
          .numa_node = -1 },
        { .address = "0000:01:00.0",
          .parent = "0000:00:01.0",
          .vendor = 0x10de,
          .device = 0x1b80,
          .subsystem_vendor = 0x1043,
          .subsystem_device = 0x85aa,
          .class_code = 0x030000,
          .revision = 0xa1,
          .driver = "nouveau",
          .iommu_group = 1,
          .boot_vga = true,
          .numa_node = -1,
          .reset_method = "bus" },
        { .address = "0000:01:00.1",
          .parent = "0000:00:01.0",
          .vendor = 0x10de,
          .device = 0x10f0,
          .subsystem_vendor = 0x1043,
          .subsystem_device = 0x85aa,
          .class_code = 0x040300,
          .revision = 0xa1,
          .driver = "snd_hda_intel",
          .iommu_group = 1,
          .numa_node = -1,
          .reset_method = "bus" },
        /* SR-IOV NIC: the PF with two VFs enabled, one VF already on vfio-pci. */
        { .address = "0000:00:1c.0",
          .vendor = 0x8086,
          .device = 0xa110,
          .class_code = 0x060400,
          .driver = "pcieport",
          .iommu_group = 2,
          .numa_node = -1 },
        { .address = "0000:03:00.0",
          .parent = "0000:00:1c.0",
          .vendor = 0x8086,
          .device = 0x1521,
          .subsystem_vendor = 0x8086,
          .subsystem_device = 0x0001,
          .class_code = 0x020000,
          .revision = 0x01,
          .driver = "igb",
          .iommu_group = 3,
          .numa_node = 0,
          .reset_method = "flr bus",
          .sriov_totalvfs = 7,
          .sriov_numvfs = 2 },
        { .address = "0000:03:10.0",
          .parent = "0000:00:1c.0",
          .vendor = 0x8086,
          .device = 0x1520,
          .subsystem_vendor = 0x8086,
          .subsystem_device = 0x0001,
          .class_code = 0x020000,
          .revision = 0x01,
          .driver = "igbvf",
          .iommu_group = 4,
          .numa_node = 0,
          .reset_method = "flr",
          .physfn = "0000:03:00.0" },
        { .address = "0000:03:10.4",
          .parent = "0000:00:1c.0",
          .vendor = 0x8086,
          .device = 0x1520,
          .subsystem_vendor = 0x8086,
          .subsystem_device = 0x0001,
          .class_code = 0x020000,
          .revision = 0x01,
          .driver = "vfio-pci",
          .iommu_group = 5,
          .numa_node = 0,
          .reset_method = "flr",
          .physfn = "0000:03:00.0" },
        /* PCIe switch (upstream and downstream port) with an NVMe drive behind it. */
        { .address = "0000:00:1d.0",
          .vendor = 0x8086,
          .device = 0xa118,
          .class_code = 0x060400,
          .driver = "pcieport",
          .iommu_group = 6,
          .numa_node = -1 },
        { .address = "0000:04:00.0",
          .parent = "0000:00:1d.0",
          .vendor = 0x10b5,
          .device = 0x8747,
          .class_code = 0x060400,
          .revision = 0xca,
          .driver = "pcieport",
          .iommu_group = 7,
          .numa_node = -1 },
        { .address = "0000:05:08.0",
          .parent = "0000:04:00.0",
          .vendor = 0x10b5,
          .device = 0x8747,
          .class_code = 0x060400,
          .revision = 0xca,
          .driver = "pcieport",
          .iommu_group = 8,
          .numa_node = -1 },
        { .address = "0000:06:00.0",
          .parent = "0000:05:08.0",
          .vendor = 0x144d,
          .device = 0xa808,
          .subsystem_vendor = 0x144d,
          .subsystem_device = 0xa801,
          .class_code = 0x010802,
          .driver = "nvme",
          .iommu_group = 9,
          .numa_node = 0,
          .reset_method = "flr bus" },
        /* Conventional PCI bridge: no ACS, so it and all behind it form group 10. */
        { .address = "0000:00:1e.0",
          .vendor = 0x8086,
          .device = 0x244e,
          .class_code = 0x060401,
          .revision = 0xd5,
          .iommu_group = 10,
          .numa_node = -1 },
        { .address = "0000:07:00.0",
          .parent = "0000:00:1e.0",
          .vendor = 0x8086,
          .device = 0x100e,
          .subsystem_vendor = 0x8086,
          .subsystem_device = 0x001e,
          .class_code = 0x020000,
          .revision = 0x02,
          .driver = "e1000",
          .iommu_group = 10,
          .numa_node = -1 },
        { .address = "0000:07:01.0",
          .parent = "0000:00:1e.0",
          .vendor = 0x1a03,
          .device = 0x2000,
          .subsystem_vendor = 0x1a03,
          .subsystem_device = 0x2000,
          .class_code = 0x030000,
          .revision = 0x41,
          .iommu_group = 10,
          .numa_node = -1 },
};
const size_t testbed_host_len = G_N_ELEMENTS(testbed_host);

const TestbedFunction testbed_hotplug_nic = {
        .address = "0000:00:05.0",
        .vendor = 0x8086,
        .device = 0x10d3,
        .subsystem_vendor = 0x8086,
        .subsystem_device = 0xa01f,
        .class_code = 0x020000,
        .driver = "e1000e",
        .iommu_group = 11,
        .numa_node = -1,
        .reset_method = "flr bus",
};

#define SPARE_NIC(slot, group)                                                                  \
        {                                                                                       \
                .address = "0000:00:" slot ".0", .vendor = 0x8086, .device = 0x10d3,            \
                .subsystem_vendor = 0x8086, .subsystem_device = 0xa01f, .class_code = 0x020000, \
                .driver = "e1000e", .iommu_group = group, .numa_node = -1                       \
        }
const TestbedFunction testbed_spare_nics[] = {
        SPARE_NIC("10", 20), SPARE_NIC("11", 21), SPARE_NIC("12", 22),
        SPARE_NIC("13", 23), SPARE_NIC("14", 24), SPARE_NIC("15", 25),
        SPARE_NIC("16", 26), SPARE_NIC("17", 27), SPARE_NIC("18", 28),
};
const size_t testbed_spare_nics_len = G_N_ELEMENTS(testbed_spare_nics);

const TestbedFunction *testbed_function_find(const char *address) {
        const TestbedFunction *f = testbed_host_find(address);

        if (f)
                return f;
        if (g_str_equal(address, testbed_hotplug_nic.address))
                return &testbed_hotplug_nic;
        for (size_t i = 0; i < testbed_spare_nics_len; i++)
                if (g_str_equal(testbed_spare_nics[i].address, address))
                        return &testbed_spare_nics[i];
        return NULL;
}

const TestbedFunction *testbed_host_find(const char *address) {
        for (size_t i = 0; i < testbed_host_len; i++)
                if (g_str_equal(testbed_host[i].address, address))
                        return &testbed_host[i];
        return NULL;
}

/* Whether open() is the preload's. (umockdev_in_mock_environment() cannot tell before a
 * testbed exists, and caches that answer.) */
const char *testbed_unavailable_reason(void) {
        void *open_symbol = dlsym(RTLD_DEFAULT, "open");
        Dl_info info;

        if (!open_symbol || dladdr(open_symbol, &info) == 0 || !info.dli_fname ||
            !strstr(info.dli_fname, "libumockdev-preload"))
                return "the umockdev preload is not in effect: run through meson test, or with "
                       "LD_PRELOAD=libumockdev-preload.so.0";
        return NULL;
}

static void skip_test(gconstpointer reason) {
        g_test_skip(reason);
}

bool test_skip_all(const char *prefix, const char *reason) {
        g_autofree char *path = NULL;

        if (!reason)
                return false;
        path = g_strconcat(prefix, "/skipped", NULL);
        g_test_add_data_func(path, reason, skip_test);
        return true;
}

bool testbed_skip_all(const char *prefix) {
        return test_skip_all(prefix, testbed_unavailable_reason());
}

/* Opening "/sys" must give the testbed's sys: the daemon relies on this redirection. */
static void assert_sys_redirected(Testbed *tb) {
        struct stat via_preload, direct;
        int fd;

        fd = open("/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        g_assert_no_errno(fstat(fd, &via_preload));
        close(fd);
        g_assert_no_errno(stat(tb->sys, &direct));
        g_assert_cmpuint(via_preload.st_dev, ==, direct.st_dev);
        g_assert_cmpuint(via_preload.st_ino, ==, direct.st_ino);
}

static void unlink_in_root(Testbed *tb, const char *path) {
        g_autofree char *full = g_build_filename(tb->root, path, NULL);

        if (unlink(full) < 0)
                g_assert_cmpint(errno, ==, ENOENT);
}

static void mkdir_in_root(Testbed *tb, const char *path) {
        g_autofree char *full = g_build_filename(tb->root, path, NULL);

        g_assert_no_errno(g_mkdir_with_parents(full, 0755));
}

static void write_in_root(Testbed *tb, const char *path, const char *contents) {
        g_autofree char *full = g_build_filename(tb->root, path, NULL);
        g_autoptr(GError) error = NULL;

        g_file_set_contents(full, contents, -1, &error);
        g_assert_no_error(error);
}

Testbed *testbed_new(void) {
        Testbed *tb = g_new0(Testbed, 1);
        g_autofree char *root = NULL;

        g_assert_null(testbed_unavailable_reason());
        tb->umockdev = umockdev_testbed_new();
        root = umockdev_testbed_get_root_dir(tb->umockdev);
        tb->root = realpath(root, NULL);
        g_assert_nonnull(tb->root);
        tb->sys = g_build_filename(tb->root, "sys", NULL);
        tb->devpaths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        mkdir_in_root(tb, "sys" ROOT_BUS);
        mkdir_in_root(tb, "sys/bus/pci/drivers");
        mkdir_in_root(tb, "sys/kernel/iommu_groups");
        write_in_root(tb, "sys/bus/pci/drivers_probe", "");
        testbed_set_console(tb, false);
        assert_sys_redirected(tb);
        return tb;
}

void testbed_free(Testbed *tb) {
        if (!tb)
                return;
        /* Removes the whole tree, then drops UMOCKDEV_DIR from the environment. */
        g_object_unref(tb->umockdev);
        g_hash_table_unref(tb->devpaths);
        g_free(tb->sys);
        free(tb->root);
        g_free(tb);
}

/* vtcon0 is the dummy console every kernel has; fbcon adds vtcon1 and takes over. */
void testbed_set_console(Testbed *tb, bool framebuffer) {
        mkdir_in_root(tb, "sys/class/vtconsole/vtcon0");
        write_in_root(tb, "sys/class/vtconsole/vtcon0/name", "(S) dummy device\n");
        write_in_root(tb, "sys/class/vtconsole/vtcon0/bind", framebuffer ? "0\n" : "1\n");
        if (framebuffer) {
                mkdir_in_root(tb, "sys/class/vtconsole/vtcon1");
                write_in_root(tb, "sys/class/vtconsole/vtcon1/name", "(M) frame buffer device\n");
                write_in_root(tb, "sys/class/vtconsole/vtcon1/bind", "1\n");
        } else {
                unlink_in_root(tb, "sys/class/vtconsole/vtcon1/name");
                unlink_in_root(tb, "sys/class/vtconsole/vtcon1/bind");
        }
}

const char *testbed_root_dir(Testbed *tb) {
        return tb->root;
}

const char *testbed_sys_dir(Testbed *tb) {
        return tb->sys;
}

const char *testbed_devpath(Testbed *tb, const char *address) {
        const char *devpath = g_hash_table_lookup(tb->devpaths, address);

        g_assert_nonnull(devpath);
        return devpath;
}

static char *syspath(Testbed *tb, const char *address) {
        return g_strconcat("/sys", testbed_devpath(tb, address), NULL);
}

/* Root-relative path of a device's entry: "sys/devices/.../ADDR/ENTRY". */
static char *entry_path(Testbed *tb, const char *address, const char *entry) {
        return g_build_filename("sys", testbed_devpath(tb, address), entry, NULL);
}

/* The target of a link at `link`, both root-relative, as a path relative to the link's
 * directory: climb to the common ancestor, then descend. */
static char *relative_target(const char *link, const char *target) {
        g_auto(GStrv) from = g_strsplit(link, "/", -1);
        g_auto(GStrv) to = g_strsplit(target, "/", -1);
        size_t n_from = g_strv_length(from) - 1; /* the directory holding the link */
        size_t common = 0;
        GString *s = g_string_new(NULL);

        while (common < n_from && to[common] && g_str_equal(from[common], to[common]))
                common++;
        for (size_t i = common; i < n_from; i++)
                g_string_append(s, "../");
        for (size_t i = common; to[i]; i++)
                g_string_append_printf(s, "%s%s", to[i], to[i + 1] ? "/" : "");
        return g_string_free(s, FALSE);
}

void testbed_symlink(Testbed *tb, const char *link, const char *target) {
        g_autofree char *full = g_build_filename(tb->root, link, NULL);
        g_autofree char *relative = NULL;

        g_assert_false(g_path_is_absolute(link));
        g_assert_false(g_path_is_absolute(target));
        relative = relative_target(link, target);
        g_assert_no_errno(symlink(relative, full));
}

/* The uevent file holds the properties libudev reads and umockdev sends with events. */
static void set_uevent_property(Testbed *tb, const char *address, const char *key, const char *value) {
        g_autofree char *rel = entry_path(tb, address, "uevent");
        g_autofree char *path = g_build_filename(tb->root, rel, NULL);
        g_autofree char *contents = NULL;
        g_autofree char *prefix = g_strconcat(key, "=", NULL);
        g_autoptr(GString) out = g_string_new(NULL);
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) lines = NULL;

        g_file_get_contents(path, &contents, NULL, &error);
        g_assert_no_error(error);
        lines = g_strsplit(contents, "\n", -1);
        for (char **l = lines; *l; l++)
                if (**l && !g_str_has_prefix(*l, prefix))
                        g_string_append_printf(out, "%s\n", *l);
        if (value)
                g_string_append_printf(out, "%s%s\n", prefix, value);
        g_file_set_contents(path, out->str, -1, &error);
        g_assert_no_error(error);
}

static char *driver_dir(const char *driver) {
        return g_build_filename("sys/bus/pci/drivers", driver, NULL);
}

void testbed_set_driver(Testbed *tb, const char *address, const char *driver) {
        g_autofree char *link = entry_path(tb, address, "driver");
        g_autofree char *device = g_build_filename("sys", testbed_devpath(tb, address), NULL);
        g_autofree char *full = g_build_filename(tb->root, link, NULL);
        g_autofree char *old = g_file_read_link(full, NULL);

        if (old) {
                g_autofree char *old_name = g_path_get_basename(old);
                g_autofree char *old_dir = driver_dir(old_name);
                g_autofree char *back = g_build_filename(old_dir, address, NULL);

                unlink_in_root(tb, back);
                unlink_in_root(tb, link);
        }
        if (driver) {
                g_autofree char *dir = driver_dir(driver);
                g_autofree char *back = g_build_filename(dir, address, NULL);
                g_autofree char *bind = g_build_filename(dir, "bind", NULL);
                g_autofree char *unbind = g_build_filename(dir, "unbind", NULL);

                mkdir_in_root(tb, dir);
                write_in_root(tb, bind, "");
                write_in_root(tb, unbind, "");
                testbed_symlink(tb, link, dir);
                testbed_symlink(tb, back, device);
        }
        set_uevent_property(tb, address, "DRIVER", driver);
}

void testbed_set_attr(Testbed *tb, const char *address, const char *attr, const char *value) {
        g_autofree char *path = syspath(tb, address);

        umockdev_testbed_set_attribute(tb->umockdev, path, attr, value);
}

void testbed_remove_attr(Testbed *tb, const char *address, const char *attr) {
        g_autofree char *path = entry_path(tb, address, attr);

        unlink_in_root(tb, path);
}

char *testbed_modalias(const TestbedFunction *f) {
        return g_strdup_printf("pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", f->vendor, f->device,
                               f->subsystem_vendor, f->subsystem_device, f->class_code >> 16,
                               (f->class_code >> 8) & 0xff, f->class_code & 0xff);
}

static void add_iommu_group(Testbed *tb, const TestbedFunction *f) {
        g_autofree char *group = g_strdup_printf("sys/kernel/iommu_groups/%d", f->iommu_group);
        g_autofree char *devices = g_build_filename(group, "devices", NULL);
        g_autofree char *type = g_build_filename(group, "type", NULL);
        g_autofree char *member = g_build_filename(devices, f->address, NULL);
        g_autofree char *link = entry_path(tb, f->address, "iommu_group");
        g_autofree char *device = g_build_filename("sys", testbed_devpath(tb, f->address), NULL);

        mkdir_in_root(tb, devices);
        write_in_root(tb, type, "DMA\n");
        testbed_symlink(tb, link, group);
        testbed_symlink(tb, member, device);
}

/* physfn in the VF, virtfnN in the PF, numbered in the order the VFs are added. */
static void add_sriov_links(Testbed *tb, const TestbedFunction *f) {
        g_autofree char *pf = g_build_filename("sys", testbed_devpath(tb, f->physfn), NULL);
        g_autofree char *vf = g_build_filename("sys", testbed_devpath(tb, f->address), NULL);
        g_autofree char *physfn = g_build_filename(vf, "physfn", NULL);

        testbed_symlink(tb, physfn, pf);
        for (unsigned n = 0;; n++) {
                g_autofree char *virtfn = g_strdup_printf("%s/virtfn%u", pf, n);
                g_autofree char *full = g_build_filename(tb->root, virtfn, NULL);

                if (g_file_test(full, G_FILE_TEST_IS_SYMLINK))
                        continue;
                testbed_symlink(tb, virtfn, vf);
                break;
        }
}

static void push_pair(GPtrArray *a, const char *key, char *value) {
        g_ptr_array_add(a, g_strdup(key));
        g_ptr_array_add(a, value);
}

static GPtrArray *function_attributes(const TestbedFunction *f) {
        GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

        push_pair(a, "vendor", g_strdup_printf("0x%04x", f->vendor));
        push_pair(a, "device", g_strdup_printf("0x%04x", f->device));
        push_pair(a, "subsystem_vendor", g_strdup_printf("0x%04x", f->subsystem_vendor));
        push_pair(a, "subsystem_device", g_strdup_printf("0x%04x", f->subsystem_device));
        push_pair(a, "class", g_strdup_printf("0x%06x", f->class_code));
        push_pair(a, "revision", g_strdup_printf("0x%02x", f->revision));
        push_pair(a, "modalias", testbed_modalias(f));
        push_pair(a, "driver_override", g_strdup("(null)"));
        push_pair(a, "numa_node", g_strdup_printf("%d", f->numa_node));
        push_pair(a, "enable", g_strdup("1"));
        if (f->class_code >> 16 == 0x03)
                push_pair(a, "boot_vga", g_strdup(f->boot_vga ? "1" : "0"));
        if (f->reset_method)
                push_pair(a, "reset_method", g_strdup(f->reset_method));
        if (f->sriov_totalvfs > 0) {
                push_pair(a, "sriov_totalvfs", g_strdup_printf("%u", f->sriov_totalvfs));
                push_pair(a, "sriov_numvfs", g_strdup_printf("%u", f->sriov_numvfs));
                push_pair(a, "sriov_drivers_autoprobe", g_strdup("1"));
        }
        g_ptr_array_add(a, NULL);
        return a;
}

static GPtrArray *function_properties(const TestbedFunction *f) {
        GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

        push_pair(a, "PCI_CLASS", g_strdup_printf("%X", f->class_code));
        push_pair(a, "PCI_ID", g_strdup_printf("%04X:%04X", f->vendor, f->device));
        push_pair(a, "PCI_SUBSYS_ID",
                  g_strdup_printf("%04X:%04X", f->subsystem_vendor, f->subsystem_device));
        push_pair(a, "PCI_SLOT_NAME", g_strdup(f->address));
        push_pair(a, "MODALIAS", testbed_modalias(f));
        g_ptr_array_add(a, NULL);
        return a;
}

/* umockdev sends "add" as soon as the device exists, so what the kernel has in place by then
 * (the IOMMU group, SR-IOV links) is made first, in the directory umockdev then fills; the
 * driver binds afterwards, as on a real host. */
void testbed_add(Testbed *tb, const TestbedFunction *f) {
        g_autoptr(GPtrArray) attributes = function_attributes(f);
        g_autoptr(GPtrArray) properties = function_properties(f);
        g_autofree char *parent = f->parent ? syspath(tb, f->parent) : g_strdup("/sys" ROOT_BUS);
        g_autofree char *expected = g_build_filename(parent, f->address, NULL);
        g_autofree char *path = NULL;

        g_assert_false(g_hash_table_contains(tb->devpaths, f->address));
        g_hash_table_insert(tb->devpaths, g_strdup(f->address), g_strdup(expected + strlen("/sys")));
        mkdir_in_root(tb, expected + 1);
        if (f->iommu_group >= 0)
                add_iommu_group(tb, f);
        if (f->physfn)
                add_sriov_links(tb, f);
        path = umockdev_testbed_add_devicev(tb->umockdev, "pci", f->address, parent,
                                            (char **) attributes->pdata, (char **) properties->pdata);
        g_assert_cmpstr(path, ==, expected);
        if (f->driver)
                testbed_set_driver(tb, f->address, f->driver);
}

void testbed_add_all(Testbed *tb, const TestbedFunction *functions, size_t n) {
        for (size_t i = 0; i < n; i++)
                testbed_add(tb, &functions[i]);
        testbed_assert_contained(tb);
}

void testbed_remove(Testbed *tb, const char *address) {
        g_autofree char *path = syspath(tb, address);
        g_autofree char *group_link = entry_path(tb, address, "iommu_group");
        g_autofree char *full = g_build_filename(tb->root, group_link, NULL);
        g_autofree char *group = g_file_read_link(full, NULL);

        testbed_set_driver(tb, address, NULL);
        if (group) {
                g_autofree char *name = g_path_get_basename(group);
                g_autofree char *member =
                        g_strdup_printf("sys/kernel/iommu_groups/%s/devices/%s", name, address);

                unlink_in_root(tb, member);
        }
        umockdev_testbed_remove_device(tb->umockdev, path);
        g_hash_table_remove(tb->devpaths, address);
}

void testbed_uevent(Testbed *tb, const char *address, const char *action) {
        g_autofree char *path = syspath(tb, address);

        umockdev_testbed_uevent(tb->umockdev, path, action);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        if (type == FTW_DP)
                g_assert_no_errno(rmdir(path));
        else
                g_assert_no_errno(unlink(path));
        return 0;
}

void test_remove_tree(const char *path) {
        g_assert_no_errno(nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS));
}

static const char *contained_root;

/* Each link is checked on its own: its directory is a real one (the walk does not follow
 * links), so resolving the target lexically from there is what the kernel does first. */
static int check_link(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        g_autofree char *target = NULL;
        g_autofree char *dir = NULL;
        g_autofree char *resolved = NULL;

        if (type != FTW_SL && type != FTW_SLN)
                return 0;
        target = g_file_read_link(path, NULL);
        g_assert_nonnull(target);
        if (g_path_is_absolute(target))
                g_error("Absolute symlink %s -> %s in the testbed: it would escape to the real /sys", path,
                        target);
        dir = g_path_get_dirname(path);
        resolved = g_canonicalize_filename(target, dir);
        if (!g_str_has_prefix(resolved, contained_root) || resolved[strlen(contained_root)] != '/')
                g_error("Symlink %s -> %s leaves the testbed", path, target);
        return 0;
}

void testbed_assert_contained(Testbed *tb) {
        contained_root = tb->root;
        g_assert_no_errno(nftw(tb->root, check_link, 16, FTW_PHYS));
        contained_root = NULL;
}

void test_write_path(const char *path, const char *contents) {
        g_autofree char *parent = g_path_get_dirname(path);
        g_autoptr(GError) error = NULL;

        g_assert_no_errno(g_mkdir_with_parents(parent, 0755));
        g_file_set_contents(path, contents, -1, &error);
        g_assert_no_error(error);
}

void test_write_file(const char *dir, const char *rel, const char *contents) {
        g_autofree char *path = g_build_filename(dir, rel, NULL);

        test_write_path(path, contents);
}

char *test_read_file(const char *dir, const char *rel) {
        g_autofree char *path = g_build_filename(dir, rel, NULL);
        char *contents = NULL;

        return g_file_get_contents(path, &contents, NULL, NULL) ? contents : NULL;
}

void test_symlink_in(const char *dir, const char *rel, const char *target) {
        g_autofree char *path = g_build_filename(dir, rel, NULL);
        g_autofree char *parent = g_path_get_dirname(path);

        g_assert_no_errno(g_mkdir_with_parents(parent, 0755));
        g_assert_no_errno(symlink(target, path));
}

void testbed_device_link(Testbed *tb, const char *link, const char *address, const char *below) {
        const char *devpath = testbed_devpath(tb, address) + strlen("/devices");
        g_autofree char *target = g_strdup_printf("../../devices%s/%s", devpath, below);
        g_autofree char *dir = g_build_filename(testbed_sys_dir(tb), "devices", devpath, below, NULL);

        g_assert_no_errno(g_mkdir_with_parents(dir, 0755));
        test_symlink_in(testbed_sys_dir(tb), link, target);
}

void test_write_idle_proc(const char *proc) {
        test_write_file(proc, "self/mountinfo", "");
        test_write_file(proc, "swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
        test_write_file(
                proc, "net/route",
                "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n");
}
