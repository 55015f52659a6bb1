/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Detection of the boot machinery (daemon/boot/bootcfg-detect.c) on the fixture roots of
 * tests/data/bootcfg/roots, shaped like Debian 12 with GRUB, Proxmox VE on ZFS and on ext4,
 * Fedora, Arch, and a Debian moved to dracut; and the plans made from what was found. */
#include <fcntl.h>
#include <glib.h>

#include "bootcfg-detect.h"

typedef struct {
        const char *root;
        InitramfsGenerator initramfs;
        unsigned boot_loaders;
        const char *kernels;       /* space-separated */
        const char *cmdline_files; /* space-separated, NULL: no plan (-ENOENT) */
        const char *cmdline_command;
        const char *initramfs_commands; /* joined with "; " */
} DetectCase;

static const DetectCase detect_cases[] = {
        { "debian12-grub", INITRAMFS_TOOLS, BOOT_LOADER_GRUB,
          "5.10.0-28-amd64 6.1.0-18-amd64 6.12.9+bpo-amd64", "/etc/default/grub", "update-grub",
          "update-initramfs -u -k 5.10.0-28-amd64; update-initramfs -u -k 6.1.0-18-amd64; "
          "update-initramfs -u -k 6.12.9+bpo-amd64" },
        { "proxmox-zfs", INITRAMFS_TOOLS,
          BOOT_LOADER_GRUB | BOOT_LOADER_KERNEL_CMDLINE | BOOT_LOADER_PROXMOX, "6.8.12-4-pve",
          "/etc/default/grub /etc/kernel/cmdline", "proxmox-boot-tool refresh",
          "update-initramfs -u -k 6.8.12-4-pve" },
        { "proxmox-grub", INITRAMFS_TOOLS, BOOT_LOADER_GRUB, "6.8.12-4-pve", "/etc/default/grub",
          "update-grub", "update-initramfs -u -k 6.8.12-4-pve" },
        { "fedora-dracut", INITRAMFS_DRACUT, BOOT_LOADER_GRUB, "6.11.4-301.fc41.x86_64", "/etc/default/grub",
          "grub2-mkconfig -o /boot/grub2/grub.cfg", "dracut --force --kver 6.11.4-301.fc41.x86_64" },
        { "arch-mkinitcpio", INITRAMFS_MKINITCPIO, 0, "6.11.5-arch1-1", NULL, NULL, "mkinitcpio -P" },
        { "debian-dracut", INITRAMFS_DRACUT, BOOT_LOADER_KERNEL_CMDLINE, "6.1.0-18-amd64",
          "/etc/kernel/cmdline", "kernel-install add 6.1.0-18-amd64 /boot/vmlinuz-6.1.0-18-amd64",
          "dracut --force --kver 6.1.0-18-amd64" },
        /* the cloud image's grub.d file overrides /etc/default/grub */
        { "ubuntu-cloud", INITRAMFS_TOOLS, BOOT_LOADER_GRUB, "6.8.0-49-generic",
          "/etc/default/grub.d/50-cloudimg-settings.cfg", "update-grub",
          "update-initramfs -u -k 6.8.0-49-generic" },
        { "builtin-vfio", INITRAMFS_NONE, 0, "6.6.30-custom", NULL, NULL, NULL },
};

static void test_detect(gconstpointer data) {
        const DetectCase *c = data;
        g_autofree char *path =
                g_test_build_filename(G_TEST_DIST, "data", "bootcfg", "roots", c->root, NULL);
        g_autofree char *kernels = NULL, *joined = NULL;
        g_auto(GStrv) files = NULL, commands = NULL, cmdline_commands = NULL;
        BootSetup s;
        int fd, r;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(boot_setup_detect(fd, &s), ==, 0);
        close(fd);

        g_assert_cmpstr(initramfs_generator_to_string(s.initramfs), ==,
                        initramfs_generator_to_string(c->initramfs));
        g_assert_cmphex(s.boot_loaders, ==, c->boot_loaders);
        kernels = g_strjoinv(" ", s.kernels);
        g_assert_cmpstr(kernels, ==, c->kernels);

        r = boot_cmdline_plan(&s, &files, &cmdline_commands);
        if (!c->cmdline_files)
                g_assert_cmpint(r, ==, -ENOENT);
        else {
                g_autofree char *f = NULL, *command = NULL;

                g_assert_cmpint(r, ==, 0);
                f = g_strjoinv(" ", files);
                g_assert_cmpstr(f, ==, c->cmdline_files);
                command = g_strjoinv("; ", cmdline_commands);
                g_assert_cmpstr(command, ==, c->cmdline_command);
        }

        r = boot_initramfs_commands(&s, &commands);
        if (!c->initramfs_commands)
                g_assert_cmpint(r, ==, -ENOENT);
        else {
                g_assert_cmpint(r, ==, 0);
                joined = g_strjoinv("; ", commands);
                g_assert_cmpstr(joined, ==, c->initramfs_commands);
        }
        boot_setup_done(&s);
}

static void test_pick(void) {
        const unsigned tools = 1u << INITRAMFS_TOOLS, dracut = 1u << INITRAMFS_DRACUT,
                       mkinitcpio = 1u << INITRAMFS_MKINITCPIO;
        const struct {
                unsigned programs, configs;
                InitramfsGenerator expected;
        } cases[] = {
                { 0, 0, INITRAMFS_NONE },
                { tools, tools, INITRAMFS_TOOLS },
                { tools, 0, INITRAMFS_TOOLS },
                /* configuration alone, of one generator: that one */
                { 0, mkinitcpio, INITRAMFS_MKINITCPIO },
                { 0, dracut | tools, INITRAMFS_NONE },
                /* dracut's program beats initramfs-tools' leftovers and its program */
                { dracut, dracut | tools, INITRAMFS_DRACUT },
                { dracut | tools, tools, INITRAMFS_DRACUT },
                /* a program beats another generator's configuration */
                { mkinitcpio, tools, INITRAMFS_MKINITCPIO },
                { tools | mkinitcpio, 0, INITRAMFS_NONE },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_test_message("case %zu", i);
                g_assert_cmpint(initramfs_generator_pick(cases[i].programs, cases[i].configs), ==,
                                cases[i].expected);
        }
}

static void test_unsafe_release(void) {
        char *kernels[] = { (char *) "6.1.0-18-amd64", (char *) "6.1;reboot", NULL };
        BootSetup s = { .initramfs = INITRAMFS_TOOLS, .kernels = kernels };
        char **commands = NULL;

        g_assert_cmpint(boot_initramfs_commands(&s, &commands), ==, -EINVAL);
        g_assert_null(commands);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/detect/pick", test_pick);
        g_test_add_func("/detect/unsafe-release", test_unsafe_release);
        for (size_t i = 0; i < G_N_ELEMENTS(detect_cases); i++) {
                g_autofree char *path = g_strconcat("/detect/root/", detect_cases[i].root, NULL);

                g_test_add_data_func(path, &detect_cases[i], test_detect);
        }
        return g_test_run();
}
