/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-bind.h"
#include "bus-bootcfg.h"
#include "bus-common.h"
#include "bus-list.h"
#include "bus-manager.h"
#include "bus-persist.h"
#include "bus-reset.h"
#include "config.h"
#include "log.h"
#include "manager.h"
#include "passthru-dbus.h"
#include "refusal.h"
#include "vm-config.h"

static int property_get_iommu_enabled(sd_bus *bus, const char *path, const char *interface,
                                      const char *property, sd_bus_message *reply, void *userdata,
                                      sd_bus_error *error) {
        Bus *b = userdata;

        return sd_bus_message_append(reply, "b", manager_iommu_enabled(b->manager));
}

/* The status of the last host check run, which runs again when devices change. */
static int property_get_host_status(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error) {
        Bus *b = userdata;

        return sd_bus_message_append(reply, "s", host_status_to_string(b->manager->host.status));
}

/* CheckHost calls waiting at most: each is one a client awaits. */
#define CHECK_CALLS_MAX 64

static int reply_checks(sd_bus_message *msg, const HostChecks *checks) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', PASSTHRU_HOST_CHECK_ROW_SIGNATURE);
        for (size_t i = 0; i < checks->n && r >= 0; i++) {
                const HostCheck *c = &checks->items[i];

                r = sd_bus_message_append(reply, PASSTHRU_HOST_CHECK_ROW_SIGNATURE, c->id,
                                          host_check_status_to_string(c->status), c->summary, c->remedy);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

void bus_manager_host_checked(Bus *b) {
        assert(b);
        if (manager_host_check_pending(b->manager))
                return;
        for (size_t i = 0; i < b->n_check_calls; i++) {
                int r = reply_checks(b->check_calls[i], &b->manager->host.checks);

                if (r < 0)
                        log_debug_errno(r, "Could not answer CheckHost, ignoring: %m");
                sd_bus_message_unref(b->check_calls[i]);
        }
        b->check_calls = mfree(b->check_calls);
        b->n_check_calls = 0;
}

void bus_manager_done(Bus *b) {
        for (size_t i = 0; i < b->n_check_calls; i++)
                sd_bus_message_unref(b->check_calls[i]);
        b->check_calls = mfree(b->check_calls);
        b->n_check_calls = 0;
}

/* Checks afresh (the boot-time facts stay cached) and answers with one row per check. While an
 * initramfs is being listed (seconds, off the loop) the call waits for the checks that follow,
 * and so do the calls that come meanwhile: one check run serves them all. */
static int method_check_host(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        sd_bus_message **calls;
        int r;

        if (!manager_host_check_pending(b->manager)) {
                r = manager_check_host(b->manager);
                if (r < 0)
                        return sd_bus_error_set(error, PASSTHRU_ERROR_FAILED,
                                                "The host could not be checked; the daemon's log says why.");
                if (!manager_host_check_pending(b->manager))
                        return reply_checks(msg, &b->manager->host.checks);
        }
        if (b->n_check_calls >= CHECK_CALLS_MAX)
                return sd_bus_error_setf(error, PASSTHRU_ERROR_LIMIT_EXCEEDED,
                                         "%d CheckHost calls are waiting for the initramfs to be listed "
                                         "already; try again in a few seconds.",
                                         CHECK_CALLS_MAX);
        calls = realloc(b->check_calls, (b->n_check_calls + 1) * sizeof(sd_bus_message *));
        if (!calls)
                return -ENOMEM;
        b->check_calls = calls;
        b->check_calls[b->n_check_calls++] = sd_bus_message_ref(msg);
        return 1;
}

/* Field by field: sd_bus_message_append() would parse the row's type string again for every
 * row, one per function. */
static int append_device_row(sd_bus_message *reply, const Device *d) {
        int r;

        r = sd_bus_message_open_container(reply, 'r', "sqqussssis");
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', d->address_str);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'q', &d->vendor_id);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'q', &d->device_id);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'u', &d->class_code);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', strempty(d->class_name));
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', strempty(d->vendor_name));
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', strempty(d->device_name));
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', strempty(d->driver));
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'i', &d->iommu_group);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', device_state_to_string(device_get_state(d)));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int append_device_row_at(sd_bus_message *reply, size_t i, const void *userdata) {
        const DeviceTable *t = userdata;

        return append_device_row(reply, t->devices[i]);
}

static int method_list_devices(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;

        manager_trim_memory_soon(b->manager);
        return bus_reply_rows(msg, PASSTHRU_DEVICE_ROW_SIGNATURE, b->manager->table.n_devices,
                              append_device_row_at, &b->manager->table);
}

static int method_get_device(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(refusal_done) Refusal refusal = {};
        Bus *b = userdata;
        PciAddress a;
        Device *d;
        int r;

        r = bus_read_address(msg, &a, error);
        if (r < 0)
                return r;
        d = manager_find_device(b->manager, &a);
        if (!d)
                return bus_error_from_refusal(error, &refusal, refusal_no_such_device(&refusal, &a));
        return sd_bus_reply_method_return(msg, "o", d->object_path);
}

static int method_bind_or_unbind(sd_bus_message *msg, Bus *b, BindOperation op, sd_bus_error *error) {
        PciAddress a;
        int r;

        /* After polkit answered, the same message is dispatched again: read it from the start. */
        r = sd_bus_message_rewind(msg, true);
        if (r >= 0)
                r = bus_read_address(msg, &a, error);
        if (r < 0)
                return r;
        return bus_bind_method(b, msg, &a, op, error);
}

static int method_bind(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_bind_or_unbind(msg, userdata, BIND_OPERATION_BIND, error);
}

static int method_unbind(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_bind_or_unbind(msg, userdata, BIND_OPERATION_UNBIND, error);
}

static int append_strv_entry(sd_bus_message *m, const char *key, char **l) {
        int r;

        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 's', key);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, l);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int append_vm_config_details(sd_bus_message *reply, VmFormat format, const VmConfig *c) {
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}", "format", "s", vm_format_to_string(format));
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}", "ready", "b", !c->pending);
        if (r >= 0)
                r = append_strv_entry(reply, "devices", c->devices);
        if (r >= 0)
                r = append_strv_entry(reply, "pending", c->pending);
        if (r >= 0 && c->bind_command)
                r = sd_bus_message_append(reply, "{sv}", "bind-command", "s", c->bind_command);
        if (r >= 0)
                r = append_strv_entry(reply, "notes", c->notes);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

/* Reading, so free for everyone: the snippet says what a VM needs, it changes nothing. */
static int method_get_vm_config(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(vm_config_done) VmConfig c = {};
        _cleanup_(refusal_done) Refusal refusal = {};
        Bus *b = userdata;
        const char *name;
        VmFormat format;
        PciAddress a;
        int r;

        r = bus_read_address(msg, &a, error);
        if (r >= 0)
                r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        format = vm_format_from_string(name);
        if (format < 0)
                return sd_bus_error_set(error, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                        "Unknown format; GetVmConfig knows libvirt, qemu and proxmox.");
        r = vm_config_make(&b->manager->table, &a, format, &c, &refusal);
        if (r < 0)
                return bus_error_from_refusal(error, &refusal, r);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", c.text);
        if (r >= 0)
                r = append_vm_config_details(reply, format, &c);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
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
        SD_BUS_METHOD_WITH_ARGS("ListDevicesPacked", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("as", strings, "at", addresses, "aq", vendor_ids, "aq",
                                              device_ids, "au", classes, "ai", iommu_groups, "au",
                                              class_names, "au", vendor_names, "au", device_names, "au",
                                              drivers, "au", states),
                                bus_list_method_devices_packed, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListGroups", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a" PASSTHRU_GROUP_ROW_SIGNATURE, groups),
                                bus_list_method_groups, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetDevice", SD_BUS_ARGS("s", address), SD_BUS_RESULT("o", device),
                                method_get_device, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CheckHost", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a" PASSTHRU_HOST_CHECK_ROW_SIGNATURE, checks),
                                method_check_host, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetVmConfig", SD_BUS_ARGS("s", address, "s", format),
                                SD_BUS_RESULT("s", text, "a{sv}", details), method_get_vm_config,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Bind", SD_BUS_ARGS("s", address, "a{sv}", options),
                                SD_BUS_RESULT("a(sss)", changes), method_bind, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Unbind", SD_BUS_ARGS("s", address, "a{sv}", options),
                                SD_BUS_RESULT("a(sss)", changes), method_unbind, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Persist", SD_BUS_ARGS("s", address, "b", enabled), SD_BUS_NO_RESULT,
                                bus_persist_method_persist, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetResetMethod", SD_BUS_ARGS("s", address, "as", methods, "a{sv}", options),
                                SD_BUS_NO_RESULT, bus_reset_method_set, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetConfig", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a" PASSTHRU_CONFIG_ROW_SIGNATURE, entries),
                                bus_persist_method_get_config, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ApplyBootConfig", SD_BUS_ARGS("a{sv}", options),
                                SD_BUS_RESULT("a(sss)", files, "as", commands, "as", warnings),
                                bus_bootcfg_method, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("BootConfigProgress", SD_BUS_ARGS("s", stage, "s", line), 0),
        SD_BUS_SIGNAL_WITH_ARGS("DeviceAdded", SD_BUS_ARGS("o", device, "s", address), 0),
        SD_BUS_SIGNAL_WITH_ARGS("DeviceRemoved", SD_BUS_ARGS("o", device, "s", address), 0),
        SD_BUS_SIGNAL_WITH_ARGS("DriverChanged", SD_BUS_ARGS("s", address, "s", old_driver, "s", new_driver),
                                0),
        SD_BUS_SIGNAL("ConfigChanged", "", 0),
        SD_BUS_VTABLE_END,
};

int bus_manager_register(Bus *b) {
        int r = sd_bus_add_object_vtable(b->bus, NULL, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                         manager_vtable, b);

        assert(b);
        if (r < 0)
                return log_error_errno(r, "Failed to register manager object: %m");
        return 0;
}
