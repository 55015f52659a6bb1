/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "device.h"
#include "group.h"
#include "passthru-dbus.h"

Group *group_free(Group *g) {
        if (!g)
                return NULL;
        free(g->devices);
        free(g);
        return NULL;
}

bool group_driver_is_viable(const char *driver) {
        return !driver || streq(driver, "vfio-pci") || streq(driver, "pci-stub");
}

bool group_is_viable(const Group *g) {
        for (size_t i = 0; i < g->n_devices; i++) {
                const Device *d = g->devices[i];

                if (!d->is_bridge && !group_driver_is_viable(d->driver))
                        return false;
        }
        return true;
}

void groups_free(Group **groups, size_t n) {
        for (size_t i = 0; i < n; i++)
                group_free(groups[i]);
        free(groups);
}

Group *groups_find(Group **groups, size_t n, int number) {
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (groups[mid]->number == number)
                        return groups[mid];
                if (groups[mid]->number < number)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

static int compare_groups(const void *a, const void *b) {
        const Group *x = *(Group *const *) a, *y = *(Group *const *) b;

        return (x->number > y->number) - (x->number < y->number);
}

static Group *group_new(int number) {
        Group *g = calloc(1, sizeof(Group));

        if (!g)
                return NULL;
        g->number = number;
        snprintf(g->object_path, sizeof(g->object_path), PASSTHRU_GROUPS_PATH "/%d", number);
        return g;
}

static int group_add_device(Group *g, Device *d) {
        Device **grown = realloc(g->devices, sizeof(Device *) * (g->n_devices + 1));

        if (!grown)
                return -ENOMEM;
        grown[g->n_devices++] = d;
        g->devices = grown;
        return 0;
}

int groups_build(Device **devices, size_t n_devices, Group ***ret, size_t *ret_n) {
        Group **groups = NULL;
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; i < n_devices && r >= 0; i++) {
                Device *d = devices[i];
                Group *g = NULL;

                if (d->iommu_group < 0)
                        continue;
                /* Groups are few: a linear scan over the unsorted table is cheapest. */
                for (size_t j = 0; j < n && !g; j++)
                        if (groups[j]->number == d->iommu_group)
                                g = groups[j];
                if (!g) {
                        Group **grown = realloc(groups, sizeof(Group *) * (n + 1));

                        if (!grown || !(g = group_new(d->iommu_group))) {
                                if (grown)
                                        groups = grown;
                                r = -ENOMEM;
                                break;
                        }
                        groups = grown;
                        groups[n++] = g;
                }
                r = group_add_device(g, d);
        }
        if (r < 0) {
                groups_free(groups, n);
                return r;
        }
        for (size_t i = 0; i < n; i++)
                groups[i]->viable = group_is_viable(groups[i]);
        if (n > 0)
                qsort(groups, n, sizeof(Group *), compare_groups);
        *ret = groups;
        *ret_n = n;
        return 0;
}
