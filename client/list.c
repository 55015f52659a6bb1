/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "list.h"
#include "objects.h"
#include "output.h"

/* "Vendor Device [vvvv:dddd]" as lspci -nn writes it; unknown names leave only the IDs. */
static int add_description_cell(Table *t, json_object *device) {
        const char *vendor = properties_get_string(device, "VendorName");
        const char *name = properties_get_string(device, "DeviceName");

        return table_add_cellf(t, "%s%s%s%s[%04" PRIx64 ":%04" PRIx64 "]", vendor, *vendor ? " " : "", name,
                               *name ? " " : "", properties_get_int(device, "VendorId"),
                               properties_get_int(device, "DeviceId"));
}

static int add_group_cell(Table *t, json_object *device) {
        int64_t group = properties_get_int(device, "IommuGroup");

        return group < 0 ? table_add_cell(t, "-") : table_add_cellf(t, "%" PRId64, group);
}

static int add_device_cells(Table *t, json_object *device) {
        int r;

        r = table_add_cell(t, properties_get_string(device, "Address"));
        if (r >= 0)
                r = table_add_cell(t, properties_get_string(device, "ClassName"));
        if (r >= 0)
                r = table_add_cell(t, properties_get_string(device, "Driver"));
        if (r >= 0)
                r = add_group_cell(t, device);
        if (r >= 0)
                r = table_add_cell(t, properties_get_string(device, "State"));
        if (r >= 0)
                r = add_description_cell(t, device);
        return r;
}

/* Both verbs list every object from one GetManagedObjects call, as JSON or as a table. */
static int list_objects(sd_bus *bus, const ClientOptions *o, int (*print_json)(const Objects *objects),
                        int (*print_table)(const Objects *objects)) {
        _cleanup_(objects_done) Objects objects = {};
        int r;

        r = objects_load(bus, &objects);
        if (r < 0)
                return r;
        return o->json ? print_json(&objects) : print_table(&objects);
}

static int print_devices_json(const Objects *objects) {
        _cleanup_json_ json_object *array = json_object_new_array();
        int r = array ? 0 : -ENOMEM;

        for (size_t i = 0; i < json_object_array_length(objects->devices) && r >= 0; i++) {
                json_object *device;

                r = json_snake_case_keys(json_object_array_get_idx(objects->devices, i), &device);
                if (r >= 0)
                        r = json_append(array, device);
        }
        if (r < 0)
                return client_oom();
        return json_print(array, true);
}

static int print_devices_table(const Objects *objects) {
        _cleanup_table_ Table *t = NULL;
        int r;

        r = table_new(&t, "ADDRESS", "CLASS", "DRIVER", "GROUP", "STATE", "DEVICE", NULL);
        for (size_t i = 0; i < json_object_array_length(objects->devices) && r >= 0; i++)
                r = add_device_cells(t, json_object_array_get_idx(objects->devices, i));
        if (r < 0)
                return client_oom();
        return table_print(t);
}

int verb_list(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        return list_objects(bus, o, print_devices_json, print_devices_table);
}

/* One object per group: its properties, with "devices" holding member summaries rather
 * than object paths. */
static int print_groups_json(const Objects *objects) {
        _cleanup_json_ json_object *array = json_object_new_array();
        int r = array ? 0 : -ENOMEM;

        for (size_t i = 0; i < json_object_array_length(objects->groups) && r >= 0; i++) {
                json_object *group = json_object_array_get_idx(objects->groups, i), *entry, *members;

                r = json_snake_case_keys(group, &entry);
                if (r < 0)
                        break;
                r = json_append(array, entry);
                if (r >= 0)
                        r = objects_group_members(objects, group, NULL, &members);
                if (r >= 0)
                        r = json_set(entry, "devices", members);
        }
        if (r < 0)
                return client_oom();
        return json_print(array, true);
}

static int add_group_rows(Table *t, const Objects *objects, json_object *group) {
        const char *viable = properties_get_bool(group, "Viable") ? "yes" : "no";
        int64_t number = properties_get_int(group, "Number");
        json_object *paths;
        int r = 0;

        if (!json_object_object_get_ex(group, "Devices", &paths) ||
            !json_object_is_type(paths, json_type_array))
                return 0;
        for (size_t i = 0; i < json_object_array_length(paths) && r >= 0; i++) {
                json_object *device = objects_find_device(
                        objects, json_object_get_string(json_object_array_get_idx(paths, i)));

                /* Gone between the daemon's answers: its next event will say so. */
                if (!device)
                        continue;
                r = table_add_cellf(t, "%" PRId64, number);
                if (r >= 0)
                        r = table_add_cell(t, viable);
                if (r >= 0)
                        r = table_add_cell(t, properties_get_string(device, "Address"));
                if (r >= 0)
                        r = table_add_cell(t, properties_get_string(device, "Driver"));
                if (r >= 0)
                        r = table_add_cell(t, properties_get_string(device, "State"));
                if (r >= 0)
                        r = add_description_cell(t, device);
        }
        return r;
}

static int print_groups_table(const Objects *objects) {
        _cleanup_table_ Table *t = NULL;
        int r;

        if (json_object_array_length(objects->groups) == 0) {
                /* Not an error: the answer is "none", and why matters more than an empty table. */
                fprintf(stderr, "No IOMMU groups: the IOMMU is off or absent on this host.\n");
                return 0;
        }

        r = table_new(&t, "GROUP", "VIABLE", "ADDRESS", "DRIVER", "STATE", "DEVICE", NULL);
        for (size_t i = 0; i < json_object_array_length(objects->groups) && r >= 0; i++)
                r = add_group_rows(t, objects, json_object_array_get_idx(objects->groups, i));
        if (r < 0)
                return client_oom();
        return table_print(t);
}

int verb_groups(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        return list_objects(bus, o, print_groups_json, print_groups_table);
}
