/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a host needs at boot (daemon/boot/bootcfg-needs.c): kernel configurations read from the
 * fixture roots of tests/data/bootcfg/roots (excerpts with the values of the named builds), the
 * command-line arguments decided from them, and the modules for modules-load.d per kernel. */
#include <fcntl.h>
#include <glib.h>

#include "bootcfg-needs.h"
#include "strv.h"

static int open_root(const char *name) {
        g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "bootcfg", "roots", name, NULL);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        g_assert_cmpint(fd, >=, 0);
        return fd;
}

static void read_config(const char *root, const char *release, KernelConfig *ret) {
        int fd = open_root(root);

        g_assert_cmpint(kernel_config_read(fd, release, ret), ==, 0);
        close(fd);
}

static void test_kconfig_value(void) {
        static const char text[] = "CONFIG_VFIO_PCI_CORE=y\n"
                                   "# CONFIG_INTEL_IOMMU_DEFAULT_ON is not set\n"
                                   "CONFIG_INTEL_IOMMU_FLOPPY_WA=y\n"
                                   "CONFIG_VFIO_PCI=m\n"
                                   "CONFIG_VFIO=y";

        g_assert_cmpint(kconfig_value(text, "CONFIG_VFIO_PCI"), ==, KCONFIG_MODULE);
        g_assert_cmpint(kconfig_value(text, "CONFIG_VFIO_PCI_CORE"), ==, KCONFIG_BUILTIN);
        g_assert_cmpint(kconfig_value(text, "CONFIG_VFIO"), ==, KCONFIG_BUILTIN);
        g_assert_cmpint(kconfig_value(text, "CONFIG_INTEL_IOMMU_DEFAULT_ON"), ==, KCONFIG_NOT_SET);
        g_assert_cmpint(kconfig_value(text, "CONFIG_INTEL_IOMMU"), ==, KCONFIG_NOT_SET);
        g_assert_cmpint(kconfig_value("", "CONFIG_VFIO"), ==, KCONFIG_NOT_SET);
}

static void test_read(void) {
        KernelConfig c;
        int fd = open_root("debian12-grub");

        g_assert_cmpint(kernel_config_read(fd, "6.1.0-18-amd64", &c), ==, 0);
        g_assert_cmpint(c.intel_iommu, ==, KCONFIG_BUILTIN);
        g_assert_false(c.intel_iommu_default_on);
        g_assert_cmpint(c.vfio_pci, ==, KCONFIG_MODULE);
        g_assert_cmpint(c.vfio_virqfd, ==, KCONFIG_MODULE);
        g_assert_cmpint(kernel_config_read(fd, "6.1.0-17-amd64", &c), ==, -ENOENT);
        g_assert_cmpint(kernel_config_read(fd, "../../etc/passwd", &c), ==, -EINVAL);
        close(fd);

        read_config("proxmox-zfs", "6.8.12-4-pve", &c);
        g_assert_true(c.intel_iommu_default_on);
        g_assert_false(c.intel_iommu_default_on_intgpu_off);
        g_assert_cmpint(c.vfio_virqfd, ==, KCONFIG_BUILTIN);
        read_config("debian12-intgpu-off", "6.1.0-56-amd64", &c);
        g_assert_false(c.intel_iommu_default_on);
        g_assert_true(c.intel_iommu_default_on_intgpu_off);
}

static void test_release(void) {
        static const struct {
                const char *release;
                int r;
                unsigned major, minor;
        } cases[] = {
                { "6.1.0-18-amd64", 0, 6, 1 },
                { "6.8.12-4-pve", 0, 6, 8 },
                { "5.10.0-28-amd64", 0, 5, 10 },
                { "6.11.4-301.fc41.x86_64", 0, 6, 11 },
                { "6.2", 0, 6, 2 },
                { "6.2+", 0, 6, 2 },
                { "linux", -EINVAL },
                { "6", -EINVAL },
                { "6.1x", -EINVAL },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                unsigned major = 0, minor = 0;

                g_test_message("%s", cases[i].release);
                g_assert_cmpint(kernel_release_parse(cases[i].release, &major, &minor), ==, cases[i].r);
                if (cases[i].r == 0) {
                        g_assert_cmpuint(major, ==, cases[i].major);
                        g_assert_cmpuint(minor, ==, cases[i].minor);
                }
        }
}

typedef struct {
        const char *name;
        const char *root, *release;
        bool intel_dmar, want_pt;
        const char *ids;     /* space-separated, may be NULL */
        const char *cmdline; /* the arguments expected, space-separated */
        bool builtin;
        const char *warning; /* a piece of the one warning expected, or NULL for none */
        bool igpu;           /* an Intel integrated GPU is among the devices */
} NeedsCase;

static const NeedsCase needs_cases[] = {
        { "intel-default-off", "debian12-grub", "6.1.0-18-amd64", true, false, NULL, "intel_iommu=on" },
        { "intel-default-on", "proxmox-zfs", "6.8.12-4-pve", true, false, NULL, "" },
        /* Debian's own: on, but for the integrated GPU */
        { "intel-intgpu-off", "debian12-intgpu-off", "6.1.0-56-amd64", true, false, NULL, "" },
        { "intel-intgpu-off-igpu", "debian12-intgpu-off", "6.1.0-56-amd64", true, false, NULL,
          "intel_iommu=on", false, NULL, true },
        { "amd", "debian12-grub", "6.1.0-18-amd64", false, false, NULL, "" },
        { "amd-pt", "debian12-grub", "6.1.0-18-amd64", false, true, NULL, "iommu=pt" },
        { "intel-pt", "debian12-grub", "6.1.0-18-amd64", true, true, NULL, "intel_iommu=on iommu=pt" },
        { "builtin-vfio-pci", "builtin-vfio", "6.6.30-custom", false, false, "10de:1b80 10de:10f0 10de:1b80",
          "vfio-pci.ids=10de:1b80,10de:10f0", true, "identical twin" },
        { "builtin-no-devices", "builtin-vfio", "6.6.30-custom", false, false, NULL, "", true },
        { "intel-without-driver", "builtin-vfio", "6.6.30-custom", true, false, NULL, "", true,
          "without Intel IOMMU support" },
};

static void test_needs(gconstpointer data) {
        const NeedsCase *c = data;
        g_auto(GStrv) ids = c->ids ? g_strsplit(c->ids, " ", -1) : NULL;
        g_autofree char *cmdline = NULL;
        BootNeeds n = {};
        KernelConfig config;

        read_config(c->root, c->release, &config);
        BootNeedsInput in = {
                .release = c->release,
                .config = &config,
                .intel_dmar = c->intel_dmar,
                .intel_igpu = c->igpu,
                .want_iommu_pt = c->want_pt,
                .device_ids = ids,
        };
        g_assert_cmpint(boot_needs_decide(&in, &n), ==, 0);
        cmdline = n.cmdline_add ? g_strjoinv(" ", n.cmdline_add) : g_strdup("");
        g_assert_cmpstr(cmdline, ==, c->cmdline);
        g_assert_cmpint(n.vfio_pci_builtin, ==, c->builtin);
        if (c->warning) {
                g_assert_cmpuint(strv_length(n.warnings), ==, 1);
                g_assert_nonnull(strstr(n.warnings[0], c->warning));
        } else
                g_assert_null(n.warnings);
        boot_needs_done(&n);
}

typedef struct {
        const char *root, *release;
        const char *modules;
} ModulesCase;

static void test_modules(void) {
        static const ModulesCase cases[] = {
                { "debian12-grub", "5.10.0-28-amd64", "vfio vfio_iommu_type1 vfio_pci vfio_virqfd" },
                { "debian12-grub", "6.1.0-18-amd64", "vfio vfio_iommu_type1 vfio_pci vfio_virqfd" },
                { "debian12-grub", "6.12.9+bpo-amd64", "vfio vfio_iommu_type1 vfio_pci" },
                { "proxmox-zfs", "6.8.12-4-pve", "vfio vfio_iommu_type1 vfio_pci" },
                { "builtin-vfio", "6.6.30-custom", "" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_auto(GStrv) modules = NULL;
                g_autofree char *joined = NULL;
                KernelConfig config;

                g_test_message("%s %s", cases[i].root, cases[i].release);
                read_config(cases[i].root, cases[i].release, &config);
                g_assert_cmpint(boot_modules_for_kernel(cases[i].release, &config, &modules), ==, 0);
                joined = g_strjoinv(" ", modules);
                g_assert_cmpstr(joined, ==, cases[i].modules);
        }
}

static void test_modules_common(void) {
        KernelConfig new_config, old_config;
        g_auto(GStrv) new_modules = NULL, old_modules = NULL, common = NULL, alone = NULL;
        g_autofree char *joined = NULL, *text = NULL;

        read_config("debian12-grub", "6.12.9+bpo-amd64", &new_config);
        read_config("debian12-grub", "6.1.0-18-amd64", &old_config);
        g_assert_cmpint(boot_modules_for_kernel("6.12.9+bpo-amd64", &new_config, &new_modules), ==, 0);
        g_assert_cmpint(boot_modules_for_kernel("6.1.0-18-amd64", &old_config, &old_modules), ==, 0);

        /* the 6.1 kernel alone gets vfio_virqfd; with a 6.12 kernel installed too, it does not */
        char **const alone_in[] = { old_modules };
        g_assert_cmpint(boot_modules_common(alone_in, 1, &alone), ==, 0);
        g_assert_true(g_strv_contains((const char *const *) alone, "vfio_virqfd"));
        char **const both[] = { old_modules, new_modules };
        g_assert_cmpint(boot_modules_common(both, 2, &common), ==, 0);
        joined = g_strjoinv(" ", common);
        g_assert_cmpstr(joined, ==, "vfio vfio_iommu_type1 vfio_pci");

        g_assert_cmpint(boot_modules_load_text(common, &text), ==, 0);
        g_assert_true(g_str_has_prefix(text, "# Written by passthru"));
        g_assert_true(g_str_has_suffix(text, "\nvfio\nvfio_iommu_type1\nvfio_pci\n"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/needs/kconfig-value", test_kconfig_value);
        g_test_add_func("/needs/read", test_read);
        g_test_add_func("/needs/release", test_release);
        for (size_t i = 0; i < G_N_ELEMENTS(needs_cases); i++) {
                g_autofree char *path = g_strconcat("/needs/cmdline/", needs_cases[i].name, NULL);

                g_test_add_data_func(path, &needs_cases[i], test_needs);
        }
        g_test_add_func("/needs/modules", test_modules);
        g_test_add_func("/needs/modules-common", test_modules_common);
        return g_test_run();
}
