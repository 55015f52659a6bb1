/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device model (daemon/model/device.c, group.c, safety.c, sysfs.c) read from a fixture sysfs
 * tree: the realistic host of testbed.c, names from tests/data/pci.ids and kernel modules
 * from the aliases in tests/data/modprobe.conf. */
#include <glib/gstdio.h>

#include "device-read.h"
#include "device-table.h"
#include "group.h"
#include "hwdb-names.h"
#include "kmod.h"
#include "pciids.h"
#include "strv.h"
#include "sysfs.h"
#include "testbed.h"

#define GPU "0000:01:00.0"
#define GPU_AUDIO "0000:01:00.1"
#define ROOT_PORT "0000:00:01.0"
#define PF "0000:03:00.0"
#define VF0 "0000:03:10.0"
#define VF1 "0000:03:10.4"
#define NVME "0000:06:00.0"
#define PCI_BRIDGE "0000:00:1e.0"
#define E1000 "0000:07:00.0"
#define ASPEED "0000:07:01.0"

typedef struct {
        Testbed *tb;
        char *modules_dir; /* empty: the host's module index never answers */
        DeviceSources src;
} ModelFixture;

static void fixture_setup(ModelFixture *f, gconstpointer data) {
        const char *config[] = { g_test_get_filename(G_TEST_DIST, "data", "modprobe.conf", NULL), NULL };
        g_autoptr(GError) error = NULL;

        f->tb = testbed_new();
        testbed_add_all(f->tb, testbed_host, testbed_host_len);
        f->modules_dir = g_dir_make_tmp("passthru-modules-XXXXXX", &error);
        g_assert_no_error(error);
        g_assert_cmpint(sysfs_open(testbed_sys_dir(f->tb), &f->src.sysfs), ==, 0);
        g_assert_cmpint(pciids_new(g_test_get_filename(G_TEST_DIST, "data", "pci.ids", NULL), &f->src.ids),
                        ==, 0);
        g_assert_cmpint(kmod_open(f->modules_dir, config, &f->src.kmod), ==, 0);
}

static void fixture_teardown(ModelFixture *f, gconstpointer data) {
        kmod_close(f->src.kmod);
        pciids_free(f->src.ids);
        sysfs_free(f->src.sysfs);
        g_assert_no_errno(g_rmdir(f->modules_dir));
        g_free(f->modules_dir);
        testbed_free(f->tb);
}

static Device *read_device(ModelFixture *f, const char *address) {
        Device *d = NULL;

        g_assert_cmpint(device_new_from_sysfs(&f->src, testbed_devpath(f->tb, address), &d), ==, 0);
        g_assert_nonnull(d);
        g_assert_cmpstr(d->address_str, ==, address);
        return d;
}

static void assert_strv(char **l, const char *const *expected) {
        g_assert_nonnull(l);
        g_assert_cmpstrv(l, expected);
}

static bool blockers_mention(const Device *d, const char *word) {
        for (char **b = d->blockers; b && *b; b++)
                if (strstr(*b, word))
                        return true;
        return false;
}

/* Every function of the host reads back as the testbed wrote it. */
static void test_host(ModelFixture *f, gconstpointer data) {
        for (size_t i = 0; i < testbed_host_len; i++) {
                const TestbedFunction *t = &testbed_host[i];
                _cleanup_(device_freep) Device *d = read_device(f, t->address);
                g_autofree char *modalias = testbed_modalias(t);
                g_autofree char *devpath = g_strdup(testbed_devpath(f->tb, t->address));

                g_test_message("function %s", t->address);
                g_assert_cmpstr(d->devpath, ==, devpath);
                g_assert_cmphex(d->vendor_id, ==, t->vendor);
                g_assert_cmphex(d->device_id, ==, t->device);
                g_assert_cmphex(d->subsystem_vendor_id, ==, t->subsystem_vendor);
                g_assert_cmphex(d->subsystem_device_id, ==, t->subsystem_device);
                g_assert_cmphex(d->class_code, ==, t->class_code);
                g_assert_cmphex(d->revision, ==, t->revision);
                g_assert_cmpstr(d->driver, ==, t->driver);
                g_assert_null(d->driver_override);
                g_assert_null(d->original_driver);
                g_assert_cmpint(d->iommu_group, ==, t->iommu_group);
                g_assert_cmpint(d->boot_vga, ==, t->boot_vga);
                g_assert_cmpint(d->numa_node, ==, t->numa_node);
                g_assert_cmpstr(d->modalias, ==, modalias);
                g_assert_cmpstr(d->physical_function, ==, t->physfn);
                g_assert_cmpuint(d->sriov_totalvfs, ==, t->sriov_totalvfs);
                g_assert_cmpuint(d->sriov_numvfs, ==, t->sriov_numvfs);
                g_assert_false(d->busy || d->stuck || d->persistent);
        }
}

static void test_ids(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *d = read_device(f, GPU);

        g_assert_cmphex(d->address.domain, ==, 0);
        g_assert_cmphex(d->address.bus, ==, 1);
        g_assert_cmphex(d->address.slot, ==, 0);
        g_assert_cmphex(d->address.function, ==, 0);
        g_assert_cmpstr(d->object_path, ==, "/org/passthru/devices/0000_01_00_0");
        g_assert_cmpstr(d->devpath, ==, "/devices/pci0000:00/0000:00:01.0/0000:01:00.0");
        g_assert_cmphex(d->vendor_id, ==, 0x10de);
        g_assert_cmphex(d->device_id, ==, 0x1b80);
        g_assert_cmphex(d->subsystem_vendor_id, ==, 0x1043);
        g_assert_cmphex(d->subsystem_device_id, ==, 0x85aa);
        g_assert_cmphex(d->class_code, ==, 0x030000);
        g_assert_cmphex(d->revision, ==, 0xa1);
        g_assert_false(d->is_bridge);
}

/* The IDs come from the modalias, which the kernel writes from the same fields as the ID
 * attributes; a modalias not of the kernel's form leaves them to the attributes. The
 * revision comes from the config space when there is one, else from its attribute. */
static void test_ids_from_modalias(ModelFixture *f, gconstpointer data) {
        static const char *const malformed[] = {
                "pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i0",   /* short */
                "pci:v0001144Dd0000A808sv0000144Dsd0000A801bc01sc08i02",  /* vendor > 0xffff */
                "pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02x", /* trailing */
                "usb:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02",  /* not PCI */
                "pci:v0000144Dd0000A8G8sv0000144Dsd0000A801bc01sc08i02",  /* not hex */
        };
        g_autofree char *config = g_build_filename(testbed_root_dir(f->tb), "sys",
                                                   testbed_devpath(f->tb, NVME), "config", NULL);
        uint8_t bytes[64] = { [0x08] = 0x5a };

        testbed_set_attr(f->tb, NVME, "vendor", "0x1234");
        testbed_set_attr(f->tb, NVME, "class", "0x020000");
        testbed_set_attr(f->tb, NVME, "modalias", "pci:v0000ABCDd00000001sv00000002sd00000003bc03sc02i01");
        {
                _cleanup_(device_freep) Device *d = read_device(f, NVME);

                g_assert_cmphex(d->vendor_id, ==, 0xabcd);
                g_assert_cmphex(d->device_id, ==, 0x0001);
                g_assert_cmphex(d->subsystem_vendor_id, ==, 0x0002);
                g_assert_cmphex(d->subsystem_device_id, ==, 0x0003);
                g_assert_cmphex(d->class_code, ==, 0x030201);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(malformed); i++) {
                _cleanup_(device_freep) Device *d = NULL;

                g_test_message("modalias %s", malformed[i]);
                testbed_set_attr(f->tb, NVME, "modalias", malformed[i]);
                d = read_device(f, NVME);
                g_assert_cmphex(d->vendor_id, ==, 0x1234);
                g_assert_cmphex(d->class_code, ==, 0x020000);
        }
        g_assert_true(g_file_set_contents(config, (const char *) bytes, sizeof(bytes), NULL));
        {
                _cleanup_(device_freep) Device *d = read_device(f, NVME);

                g_assert_cmphex(d->revision, ==, 0x5a);
        }
        g_assert_cmpint(g_unlink(config), ==, 0);
}

static void test_ids_optional(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *d = NULL;

        /* Old kernels and some fixtures lack these: they read as 0. Without a modalias the IDs
         * come from their own attributes. */
        testbed_remove_attr(f->tb, NVME, "modalias");
        testbed_remove_attr(f->tb, NVME, "subsystem_vendor");
        testbed_remove_attr(f->tb, NVME, "subsystem_device");
        testbed_remove_attr(f->tb, NVME, "revision");
        d = read_device(f, NVME);
        g_assert_cmphex(d->vendor_id, ==, 0x144d);
        g_assert_cmphex(d->subsystem_vendor_id, ==, 0);
        g_assert_cmphex(d->subsystem_device_id, ==, 0);
        g_assert_cmphex(d->revision, ==, 0);
        g_assert_null(d->subsystem_name);
}

static void assert_unreadable(ModelFixture *f, const char *address, int expected) {
        Device *d = NULL;

        g_assert_cmpint(device_new_from_sysfs(&f->src, testbed_devpath(f->tb, address), &d), ==, expected);
        g_assert_null(d);
}

static void test_ids_malformed(ModelFixture *f, gconstpointer data) {
        Device *d = NULL;

        /* The attributes are read when there is no modalias to read the IDs from. */
        testbed_remove_attr(f->tb, NVME, "modalias");
        testbed_remove_attr(f->tb, E1000, "modalias");
        testbed_set_attr(f->tb, NVME, "vendor", "0x1144d");
        assert_unreadable(f, NVME, -ERANGE);
        testbed_set_attr(f->tb, NVME, "vendor", "-1");
        assert_unreadable(f, NVME, -EINVAL);
        testbed_set_attr(f->tb, NVME, "vendor", "0x144d");
        testbed_set_attr(f->tb, NVME, "class", "storage");
        assert_unreadable(f, NVME, -EINVAL);
        testbed_set_attr(f->tb, NVME, "class", "0x1010802");
        assert_unreadable(f, NVME, -ERANGE);
        testbed_remove_attr(f->tb, E1000, "device");
        assert_unreadable(f, E1000, -ENOENT);
        /* A name that is not a PCI address (the host bridge's directory) is refused. */
        g_assert_cmpint(device_new_from_sysfs(&f->src, "/devices/pci0000:00", &d), ==, -EINVAL);
        g_assert_null(d);
}

static void test_names(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *gpu = read_device(f, GPU);
        _cleanup_(device_freep) Device *aspeed = read_device(f, ASPEED);
        _cleanup_(device_freep) Device *bridge = read_device(f, PCI_BRIDGE);
        _cleanup_(device_freep) Device *vf = read_device(f, VF0);
        g_autofree char *hwdb_vendor = hwdb_vendor_name(0x1a03);
        g_autofree char *hwdb_device = hwdb_device_name(0x1a03, 0x2000);
        g_autofree char *hwdb_subsystem = hwdb_subsystem_name(0x1a03, 0x2000, 0x1a03, 0x2000);
        g_autofree char *hwdb_vf_subsystem = hwdb_subsystem_name(0x8086, 0x1520, 0x8086, 0x0001);

        g_assert_cmpstr(gpu->vendor_name, ==, "NVIDIA Corporation");
        g_assert_cmpstr(gpu->device_name, ==, "GP104 [GeForce GTX 1080]");
        g_assert_cmpstr(gpu->subsystem_name, ==, "GeForce GTX 1080 Founders Edition");
        g_assert_cmpstr(gpu->class_name, ==, "VGA compatible controller");
        /* The fixture does not know ASPEED: the hwdb's name, else none rather than a number. */
        g_assert_cmpstr(aspeed->vendor_name, ==, hwdb_vendor);
        g_assert_cmpstr(aspeed->device_name, ==, hwdb_device);
        g_assert_cmpstr(aspeed->subsystem_name, ==, hwdb_subsystem);
        g_assert_cmpstr(aspeed->class_name, ==, "VGA compatible controller");
        g_assert_cmpstr(bridge->vendor_name, ==, "Intel Corporation");
        g_assert_cmpstr(bridge->device_name, ==, "82801 PCI Bridge");
        g_assert_cmpstr(bridge->class_name, ==, "PCI bridge");
        /* Known device, subsystem unknown to the fixture. */
        g_assert_cmpstr(vf->device_name, ==, "I350 Ethernet Controller Virtual Function");
        g_assert_cmpstr(vf->subsystem_name, ==, hwdb_vf_subsystem);
}

/* Read again with the model's copy: the names come from it while the IDs match (no pci.ids
 * needed), from pci.ids when they do not. */
static void test_names_known(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *known = read_device(f, GPU);
        _cleanup_(device_freep) Device *again = NULL, *other = NULL;
        PciIds *ids = TAKE_PTR(f->src.ids);

        known->device_name = "the model's copy";
        g_assert_cmpint(device_new_from_sysfs_known(&f->src, testbed_devpath(f->tb, GPU), known, &again), ==,
                        0);
        g_assert_cmpstr(again->vendor_name, ==, "NVIDIA Corporation");
        g_assert_cmpstr(again->device_name, ==, "the model's copy");
        g_assert_cmpstr(again->subsystem_name, ==, "GeForce GTX 1080 Founders Edition");
        g_assert_cmpstr(again->class_name, ==, "VGA compatible controller");

        f->src.ids = ids;
        known->device_id++;
        g_assert_cmpint(device_new_from_sysfs_known(&f->src, testbed_devpath(f->tb, GPU), known, &other), ==,
                        0);
        g_assert_cmpstr(other->device_name, ==, "GP104 [GeForce GTX 1080]");
}

/* Functions with the same IDs share their names: one string each, however many functions. */
static void test_names_shared(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *one = read_device(f, GPU), *two = read_device(f, GPU);

        g_assert_nonnull(one->device_name);
        g_assert_true(one->vendor_name == two->vendor_name);
        g_assert_true(one->device_name == two->device_name);
        g_assert_true(one->subsystem_name == two->subsystem_name);
        g_assert_true(one->class_name == two->class_name);
        /* The last answer of each kind is a cache: a look-up in between still finds the
         * pool's string. */
        pciids_release(f->src.ids);
        _cleanup_(device_freep) Device *three = read_device(f, GPU);
        g_assert_true(one->device_name == three->device_name);
        g_assert_cmpstr(one->device_name, ==, "GP104 [GeForce GTX 1080]");
}

static void test_names_without_database(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *d = NULL;
        PciIds *ids = TAKE_PTR(f->src.ids);

        d = read_device(f, GPU);
        g_assert_null(d->vendor_name);
        g_assert_null(d->device_name);
        g_assert_null(d->class_name);
        g_assert_cmphex(d->vendor_id, ==, 0x10de);
        f->src.ids = ids;
}

static void test_driver(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *gpu = read_device(f, GPU);
        _cleanup_(device_freep) Device *aspeed = read_device(f, ASPEED);
        _cleanup_(device_freep) Device *vf = read_device(f, VF1);
        _cleanup_(device_freep) Device *overridden = NULL, *emptied = NULL;

        g_assert_cmpstr(gpu->driver, ==, "nouveau");
        g_assert_cmpint(device_get_state(gpu), ==, DEVICE_STATE_HOST);
        g_assert_cmpstr(device_state_to_string(device_get_state(gpu)), ==, "host");
        g_assert_null(aspeed->driver);
        g_assert_cmpint(device_get_state(aspeed), ==, DEVICE_STATE_UNBOUND);
        g_assert_cmpstr(vf->driver, ==, "vfio-pci");
        g_assert_cmpint(device_get_state(vf), ==, DEVICE_STATE_VFIO);
        /* The kernel shows an unset override as "(null)": that is no override. */
        g_assert_null(gpu->driver_override);

        testbed_set_attr(f->tb, GPU, "driver_override", "vfio-pci");
        overridden = read_device(f, GPU);
        g_assert_cmpstr(overridden->driver_override, ==, "vfio-pci");
        testbed_set_attr(f->tb, GPU, "driver_override", "\n");
        emptied = read_device(f, GPU);
        g_assert_null(emptied->driver_override);

        gpu->busy = true;
        g_assert_cmpstr(device_state_to_string(device_get_state(gpu)), ==, "busy");
        gpu->stuck = true;
        g_assert_cmpstr(device_state_to_string(device_get_state(gpu)), ==, "stuck");
        g_assert_null(device_state_to_string(_DEVICE_STATE_MAX));
}

static void assert_all_utf8(const Device *d) {
        const char *strings[] = {
                d->vendor_name, d->device_name,     d->subsystem_name,  d->class_name,        d->modalias,
                d->driver,      d->driver_override, d->original_driver, d->physical_function,
        };
        char **lists[] = { d->kernel_modules, d->reset_methods, d->virtual_functions, d->blockers };

        for (size_t i = 0; i < G_N_ELEMENTS(strings); i++)
                g_assert_true(!strings[i] || g_utf8_validate(strings[i], -1, NULL));
        for (size_t i = 0; i < G_N_ELEMENTS(lists); i++)
                for (char **l = lists[i]; l && *l; l++)
                        g_assert_true(g_utf8_validate(*l, -1, NULL));
}

/* sysfs takes any bytes in driver_override; D-Bus takes only UTF-8. A Latin-1 byte there
 * (or in any attribute the model reads) is escaped, so ListDevices and GetAll still work. */
static void test_not_utf8(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *gpu = NULL, *nvme = NULL;

        testbed_set_attr(f->tb, GPU, "driver_override", "vfio-pci\xe9");
        testbed_set_attr(f->tb, GPU, "reset_method", "flr \xff\xfe bus");
        testbed_set_attr(f->tb, GPU, "modalias", "pci:v000010DEd\xc3");
        gpu = read_device(f, GPU);
        g_assert_cmpstr(gpu->driver_override, ==, "vfio-pci\\xe9");
        assert_strv(gpu->reset_methods, (const char *const[]){ "flr", "\\xff\\xfe", "bus", NULL });
        g_assert_cmpstr(gpu->modalias, ==, "pci:v000010DEd\\xc3");
        assert_all_utf8(gpu);

        /* A driver's name is a link's name: any bytes, too. */
        testbed_set_driver(f->tb, NVME, "nvm\xe9");
        nvme = read_device(f, NVME);
        g_assert_cmpstr(nvme->driver, ==, "nvm\\xe9");
        assert_all_utf8(nvme);

        /* Valid UTF-8 is kept as it is. */
        testbed_set_attr(f->tb, GPU, "driver_override", "vfio-pci-\xc3\xa4");
        gpu = device_free(gpu);
        gpu = read_device(f, GPU);
        g_assert_cmpstr(gpu->driver_override, ==, "vfio-pci-\xc3\xa4");
}

/* A pci.ids that cannot be read costs only its names: the udev hwdb's remain. */
static void test_names_without_ids(ModelFixture *f, gconstpointer data) {
        g_autofree char *vendor = hwdb_vendor_name(0x10de), *device = hwdb_device_name(0x10de, 0x1b80);
        g_autofree char *class = hwdb_class_name(0x030000);
        _cleanup_(device_freep) Device *gpu = NULL;
        PciIds *saved = TAKE_PTR(f->src.ids);

        g_assert_cmpint(pciids_new("/nonexistent/pci.ids", &f->src.ids), ==, 0);
        gpu = read_device(f, GPU);
        g_assert_cmpstr(gpu->vendor_name, ==, vendor);
        g_assert_cmpstr(gpu->device_name, ==, device);
        g_assert_cmpstr(gpu->class_name, ==, class);
        /* Released and asked again: libpci tries the file again, and still serves. */
        pciids_release(f->src.ids);
        device_free(TAKE_PTR(gpu));
        gpu = read_device(f, GPU);
        g_assert_cmpstr(gpu->vendor_name, ==, vendor);
        pciids_free(f->src.ids);
        f->src.ids = saved;
}

/* pci.ids is not checked for encoding: a Latin-1 name is escaped, a UTF-8 one kept. */
static void test_names_not_utf8(ModelFixture *f, gconstpointer data) {
        static const char ids[] = "8086  Intel Corpora\xe7\xe3o\n"
                                  "\t100e  82540EM Gigabit \xe2\x80\x94 Ethernet Controller\n"
                                  "C 02  Network controller\n"
                                  "\t00  Ethernet contr\xf4ler\n";
        g_autofree char *path = NULL;
        g_autoptr(GError) error = NULL;
        _cleanup_(device_freep) Device *d = NULL;
        PciIds *saved = TAKE_PTR(f->src.ids);
        int fd;

        fd = g_file_open_tmp("passthru-pci-ids-XXXXXX", &path, &error);
        g_assert_no_error(error);
        close(fd);
        g_file_set_contents(path, ids, -1, &error);
        g_assert_no_error(error);
        g_assert_cmpint(pciids_new(path, &f->src.ids), ==, 0);

        d = read_device(f, E1000);
        g_assert_cmpstr(d->vendor_name, ==, "Intel Corpora\\xe7\\xe3o");
        g_assert_cmpstr(d->device_name, ==, "82540EM Gigabit \xe2\x80\x94 Ethernet Controller");
        g_assert_cmpstr(d->class_name, ==, "Ethernet contr\\xf4ler");
        assert_all_utf8(d);

        pciids_free(f->src.ids);
        f->src.ids = saved;
        g_assert_no_errno(g_unlink(path));
}

static void test_iommu_group(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *gpu = read_device(f, GPU);
        _cleanup_(device_freep) Device *without = NULL;
        g_autofree char *link = NULL;

        g_assert_cmpint(gpu->iommu_group, ==, 1);
        g_assert_false(blockers_mention(gpu, "IOMMU"));

        testbed_remove_attr(f->tb, E1000, "iommu_group");
        without = read_device(f, E1000);
        g_assert_cmpint(without->iommu_group, ==, -1);
        g_assert_true(blockers_mention(without, "IOMMU"));
        g_assert_false(device_is_assignable(without));

        /* A link whose name is no group number makes the function unreadable. */
        link = g_build_filename("sys", testbed_devpath(f->tb, E1000), "iommu_group", NULL);
        testbed_symlink(f->tb, link, "sys/kernel/iommu_groups/x1");
        assert_unreadable(f, E1000, -EINVAL);
}

static void test_boot_vga(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *gpu = read_device(f, GPU);
        _cleanup_(device_freep) Device *aspeed = read_device(f, ASPEED);
        _cleanup_(device_freep) Device *nvme = read_device(f, NVME);
        _cleanup_(device_freep) Device *odd = NULL;

        g_assert_true(gpu->boot_vga);
        g_assert_true(blockers_mention(gpu, "boot VGA"));
        g_assert_false(aspeed->boot_vga);
        g_assert_false(blockers_mention(aspeed, "boot VGA"));
        g_assert_false(nvme->boot_vga); /* no attribute at all */
        testbed_set_attr(f->tb, ASPEED, "boot_vga", "2");
        odd = read_device(f, ASPEED);
        g_assert_false(odd->boot_vga);
}

static void test_reset_method(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *nvme = read_device(f, NVME);
        _cleanup_(device_freep) Device *gpu = read_device(f, GPU);
        _cleanup_(device_freep) Device *bridge = read_device(f, PCI_BRIDGE);

        assert_strv(nvme->reset_methods, (const char *const[]){ "flr", "bus", NULL });
        assert_strv(gpu->reset_methods, (const char *const[]){ "bus", NULL });
        /* No attribute (kernels before 5.15, or no method): an empty list, not NULL. */
        assert_strv(bridge->reset_methods, (const char *const[]){ NULL });
}

static void test_numa_node(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *nvme = read_device(f, NVME);
        _cleanup_(device_freep) Device *gpu = read_device(f, GPU);
        _cleanup_(device_freep) Device *garbage = NULL, *absent = NULL;

        g_assert_cmpint(nvme->numa_node, ==, 0);
        g_assert_cmpint(gpu->numa_node, ==, -1);
        testbed_set_attr(f->tb, NVME, "numa_node", "node1");
        garbage = read_device(f, NVME);
        g_assert_cmpint(garbage->numa_node, ==, -1);
        testbed_remove_attr(f->tb, NVME, "numa_node");
        absent = read_device(f, NVME);
        g_assert_cmpint(absent->numa_node, ==, -1);
}

static void test_sriov(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *pf = read_device(f, PF);
        _cleanup_(device_freep) Device *vf = read_device(f, VF0);
        _cleanup_(device_freep) Device *gpu = read_device(f, GPU);
        _cleanup_(device_freep) Device *disabled = NULL;

        g_assert_null(pf->physical_function);
        assert_strv(pf->virtual_functions, (const char *const[]){ VF0, VF1, NULL });
        g_assert_cmpuint(pf->sriov_totalvfs, ==, 7);
        g_assert_cmpuint(pf->sriov_numvfs, ==, 2);
        g_assert_true(blockers_mention(pf, "SR-IOV"));
        g_assert_false(device_is_assignable(pf));

        g_assert_cmpstr(vf->physical_function, ==, PF);
        assert_strv(vf->virtual_functions, (const char *const[]){ NULL });
        g_assert_cmpuint(vf->sriov_totalvfs, ==, 0);
        g_assert_true(device_is_assignable(vf));
        assert_strv(gpu->virtual_functions, (const char *const[]){ NULL });

        testbed_set_attr(f->tb, PF, "sriov_numvfs", "0");
        disabled = read_device(f, PF);
        g_assert_cmpuint(disabled->sriov_numvfs, ==, 0);
        g_assert_true(device_is_assignable(disabled));
}

static const TestbedFunction *function_at(const char *address) {
        for (size_t i = 0; i < testbed_host_len; i++)
                if (g_str_equal(testbed_host[i].address, address))
                        return &testbed_host[i];
        g_error("No function %s in the testbed host", address);
}

static void test_bridge(ModelFixture *f, gconstpointer data) {
        static const char *const bridges[] = { ROOT_PORT, "0000:04:00.0", "0000:05:08.0", PCI_BRIDGE };
        static const struct {
                const char *class_code;
                bool bridge;
        } classes[] = {
                { "0x060400", true },  { "0x060401", true },  { "0x060900", true },
                { "0x060000", false }, { "0x068000", false }, { "0x020000", false },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(bridges); i++) {
                _cleanup_(device_freep) Device *d = read_device(f, bridges[i]);

                g_assert_true(d->is_bridge);
                g_assert_true(blockers_mention(d, "bridge"));
                g_assert_false(device_is_assignable(d));
        }
        for (size_t i = 0; i < G_N_ELEMENTS(classes); i++) {
                _cleanup_(device_freep) Device *d = NULL;

                TestbedFunction t = *function_at(E1000);
                g_autofree char *modalias = NULL;

                /* The kernel writes both from the same field. */
                t.class_code = (uint32_t) strtoul(classes[i].class_code, NULL, 16);
                modalias = testbed_modalias(&t);
                testbed_set_attr(f->tb, E1000, "class", classes[i].class_code);
                testbed_set_attr(f->tb, E1000, "modalias", modalias);
                d = read_device(f, E1000);
                g_test_message("class %s", classes[i].class_code);
                g_assert_cmpint(d->is_bridge, ==, classes[i].bridge);
        }
}

static void test_blockers(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *gpu = read_device(f, GPU);
        _cleanup_(device_freep) Device *audio = read_device(f, GPU_AUDIO);
        _cleanup_(device_freep) Device *nvme = read_device(f, NVME);
        _cleanup_(device_freep) Device *port = read_device(f, ROOT_PORT);
        _cleanup_(device_freep) Device *pf = read_device(f, PF);

        g_assert_cmpuint(strv_length(gpu->blockers), ==, 1);
        g_assert_cmpuint(strv_length(port->blockers), ==, 1);
        g_assert_cmpuint(strv_length(pf->blockers), ==, 1);
        /* Nothing about a function alone keeps these from vfio-pci. */
        assert_strv(audio->blockers, (const char *const[]){ NULL });
        assert_strv(nvme->blockers, (const char *const[]){ NULL });
        g_assert_true(device_is_assignable(audio));
        g_assert_true(device_is_assignable(nvme));
        /* Each reason is a sentence. */
        for (char **b = gpu->blockers; *b; b++)
                g_assert_true(g_str_has_suffix(*b, "."));
}

static void test_blockers_combined(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *d = NULL;

        /* A boot VGA without an IOMMU group: both reasons, in a stable order. */
        testbed_remove_attr(f->tb, GPU, "iommu_group");
        d = read_device(f, GPU);
        g_assert_cmpuint(strv_length(d->blockers), ==, 2);
        g_assert_nonnull(strstr(d->blockers[0], "IOMMU"));
        g_assert_nonnull(strstr(d->blockers[1], "boot VGA"));
}

static void test_kernel_modules(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *gpu = read_device(f, GPU);
        _cleanup_(device_freep) Device *audio = read_device(f, GPU_AUDIO);
        _cleanup_(device_freep) Device *nvme = read_device(f, NVME);
        _cleanup_(device_freep) Device *port = read_device(f, ROOT_PORT);
        _cleanup_(device_freep) Device *vf = read_device(f, VF0);
        _cleanup_(device_freep) Device *aspeed = read_device(f, ASPEED);
        _cleanup_(device_freep) Device *no_modalias = NULL, *no_kmod = NULL;
        Kmod *kmod;

        /* Two aliases match the GPU: both, sorted. */
        assert_strv(gpu->kernel_modules, (const char *const[]){ "nouveau", "nvidiafb", NULL });
        assert_strv(audio->kernel_modules, (const char *const[]){ "snd_hda_intel", NULL });
        assert_strv(nvme->kernel_modules, (const char *const[]){ "nvme", NULL });
        assert_strv(vf->kernel_modules, (const char *const[]){ "igbvf", NULL });
        assert_strv(aspeed->kernel_modules, (const char *const[]){ "ast", NULL });
        assert_strv(port->kernel_modules, (const char *const[]){ NULL });

        testbed_remove_attr(f->tb, NVME, "modalias");
        no_modalias = read_device(f, NVME);
        g_assert_null(no_modalias->modalias);
        assert_strv(no_modalias->kernel_modules, (const char *const[]){ NULL });

        kmod = TAKE_PTR(f->src.kmod);
        no_kmod = read_device(f, GPU);
        assert_strv(no_kmod->kernel_modules, (const char *const[]){ NULL });
        f->src.kmod = kmod;
}

static void test_kmod_lookup(ModelFixture *f, gconstpointer data) {
        _cleanup_strv_free_ char **modules = NULL, **none = NULL;

        g_assert_cmpint(kmod_modules_for_alias(f->src.kmod,
                                               "pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00",
                                               &modules),
                        ==, 0);
        assert_strv(modules, (const char *const[]){ "e1000e", NULL });
        g_assert_cmpint(kmod_modules_for_alias(
                                f->src.kmod, "pci:v0000FFFFd0000FFFFsv00000000sd00000000bcFFscFFiFF", &none),
                        ==, 0);
        assert_strv(none, (const char *const[]){ NULL });
}

typedef DeviceTable Table;

static void table_read(ModelFixture *f, Table *t) {
        Group **old;
        size_t n_old;

        for (size_t i = 0; i < testbed_host_len; i++)
                g_assert_cmpint(device_table_insert(t, read_device(f, testbed_host[i].address)), ==, 0);
        g_assert_cmpint(device_table_rebuild_groups(t, &old, &n_old), ==, 0);
        groups_free(old, n_old);
}

static void table_clear(Table *t) {
        device_table_done(t);
}

static void assert_group_members(Group *g, const char *const *addresses) {
        size_t n = g_strv_length((char **) addresses);

        g_assert_cmpuint(g->n_devices, ==, n);
        for (size_t i = 0; i < n; i++)
                g_assert_cmpstr(g->devices[i]->address_str, ==, addresses[i]);
}

static void test_groups(ModelFixture *f, gconstpointer data) {
        Table t = {};
        Group *g;

        table_read(f, &t);
        g_assert_cmpuint(t.n_groups, ==, 10);
        for (size_t i = 0; i < t.n_groups; i++) {
                g_autofree char *path = g_strdup_printf("/org/passthru/groups/%d", (int) i + 1);

                g_assert_cmpint(t.groups[i]->number, ==, (int) i + 1);
                g_assert_cmpstr(t.groups[i]->object_path, ==, path);
                g_assert_true(groups_find(t.groups, t.n_groups, (int) i + 1) == t.groups[i]);
        }
        g_assert_null(groups_find(t.groups, t.n_groups, 0));
        g_assert_null(groups_find(t.groups, t.n_groups, 11));

        g = groups_find(t.groups, t.n_groups, 1);
        assert_group_members(g, (const char *const[]){ ROOT_PORT, GPU, GPU_AUDIO, NULL });
        g_assert_false(g->viable); /* nouveau and snd_hda_intel hold it */
        g = groups_find(t.groups, t.n_groups, 10);
        assert_group_members(g, (const char *const[]){ PCI_BRIDGE, E1000, ASPEED, NULL });
        g_assert_false(g->viable); /* e1000 */
        /* Bridges alone: nothing a VM could take, not viable. A VF on vfio-pci: viable. */
        g_assert_false(groups_find(t.groups, t.n_groups, 2)->viable);
        g_assert_false(groups_find(t.groups, t.n_groups, 7)->viable);
        g_assert_true(groups_find(t.groups, t.n_groups, 5)->viable);
        g_assert_false(groups_find(t.groups, t.n_groups, 4)->viable);
        table_clear(&t);
}

static void test_group_viability(ModelFixture *f, gconstpointer data) {
        Table t = {};
        Group *g;

        g_assert_true(group_driver_is_viable(NULL));
        g_assert_true(group_driver_is_viable("vfio-pci"));
        g_assert_true(group_driver_is_viable("pci-stub"));
        g_assert_false(group_driver_is_viable("e1000"));
        g_assert_false(group_driver_is_viable("vfio"));

        /* The endpoint goes to pci-stub, the unbound one stays: the bridge does not count. */
        testbed_set_driver(f->tb, E1000, "pci-stub");
        testbed_set_driver(f->tb, PCI_BRIDGE, "shpchp");
        table_read(f, &t);
        g = groups_find(t.groups, t.n_groups, 10);
        g_assert_true(g->viable);
        g_assert_true(group_is_viable(g));
        /* One endpoint back on a host driver spoils it. */
        g_free(g->devices[2]->driver);
        g->devices[2]->driver = g_strdup("ast");
        g_assert_false(group_is_viable(g));
        table_clear(&t);
}

static void test_groups_without_iommu(ModelFixture *f, gconstpointer data) {
        Table t = {};

        for (size_t i = 0; i < testbed_host_len; i++)
                testbed_remove_attr(f->tb, testbed_host[i].address, "iommu_group");
        table_read(f, &t);
        g_assert_cmpuint(t.n_groups, ==, 0);
        g_assert_null(groups_find(t.groups, t.n_groups, 1));
        table_clear(&t);
}

static unsigned update_after(ModelFixture *f, Device *d) {
        _cleanup_(device_freep) Device *fresh = read_device(f, d->address_str);

        return device_update(d, fresh);
}

static void test_update(ModelFixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *gpu = read_device(f, GPU);
        _cleanup_(device_freep) Device *pf = read_device(f, PF);
        g_autofree char *link = NULL;

        g_assert_cmphex(update_after(f, gpu), ==, 0);

        /* What passthru tracks itself survives a reading. */
        gpu->original_driver = g_strdup("nouveau");
        gpu->persistent = true;
        testbed_set_driver(f->tb, GPU, "vfio-pci");
        g_assert_cmphex(update_after(f, gpu), ==, DEVICE_CHANGE_DRIVER | DEVICE_CHANGE_STATE);
        g_assert_cmpstr(gpu->driver, ==, "vfio-pci");
        g_assert_cmpstr(gpu->original_driver, ==, "nouveau");
        g_assert_true(gpu->persistent);
        g_assert_cmpint(device_get_state(gpu), ==, DEVICE_STATE_VFIO);

        testbed_set_driver(f->tb, GPU, NULL);
        g_assert_cmphex(update_after(f, gpu), ==, DEVICE_CHANGE_DRIVER | DEVICE_CHANGE_STATE);
        g_assert_null(gpu->driver);

        testbed_set_attr(f->tb, GPU, "driver_override", "vfio-pci");
        g_assert_cmphex(update_after(f, gpu), ==, DEVICE_CHANGE_DRIVER_OVERRIDE);
        g_assert_cmpstr(gpu->driver_override, ==, "vfio-pci");

        testbed_set_attr(f->tb, GPU, "boot_vga", "0");
        g_assert_cmphex(update_after(f, gpu), ==,
                        DEVICE_CHANGE_BOOT_VGA | DEVICE_CHANGE_BLOCKERS | DEVICE_CHANGE_ASSIGNABLE);
        g_assert_true(device_is_assignable(gpu));

        testbed_remove_attr(f->tb, GPU, "iommu_group");
        g_assert_cmphex(update_after(f, gpu), ==,
                        DEVICE_CHANGE_IOMMU_GROUP | DEVICE_CHANGE_BLOCKERS | DEVICE_CHANGE_ASSIGNABLE);
        link = g_build_filename("sys", testbed_devpath(f->tb, GPU), "iommu_group", NULL);
        testbed_symlink(f->tb, link, "sys/kernel/iommu_groups/12");
        g_assert_cmphex(update_after(f, gpu), ==,
                        DEVICE_CHANGE_IOMMU_GROUP | DEVICE_CHANGE_BLOCKERS | DEVICE_CHANGE_ASSIGNABLE);
        g_assert_cmpint(gpu->iommu_group, ==, 12);

        testbed_set_attr(f->tb, GPU, "revision", "0xa2");
        g_assert_cmphex(update_after(f, gpu), ==, DEVICE_CHANGE_IDENTITY);
        g_assert_cmphex(gpu->revision, ==, 0xa2);
        testbed_set_attr(f->tb, GPU, "reset_method", "flr bus");
        g_assert_cmphex(update_after(f, gpu), ==, DEVICE_CHANGE_IDENTITY);

        testbed_set_attr(f->tb, PF, "sriov_numvfs", "0");
        g_assert_cmphex(update_after(f, pf), ==,
                        DEVICE_CHANGE_SRIOV | DEVICE_CHANGE_BLOCKERS | DEVICE_CHANGE_ASSIGNABLE);
        g_assert_cmphex(update_after(f, pf), ==, 0);
}

static void test_sysfs(ModelFixture *f, gconstpointer data) {
        const char *devpath = testbed_devpath(f->tb, PF);
        _cleanup_strv_free_ char **virtfns = NULL;
        _cleanup_free_ char *resets = NULL, *missing = NULL, *name = NULL, *override = NULL, *linked = NULL;
        g_autofree char *vendor_link = NULL, *target = NULL;
        unsigned long u;
        long i;

        g_assert_cmpint(sysfs_read_attr(f->src.sysfs, devpath, "reset_method", &resets), ==, 0);
        g_assert_cmpstr(resets, ==, "flr bus"); /* newline gone */
        g_assert_cmpint(sysfs_read_attr(f->src.sysfs, devpath, "no_such_attr", &missing), ==, -ENOENT);
        g_assert_null(missing);
        g_assert_cmpint(sysfs_read_uint(f->src.sysfs, devpath, "vendor", &u), ==, 0);
        g_assert_cmphex(u, ==, 0x8086);
        g_assert_cmpint(sysfs_read_uint(f->src.sysfs, devpath, "sriov_totalvfs", &u), ==, 0);
        g_assert_cmpuint(u, ==, 7);
        g_assert_cmpint(sysfs_read_int(f->src.sysfs, testbed_devpath(f->tb, GPU), "numa_node", &i), ==, 0);
        g_assert_cmpint(i, ==, -1);
        g_assert_cmpint(sysfs_read_uint(f->src.sysfs, testbed_devpath(f->tb, GPU), "numa_node", &u), ==,
                        -EINVAL);
        g_assert_cmpint(sysfs_read_link_name(f->src.sysfs, devpath, "driver", &name), ==, 0);
        g_assert_cmpstr(name, ==, "igb");
        g_assert_cmpint(sysfs_list_prefixed(f->src.sysfs, devpath, "virtfn", &virtfns), ==, 0);
        assert_strv(virtfns, (const char *const[]){ "virtfn0", "virtfn1", NULL });

        g_assert_cmpint(sysfs_write_attr(f->src.sysfs, devpath, "driver_override", "vfio-pci"), ==, 0);
        g_assert_cmpint(sysfs_read_attr(f->src.sysfs, devpath, "driver_override", &override), ==, 0);
        g_assert_cmpstr(override, ==, "vfio-pci");
        g_assert_true(sysfs_path_exists(f->src.sysfs, "bus/pci/drivers_probe"));
        g_assert_false(sysfs_path_exists(f->src.sysfs, "bus/pci/rescan"));
        g_assert_cmpint(sysfs_write_path(f->src.sysfs, "bus/pci/drivers_probe", PF), ==, 0);

        /* An attribute that is a symlink is never followed, for reading or writing. */
        vendor_link = g_build_filename("sys", devpath, "vendor", NULL);
        target = g_build_filename("sys", devpath, "device", NULL);
        testbed_remove_attr(f->tb, PF, "vendor");
        testbed_symlink(f->tb, vendor_link, target);
        g_assert_cmpint(sysfs_read_attr(f->src.sysfs, devpath, "vendor", &linked), ==, -ELOOP);
        g_assert_cmpint(sysfs_write_attr(f->src.sysfs, devpath, "vendor", "0"), ==, -ELOOP);
        testbed_assert_contained(f->tb);
}

#define ADD(path, func) g_test_add(path, ModelFixture, NULL, fixture_setup, func, fixture_teardown)

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        if (testbed_skip_all("/device-model"))
                return g_test_run();
        ADD("/device-model/host", test_host);
        ADD("/device-model/ids", test_ids);
        ADD("/device-model/ids-optional", test_ids_optional);
        ADD("/device-model/ids-from-modalias", test_ids_from_modalias);
        ADD("/device-model/ids-malformed", test_ids_malformed);
        ADD("/device-model/names", test_names);
        ADD("/device-model/names-known", test_names_known);
        ADD("/device-model/names-shared", test_names_shared);
        ADD("/device-model/names-without-database", test_names_without_database);
        ADD("/device-model/driver", test_driver);
        ADD("/device-model/not-utf8", test_not_utf8);
        ADD("/device-model/names-not-utf8", test_names_not_utf8);
        ADD("/device-model/names-without-pci-ids", test_names_without_ids);
        ADD("/device-model/iommu-group", test_iommu_group);
        ADD("/device-model/boot-vga", test_boot_vga);
        ADD("/device-model/reset-method", test_reset_method);
        ADD("/device-model/numa-node", test_numa_node);
        ADD("/device-model/sriov", test_sriov);
        ADD("/device-model/bridge", test_bridge);
        ADD("/device-model/blockers", test_blockers);
        ADD("/device-model/blockers-combined", test_blockers_combined);
        ADD("/device-model/kernel-modules", test_kernel_modules);
        ADD("/device-model/kmod-lookup", test_kmod_lookup);
        ADD("/device-model/groups", test_groups);
        ADD("/device-model/group-viability", test_group_viability);
        ADD("/device-model/groups-without-iommu", test_groups_without_iommu);
        ADD("/device-model/update", test_update);
        ADD("/device-model/sysfs", test_sysfs);
        return g_test_run();
}
