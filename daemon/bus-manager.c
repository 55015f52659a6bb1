/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bind.h"
#include "bus-device.h"
#include "bus-errors.h"
#include "bus-group.h"
#include "bus-manager.h"
#include "config.h"
#include "host-status.h"
#include "log.h"
#include "manager.h"
#include "passthru-dbus.h"
#include "strv.h"

static int property_get_iommu_enabled(sd_bus *bus, const char *path, const char *interface,
                                      const char *property, sd_bus_message *reply, void *userdata,
                                      sd_bus_error *error) {
        return sd_bus_message_append(reply, "b", manager_iommu_enabled(userdata));
}

/* The status of the last host check run (host-status.c), which runs again when devices change. */
static int property_get_host_status(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "s", host_status_to_string(m->host_status));
}

/* Checks afresh (the boot-time facts stay cached) and answers with one row per check. */
static int method_check_host(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = host_status_refresh(m);
        if (r < 0)
                return sd_bus_error_set(error, PASSTHRU_ERROR_FAILED,
                                        "The host could not be checked; the daemon's log says why.");
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', PASSTHRU_HOST_CHECK_ROW_SIGNATURE);
        for (size_t i = 0; i < m->host_checks.n && r >= 0; i++) {
                const HostCheck *c = &m->host_checks.items[i];

                r = sd_bus_message_append(reply, PASSTHRU_HOST_CHECK_ROW_SIGNATURE, c->id,
                                          host_check_status_to_string(c->status), c->summary, c->remedy);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int append_device_row(sd_bus_message *reply, const Device *d) {
        return sd_bus_message_append(reply, PASSTHRU_DEVICE_ROW_SIGNATURE, d->address_str, d->vendor_id,
                                     d->device_id, d->class_code, strempty(d->class_name),
                                     strempty(d->vendor_name), strempty(d->device_name), strempty(d->driver),
                                     d->iommu_group, device_state_to_string(device_get_state(d)));
}

static int method_list_devices(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', PASSTHRU_DEVICE_ROW_SIGNATURE);
        for (size_t i = 0; i < m->n_devices && r >= 0; i++)
                r = append_device_row(reply, m->devices[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* The client's text is parsed and never echoed: only our own formatting is shown. */
static int read_address(sd_bus_message *msg, PciAddress *ret, sd_bus_error *error) {
        const char *address;
        int r;

        r = sd_bus_message_read(msg, "s", &address);
        if (r < 0)
                return r;
        if (pci_address_parse(address, ret) < 0)
                return sd_bus_error_set(error, PASSTHRU_ERROR_INVALID_ADDRESS,
                                        "Not a PCI address; expected DDDD:BB:SS.F or BB:SS.F, "
                                        "for example 0000:01:00.0 or 01:00.0.");
        return 0;
}

int bus_error_no_such_device(sd_bus_error *error, const PciAddress *a) {
        char buf[PCI_ADDRESS_STRING_MAX];

        return sd_bus_error_setf(error, PASSTHRU_ERROR_NO_SUCH_DEVICE,
                                 "There is no PCI function %s on this host; "
                                 "'passthructl list' shows those present.",
                                 pci_address_format(a, buf));
}

static int method_get_device(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        PciAddress a;
        Device *d;
        int r;

        r = read_address(msg, &a, error);
        if (r < 0)
                return r;
        d = manager_find_device(m, &a);
        if (!d)
                return bus_error_no_such_device(error, &a);
        return sd_bus_reply_method_return(msg, "o", d->object_path);
}

static int method_bind_or_unbind(sd_bus_message *msg, Manager *m, BindOperation op, sd_bus_error *error) {
        PciAddress a;
        int r;

        /* After polkit answered, the same message is dispatched again: read it from the start. */
        r = sd_bus_message_rewind(msg, true);
        if (r >= 0)
                r = read_address(msg, &a, error);
        if (r < 0)
                return r;
        return bind_method(m, msg, &a, op, error);
}

static int method_bind(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_bind_or_unbind(msg, userdata, BIND_OPERATION_BIND, error);
}

static int method_unbind(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_bind_or_unbind(msg, userdata, BIND_OPERATION_UNBIND, error);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PROJECT_VERSION);
}

/* Reading is free for everyone: without UNPRIVILEGED, sd-bus itself refuses callers that lack
 * CAP_SYS_ADMIN on the system bus. Methods that change the host ask polkit instead. */
static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("IommuEnabled", "b", property_get_iommu_enabled, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HostStatus", "s", property_get_host_status, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("ListDevices", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a" PASSTHRU_DEVICE_ROW_SIGNATURE, devices),
                                method_list_devices, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetDevice", SD_BUS_ARGS("s", address), SD_BUS_RESULT("o", device),
                                method_get_device, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CheckHost", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a" PASSTHRU_HOST_CHECK_ROW_SIGNATURE, checks),
                                method_check_host, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Bind", SD_BUS_ARGS("s", address, "a{sv}", options),
                                SD_BUS_RESULT("a(sss)", changes), method_bind, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Unbind", SD_BUS_ARGS("s", address, "a{sv}", options),
                                SD_BUS_RESULT("a(sss)", changes), method_unbind, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("DeviceAdded", SD_BUS_ARGS("o", device, "s", address), 0),
        SD_BUS_SIGNAL_WITH_ARGS("DeviceRemoved", SD_BUS_ARGS("o", device, "s", address), 0),
        SD_BUS_SIGNAL_WITH_ARGS("DriverChanged", SD_BUS_ARGS("s", address, "s", old_driver, "s", new_driver),
                                0),
        SD_BUS_VTABLE_END,
};

static void emit_device_signal(Manager *m, const char *member, Device *d) {
        int r = sd_bus_emit_signal(m->bus, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, member, "os",
                                   d->object_path, d->address_str);

        if (r < 0)
                log_warning_errno(r, "Failed to emit %s for %s, ignoring: %m", member, d->address_str);
}

void bus_manager_emit_device_added(Manager *m, Device *d) {
        emit_device_signal(m, "DeviceAdded", d);
}

void bus_manager_emit_device_removed(Manager *m, Device *d) {
        emit_device_signal(m, "DeviceRemoved", d);
}

void bus_manager_emit_driver_changed(Manager *m, Device *d, const char *old_driver) {
        int r = sd_bus_emit_signal(m->bus, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                   "DriverChanged", "sss", d->address_str, strempty(old_driver),
                                   strempty(d->driver));

        if (r < 0)
                log_warning_errno(r, "Failed to emit DriverChanged for %s, ignoring: %m", d->address_str);
}

void bus_manager_emit_host_status_changed(Manager *m) {
        int r = sd_bus_emit_properties_changed(m->bus, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                               "HostStatus", NULL);

        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged for HostStatus, ignoring: %m");
}

void bus_manager_emit_iommu_changed(Manager *m) {
        int r = sd_bus_emit_properties_changed(m->bus, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                               "IommuEnabled", "HostStatus", NULL);

        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged for the manager, ignoring: %m");
}

static int connect_bus(Manager *m) {
        int r;

        if (!m->options.bus_address)
                r = sd_bus_open_system(&m->bus);
        else {
                r = sd_bus_new(&m->bus);
                if (r >= 0)
                        r = sd_bus_set_address(m->bus, m->options.bus_address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(m->bus, 1);
                if (r >= 0)
                        r = sd_bus_start(m->bus);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the %s bus: %m",
                                       m->options.bus_address ? "given" : "system");
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach bus to event loop: %m");
        return sd_bus_error_add_map(passthru_error_map);
}

int bus_register_fallback(Manager *m, const char *what, const char *prefix, const char *interface,
                          const sd_bus_vtable *vtable, sd_bus_object_find_t find,
                          sd_bus_node_enumerator_t enumerate) {
        int r;

        r = sd_bus_add_fallback_vtable(m->bus, NULL, prefix, interface, vtable, find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s objects: %m", what);
        r = sd_bus_add_node_enumerator(m->bus, NULL, prefix, enumerate, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s enumerator: %m", what);
        return 0;
}

int bus_node_list(Manager *m, size_t n, const char *(*path_of)(Manager *m, size_t i), char ***ret_nodes) {
        _cleanup_strv_free_ char **nodes = calloc(n + 1, sizeof(char *));

        if (!nodes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                nodes[i] = strdup(path_of(m, i));
                if (!nodes[i])
                        return -ENOMEM;
        }
        *ret_nodes = TAKE_PTR(nodes);
        return 0;
}

static int register_objects(Manager *m) {
        int r;

        r = sd_bus_add_object_manager(m->bus, NULL, PASSTHRU_ROOT_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to add object manager: %m");
        r = sd_bus_add_object_vtable(m->bus, NULL, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                     manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register manager object: %m");
        r = bus_device_register(m);
        if (r < 0)
                return r;
        return bus_group_register(m);
}

int bus_manager_start(Manager *m) {
        int r;

        r = connect_bus(m);
        if (r < 0)
                return r;
        r = register_objects(m);
        if (r < 0)
                return r;
        r = sd_bus_request_name(m->bus, PASSTHRU_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire bus name %s: %m", PASSTHRU_BUS_NAME);
        return 0;
}
