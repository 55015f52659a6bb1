/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The whole boot configuration of a host, decided on its root directory without writing
 * anything: each file passthru would write with its old and new text and their unified diff,
 * the commands that apply them, and the warnings to show. A dry run of ApplyBootConfig returns
 * this plan; the real run writes it (each changed file backed up first, see bootcfg-file.h)
 * and runs the commands. The pieces come from bootcfg-detect (what the host has),
 * bootcfg-needs (what it needs), bootcfg-cmdline and bootcfg-initramfs (the edits and the
 * generated files) and bootcfg-diff (the preview). */

#include <stdbool.h>
#include <stddef.h>

#include "bootcfg-initramfs.h"

#define MODULES_LOAD_FILE "/etc/modules-load.d/passthru.conf"

typedef struct BootPlanInput {
        const EarlyBindEntry *entries; /* the persisted devices to bind early */
        size_t n_entries;
        bool intel_dmar;             /* the firmware has an ACPI DMAR table */
        bool want_iommu_pt;          /* iommu=pt was asked for */
        const char *running_cmdline; /* /proc/cmdline, the base of a new /etc/kernel/cmdline */
        bool initramfs;              /* plan the initramfs part */
        bool cmdline;                /* plan the command-line part */
        bool remove;                 /* take passthru's parts out instead */
        char *const *left_out;       /* remembered devices the gate kept out, as sentences */
} BootPlanInput;

typedef struct BootFileChange {
        char *path;     /* absolute, as on the host */
        char *old_text; /* NULL: the file does not exist yet */
        char *new_text; /* NULL: the file is to be removed */
        char *diff;     /* unified diff of old_text and new_text */
} BootFileChange;

typedef struct BootPlan {
        BootFileChange *files; /* only files that change */
        size_t n_files;
        char **commands; /* to run after the files are written, in order; words split on blanks */
        char **warnings;
        char *refusal; /* while planning: why a file cannot be edited safely */
} BootPlan;

/* Plans on the root directory rootfd (the host's / or a fixture). A file the plan cannot edit
 * safely (a symbolic link, a GRUB assignment the shell runs only maybe, an unterminated quote…)
 * fails it with -EBADMSG, and then only *ret_error (may be NULL; free()d by the caller) gets a
 * sentence naming the file and why. */
int boot_plan_make(int rootfd, const BootPlanInput *in, BootPlan *ret, char **ret_error);
void boot_plan_done(BootPlan *p);
