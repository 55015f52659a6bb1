/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "bus.h"
#include "objects.h"
#include "output.h"
#include "passthru-dbus.h"
#include "pci-address.h"
#include "show.h"
#include "utf8.h"

#define GROUP_MATES_KEY "GroupMates"

/* A group mate as show prints it; a mate gone since the group answered has its address only. */
static int mate_new(sd_bus *bus, const char *object_path, const PciAddress *a, json_object **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_json_ json_object *mate = json_object_new_object(), *props = NULL;
        char address[PCI_ADDRESS_STRING_MAX];
        int r;

        if (!mate)
                return -ENOMEM;
        r = sd_bus_call_method(bus, PASSTHRU_BUS_NAME, object_path, "org.freedesktop.DBus.Properties",
                               "GetAll", NULL, &reply, "s", PASSTHRU_DEVICE_INTERFACE);
        if (r >= 0 && properties_read(reply, &props) < 0)
                props = NULL;
        pci_address_format(a, address);
        r = json_set(mate, "address", json_object_new_string(address));
        if (r >= 0)
                r = json_set(mate, "driver", json_object_new_string(properties_get_string(props, "Driver")));
        if (r >= 0)
                r = json_set(mate, "state", json_object_new_string(properties_get_string(props, "State")));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(mate);
        return 0;
}

/* The other members of the device's IOMMU group; none without an IOMMU. Only the group's
 * object and its mates' are read, never the whole object tree. */
static int get_group_mates(sd_bus *bus, json_object *props, json_object **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_json_ json_object *mates = json_object_new_array(), *group = NULL;
        int64_t number = properties_get_int(props, "IommuGroup");
        const char *self = properties_get_string(props, "Address");
        char path[sizeof(PASSTHRU_GROUPS_PATH "/") + 20];
        json_object *paths;
        int r;

        if (!mates)
                return client_oom();
        snprintf(path, sizeof(path), PASSTHRU_GROUPS_PATH "/%" PRIi64, number);
        /* A group gone meanwhile has no mates to show. */
        if (number < 0 ||
            sd_bus_call_method(bus, PASSTHRU_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll",
                               NULL, &reply, "s", PASSTHRU_GROUP_INTERFACE) < 0 ||
            properties_read(reply, &group) < 0 || !json_object_object_get_ex(group, "Devices", &paths) ||
            !json_object_is_type(paths, json_type_array)) {
                *ret = TAKE_PTR(mates);
                return 0;
        }
        for (size_t i = 0; i < json_object_array_length(paths); i++) {
                const char *object_path = json_object_get_string(json_object_array_get_idx(paths, i));
                char address[PCI_ADDRESS_STRING_MAX];
                json_object *mate;
                PciAddress a;

                if (pci_address_from_object_path(object_path, &a) < 0)
                        continue;
                if (streq(pci_address_format(&a, address), self))
                        continue;
                r = mate_new(bus, object_path, &a, &mate);
                if (r >= 0)
                        r = json_append(mates, mate);
                if (r < 0)
                        return client_oom();
        }
        *ret = TAKE_PTR(mates);
        return 0;
}

static int print_json(json_object *props, json_object *mates) {
        _cleanup_json_ json_object *object = NULL;
        int r;

        r = json_document_new(&object);
        if (r >= 0)
                r = json_add_properties(object, props);
        if (r >= 0)
                r = json_set(object, "group_mates", json_object_get(mates));
        if (r < 0)
                return client_oom();
        return json_print(object, true);
}

static int print_mates(json_object *mates, int width) {
        int r = 0;

        if (json_object_array_length(mates) == 0)
                return print_line("%-*s -", width, GROUP_MATES_KEY ":");
        for (size_t i = 0; i < json_object_array_length(mates) && r >= 0; i++) {
                json_object *mate = json_object_array_get_idx(mates, i);
                const char *driver = properties_get_string(mate, "driver");

                r = print_line("%-*s %s driver=%s state=%s", width, i == 0 ? GROUP_MATES_KEY ":" : "",
                               properties_get_string(mate, "address"), *driver ? driver : "-",
                               properties_get_string(mate, "state"));
        }
        return r;
}

/* "Key: value", keys padded so the values line up; list elements go one per line. */
static int print_text(json_object *props, json_object *mates) {
        int width = (int) strlen(GROUP_MATES_KEY ":");
        _cleanup_free_ char *separator = NULL;
        int r;

        json_object_object_foreach(props, key, unused) {
                if ((int) strlen(key) + 1 > width)
                        width = (int) strlen(key) + 1;
        }
        /* A list's next element starts a line of its own, under the first. */
        separator = malloc(width + 3);
        if (!separator)
                return client_oom();
        separator[0] = '\n';
        memset(separator + 1, ' ', width + 1);
        separator[width + 2] = '\0';

        json_object_object_foreach(props, name, value) {
                _cleanup_free_ char *text = NULL;

                r = property_format(name, value, separator, false, &text);
                if (r < 0)
                        return client_oom();
                /* text's values are escaped; its newlines are the separator's. */
                r = print_lines("%s:%*s %s", name, width - (int) strlen(name) - 1, "", *text ? text : "-");
                if (r < 0)
                        return r;
        }
        return print_mates(mates, width);
}

int verb_show(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *properties = NULL;
        _cleanup_json_ json_object *props = NULL, *mates = NULL;
        const char *address = argv[1], *path;
        PciAddress parsed;
        int r;

        /* The daemon checks too; here the message can quote what was typed (its start: the
         * error stays one readable line whatever was passed, and no character is cut). */
        if (pci_address_parse(address, &parsed) < 0) {
                size_t quoted = utf8_prefix_length(address, 32);

                return client_error_errno(EINVAL,
                                          "'%.*s%s' is not a PCI address; expected DDDD:BB:SS.F or BB:SS.F, "
                                          "for example 0000:01:00.0 or 01:00.0.",
                                          (int) quoted, address, address[quoted] ? "..." : "");
        }

        r = bus_call_manager(bus, "GetDevice", &reply, "s", address);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return client_error_errno(r, "Failed to parse the GetDevice reply: %m");
        r = bus_get_all_properties(bus, path, PASSTHRU_DEVICE_INTERFACE, &properties);
        if (r < 0)
                return r;
        r = properties_read(properties, &props);
        if (r < 0)
                return client_error_errno(r, "Failed to parse the properties of %s: %m", address);
        r = get_group_mates(bus, props, &mates);
        if (r < 0)
                return r;
        return o->json ? print_json(props, mates) : print_text(props, mates);
}
