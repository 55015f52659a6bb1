/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What to write into a VM's configuration to give it a PCI function: libvirt <hostdev>
 * elements, QEMU -device lines or a Proxmox `qm set` line. The function travels with every
 * endpoint of its IOMMU group (a group goes to one VM whole; bridges stay with the host),
 * and the functions of one host device share one guest slot. A pure function of the device
 * table: GetVmConfig, passthructl vm-config and the Cockpit page all show its answer. */

#include "macros.h"
#include "pci-address.h"

typedef struct DeviceTable DeviceTable;
typedef struct Refusal Refusal;

typedef enum VmFormat {
        VM_FORMAT_LIBVIRT,
        VM_FORMAT_QEMU,
        VM_FORMAT_PROXMOX,
        _VM_FORMAT_MAX,
        _VM_FORMAT_INVALID = -1,
} VmFormat;

const char *vm_format_to_string(VmFormat f);
VmFormat vm_format_from_string(const char *s);

/* The first guest slot given to a multifunction device: clear of what QEMU's machines and
 * libvirt put on bus 0 by themselves. */
#define VM_CONFIG_FIRST_GUEST_SLOT 0x10

typedef struct VmConfig {
        char *text;         /* the snippet, lines ending in "\n" */
        char **devices;     /* the host functions it gives, in order */
        char **pending;     /* those not on vfio-pci yet (NULL when ready) */
        char *bind_command; /* how to get them there; NULL when ready */
        char **notes;       /* what to check or change before using the snippet; may be NULL */
} VmConfig;

void vm_config_done(VmConfig *c);

/* The configuration for the function at a, into an empty VmConfig. A refusal (no such
 * function, a bridge) returns <0 with refusal set. */
int vm_config_make(const DeviceTable *t, const PciAddress *a, VmFormat format, VmConfig *ret,
                   Refusal *refusal);
