/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Why a device must not go to vfio-pci (or leave it): the reasons shown in a device's
 * Blockers property and given when a Bind or Unbind is refused. Each reason is a sentence a
 * person can act on. Some follow from the device alone (bridge, no IOMMU group, SR-IOV PF
 * with VFs); others from what the host does with it, read from /proc and /sys: the block
 * devices holding /, /usr, /boot and swap, the default-route interface, open /dev/vfio
 * handles, a console on the boot VGA, and the holders that make a move unsafe (a console on
 * a device's framebuffer, a DRM client: holders.c names them, from the same walk of /proc).
 * Roots are configurable so tests use fixtures. */

#include <stdbool.h>

#include "macros.h"

typedef struct Device Device;
typedef struct Sysfs Sysfs;
typedef struct SafetyHost SafetyHost;
typedef struct Refusal Refusal;
typedef struct Holders Holders;

/* proc_root NULL: /proc. sysfs is borrowed. */
int safety_host_new(const char *proc_root, Sysfs *sysfs, SafetyHost **ret);
SafetyHost *safety_host_free(SafetyHost *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(SafetyHost *, safety_host_free);
/* Reads mounts, swaps, routes, open handles and consoles again. */
int safety_host_refresh(SafetyHost *h);

/* Every reason against binding d (host may be NULL: device reasons only). Returns an empty
 * list, never NULL, on success. */
int safety_device_blockers(SafetyHost *h, const Device *d, char ***ret);
/* Sets a named refusal (ProtectedDevice, DeviceInUse, NoIommu) and returns <0 when d must
 * not be taken from the host (to vfio-pci or to another driver); force overrides the
 * reasons where overriding makes sense. */
int safety_refuse_bind(SafetyHost *h, const Device *d, bool force, Refusal *refusal);
/* The same for keeping d on vfio-pci (remembering it, binding it early at boot): a device
 * already on vfio-pci may be in use by a VM, which is what keeping it is for. */
int safety_refuse_keep(SafetyHost *h, const Device *d, bool force, Refusal *refusal);
/* Who holds which device (holders.c); NULL when h is. */
const Holders *safety_host_holders(const SafetyHost *h);
/* Refuses giving back a device a VM still holds open. */
int safety_refuse_unbind(SafetyHost *h, const Device *d, Refusal *refusal);
