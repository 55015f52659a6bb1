/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "bus-bootcfg.h"
#include "bus-changes.h"
#include "bus-device.h"
#include "bus-errors.h"
#include "bus-group.h"
#include "bus-manager.h"
#include "bus-persist.h"
#include "bus.h"
#include "log.h"
#include "manager.h"
#include "passthru-dbus.h"
#include "persist.h"
#include "polkit.h"
#include "strv.h"

static int manager_changed_properties(unsigned changes, char ***names) {
        int r = 0;

        if (changes & MANAGER_CHANGE_IOMMU)
                r = strv_extend(names, "IommuEnabled");
        if (r >= 0 && (changes & MANAGER_CHANGE_HOST_STATUS))
                r = strv_extend(names, "HostStatus");
        return r;
}

static const BusObjectProperties object_properties[_BUS_OBJECT_KIND_MAX] = {
        [BUS_OBJECT_MANAGER] = { PASSTHRU_MANAGER_INTERFACE, manager_changed_properties },
        [BUS_OBJECT_DEVICE] = { PASSTHRU_DEVICE_INTERFACE, bus_device_changed_properties },
        [BUS_OBJECT_GROUP] = { PASSTHRU_GROUP_INTERFACE, bus_group_changed_properties },
};

static void emit_manager_signal(Bus *b, const char *member, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_signal(b->bus, &m, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, member);
        if (r >= 0) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_send(b->bus, m, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit %s, ignoring: %m", member);
}

static void on_device_added(Device *d, void *userdata) {
        Bus *b = userdata;

        bus_device_emit_added(b, d);
        emit_manager_signal(b, "DeviceAdded", "os", d->object_path, d->address_str);
}

static void on_device_removed(Device *d, void *userdata) {
        Bus *b = userdata;

        bus_changes_drop(b->changes, d->object_path);
        bus_device_emit_removed(b, d);
        emit_manager_signal(b, "DeviceRemoved", "os", d->object_path, d->address_str);
}

static void on_device_changed(Device *d, unsigned changes, const char *old_driver, void *userdata) {
        Bus *b = userdata;

        bus_changes_queue(b->changes, BUS_OBJECT_DEVICE, d->object_path, changes);
        if (changes & DEVICE_CHANGE_DRIVER)
                emit_manager_signal(b, "DriverChanged", "sss", d->address_str, strempty(old_driver),
                                    strempty(d->driver));
}

static void on_groups_changed(Group **old, size_t n_old, void *userdata) {
        bus_groups_emit_changes(userdata, old, n_old);
}

static void on_manager_changed(unsigned changes, void *userdata) {
        Bus *b = userdata;

        bus_changes_queue(b->changes, BUS_OBJECT_MANAGER, PASSTHRU_MANAGER_PATH, changes);
}

static void on_host_checked(Manager *m, void *userdata) {
        bus_manager_host_checked(userdata);
}

static const ManagerListener listener = {
        .device_added = on_device_added,
        .device_removed = on_device_removed,
        .device_changed = on_device_changed,
        .groups_changed = on_groups_changed,
        .manager_changed = on_manager_changed,
        .host_checked = on_host_checked,
};

static int connect_bus(Bus *b, const char *address) {
        int r;

        if (!address)
                r = sd_bus_open_system(&b->bus);
        else {
                r = sd_bus_new(&b->bus);
                if (r >= 0)
                        r = sd_bus_set_address(b->bus, address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(b->bus, 1);
                if (r >= 0)
                        r = sd_bus_start(b->bus);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the %s bus: %m",
                                       address ? "given" : "system");
        /* Without its bus the daemon has no name and no purpose: leave the event loop with a
         * failure, so systemd's Restart= brings it back. */
        r = sd_bus_set_exit_on_disconnect(b->bus, true);
        if (r >= 0)
                r = sd_bus_attach_event(b->bus, b->manager->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach bus to event loop: %m");
        return sd_bus_error_add_map(passthru_error_map);
}

static int register_objects(Bus *b) {
        int r;

        r = sd_bus_add_object_manager(b->bus, NULL, PASSTHRU_ROOT_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to add object manager: %m");
        r = bus_manager_register(b);
        if (r >= 0)
                r = bus_device_register(b);
        if (r < 0)
                return r;
        return bus_group_register(b);
}

Bus *bus_free(Bus *b) {
        if (!b)
                return NULL;
        manager_remove_listener(b->manager, &listener, b);
        if (b->persist)
                persist_set_listener(b->persist, NULL, NULL);
        bus_bootcfg_done(b);
        bus_manager_done(b);
        bus_changes_free(b->changes);
        polkit_free(b->polkit);
        sd_bus_flush_close_unref(b->bus);
        free(b);
        return NULL;
}

int bus_new(Manager *m, Operations *operations, Persist *persist, const char *address, bool polkit_for_root,
            Bus **ret) {
        _cleanup_(bus_freep) Bus *b = calloc(1, sizeof(Bus));
        int r;

        assert(m);
        assert(operations);
        assert(persist);
        assert(ret);
        if (!b)
                return -ENOMEM;
        b->manager = m;
        b->operations = operations;
        b->persist = persist;
        r = polkit_new(polkit_for_root, &b->polkit);
        if (r >= 0)
                r = connect_bus(b, address);
        if (r >= 0)
                r = register_objects(b);
        if (r >= 0)
                r = bus_changes_new(m->event, b->bus, object_properties, &b->changes);
        if (r >= 0)
                r = manager_add_listener(m, &listener, b);
        if (r < 0)
                return r;
        bus_persist_listen(b);
        r = sd_bus_request_name(b->bus, PASSTHRU_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire bus name %s: %m", PASSTHRU_BUS_NAME);
        *ret = TAKE_PTR(b);
        return 0;
}
