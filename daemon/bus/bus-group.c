/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "bus-changes.h"
#include "bus-group.h"
#include "bus-common.h"
#include "log.h"
#include "manager.h"
#include "passthru-dbus.h"
#include "strv.h"

static int group_number_from_path(const char *path, int *ret) {
        const char *prefix = PASSTHRU_GROUPS_PATH "/";
        char *end;
        long n;

        if (strncmp(path, prefix, strlen(prefix)) != 0)
                return -EINVAL;
        path += strlen(prefix);
        if (*path < '0' || *path > '9')
                return -EINVAL;
        /* One path per group, as enumerated: "01" is not group 1. */
        if (path[0] == '0' && path[1] != '\0')
                return -EINVAL;
        errno = 0;
        n = strtol(path, &end, 10);
        if (errno != 0 || *end != '\0' || n > INT32_MAX)
                return -EINVAL;
        *ret = (int) n;
        return 0;
}

static int group_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                      sd_bus_error *error) {
        Bus *b = userdata;
        Group *g;
        int number;

        if (group_number_from_path(path, &number) < 0)
                return 0;
        g = manager_find_group(b->manager, number);
        if (!g)
                return 0;
        *found = g;
        return 1;
}

static const char *group_path_of(Bus *b, size_t i) {
        return b->manager->table.groups[i]->object_path;
}

static int group_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                           sd_bus_error *error) {
        Bus *b = userdata;

        return bus_node_list(b, b->manager->table.n_groups, group_path_of, ret_nodes);
}

static int property_get_devices(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Group *g = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "o");
        for (size_t i = 0; i < g->n_devices && r >= 0; i++)
                r = sd_bus_message_append(reply, "o", g->devices[i]->object_path);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int property_get_viable(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Group *g = userdata;

        return sd_bus_message_append(reply, "b", g->viable);
}

static const sd_bus_vtable group_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Number", "i", NULL, offsetof(Group, number), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Devices", "ao", property_get_devices, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Viable", "b", property_get_viable, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

int bus_group_register(Bus *b) {
        assert(b);
        return bus_register_fallback(b, "group", PASSTHRU_GROUPS_PATH, PASSTHRU_GROUP_INTERFACE,
                                     group_vtable, group_find, group_enumerate);
}

static bool same_members(const Group *a, const Group *b) {
        if (a->n_devices != b->n_devices)
                return false;
        for (size_t i = 0; i < a->n_devices; i++)
                if (a->devices[i] != b->devices[i])
                        return false;
        return true;
}

int bus_group_changed_properties(unsigned changes, char ***names) {
        int r = 0;

        assert(names);
        if (changes & GROUP_CHANGE_DEVICES)
                r = strv_extend(names, "Devices");
        if (r >= 0 && (changes & GROUP_CHANGE_VIABLE))
                r = strv_extend(names, "Viable");
        return r;
}

static unsigned group_changes(const Group *old, const Group *now) {
        return (same_members(old, now) ? 0 : GROUP_CHANGE_DEVICES) |
               (old->viable != now->viable ? GROUP_CHANGE_VIABLE : 0);
}

void bus_groups_emit_changes(Bus *b, Group **old, size_t n_old) {
        Manager *m = b->manager;
        int r;

        assert(b);
        for (size_t i = 0; i < m->table.n_groups; i++) {
                Group *now = m->table.groups[i], *before = groups_find(old, n_old, now->number);

                if (before)
                        bus_changes_queue(b->changes, BUS_OBJECT_GROUP, now->object_path,
                                          group_changes(before, now));
                else if ((r = sd_bus_emit_object_added(b->bus, now->object_path)) < 0)
                        log_warning_errno(r, "Failed to emit InterfacesAdded for group %d, ignoring: %m",
                                          now->number);
        }
        for (size_t i = 0; i < n_old; i++) {
                if (manager_find_group(m, old[i]->number))
                        continue;
                bus_changes_drop(b->changes, old[i]->object_path);
                /* The object is gone already: name its interface explicitly. */
                r = sd_bus_emit_interfaces_removed(b->bus, old[i]->object_path, PASSTHRU_GROUP_INTERFACE,
                                                   NULL);
                if (r < 0)
                        log_warning_errno(r, "Failed to emit InterfacesRemoved for group %d, ignoring: %m",
                                          old[i]->number);
        }
}
