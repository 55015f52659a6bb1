/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which boot machinery a host has, read from a root directory (the host's / or a fixture):
 * the initramfs generator (initramfs-tools, dracut, mkinitcpio), the places the kernel command
 * line is kept (GRUB's /etc/default/grub, kernel-install's /etc/kernel/cmdline, Proxmox's
 * proxmox-boot-tool) and the installed kernels. What to write and run for them is decided by
 * the pure functions below, so a dry run and the tests see the same plan as the real run. */

#include <stdbool.h>

typedef enum InitramfsGenerator {
        INITRAMFS_NONE,
        INITRAMFS_TOOLS, /* Debian, Ubuntu, Proxmox: update-initramfs */
        INITRAMFS_DRACUT,
        INITRAMFS_MKINITCPIO,
        _INITRAMFS_GENERATOR_MAX,
} InitramfsGenerator;

typedef enum BootLoaderFlags {
        BOOT_LOADER_GRUB = 1 << 0,           /* /etc/default/grub and update-grub or grub-mkconfig */
        BOOT_LOADER_KERNEL_CMDLINE = 1 << 1, /* /etc/kernel/cmdline: kernel-install, systemd-boot */
        BOOT_LOADER_PROXMOX = 1 << 2,        /* proxmox-boot-tool manages the ESPs */
} BootLoaderFlags;

typedef struct BootSetup {
        unsigned initramfs_programs;  /* bit 1 << InitramfsGenerator for each generator's program found */
        unsigned initramfs_configs;   /* ... and for each generator's configuration found */
        InitramfsGenerator initramfs; /* the one in use: initramfs_generator_pick() */
        unsigned boot_loaders;        /* BootLoaderFlags */
        bool update_grub;             /* update-grub exists (Debian's wrapper of grub-mkconfig) */
        bool grub2;                   /* grub2-mkconfig, /boot/grub2 (Fedora, openSUSE) */
        char **kernels;               /* releases with modules and a kernel image, sorted */
        char **kernel_images;         /* the image of each, "/boot/vmlinuz-RELEASE" or next to its modules */
        char *grub_override; /* the last /etc/default/grub.d/NAME.cfg that sets GRUB_CMDLINE_LINUX_DEFAULT */
} BootSetup;

const char *initramfs_generator_to_string(InitramfsGenerator g);

/* The generator in use: the one whose program is installed; with programs of several, dracut
 * (which replaces initramfs-tools on Debian, where /etc/initramfs-tools may stay behind);
 * without any program, the one configuration present; INITRAMFS_NONE otherwise. */
InitramfsGenerator initramfs_generator_pick(unsigned programs, unsigned configs);

int boot_setup_detect(int rootfd, BootSetup *ret);
void boot_setup_done(BootSetup *s);

/* The files that hold the kernel command line on this setup (absolute paths as on the host;
 * for GRUB the file whose GRUB_CMDLINE_LINUX_DEFAULT wins: grub-mkconfig sources
 * /etc/default/grub.d/\*.cfg after /etc/default/grub, and cloud images set it there)
 * and the commands that apply them, each a line of words without quoting: the daemon splits
 * them on blanks. kernel-install (systemd 252 has no add-all) is run once per installed kernel.
 * Returns -ENOENT when no boot loader passthru knows was found. */
int boot_cmdline_plan(const BootSetup *s, char ***ret_files, char ***ret_commands);

/* The commands that rebuild the initramfs of every installed kernel, one line of words each.
 * -ENOENT without a generator, -EINVAL for a kernel release with characters outside
 * [A-Za-z0-9._+~-]. */
int boot_initramfs_commands(const BootSetup *s, char ***ret);
