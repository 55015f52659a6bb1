/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <unistd.h>

#include "device.h"
#include "strv.h"

static const char *const state_names[_DEVICE_STATE_MAX] = {
        [DEVICE_STATE_HOST] = "host", [DEVICE_STATE_VFIO] = "vfio",   [DEVICE_STATE_UNBOUND] = "unbound",
        [DEVICE_STATE_BUSY] = "busy", [DEVICE_STATE_STUCK] = "stuck",
};

const char *device_state_to_string(DeviceState s) {
        return s >= 0 && s < _DEVICE_STATE_MAX ? state_names[s] : NULL;
}

Device *device_free(Device *d) {
        if (!d)
                return NULL;
        free(d->devpath);
        free(d->serial);
        free(d->modalias);
        strv_free(d->kernel_modules);
        free(d->driver);
        free(d->driver_override);
        free(d->original_driver);
        free(d->original_override);
        strv_free(d->reset_methods);
        free(d->reset_verdict);
        free(d->physical_function);
        strv_free(d->virtual_functions);
        strv_free(d->blockers);
        strv_free(d->holders);
        free(d);
        return NULL;
}

DeviceState device_get_state(const Device *d) {
        assert(d);
        if (d->stuck)
                return DEVICE_STATE_STUCK;
        if (d->busy)
                return DEVICE_STATE_BUSY;
        if (!d->driver)
                return DEVICE_STATE_UNBOUND;
        if (streq(d->driver, "vfio-pci"))
                return DEVICE_STATE_VFIO;
        return DEVICE_STATE_HOST;
}

bool device_is_assignable(const Device *d) {
        assert(d);
        return strv_length(d->blockers) == 0;
}

#define SWAP_FIELD(a, b)                   \
        do {                               \
                __typeof__(a) _tmp_ = (a); \
                (a) = (b);                 \
                (b) = _tmp_;               \
        } while (0)

static bool identity_equal(const Device *a, const Device *b) {
        return a->vendor_id == b->vendor_id && a->device_id == b->device_id &&
               a->subsystem_vendor_id == b->subsystem_vendor_id &&
               a->subsystem_device_id == b->subsystem_device_id && a->class_code == b->class_code &&
               a->revision == b->revision && (!b->serial || streq_ptr(a->serial, b->serial)) &&
               a->numa_node == b->numa_node && streq_ptr(a->vendor_name, b->vendor_name) &&
               streq_ptr(a->device_name, b->device_name) && streq_ptr(a->class_name, b->class_name) &&
               streq_ptr(a->modalias, b->modalias) && strv_equal(a->kernel_modules, b->kernel_modules) &&
               strv_equal(a->reset_methods, b->reset_methods) &&
               streq_ptr(a->reset_verdict, b->reset_verdict) &&
               streq_ptr(a->subsystem_name, b->subsystem_name);
}

static unsigned compare(const Device *d, const Device *fresh) {
        unsigned changes = 0;

        if (!streq_ptr(d->driver, fresh->driver))
                changes |= DEVICE_CHANGE_DRIVER | DEVICE_CHANGE_STATE;
        if (!streq_ptr(d->driver_override, fresh->driver_override))
                changes |= DEVICE_CHANGE_DRIVER_OVERRIDE;
        if (d->iommu_group != fresh->iommu_group)
                changes |= DEVICE_CHANGE_IOMMU_GROUP;
        if (!strv_equal(d->blockers, fresh->blockers))
                changes |= DEVICE_CHANGE_BLOCKERS | DEVICE_CHANGE_ASSIGNABLE;
        if (!strv_equal(d->holders, fresh->holders))
                changes |= DEVICE_CHANGE_HOLDERS;
        if (d->sriov_numvfs != fresh->sriov_numvfs || d->sriov_totalvfs != fresh->sriov_totalvfs ||
            !streq_ptr(d->physical_function, fresh->physical_function) ||
            !strv_equal(d->virtual_functions, fresh->virtual_functions))
                changes |= DEVICE_CHANGE_SRIOV;
        if (d->boot_vga != fresh->boot_vga)
                changes |= DEVICE_CHANGE_BOOT_VGA;
        if (!identity_equal(d, fresh))
                changes |= DEVICE_CHANGE_IDENTITY;
        return changes;
}

unsigned device_update(Device *d, Device *fresh) {
        unsigned changes = compare(d, fresh);

        assert(d);
        assert(fresh);
        /* Swap, so fresh carries the old values away and frees them. */
        SWAP_FIELD(d->devpath, fresh->devpath);
        SWAP_FIELD(d->vendor_id, fresh->vendor_id);
        SWAP_FIELD(d->device_id, fresh->device_id);
        SWAP_FIELD(d->subsystem_vendor_id, fresh->subsystem_vendor_id);
        SWAP_FIELD(d->subsystem_device_id, fresh->subsystem_device_id);
        SWAP_FIELD(d->class_code, fresh->class_code);
        SWAP_FIELD(d->revision, fresh->revision);
        /* A serial not read this time (device suspended) is still the card's: the same card
         * stays at an address until udev removes it. */
        if (fresh->serial)
                SWAP_FIELD(d->serial, fresh->serial);
        SWAP_FIELD(d->is_bridge, fresh->is_bridge);
        SWAP_FIELD(d->vendor_name, fresh->vendor_name);
        SWAP_FIELD(d->device_name, fresh->device_name);
        SWAP_FIELD(d->subsystem_name, fresh->subsystem_name);
        SWAP_FIELD(d->class_name, fresh->class_name);
        SWAP_FIELD(d->modalias, fresh->modalias);
        SWAP_FIELD(d->kernel_modules, fresh->kernel_modules);
        SWAP_FIELD(d->driver, fresh->driver);
        SWAP_FIELD(d->driver_override, fresh->driver_override);
        SWAP_FIELD(d->iommu_group, fresh->iommu_group);
        SWAP_FIELD(d->boot_vga, fresh->boot_vga);
        SWAP_FIELD(d->numa_node, fresh->numa_node);
        SWAP_FIELD(d->reset_methods, fresh->reset_methods);
        SWAP_FIELD(d->reset_verdict, fresh->reset_verdict);
        SWAP_FIELD(d->physical_function, fresh->physical_function);
        SWAP_FIELD(d->virtual_functions, fresh->virtual_functions);
        SWAP_FIELD(d->sriov_numvfs, fresh->sriov_numvfs);
        SWAP_FIELD(d->sriov_totalvfs, fresh->sriov_totalvfs);
        SWAP_FIELD(d->blockers, fresh->blockers);
        SWAP_FIELD(d->holders, fresh->holders);
        return changes;
}
