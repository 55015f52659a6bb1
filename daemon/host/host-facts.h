/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the host checks look at, gathered into one snapshot: the CPU, the firmware's IOMMU
 * tables, the kernel command line and log, IOMMU groups, interrupt chips, vfio modules and
 * their boot-time configuration in /etc, the initramfs, /dev/vfio. Everything is read relative
 * to root directories, so the same code reads this host, a VM and a test fixture. The checks
 * in host-check.c are pure functions of this snapshot.
 *
 * Facts that cannot change while the kernel runs (CPU, firmware tables, command line, kernel
 * log, interrupt chips) are read once by host_facts_read_boot(); the rest, cheap to read, by
 * host_facts_read_current() before every check run. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "host-facts-boot.h"
#include "macros.h"

typedef struct Kmod Kmod;
typedef struct Klog Klog;
typedef struct Device Device;
typedef struct DeviceTable DeviceTable;

typedef struct HostRoots {
        Sysfs *sysfs;                 /* the one door to sysfs (sysfs.h), borrowed */
        const char *proc;             /* NULL: /proc */
        const char *etc;              /* NULL: /etc */
        const char *dev;              /* NULL: /dev */
        const char *boot;             /* NULL: /boot, where initrd.img-RELEASE lives */
        const char *kmsg;             /* NULL: /dev/kmsg; tests pass a recording */
        bool no_journal;              /* do not fall back to the journal (tests) */
        const char *kernel_release;   /* NULL: uname -r */
        const char *initramfs_lister; /* NULL: /usr/bin/lsinitramfs when it exists */
        const char *root;       /* NULL: / (boot loader and generator detection), unless etc is moved */
        const char *config_dir; /* NULL: <etc>/passthru, where devices.conf lives */
        /* An initramfs listing takes seconds: with list_later the facts only ask for it
         * (HostFacts.initramfs_wanted) and the caller lists off its event loop. */
        bool list_later;
} HostRoots;

/* The vfio modules, by their kernel names. vfio_virqfd was folded into vfio in 6.2. */
typedef enum HostModule {
        HOST_MODULE_VFIO,
        HOST_MODULE_VFIO_IOMMU_TYPE1,
        HOST_MODULE_VFIO_PCI,
        HOST_MODULE_VFIO_VIRQFD,
        _HOST_MODULE_MAX,
} HostModule;

const char *host_module_name(HostModule m);

typedef struct ModuleFacts {
        int availability; /* a KmodAvailability, or <0 when the module indexes are unreadable */
        bool loaded;      /* /sys/module/NAME exists */
} ModuleFacts;

/* One meaningful line of a configuration file, with where it is. */
typedef struct ConfigLine {
        char *file; /* as the admin knows it: "/etc/modules-load.d/vfio.conf"; NULL for the
                     * modprobe configuration, which libkmod reads without naming files */
        unsigned line;
        char **words; /* the line split on blanks, comments removed */
} ConfigLine;

typedef struct ConfigLines {
        ConfigLine *items;
        size_t n;
} ConfigLines;

typedef struct VfioNode {
        int group; /* -1 for the container node /dev/vfio/vfio */
        uid_t uid;
        gid_t gid;
        mode_t mode;
} VfioNode;

typedef struct HostFacts {
        /* read once: they stay as they are until the next boot */
        char *kernel_release;
        unsigned kernel_major, kernel_minor;
        char *cpu_vendor; /* "GenuineIntel", "AuthenticAMD", or NULL */
        bool cpu_vmx, cpu_svm;
        char *cmdline;
        bool acpi; /* /sys/firmware/acpi/tables is there to look at */
        bool dmar_table, ivrs_table;
        bool interrupts_read;
        size_t n_ir_chips; /* interrupts on an "IR-" (remapped) chip */
        Klog *klog;

        /* read before every check run */
        size_t n_iommus;       /* /sys/class/iommu */
        size_t n_iommu_groups; /* /sys/kernel/iommu_groups */
        /* The first group (in listing order) not of type "identity" (iommu=pt), and its type
         * ("DMA", "DMA-FQ"; NULL when unreadable); NULL: every group is identity. The rest are
         * not read: one such group answers the question. */
        char *translated_group;
        char *translated_type;
        ModuleFacts modules[_HOST_MODULE_MAX];
        bool unsafe_interrupts_allowed; /* vfio_iommu_type1's parameter reads Y */
        ConfigLines boot_modules;       /* /etc/modules and each .conf in /etc/modules-load.d */
        ConfigLines modprobe;           /* options, softdep, blacklist, install lines, from libkmod */
        ConfigLines initramfs_modules;  /* /etc/initramfs-tools/modules */
        char *initramfs_image;          /* /boot/initrd.img-RELEASE */
        int initramfs_vfio; /* 1: carries vfio-pci, 0: does not, <0: unknown (no image or tool) */
        struct timespec initramfs_mtime; /* the listing is kept until the image changes */
        int initramfs_list_bits;         /* what the listing found (HOST_INITRAMFS_HAS_*), or -errno */
        bool initramfs_listed;  /* initramfs_list_bits is the listing of the image at initramfs_mtime */
        char *initramfs_wanted; /* with list_later: the image to list (its path under the roots), else NULL
                                 */
        struct timespec initramfs_wanted_mtime;
        bool dev_vfio_read;
        VfioNode *vfio_nodes;
        size_t n_vfio_nodes;

        BootFacts boot;

        /* borrowed for the duration of a run */
        const DeviceTable *table;
} HostFacts;

/* What an initramfs listing found. */
#define HOST_INITRAMFS_HAS_VFIO_PCI 1
#define HOST_INITRAMFS_HAS_EARLY_LIST 2

/* Runs "lister image" with spawn_and_wait() and returns the HOST_INITRAMFS_HAS_* bits its
 * listing shows, or -errno: -EIO when it fails, -ETIMEDOUT after 30 s without output,
 * -ECANCELED as soon as cancel_fd (an eventfd; negative: none) becomes readable; then the
 * lister is stopped. Safe in a thread of its own. */
int host_facts_list_initramfs(const char *lister, const char *image, int cancel_fd);
/* Keeps the listing (a result of host_facts_list_initramfs()) of the image as it was at mtime;
 * the next read of the current facts uses it while the image is unchanged. */
void host_facts_set_initramfs_listing(HostFacts *f, const struct timespec *mtime, int result);

/* Reads the boot-time facts into an empty HostFacts. */
int host_facts_read_boot(HostFacts *f, const HostRoots *roots);
/* Reads the facts that change at run time; kmod may be NULL (module availability and the
 * modprobe configuration unknown). */
int host_facts_read_current(HostFacts *f, const HostRoots *roots, Kmod *kmod);
/* The modprobe configuration as kmod reads it (kmod_config_for_each()) into f->modprobe, as
 * "KEYWORD MODULE VALUE..." words without file names; kmod NULL: none. Part of the above. */
int host_facts_read_modprobe(HostFacts *f, Kmod *kmod);
void host_facts_done(HostFacts *f);
/* The BootFacts (host-facts-boot.c); read before every check run, by host_facts_read_current. */
int host_facts_read_bootcfg(HostFacts *f, const HostRoots *roots);
void boot_facts_done(BootFacts *b);

/* The parsers of what the files hold, fed a stream (tests and fuzzers use fmemopen()).
 * Text they keep is valid UTF-8: invalid bytes are escaped, as the checks quote it on D-Bus.
 * host_facts_parse_cpuinfo() sets cpu_vendor, cpu_vmx and cpu_svm from /proc/cpuinfo;
 * config_lines_parse() appends the meaningful lines of one configuration file (modules-load.d,
 * /etc/modules: '#' and ';' start a comment, blank lines are dropped) as the file shown. */
int host_facts_parse_cpuinfo(HostFacts *f, FILE *file);
int config_lines_parse(FILE *file, const char *shown, ConfigLines *c);

bool host_facts_kernel_at_least(const HostFacts *f, unsigned major, unsigned minor);
/* Whether any of the devices is one the admin asked to keep on vfio-pci. */
bool devices_any_persistent(Device *const *devices, size_t n);
