/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which VM passthru bound a device for. The libvirt hook binds a domain's hostdevs at
 * "prepare" with Bind's vm option; each device that moved then has a claim naming the
 * domain, one small file per device under the runtime directory (/run/passthru/vms/ADDRESS),
 * so that a daemon restart while the VM runs forgets nothing. At "release" Unbind's vm option
 * gives back exactly the claimed devices that are not remembered (devices.conf): a device
 * that was on vfio-pci before the VM started stays there. Any other move of a device ends
 * its claim. */

#include <stdbool.h>

#include "macros.h"

typedef struct Plan Plan;
typedef struct DeviceTable DeviceTable;

typedef struct VmClaims VmClaims;

/* runtime_dir NULL: /run/passthru. Nothing is opened until a claim is written or read. */
int vm_claims_new(const char *runtime_dir, VmClaims **ret);
VmClaims *vm_claims_free(VmClaims *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(VmClaims *, vm_claims_free);

/* A VM's name as the option may give it: 1-255 bytes of valid UTF-8 without control
 * characters (libvirt's own rule is looser about nothing that matters here). */
bool vm_name_is_valid(const char *name);

/* -ENOENT when the device has no claim. */
int vm_claim_load(VmClaims *c, const char *address, char **ret_vm);

/* After a plan was carried out: with vm set (a Bind for that VM) every device it moved off
 * another driver is claimed for it (one on vfio-pci already, which only got its
 * driver_override, is not); otherwise the moved devices' claims end. Failures are logged. */
void vm_claims_note(VmClaims *c, const Plan *plan, const char *vm);

/* Keeps, of an Unbind's plan, only the moves of devices claimed for vm and not remembered. */
int vm_claims_filter(VmClaims *c, const DeviceTable *t, const char *vm, Plan *plan);
