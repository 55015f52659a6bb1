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
        bool endpoint = false;

        assert(g);
        for (size_t i = 0; i < g->n_devices; i++) {
                const Device *d = g->devices[i];

                if (d->is_bridge)
                        continue;
                if (!group_driver_is_viable(d->driver))
                        return false;
                endpoint = true;
        }
        return endpoint;
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

static Group *group_new(int number) {
        Group *g = calloc(1, sizeof(Group));

        if (!g)
                return NULL;
        g->number = number;
        snprintf(g->object_path, sizeof(g->object_path), PASSTHRU_GROUPS_PATH "/%d", number);
        return g;
}

/* A device of the table by its group; ties keep the table's order (by address). */
typedef struct Member {
        int group;
        size_t index;
} Member;

static int compare_members(const void *a, const void *b) {
        const Member *x = a, *y = b;

        if (x->group != y->group)
                return (x->group > y->group) - (x->group < y->group);
        return (x->index > y->index) - (x->index < y->index);
}

/* Sorted by group, the members of each group come as one run: one pass makes the groups,
 * already in order, where a scan of the groups made so far for each device would be
 * quadratic. */
int groups_build(Device **devices, size_t n_devices, Group ***ret, size_t *ret_n) {
        _cleanup_free_ Member *members = calloc(n_devices ?: 1, sizeof(Member));
        Group **groups = calloc(n_devices ?: 1, sizeof(Group *));
        size_t n_members = 0, n = 0;

        assert(ret);
        assert(ret_n);
        if (!members || !groups) {
                free(groups);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n_devices; i++)
                if (devices[i]->iommu_group >= 0)
                        members[n_members++] = (Member){ devices[i]->iommu_group, i };
        qsort(members, n_members, sizeof(Member), compare_members);
        for (size_t i = 0, end; i < n_members; i = end) {
                Group *g = group_new(members[i].group);

                for (end = i + 1; end < n_members && members[end].group == members[i].group; end++)
                        ;
                if (g)
                        g->devices = calloc(end - i, sizeof(Device *));
                if (!g || !g->devices) {
                        group_free(g);
                        groups_free(groups, n);
                        return -ENOMEM;
                }
                for (size_t j = i; j < end; j++)
                        g->devices[g->n_devices++] = devices[members[j].index];
                g->viable = group_is_viable(g);
                groups[n++] = g;
        }
        if (n == 0)
                groups = mfree(groups);
        *ret = groups;
        *ret_n = n;
        return 0;
}
