/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Why a device must not go to vfio-pci: the reasons shown in a device's Blockers property
 * and given when a Bind is refused. Each reason is a sentence a person can act on. */

typedef struct Device Device;

/* Reasons that follow from the device alone (bridge, no IOMMU group, boot VGA, a PF with
 * VFs enabled). Returns an empty list, never NULL, on success. */
int safety_device_blockers(const Device *d, char ***ret);
