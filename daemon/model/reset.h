/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How a device is reset between VMs: the verdict shown with the kernel's reset_method list
 * (pure: what the list offers, and the AMD generations that need the out-of-tree
 * vendor-reset module), and setting that list through sysfs.c. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "device_specific acpi flr af_flr pm bus cxl_bus" and its NUL fit. */
#define RESET_METHODS_TEXT_MAX 64

typedef struct Device Device;
typedef struct Sysfs Sysfs;
typedef struct Refusal Refusal;

/* The AMD generation of a device that needs vendor-reset ("AMD Navi 10"); NULL for others. */
const char *reset_vendor_reset_generation(uint16_t vendor_id, uint16_t device_id);
/* One line: "FLR, bus reset available", "no reset: the device may not work after the VM
 * restarts", or what vendor-reset means for it (loaded: whether the module is loaded). */
int reset_verdict(const char *address, uint16_t vendor_id, uint16_t device_id, char *const *methods,
                  bool vendor_reset_loaded, char **ret);
/* Whether methods is a list the kernel's reset_method takes: one or more of its method
 * names, each once, or "default" alone. InvalidArgument otherwise. */
int reset_methods_check(char *const *methods, Refusal *refusal);

/* A remembered list (devices.conf's reset-method) in its one form: known methods, each
 * once, separated by one space, into ret; -EINVAL otherwise ("default" included: remembering
 * it is remembering nothing). */
int reset_methods_normalize(const char *text, size_t n, char ret[static RESET_METHODS_TEXT_MAX]);
/* Whether the device's current list is the remembered one ("" matches any). */
bool reset_methods_match(const char *remembered, char *const *current);

/* Writes methods (checked) to d's reset_method. A method the device's current list lacks is
 * looked for in the kernel's full list ("default"); one the kernel does not offer for d is
 * refused (InvalidArgument) and the list is put back as it was. Failed when the kernel
 * refuses the write. */
int reset_methods_write(Sysfs *sysfs, const Device *d, char *const *methods, Refusal *refusal);
