/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What passthru puts into the initramfs for early binding by address. The scripts are static
 * and installed with passthru (initramfs/ in the source tree): /usr/lib/passthru/early-bind
 * does the work, and each generator gets a small entry point that runs it before udev —
 * initramfs-tools: /usr/share/initramfs-tools/{hooks,scripts/init-top}/passthru; dracut:
 * /usr/lib/dracut/modules.d/90passthru (pre-udev hook); mkinitcpio:
 * /usr/lib/initcpio/{install,hooks}/passthru. All of them do nothing until the list of
 * devices exists, so installing them changes no initramfs. This file makes what is generated
 * per host: the list, and for mkinitcpio the hook's place in HOOKS. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci-address.h"

#define EARLY_BIND_LIST "/etc/passthru/early-bind.list"
#define EARLY_BIND_SCRIPT "/usr/lib/passthru/early-bind"

/* One device to bind early: its address and the identity it must still have there. */
typedef struct EarlyBindEntry {
        PciAddress address;
        uint16_t vendor, device;
        uint16_t subsystem_vendor, subsystem_device;
        uint32_t class; /* 24 bits: class, subclass, programming interface */
} EarlyBindEntry;

/* The text of EARLY_BIND_LIST: the marker, a comment naming the columns, then one line a
 * device, "ADDRESS VENDOR DEVICE SUBSYSTEM_VENDOR SUBSYSTEM_DEVICE CLASS", each value written
 * as sysfs prints it ("0000:01:00.0 0x10de 0x1b80 0x10de 0x119e 0x030000") so the script
 * compares strings. Sorted by address; -EEXIST when an address comes twice, -EINVAL for a
 * class beyond 24 bits. */
int early_bind_list_format(const EarlyBindEntry *entries, size_t n, char **ret);

/* Adds "passthru" to the HOOKS=(...) array of /etc/mkinitcpio.conf right before "udev" (early
 * hooks run in HOOKS order and udev's starts udevd), or removes it; the rest of the text stays
 * as it is. Returns 1 when the text changed, 0 when not; -EBADMSG without an uncommented HOOKS
 * array, -EOPNOTSUPP when HOOKS has "systemd" instead of "udev" (a systemd initramfs runs no
 * early hooks) or lacks udev. */
int mkinitcpio_hooks_edit(const char *text, bool add, char **ret);
