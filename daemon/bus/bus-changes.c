/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-changes.h"
#include "bus-device.h"
#include "bus-group.h"
#include "bus-manager.h"
#include "log.h"
#include "manager.h"
#include "passthru-dbus.h"
#include "strv.h"

#define OBJECT_PATH_MAX 64

typedef struct Pending {
        BusObjectKind kind;
        char path[OBJECT_PATH_MAX];
        unsigned bits;
} Pending;

struct BusChanges {
        Bus *bus;
        sd_event_source *flush;
        Pending *pending;
        size_t n_pending, allocated;
};

static int manager_changed_properties(unsigned changes, char ***names) {
        int r = 0;

        if (changes & MANAGER_CHANGE_IOMMU)
                r = strv_extend(names, "IommuEnabled");
        if (r >= 0 && (changes & MANAGER_CHANGE_HOST_STATUS))
                r = strv_extend(names, "HostStatus");
        return r;
}

static const struct {
        const char *interface;
        int (*properties)(unsigned changes, char ***names);
} kinds[] = {
        [BUS_OBJECT_MANAGER] = { PASSTHRU_MANAGER_INTERFACE, manager_changed_properties },
        [BUS_OBJECT_DEVICE] = { PASSTHRU_DEVICE_INTERFACE, bus_device_changed_properties },
        [BUS_OBJECT_GROUP] = { PASSTHRU_GROUP_INTERFACE, bus_group_changed_properties },
};

static void emit(BusChanges *c, const Pending *p) {
        _cleanup_strv_free_ char **names = calloc(1, sizeof(char *));
        int r;

        r = names ? kinds[p->kind].properties(p->bits, &names) : -ENOMEM;
        if (r >= 0 && names[0])
                r = sd_bus_emit_properties_changed_strv(c->bus->bus, p->path, kinds[p->kind].interface,
                                                        names);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged for %s, ignoring: %m", p->path);
}

void bus_changes_flush(BusChanges *c) {
        /* Emitting may dispatch nothing, but take the list first all the same. */
        Pending *pending = TAKE_PTR(c->pending);
        size_t n = c->n_pending;

        c->n_pending = c->allocated = 0;
        for (size_t i = 0; i < n; i++)
                emit(c, &pending[i]);
        free(pending);
}

static int on_flush(sd_event_source *s, void *userdata) {
        bus_changes_flush(userdata);
        return 0;
}

static Pending *find_pending(BusChanges *c, const char *path) {
        for (size_t i = 0; i < c->n_pending; i++)
                if (streq(c->pending[i].path, path))
                        return &c->pending[i];
        return NULL;
}

static Pending *add_pending(BusChanges *c, BusObjectKind kind, const char *path) {
        Pending *p;

        if (strlen(path) >= OBJECT_PATH_MAX)
                return NULL;
        if (c->n_pending == c->allocated) {
                size_t n = c->allocated ? c->allocated * 2 : 16;
                Pending *grown = realloc(c->pending, sizeof(Pending) * n);

                if (!grown)
                        return NULL;
                c->pending = grown;
                c->allocated = n;
        }
        p = &c->pending[c->n_pending++];
        *p = (Pending){ .kind = kind };
        strcpy(p->path, path);
        return p;
}

void bus_changes_queue(BusChanges *c, BusObjectKind kind, const char *path, unsigned bits) {
        Pending *p;
        int r;

        if (bits == 0)
                return;
        p = find_pending(c, path) ?: add_pending(c, kind, path);
        if (!p) {
                log_oom();
                return;
        }
        p->bits |= bits;
        r = sd_event_source_set_enabled(c->flush, SD_EVENT_ONESHOT);
        if (r < 0) {
                log_warning_errno(r, "Failed to schedule PropertiesChanged, sending now: %m");
                bus_changes_flush(c);
        }
}

void bus_changes_drop(BusChanges *c, const char *path) {
        Pending *p = find_pending(c, path);

        if (p)
                *p = c->pending[--c->n_pending];
}

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

static const ManagerListener listener = {
        .device_added = on_device_added,
        .device_removed = on_device_removed,
        .device_changed = on_device_changed,
        .groups_changed = on_groups_changed,
        .manager_changed = on_manager_changed,
};

int bus_changes_new(Bus *b, BusChanges **ret) {
        _cleanup_(bus_changes_freep) BusChanges *c = calloc(1, sizeof(BusChanges));
        int r;

        if (!c)
                return -ENOMEM;
        c->bus = b;
        r = sd_event_add_defer(b->manager->event, &c->flush, on_flush, c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->flush, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Failed to set up PropertiesChanged batching: %m");
        r = manager_add_listener(b->manager, &listener, b);
        if (r < 0)
                return log_error_errno(r, "Failed to listen to the device model: %m");
        *ret = TAKE_PTR(c);
        return 0;
}

BusChanges *bus_changes_free(BusChanges *c) {
        if (!c)
                return NULL;
        if (c->bus)
                manager_remove_listener(c->bus->manager, &listener, c->bus);
        sd_event_source_disable_unref(c->flush);
        free(c->pending);
        free(c);
        return NULL;
}
