/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Kernel modules through libkmod: which modules can drive a device (its modalias looked up
 * the way modprobe and `lspci -k` do). Module loading joins here in the binding work. */

#include "macros.h"

typedef struct Kmod Kmod;

/* modules_dir NULL: /lib/modules/$(uname -r). config_paths NULL: the system's modprobe.d
 * files; tests pass a file with "alias pci:v...* module" lines instead. */
int kmod_open(const char *modules_dir, const char *const *config_paths, Kmod **ret);
Kmod *kmod_close(Kmod *k);
DEFINE_TRIVIAL_CLEANUP_FUNC(Kmod *, kmod_close);

/* Sorted, de-duplicated module names for a modalias; an empty list when none match. */
int kmod_modules_for_alias(Kmod *k, const char *modalias, char ***ret);
