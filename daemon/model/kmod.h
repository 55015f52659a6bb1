/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Kernel modules through libkmod: which modules can drive a device (its modalias looked up
 * the way modprobe and `lspci -k` do), whether a module exists for this kernel, loading one
 * the way modprobe would, and the modprobe configuration as modprobe reads it. */

#include "macros.h"

typedef struct Kmod Kmod;

/* modules_dir NULL: /lib/modules/$(uname -r). config_paths NULL: the system's modprobe.d
 * files; tests pass a file with "alias pci:v...* module" lines instead. */
int kmod_open(const char *modules_dir, const char *const *config_paths, Kmod **ret);
Kmod *kmod_close(Kmod *k);
DEFINE_TRIVIAL_CLEANUP_FUNC(Kmod *, kmod_close);

/* Sorted, de-duplicated module names for a modalias; an empty list when none match. */
int kmod_modules_for_alias(Kmod *k, const char *modalias, char ***ret);

typedef enum KmodAvailability {
        KMOD_MISSING, /* neither in modules.dep nor in modules.builtin */
        KMOD_MODULE,  /* a loadable .ko */
        KMOD_BUILTIN, /* compiled into the kernel */
} KmodAvailability;

/* Looks a module name up ("vfio-pci" and "vfio_pci" are the same) in the module indexes;
 * returns a KmodAvailability, or -ENODATA when the indexes cannot be read at all. */
int kmod_module_availability(Kmod *k, const char *name);

/* Loads a module and its dependencies as modprobe does, respecting blacklists. -ENOENT when
 * the module does not exist for this kernel, -EPERM when configuration prohibits it. */
int kmod_load(Kmod *k, const char *name);

/* One line of the modprobe configuration: keyword "options", "softdep", "blacklist" or
 * "install"; module as libkmod keeps it ('-' written as '_'); value the options, the softdep's
 * "pre: ... post: ...", the install command, or NULL for a blacklist. <0 stops the walk. */
typedef int (*KmodConfigLine)(const char *keyword, const char *module, const char *value, void *userdata);

/* Calls f for every options, softdep, blacklist and install line libkmod read: from the
 * config paths given to kmod_open(), or with NULL there from kmod's own search path and
 * precedence (on Debian 12 /etc, /run, /usr/local/lib, /lib/modprobe.d; a file name in an
 * earlier directory hides the same name in a later one). Read afresh when a file changed. */
int kmod_config_for_each(Kmod *k, KmodConfigLine f, void *userdata);

/* Whether two module names are the same, with '-' and '_' equal as modprobe has them. */
bool kmod_name_equal(const char *a, const char *b);
