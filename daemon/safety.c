/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "device.h"
#include "safety.h"
#include "strv.h"

int safety_device_blockers(const Device *d, char ***ret) {
        _cleanup_strv_free_ char **reasons = calloc(1, sizeof(char *));
        int r = 0;

        if (!reasons)
                return -ENOMEM;
        if (d->is_bridge)
                r = strv_extend(&reasons, "It is a PCI bridge; bridges stay with the host.");
        if (r >= 0 && d->iommu_group < 0)
                r = strv_extend(&reasons, "It has no IOMMU group: enable the IOMMU (VT-d or AMD-Vi) "
                                          "in the firmware and on the kernel command line.");
        if (r >= 0 && d->boot_vga)
                r = strv_extend(&reasons, "It is the boot VGA device: the host console runs on it.");
        if (r >= 0 && d->sriov_numvfs > 0)
                r = strv_extend(&reasons, "It is an SR-IOV physical function with virtual functions "
                                          "enabled; assign the virtual functions instead.");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(reasons);
        return 0;
}
