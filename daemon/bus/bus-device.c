/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "bus-bind.h"
#include "bus-device.h"
#include "bus-common.h"
#include "device.h"
#include "log.h"
#include "manager.h"
#include "passthru-dbus.h"
#include "strv.h"

static int device_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                       sd_bus_error *error) {
        Bus *b = userdata;
        PciAddress a;
        Device *d;

        if (pci_address_from_object_path(path, &a) < 0)
                return 0;
        d = manager_find_device(b->manager, &a);
        if (!d)
                return 0;
        *found = d;
        return 1;
}

static const char *device_path_of(Bus *b, size_t i) {
        return b->manager->table.devices[i]->object_path;
}

static int device_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                            sd_bus_error *error) {
        Bus *b = userdata;

        return bus_node_list(b, b->manager->table.n_devices, device_path_of, ret_nodes);
}

static int property_get_address(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Device *d = userdata;

        return sd_bus_message_append(reply, "s", d->address_str);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Device *d = userdata;

        return sd_bus_message_append(reply, "s", device_state_to_string(device_get_state(d)));
}

static int property_get_assignable(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        Device *d = userdata;

        return sd_bus_message_append(reply, "b", device_is_assignable(d));
}

/* Our struct holds C bools; D-Bus booleans are ints: read the bool at the vtable's offset. */
static int property_get_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "b", (int) *(bool *) userdata);
}

/* The model keeps holders as a flat list of pairs; D-Bus gets them as structs. */
static int property_get_holders(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Device *d = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (char **p = d->holders; r >= 0 && p && p[0] && p[1]; p += 2)
                r = sd_bus_message_append(reply, "(ss)", p[0], p[1]);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

/* userdata is the Device the fallback found; after polkit answers, it is found anew. */
static int device_bind_or_unbind(sd_bus_message *msg, Device *d, BindOperation op, sd_bus_error *error) {
        PciAddress a = d->address;
        int r;

        r = sd_bus_message_rewind(msg, true);
        if (r < 0)
                return r;
        return bus_bind_method(bus_from_message(msg), msg, &a, op, error);
}

static int method_bind(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return device_bind_or_unbind(msg, userdata, BIND_OPERATION_BIND, error);
}

static int method_unbind(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return device_bind_or_unbind(msg, userdata, BIND_OPERATION_UNBIND, error);
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

static const sd_bus_vtable device_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Address", "s", property_get_address, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("VendorId", "q", NULL, offsetof(Device, vendor_id), EMITS),
        SD_BUS_PROPERTY("DeviceId", "q", NULL, offsetof(Device, device_id), EMITS),
        SD_BUS_PROPERTY("SubsystemVendorId", "q", NULL, offsetof(Device, subsystem_vendor_id), EMITS),
        SD_BUS_PROPERTY("SubsystemDeviceId", "q", NULL, offsetof(Device, subsystem_device_id), EMITS),
        SD_BUS_PROPERTY("Class", "u", NULL, offsetof(Device, class_code), EMITS),
        SD_BUS_PROPERTY("Revision", "y", NULL, offsetof(Device, revision), EMITS),
        SD_BUS_PROPERTY("ClassName", "s", NULL, offsetof(Device, class_name), EMITS),
        SD_BUS_PROPERTY("VendorName", "s", NULL, offsetof(Device, vendor_name), EMITS),
        SD_BUS_PROPERTY("DeviceName", "s", NULL, offsetof(Device, device_name), EMITS),
        SD_BUS_PROPERTY("SubsystemName", "s", NULL, offsetof(Device, subsystem_name), EMITS),
        SD_BUS_PROPERTY("Modalias", "s", NULL, offsetof(Device, modalias), EMITS),
        SD_BUS_PROPERTY("KernelModules", "as", NULL, offsetof(Device, kernel_modules), EMITS),
        SD_BUS_PROPERTY("Driver", "s", NULL, offsetof(Device, driver), EMITS),
        SD_BUS_PROPERTY("DriverOverride", "s", NULL, offsetof(Device, driver_override), EMITS),
        SD_BUS_PROPERTY("OriginalDriver", "s", NULL, offsetof(Device, original_driver), EMITS),
        SD_BUS_PROPERTY("IommuGroup", "i", NULL, offsetof(Device, iommu_group), EMITS),
        SD_BUS_PROPERTY("BootVga", "b", property_get_bool, offsetof(Device, boot_vga), EMITS),
        SD_BUS_PROPERTY("Bridge", "b", property_get_bool, offsetof(Device, is_bridge), EMITS),
        SD_BUS_PROPERTY("Persistent", "b", property_get_bool, offsetof(Device, persistent), EMITS),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, EMITS),
        SD_BUS_PROPERTY("Assignable", "b", property_get_assignable, 0, EMITS),
        SD_BUS_PROPERTY("Blockers", "as", NULL, offsetof(Device, blockers), EMITS),
        SD_BUS_PROPERTY("Holders", "a(ss)", property_get_holders, 0, EMITS),
        SD_BUS_PROPERTY("ResetMethods", "as", NULL, offsetof(Device, reset_methods), EMITS),
        SD_BUS_PROPERTY("ResetVerdict", "s", NULL, offsetof(Device, reset_verdict), EMITS),
        SD_BUS_PROPERTY("PhysicalFunction", "s", NULL, offsetof(Device, physical_function), EMITS),
        SD_BUS_PROPERTY("VirtualFunctions", "as", NULL, offsetof(Device, virtual_functions), EMITS),
        SD_BUS_PROPERTY("NumVfs", "u", NULL, offsetof(Device, sriov_numvfs), EMITS),
        SD_BUS_PROPERTY("TotalVfs", "u", NULL, offsetof(Device, sriov_totalvfs), EMITS),
        SD_BUS_PROPERTY("NumaNode", "i", NULL, offsetof(Device, numa_node), EMITS),
        SD_BUS_METHOD_WITH_ARGS("Bind", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("a(sss)", changes),
                                method_bind, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Unbind", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("a(sss)", changes),
                                method_unbind, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bus_device_register(Bus *b) {
        assert(b);
        return bus_register_fallback(b, "device", PASSTHRU_DEVICES_PATH, PASSTHRU_DEVICE_INTERFACE,
                                     device_vtable, device_find, device_enumerate);
}

void bus_device_emit_added(Bus *b, Device *d) {
        int r = sd_bus_emit_object_added(b->bus, d->object_path);

        assert(b);
        assert(d);
        if (r < 0)
                log_warning_errno(r, "Failed to emit InterfacesAdded for %s, ignoring: %m", d->address_str);
}

void bus_device_emit_removed(Bus *b, Device *d) {
        int r = sd_bus_emit_object_removed(b->bus, d->object_path);

        assert(b);
        assert(d);
        if (r < 0)
                log_warning_errno(r, "Failed to emit InterfacesRemoved for %s, ignoring: %m",
                                  d->address_str);
}

static const struct {
        unsigned change;
        const char *properties[15];
} change_properties[] = {
        { DEVICE_CHANGE_DRIVER, { "Driver" } },
        { DEVICE_CHANGE_DRIVER_OVERRIDE, { "DriverOverride" } },
        { DEVICE_CHANGE_IOMMU_GROUP, { "IommuGroup" } },
        { DEVICE_CHANGE_STATE, { "State" } },
        { DEVICE_CHANGE_ASSIGNABLE, { "Assignable" } },
        { DEVICE_CHANGE_BLOCKERS, { "Blockers" } },
        { DEVICE_CHANGE_SRIOV, { "PhysicalFunction", "VirtualFunctions", "NumVfs", "TotalVfs" } },
        { DEVICE_CHANGE_BOOT_VGA, { "BootVga" } },
        { DEVICE_CHANGE_ORIGINAL_DRIVER, { "OriginalDriver" } },
        { DEVICE_CHANGE_PERSISTENT, { "Persistent" } },
        { DEVICE_CHANGE_HOLDERS, { "Holders" } },
        { DEVICE_CHANGE_IDENTITY,
          { "VendorId", "DeviceId", "SubsystemVendorId", "SubsystemDeviceId", "Class", "Revision",
            "ClassName", "VendorName", "DeviceName", "SubsystemName", "Modalias", "KernelModules",
            "NumaNode", "ResetMethods", "ResetVerdict" } },
};

int bus_device_changed_properties(unsigned changes, char ***names) {
        int r = 0;

        assert(names);
        for (size_t i = 0; i < ELEMENTSOF(change_properties) && r >= 0; i++) {
                if (!(changes & change_properties[i].change))
                        continue;
                for (size_t j = 0; j < ELEMENTSOF(change_properties[i].properties) && r >= 0; j++)
                        if (change_properties[i].properties[j])
                                r = strv_extend(names, change_properties[i].properties[j]);
        }
        return r;
}
