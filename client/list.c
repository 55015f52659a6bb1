/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <string.h>

#include "bus.h"
#include "list.h"
#include "objects.h"
#include "output.h"
#include "passthru-dbus.h"

/* The fields of PASSTHRU_DEVICE_ROW_SIGNATURE, inside its parentheses. */
#define ROW_FIELDS "sqqussssis"

/* One row of ListDevices; the strings point into the reply. */
typedef struct DeviceRow {
        const char *address, *class_name, *vendor_name, *device_name, *driver, *state;
        uint16_t vendor_id, device_id;
        uint32_t class_code;
        int32_t iommu_group;
} DeviceRow;

/* "Vendor Device [vvvv:dddd]" as lspci -nn writes it; unknown names leave only the IDs.
 * Put together by hand: a vasprintf per row was a fifth of what list cost on a large host. */
static int add_description_cell(Table *t, const char *vendor, const char *name, int64_t vendor_id,
                                int64_t device_id) {
        static const char hex[] = "0123456789abcdef";
        size_t nv = strlen(vendor), nn = strlen(name);
        _cleanup_free_ char *text = NULL;
        char ids[sizeof("[vvvv:dddd]")], *p;

        /* IDs beyond 16 bits (none from the daemon) keep the printf form. */
        if (vendor_id < 0 || vendor_id > 0xffff || device_id < 0 || device_id > 0xffff)
                return table_add_cellf(t, "%s%s%s%s[%04" PRIx64 ":%04" PRIx64 "]", vendor, nv ? " " : "",
                                       name, nn ? " " : "", vendor_id, device_id);
        p = ids;
        *p++ = '[';
        for (int shift = 12; shift >= 0; shift -= 4)
                *p++ = hex[(vendor_id >> shift) & 0xf];
        *p++ = ':';
        for (int shift = 12; shift >= 0; shift -= 4)
                *p++ = hex[(device_id >> shift) & 0xf];
        *p++ = ']';
        *p = '\0';
        text = malloc(nv + 1 + nn + 1 + sizeof(ids));
        if (!text)
                return -ENOMEM;
        p = text;
        if (nv) {
                p = mempcpy(p, vendor, nv);
                *p++ = ' ';
        }
        if (nn) {
                p = mempcpy(p, name, nn);
                *p++ = ' ';
        }
        strcpy(p, ids);
        return table_add_cell(t, text);
}

static int add_group_cell(Table *t, int32_t group) {
        char text[sizeof("-2147483648")], *p = text + sizeof(text) - 1;
        uint32_t n = (uint32_t) group;

        if (group < 0)
                return table_add_cell(t, "-");
        *p = '\0';
        do {
                *--p = (char) ('0' + n % 10);
                n /= 10;
        } while (n > 0);
        return table_add_cell(t, p);
}

static int add_device_cells(void *userdata, const DeviceRow *row) {
        Table *t = userdata;
        int r;

        r = table_add_cell(t, row->address);
        if (r >= 0)
                r = table_add_cell(t, row->class_name);
        if (r >= 0)
                r = table_add_cell(t, row->driver);
        if (r >= 0)
                r = add_group_cell(t, row->iommu_group);
        if (r >= 0)
                r = table_add_cell(t, row->state);
        if (r >= 0)
                r = add_description_cell(t, row->vendor_name, row->device_name, row->vendor_id,
                                         row->device_id);
        return r;
}

/* A JSON string as json-c writes it with JSON_C_TO_STRING_NOSLASHESCAPE: quotes, backslashes
 * and control characters escaped, every other byte as it is. */
static void put_json_string(const char *s) {
        static const char hex[] = "0123456789abcdef";
        const char *run = s;

        fputc('"', stdout);
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                const char *esc = c == '"'    ? "\\\""
                                  : c == '\\' ? "\\\\"
                                  : c == '\b' ? "\\b"
                                  : c == '\n' ? "\\n"
                                  : c == '\r' ? "\\r"
                                  : c == '\t' ? "\\t"
                                  : c == '\f' ? "\\f"
                                              : NULL;

                if (!esc && c >= ' ')
                        continue;
                fwrite(run, 1, s - run, stdout);
                run = s + 1;
                if (esc)
                        fputs(esc, stdout);
                else
                        printf("\\u00%c%c", hex[c >> 4], hex[c & 0xf]);
        }
        fwrite(run, 1, s - run, stdout);
        fputc('"', stdout);
}

static void put_json_member(const char *key, const char *value, bool last) {
        printf("    \"%s\": ", key);
        put_json_string(value);
        fputs(last ? "\n" : ",\n", stdout);
}

/* The keys and values are those the same properties have in show --json; the layout is
 * json-c's pretty one, written as the rows are read: building a json-c tree of 2,000
 * objects and printing it was two thirds of what --json list cost. */
static int put_device_json(void *userdata, const DeviceRow *row) {
        bool *first = userdata;

        fputs(*first ? "  {\n" : ",\n  {\n", stdout);
        *first = false;
        put_json_member("address", row->address, false);
        printf("    \"vendor_id\": %" PRIu16 ",\n    \"device_id\": %" PRIu16 ",\n    \"class\": %" PRIu32
               ",\n",
               row->vendor_id, row->device_id, row->class_code);
        put_json_member("class_name", row->class_name, false);
        put_json_member("vendor_name", row->vendor_name, false);
        put_json_member("device_name", row->device_name, false);
        put_json_member("driver", row->driver, false);
        printf("    \"iommu_group\": %" PRIi32 ",\n", row->iommu_group);
        put_json_member("state", row->state, true);
        fputs("  }", stdout);
        return 0;
}

/* Calls add (which fails only with -ENOMEM) for each row of the ListDevices reply, in the
 * daemon's order: by address. Every error is reported here. */
static int for_each_device_row(sd_bus_message *reply, int (*add)(void *userdata, const DeviceRow *row),
                               void *userdata) {
        int r;

        r = sd_bus_message_enter_container(reply, 'a', PASSTHRU_DEVICE_ROW_SIGNATURE);
        /* Field by field: sd_bus_message_read() parses its type string again for every row. */
        while (r >= 0) {
                DeviceRow row;

                r = sd_bus_message_enter_container(reply, 'r', ROW_FIELDS);
                if (r <= 0)
                        break;
                r = sd_bus_message_read_basic(reply, 's', &row.address);
                if (r >= 0)
                        r = sd_bus_message_read_basic(reply, 'q', &row.vendor_id);
                if (r >= 0)
                        r = sd_bus_message_read_basic(reply, 'q', &row.device_id);
                if (r >= 0)
                        r = sd_bus_message_read_basic(reply, 'u', &row.class_code);
                if (r >= 0)
                        r = sd_bus_message_read_basic(reply, 's', &row.class_name);
                if (r >= 0)
                        r = sd_bus_message_read_basic(reply, 's', &row.vendor_name);
                if (r >= 0)
                        r = sd_bus_message_read_basic(reply, 's', &row.device_name);
                if (r >= 0)
                        r = sd_bus_message_read_basic(reply, 's', &row.driver);
                if (r >= 0)
                        r = sd_bus_message_read_basic(reply, 'i', &row.iommu_group);
                if (r >= 0)
                        r = sd_bus_message_read_basic(reply, 's', &row.state);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        break;
                if (add(userdata, &row) < 0)
                        return client_oom();
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return client_error_errno(r, "Failed to read the ListDevices reply: %m");
        return 0;
}

static int print_devices_json(sd_bus_message *reply) {
        bool first = true;
        int r;

        fputs("[\n", stdout);
        r = for_each_device_row(reply, put_device_json, &first);
        if (r < 0)
                return r;
        return print_line(first ? "]" : "\n]");
}

static int print_devices_table(sd_bus_message *reply) {
        _cleanup_table_ Table *t = NULL;
        int r;

        r = table_new(&t, "ADDRESS", "CLASS", "DRIVER", "GROUP", "STATE", "DEVICE", NULL);
        if (r < 0)
                return client_oom();
        r = for_each_device_row(reply, add_device_cells, t);
        if (r < 0)
                return r;
        return table_print(t);
}

/* The summary rows of ListDevices hold all that list prints. Every property of every object
 * (GetManagedObjects) costs client and daemon many times more on a large host. */
int verb_list(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = bus_call_manager(bus, "ListDevices", &reply, NULL);
        if (r < 0)
                return r;
        return o->json ? print_devices_json(reply) : print_devices_table(reply);
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
                        r = add_description_cell(t, properties_get_string(device, "VendorName"),
                                                 properties_get_string(device, "DeviceName"),
                                                 properties_get_int(device, "VendorId"),
                                                 properties_get_int(device, "DeviceId"));
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
        _cleanup_(objects_done) Objects objects = {};
        int r;

        r = objects_load(bus, &objects);
        if (r < 0)
                return r;
        return o->json ? print_groups_json(&objects) : print_groups_table(&objects);
}
