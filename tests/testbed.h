/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Hosts built on a umockdev testbed: PCI functions with the sysfs attributes, uevent
 * properties and symlinks (driver, iommu_group, physfn/virtfnN) the kernel creates, and a
 * realistic host made of them. Every link is relative and checked to stay inside the
 * testbed: the daemon opens "/sys" through the umockdev preload and resolves everything
 * relative to that fd, so an absolute link would lead it to the real /sys. */

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct TestbedFunction {
        const char *address; /* full form, "0000:01:00.0" */
        const char *parent;  /* the bridge it sits behind; NULL: the root bus */
        uint16_t vendor, device, subsystem_vendor, subsystem_device;
        uint32_t class_code;
        uint8_t revision;
        const char *driver; /* NULL: no driver */
        int iommu_group;    /* -1: no IOMMU */
        bool boot_vga;      /* written for display controllers only, as the kernel does */
        int numa_node;
        const char *reset_method; /* NULL: no attribute (kernels before 5.15) */
        const char *physfn;       /* a VF's physical function */
        unsigned sriov_totalvfs;  /* > 0: an SR-IOV physical function */
        unsigned sriov_numvfs;
} TestbedFunction;

typedef struct Testbed Testbed;

/* Fails the test unless the umockdev preload is in effect; callers that can skip check
 * testbed_available() first. */
Testbed *testbed_new(void);
void testbed_free(Testbed *tb);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Testbed, testbed_free)

/* NULL when the testbed can be used; else why not (for g_test_skip). */
const char *testbed_unavailable_reason(void);
/* With a reason (something the tests need is missing), registers one test, PREFIX/skipped,
 * that skips saying why, and returns true: main() then registers nothing else. */
bool test_skip_all(const char *prefix, const char *reason);
/* test_skip_all() when the testbed cannot be used. */
bool testbed_skip_all(const char *prefix);

const char *testbed_root_dir(Testbed *tb);
/* root/sys: what the daemon sees as /sys. */
const char *testbed_sys_dir(Testbed *tb);

/* Adds a function; umockdev announces it with an "add" uevent, before the driver binds
 * (hotplug tests pass driver NULL and bind with testbed_set_driver + a "bind" uevent). */
void testbed_add(Testbed *tb, const TestbedFunction *f);
void testbed_add_all(Testbed *tb, const TestbedFunction *functions, size_t n);
void testbed_remove(Testbed *tb, const char *address);
/* "/devices/pci0000:00/..." as udev names it. */
const char *testbed_devpath(Testbed *tb, const char *address);

/* A framebuffer console bound (drawn on the boot VGA), or only the dummy console. */
void testbed_set_console(Testbed *tb, bool framebuffer);
/* Points the driver link (and the driver's link back) at another driver; NULL unbinds. */
void testbed_set_driver(Testbed *tb, const char *address, const char *driver);
void testbed_set_attr(Testbed *tb, const char *address, const char *attr, const char *value);
void testbed_remove_attr(Testbed *tb, const char *address, const char *attr);
/* Symlink at root-relative path, to a root-relative target; written as a relative link. */
void testbed_symlink(Testbed *tb, const char *link, const char *target);
/* A kernel-style relative link from sys/LINK (two levels deep: "class/net/enp7s0",
 * "dev/block/259:2") to the directory BELOW of the device at address, which is made. */
void testbed_device_link(Testbed *tb, const char *link, const char *address, const char *below);
void testbed_uevent(Testbed *tb, const char *address, const char *action);

/* Writes path, making its directories; fails the test on error. */
void test_write_path(const char *path, const char *contents);
/* Writes DIR/REL, making its directories; fails the test on error. */
void test_write_file(const char *dir, const char *rel, const char *contents);
/* The contents of DIR/REL; NULL when it cannot be read (there is none). */
char *test_read_file(const char *dir, const char *rel);
/* A symlink DIR/REL -> target, making its directories; fails the test on error. */
void test_symlink_in(const char *dir, const char *rel, const char *target);
/* A /proc fixture (for --proc-root) of a host that uses none of the devices: no mounts, no
 * swap, no routes. */
void test_write_idle_proc(const char *proc);

/* Removes a directory tree the test made (never following links); fails the test on error. */
void test_remove_tree(const char *path);

/* Fails the test if any symlink under the root is absolute or resolves outside it. */
void testbed_assert_contained(Testbed *tb);

/* The realistic host: a GPU (boot VGA) with its audio function in one group behind a root
 * port; an SR-IOV NIC with two VFs (one on vfio-pci); a PCIe switch with an NVMe behind it;
 * a conventional PCI bridge with two devices sharing its group. */
extern const TestbedFunction testbed_host[];
extern const size_t testbed_host_len;
/* A NIC to hotplug on the root bus, not part of testbed_host. */
extern const TestbedFunction testbed_hotplug_nic;

/* NICs on the root bus, each in an IOMMU group of its own (20, 21, ...), not part of
 * testbed_host: for tests that need many independent transactions at once. */
extern const TestbedFunction testbed_spare_nics[];
extern const size_t testbed_spare_nics_len;

const TestbedFunction *testbed_host_find(const char *address);
/* Any function of the tables above, NULL for an unknown address. */
const TestbedFunction *testbed_function_find(const char *address);
char *testbed_modalias(const TestbedFunction *f);
