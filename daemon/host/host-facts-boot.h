/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The boot-configuration part of the host facts: which initramfs generator and boot loader
 * the host has, what devices.conf keeps on vfio-pci, what the early-bind list says, how new
 * the files the initramfs is built from are, the configured kernel command line, kernel
 * lockdown and Secure Boot. Read only; the checks in host-check.c decide. */

#include <stdbool.h>
#include <time.h>

typedef struct Sysfs Sysfs;

/* The boot-time configuration passthru writes (bootcfg-*.c) and what the host booted with. */
typedef struct BootFacts {
        bool read;
        const char *generator; /* "initramfs-tools", "dracut", "mkinitcpio"; NULL: none found */
        char *loaders;         /* "GRUB", "/etc/kernel/cmdline", "proxmox-boot-tool"; NULL: none */
        char **persisted;      /* addresses devices.conf keeps on vfio-pci */
        bool config_broken;    /* devices.conf does not parse */
        bool early_list;       /* /etc/passthru/early-bind.list exists */
        char **early;          /* the addresses it names */
        char *newest_input;    /* the newest file the initramfs is built from that passthru knows */
        struct timespec newest_input_mtime;
        bool image; /* the running kernel's initramfs exists */
        struct timespec image_mtime;
        int image_early_list;      /* 1: the image carries the list, 0: not, <0: unknown */
        char *cmdline_file;        /* where the configured command line is kept */
        char **cmdline_configured; /* its IOMMU and passthru arguments */
        char *lockdown;            /* "none", "integrity", "confidentiality"; NULL: unknown */
        int secure_boot;           /* 1 on, 0 off, <0 unknown */
} BootFacts;

/* Where they are read from. */
typedef struct BootRoots {
        const char *etc;        /* NULL: /etc */
        const char *root;       /* NULL: no boot loader or generator detection */
        const char *config_dir; /* NULL: <etc>/passthru, where devices.conf lives */
        Sysfs *sysfs;           /* NULL: lockdown and Secure Boot unknown */
} BootRoots;

/* Reads them anew into b (emptied first). */
int boot_facts_read(BootFacts *b, const BootRoots *roots);
void boot_facts_done(BootFacts *b);
