/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "device-table.h"

void device_table_done(DeviceTable *t) {
        groups_free(t->groups, t->n_groups);
        for (size_t i = 0; i < t->n_devices; i++)
                device_free(t->devices[i]);
        free(t->devices);
        *t = (DeviceTable){};
}

/* Binary search; *ret_index is where the address is or would be inserted. */
static Device *find(const DeviceTable *t, const PciAddress *a, size_t *ret_index) {
        size_t lo = 0, hi = t->n_devices;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = pci_address_compare(&t->devices[mid]->address, a);

                if (c == 0) {
                        lo = mid;
                        break;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (ret_index)
                *ret_index = lo;
        return lo < t->n_devices && pci_address_compare(&t->devices[lo]->address, a) == 0 ? t->devices[lo]
                                                                                          : NULL;
}

Device *device_table_find(const DeviceTable *t, const PciAddress *a) {
        assert(t);
        assert(a);
        return find(t, a, NULL);
}

Group *device_table_find_group(const DeviceTable *t, int number) {
        assert(t);
        return groups_find(t->groups, t->n_groups, number);
}

Group *device_table_group_of(const DeviceTable *t, const Device *d) {
        assert(t);
        return d->iommu_group >= 0 ? device_table_find_group(t, d->iommu_group) : NULL;
}

bool device_table_iommu_enabled(const DeviceTable *t) {
        assert(t);
        return t->n_groups > 0;
}

int device_table_insert(DeviceTable *t, Device *d) {
        Device **grown;
        size_t index;

        assert(t);
        assert(d);
        if (find(t, &d->address, &index))
                return -EEXIST;
        grown = realloc(t->devices, sizeof(Device *) * (t->n_devices + 1));
        if (!grown)
                return -ENOMEM;
        t->devices = grown;
        memmove(t->devices + index + 1, t->devices + index, sizeof(Device *) * (t->n_devices - index));
        t->devices[index] = d;
        t->n_devices++;
        return 0;
}

Device *device_table_take(DeviceTable *t, const PciAddress *a) {
        size_t index;
        Device *d = find(t, a, &index);

        assert(t);
        if (!d)
                return NULL;
        memmove(t->devices + index, t->devices + index + 1, sizeof(Device *) * (t->n_devices - index - 1));
        t->n_devices--;
        return d;
}

int device_table_rebuild_groups(DeviceTable *t, Group ***ret_old, size_t *ret_n_old) {
        Group **groups;
        size_t n;
        int r;

        assert(t);
        assert(ret_old);
        assert(ret_n_old);
        r = groups_build(t->devices, t->n_devices, &groups, &n);
        if (r < 0)
                return r;
        *ret_old = t->groups;
        *ret_n_old = t->n_groups;
        t->groups = groups;
        t->n_groups = n;
        return 0;
}
