/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A Device read from sysfs, and what it means for the host: Blockers (safety.c), Holders
 * (holders.c), the reset verdict (reset.c). */
#include <assert.h>
#include <unistd.h>

#include "device-read.h"
#include "holders.h"
#include "kmod.h"
#include "log.h"
#include "pci-dsn.h"
#include "pciids.h"
#include "reset.h"
#include "safety.h"
#include "strv.h"
#include "sysfs.h"
#include "utf8.h"

/* An absent optional attribute is no error; any other failure is. */
static int optional(int r) {
        return r == -ENOENT ? 0 : r;
}

static int read_id(Sysfs *s, const char *devpath, const char *attr, unsigned long max, unsigned long *ret) {
        unsigned long v;
        int r;

        r = sysfs_read_uint(s, devpath, attr, &v);
        if (r < 0)
                return r;
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* Reads exactly n hex digits after the literal tag; advances *p. */
static bool modalias_field(const char **p, const char *tag, size_t n, uint32_t *ret) {
        size_t tag_len = strlen(tag);
        uint32_t v = 0;

        if (strncmp(*p, tag, tag_len) != 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = (*p)[tag_len + i];
                int digit = c >= '0' && c <= '9'   ? c - '0'
                            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                            : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                   : -1;

                if (digit < 0)
                        return false;
                v = v << 4 | (uint32_t) digit;
        }
        *p += tag_len + n;
        *ret = v;
        return true;
}

/* The kernel writes the modalias from the same fields as the vendor, device,
 * subsystem_vendor, subsystem_device and class attributes:
 * "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X". Reading the IDs from it (read anyway for
 * the module look-up) spares five files per function. */
static bool ids_from_modalias(Device *d) {
        const char *p = d->modalias;
        uint32_t vendor, device, svendor, sdevice, base, sub, interface;

        if (!p || !modalias_field(&p, "pci:v", 8, &vendor) || !modalias_field(&p, "d", 8, &device) ||
            !modalias_field(&p, "sv", 8, &svendor) || !modalias_field(&p, "sd", 8, &sdevice) ||
            !modalias_field(&p, "bc", 2, &base) || !modalias_field(&p, "sc", 2, &sub) ||
            !modalias_field(&p, "i", 2, &interface) || *p != '\0')
                return false;
        if (vendor > 0xffff || device > 0xffff || svendor > 0xffff || sdevice > 0xffff)
                return false;
        d->vendor_id = (uint16_t) vendor;
        d->device_id = (uint16_t) device;
        d->subsystem_vendor_id = (uint16_t) svendor;
        d->subsystem_device_id = (uint16_t) sdevice;
        d->class_code = base << 16 | sub << 8 | interface;
        return true;
}

/* Without a modalias of the kernel's form, each ID from its own attribute. */
static int ids_from_attributes(Device *d, Sysfs *s) {
        unsigned long vendor, device, svendor = 0, sdevice = 0, class_code;
        int r;

        r = read_id(s, d->devpath, "vendor", 0xffff, &vendor);
        if (r >= 0)
                r = read_id(s, d->devpath, "device", 0xffff, &device);
        if (r >= 0)
                r = read_id(s, d->devpath, "class", 0xffffff, &class_code);
        if (r < 0)
                return log_debug_errno(r, "Failed to read IDs of %s: %m", d->devpath);
        /* Optional on old kernels and some fixtures: absent means 0. */
        (void) read_id(s, d->devpath, "subsystem_vendor", 0xffff, &svendor);
        (void) read_id(s, d->devpath, "subsystem_device", 0xffff, &sdevice);

        d->vendor_id = (uint16_t) vendor;
        d->device_id = (uint16_t) device;
        d->subsystem_vendor_id = (uint16_t) svendor;
        d->subsystem_device_id = (uint16_t) sdevice;
        d->class_code = (uint32_t) class_code;
        return 0;
}

static int read_ids(Device *d, Sysfs *s) {
        int r;

        r = optional(sysfs_read_attr(s, d->devpath, "modalias", &d->modalias));
        if (r < 0)
                return r;
        if (!ids_from_modalias(d)) {
                r = ids_from_attributes(d, s);
                if (r < 0)
                        return r;
        }
        /* PCI-to-PCI bridge (0x0604) and semi-transparent bridge (0x0609). */
        d->is_bridge = (d->class_code >> 8) == 0x0604 || (d->class_code >> 8) == 0x0609;
        return 0;
}

/* Byte 8 of the config space: what the revision attribute shows. */
#define PCI_REVISION_ID 0x08

/* The revision from the config space when it is open anyway (for the serial), else from its
 * attribute. Best effort for the serial: without root or extended config space there is
 * none, which is no error. */
static void read_config(Device *d, Sysfs *s) {
        _cleanup_free_ char *power = NULL;
        _cleanup_close_ int fd = -EBADF;
        unsigned long revision = 0;
        uint8_t byte;

        /* Reading config space resumes a runtime-suspended device (a laptop's idle GPU) on
         * every udev event; its serial, once read, is kept by device_update() instead. */
        if (sysfs_read_attr(s, d->devpath, "power/runtime_status", &power) < 0 || !streq(power, "suspended"))
                fd = sysfs_open_attr(s, d->devpath, "config");
        if (fd >= 0 && pread(fd, &byte, 1, PCI_REVISION_ID) == 1)
                d->revision = byte;
        else if (read_id(s, d->devpath, "revision", 0xff, &revision) >= 0)
                d->revision = (uint8_t) revision;
        if (fd >= 0 && pci_dsn_from_fd(fd, &d->serial) == -ENOMEM)
                log_oom();
}

static bool same_ids(const Device *a, const Device *b) {
        return a->vendor_id == b->vendor_id && a->device_id == b->device_id &&
               a->subsystem_vendor_id == b->subsystem_vendor_id &&
               a->subsystem_device_id == b->subsystem_device_id && a->class_code == b->class_code;
}

/* Names follow from the IDs alone; both devices were read with the same PciIds. */
static void copy_names(Device *d, const Device *known) {
        d->vendor_name = known->vendor_name;
        d->device_name = known->device_name;
        d->subsystem_name = known->subsystem_name;
        d->class_name = known->class_name;
}

static void read_names(Device *d, PciIds *ids, const Device *known) {
        if (known && same_ids(d, known)) {
                copy_names(d, known);
                return;
        }
        if (!ids)
                return;
        d->vendor_name = pciids_vendor_name(ids, d->vendor_id);
        d->device_name = pciids_device_name(ids, d->vendor_id, d->device_id);
        if (d->subsystem_vendor_id != 0)
                d->subsystem_name = pciids_subsystem_name(ids, d->vendor_id, d->device_id,
                                                          d->subsystem_vendor_id, d->subsystem_device_id);
        d->class_name = pciids_class_name(ids, d->class_code);
}

int device_read_driver(Sysfs *s, const char *devpath, char **ret_driver, char **ret_override) {
        _cleanup_free_ char *driver = NULL, *override = NULL;
        int r;

        assert(s);
        assert(devpath);
        assert(ret_driver);
        assert(ret_override);
        r = optional(sysfs_read_link_name(s, devpath, "driver", &driver));
        if (r < 0)
                return r;
        r = optional(sysfs_read_attr(s, devpath, "driver_override", &override));
        if (r < 0)
                return r;
        /* The kernel shows an unset override as "(null)". */
        if (override && (streq(override, "(null)") || !*override))
                override = mfree(override);
        *ret_driver = TAKE_PTR(driver);
        *ret_override = TAKE_PTR(override);
        return 0;
}

static int read_driver(Device *d, Sysfs *s) {
        return device_read_driver(s, d->devpath, &d->driver, &d->driver_override);
}

static int read_group(Device *d, Sysfs *s) {
        _cleanup_free_ char *group = NULL;
        char *end;
        long n;
        int r;

        d->iommu_group = -1;
        r = sysfs_read_link_name(s, d->devpath, "iommu_group", &group);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        errno = 0;
        n = strtol(group, &end, 10);
        if (errno != 0 || *end != '\0' || n < 0 || n > INT32_MAX)
                return -EINVAL;
        d->iommu_group = (int) n;
        return 0;
}

static int read_sriov(Device *d, Sysfs *s) {
        _cleanup_strv_free_ char **links = NULL;
        unsigned long n;
        int r;

        d->virtual_functions = calloc(1, sizeof(char *));
        if (!d->virtual_functions)
                return -ENOMEM;
        r = optional(sysfs_read_link_name(s, d->devpath, "physfn", &d->physical_function));
        if (r < 0)
                return r;
        /* The kernel shows sriov_* only on a PF (an SR-IOV capable function), and a VF is never
         * one: the many VFs of a host are spared reads that would fail. */
        if (d->physical_function || sysfs_read_uint(s, d->devpath, "sriov_totalvfs", &n) < 0)
                return 0;
        d->sriov_totalvfs = (unsigned) n;
        if (sysfs_read_uint(s, d->devpath, "sriov_numvfs", &n) >= 0)
                d->sriov_numvfs = (unsigned) n;

        r = sysfs_list_prefixed(s, d->devpath, "virtfn", &links);
        if (r < 0)
                return r;
        for (char **l = links; *l; l++) {
                _cleanup_free_ char *vf = NULL;

                r = sysfs_read_link_name(s, d->devpath, *l, &vf);
                if (r < 0)
                        continue; /* a VF being removed right now */
                r = strv_push(&d->virtual_functions, vf);
                if (r < 0)
                        return r;
                TAKE_PTR(vf);
        }
        strv_sort(d->virtual_functions);
        return 0;
}

static int read_misc(Device *d, const DeviceSources *src) {
        _cleanup_free_ char *resets = NULL;
        unsigned long boot_vga = 0;
        long numa = -1;
        int r;

        /* The kernel has boot_vga on VGA functions only (class 0x0300, or 0x0001: pre-2.0 VGA). */
        if ((d->class_code >> 8) == 0x0300 || (d->class_code >> 8) == 0x0001)
                (void) sysfs_read_uint(src->sysfs, d->devpath, "boot_vga", &boot_vga);
        d->boot_vga = boot_vga == 1;
        (void) sysfs_read_int(src->sysfs, d->devpath, "numa_node", &numa);
        d->numa_node = numa < 0 || numa > INT32_MAX ? -1 : (int) numa;

        r = optional(sysfs_read_attr(src->sysfs, d->devpath, "reset_method", &resets));
        if (r < 0)
                return r;
        r = strv_split(strempty(resets), " \n", &d->reset_methods);
        if (r >= 0)
                r = reset_verdict(d->address_str, d->vendor_id, d->device_id, d->reset_methods,
                                  reset_vendor_reset_generation(d->vendor_id, d->device_id) &&
                                          sysfs_module_present(src->sysfs, "vendor_reset", NULL),
                                  &d->reset_verdict);
        if (r < 0)
                return r;

        if (d->modalias && src->kmod)
                r = kmod_modules_for_alias(src->kmod, d->modalias, &d->kernel_modules);
        if (!d->kernel_modules)
                r = strv_split("", " ", &d->kernel_modules);
        return r;
}

/* What the model shows goes to D-Bus, which refuses a whole message for one string that is
 * not UTF-8; sysfs attributes hold any bytes (driver_override takes whatever is written to
 * it). Escaped once, here, so no device's data can break a reply that lists the others. The
 * names are escaped where they are looked up (pciids.c). */
static int make_valid_utf8(Device *d) {
        char **strings[] = {
                &d->modalias,          &d->driver,        &d->driver_override, &d->original_driver,
                &d->physical_function, &d->reset_verdict,
        };
        char **lists[] = { d->kernel_modules, d->reset_methods, d->virtual_functions, d->blockers,
                           d->holders };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
                r = utf8_make_valid(strings[i]);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                for (char **s = lists[i]; s && *s; s++) {
                        r = utf8_make_valid(s);
                        if (r < 0)
                                return r;
                }
        return 0;
}

int device_address_from_devpath(const char *devpath, PciAddress *ret) {
        const char *name = strrchr(devpath, '/');

        assert(devpath);
        assert(ret);
        /* The kernel's own name is parsed like any other address: a malformed one is refused. */
        return pci_address_parse(name ? name + 1 : devpath, ret);
}

int device_new_from_sysfs(const DeviceSources *src, const char *devpath, Device **ret) {
        assert(src);
        assert(devpath);
        assert(ret);
        return device_new_from_sysfs_known(src, devpath, NULL, ret);
}

int device_new_from_sysfs_known(const DeviceSources *src, const char *devpath, const Device *known,
                                Device **ret) {
        _cleanup_(device_freep) Device *d = NULL;
        int r;

        assert(src);
        assert(devpath);
        assert(ret);
        d = calloc(1, sizeof(Device));
        if (!d)
                return -ENOMEM;
        r = device_address_from_devpath(devpath, &d->address);
        if (r < 0)
                return log_debug_errno(r, "Ignoring PCI device with unexpected name %s.", devpath);
        pci_address_format(&d->address, d->address_str);
        pci_address_to_object_path(&d->address, d->object_path);
        d->devpath = strdup(devpath);
        if (!d->devpath)
                return -ENOMEM;

        r = read_ids(d, src->sysfs);
        if (r < 0)
                return r;
        read_config(d, src->sysfs);
        read_names(d, src->ids, known);
        r = read_driver(d, src->sysfs);
        if (r >= 0)
                r = read_group(d, src->sysfs);
        if (r >= 0)
                r = read_sriov(d, src->sysfs);
        if (r >= 0)
                r = read_misc(d, src);
        if (r < 0)
                return log_debug_errno(r, "Failed to read %s: %m", devpath);
        r = safety_device_blockers(src->host, d, &d->blockers);
        if (r >= 0)
                r = holders_of_device(safety_host_holders(src->host), d, &d->holders);
        if (r < 0)
                return r;
        r = make_valid_utf8(d);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

unsigned device_update_host_use(Device *d, SafetyHost *host) {
        _cleanup_strv_free_ char **blockers = NULL, **holders = NULL;
        unsigned changes = 0;

        assert(d);
        if (safety_device_blockers(host, d, &blockers) < 0 ||
            holders_of_device(safety_host_holders(host), d, &holders) < 0)
                return 0;
        /* Names of processes and programs are any bytes; D-Bus takes UTF-8 only. */
        for (char **s = blockers; *s; s++)
                if (utf8_make_valid(s) < 0)
                        return 0;
        for (char **s = holders; *s; s++)
                if (utf8_make_valid(s) < 0)
                        return 0;
        if (!strv_equal(blockers, d->blockers)) {
                strv_free(d->blockers);
                d->blockers = TAKE_PTR(blockers);
                changes |= DEVICE_CHANGE_BLOCKERS | DEVICE_CHANGE_ASSIGNABLE;
        }
        if (!strv_equal(holders, d->holders)) {
                strv_free(d->holders);
                d->holders = TAKE_PTR(holders);
                changes |= DEVICE_CHANGE_HOLDERS;
        }
        return changes;
}
