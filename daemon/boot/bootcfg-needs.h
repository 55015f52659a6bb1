/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a host needs at boot so the persisted devices reach vfio-pci early, decided from each
 * kernel's build configuration (/boot/config-RELEASE) and a few facts about the machine:
 * - the command-line arguments: intel_iommu=on only on Intel VT-d firmware (an ACPI DMAR
 *   table) with a kernel whose IOMMU is off by default (neither CONFIG_INTEL_IOMMU_DEFAULT_ON
 *   nor, unless an Intel integrated GPU is to be passed through,
 *   CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF), nothing for AMD (AMD-Vi
 *   is on by default), iommu=pt only on request, and vfio-pci.ids= only as the fallback for a
 *   vfio-pci built into the kernel;
 * - the modules for modules-load.d: vfio, vfio_iommu_type1, vfio_pci, and vfio_virqfd only on
 *   kernels before 6.2 (it was folded into vfio there); modules built in are left out.
 * The deciding functions are pure; kernel_config_read() is the one reader. */

#include <stdbool.h>
#include <stddef.h>

typedef enum KconfigValue {
        KCONFIG_NOT_SET, /* "# CONFIG_X is not set", or absent */
        KCONFIG_MODULE,  /* =m */
        KCONFIG_BUILTIN, /* =y */
} KconfigValue;

typedef struct KernelConfig {
        KconfigValue intel_iommu;    /* CONFIG_INTEL_IOMMU */
        bool intel_iommu_default_on; /* CONFIG_INTEL_IOMMU_DEFAULT_ON=y */
        /* CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF=y (Debian's kernels): on, but for the
         * integrated GPU's own remapping unit */
        bool intel_iommu_default_on_intgpu_off;
        KconfigValue vfio; /* CONFIG_VFIO */
        KconfigValue vfio_iommu_type1;
        KconfigValue vfio_pci;
        KconfigValue vfio_virqfd; /* CONFIG_VFIO_VIRQFD: a module of its own before 6.2 */
} KernelConfig;

/* The value of symbol ("CONFIG_VFIO_PCI") in the text of a kernel configuration. */
KconfigValue kconfig_value(const char *text, const char *symbol);
void kernel_config_parse(const char *text, KernelConfig *ret);
/* Reads boot/config-RELEASE under the root directory rootfd; -ENOENT without it. */
int kernel_config_read(int rootfd, const char *release, KernelConfig *ret);

/* "6.1.0-18-amd64" -> 6, 1; -EINVAL when release does not start with MAJOR.MINOR. */
int kernel_release_parse(const char *release, unsigned *ret_major, unsigned *ret_minor);

typedef struct BootNeedsInput {
        const char *release;        /* the kernel that boots next, for messages */
        const KernelConfig *config; /* its configuration */
        bool intel_dmar;            /* the firmware has an ACPI DMAR table (Intel VT-d) */
        bool intel_igpu;            /* an Intel integrated GPU (00:02.0) is among the devices */
        bool want_iommu_pt;         /* the administrator asked for iommu=pt */
        char *const *device_ids;    /* "vvvv:dddd" of each persisted device, for the vfio-pci.ids fallback */
} BootNeedsInput;

typedef struct BootNeeds {
        char **cmdline_add;    /* arguments to set, as CmdlineEdit.add takes them */
        bool vfio_pci_builtin; /* driver_override from the initramfs comes after vfio-pci's probe */
        char **warnings;       /* sentences a person can act on */
} BootNeeds;

int boot_needs_decide(const BootNeedsInput *in, BootNeeds *ret);
void boot_needs_done(BootNeeds *n);

/* The modules to load at boot for kernel release with config: the vfio modules that are
 * modules there (built-in ones need no loading), vfio_virqfd only before 6.2. */
int boot_modules_for_kernel(const char *release, const KernelConfig *config, char ***ret);
/* The modules for modules-load.d when several kernels are installed: one file serves them all,
 * and a name a kernel lacks fails systemd-modules-load on that kernel, so only the modules
 * every kernel loads are listed. (vfio_pci pulls vfio_virqfd in by its symbols on the older
 * kernels anyway.) */
int boot_modules_common(char **const *per_kernel, size_t n, char ***ret);
/* The text of /etc/modules-load.d/passthru.conf: the marker, then one module a line. */
int boot_modules_load_text(char *const *modules, char **ret);
