/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <systemd/sd-event.h>

#include "memstream.h"
#include "monitor.h"
#include "objects.h"
#include "output.h"
#include "passthru-dbus.h"
#include "pci-address.h"
#include "strv.h"

/* Everything the daemon says about its own tree; the sender makes it the daemon's only,
 * across restarts too, since the bus resolves the well-known name at delivery. */
#define MATCH_RULE "type='signal',sender='" PASSTHRU_BUS_NAME "',path_namespace='" PASSTHRU_ROOT_PATH "'"

#define READY_MESSAGE "Monitoring passthru events, Ctrl-C to stop."

typedef struct Monitor {
        bool json;
        bool failed; /* a handler stopped the loop and said why */
} Monitor;

/* Formats one signal as the line to print (text or JSON); printing is the caller's. */
typedef int (*EventHandler)(sd_bus_message *m, const char *event, bool json, char **ret_line);

static const char *dash(const char *s) {
        return s && *s ? s : "-";
}

/* Names the object an event is about: a device by its address, a group as "group:N",
 * anything else by its path. The JSON event gets "object" and "address" or "group". */
static int describe_object(const char *path, json_object *event, char **ret_text) {
        char address[PCI_ADDRESS_STRING_MAX];
        int group, consumed = 0, r;
        PciAddress a;

        r = json_set(event, "object", json_object_new_string(path));
        if (r < 0)
                return r;
        if (pci_address_from_object_path(path, &a) >= 0) {
                pci_address_format(&a, address);
                r = json_set(event, "address", json_object_new_string(address));
                if (r >= 0)
                        r = text_format(ret_text, "%s", address);
        } else if (sscanf(path, PASSTHRU_GROUPS_PATH "/%d%n", &group, &consumed) == 1 &&
                   path[consumed] == '\0') {
                r = json_set(event, "group", json_object_new_int(group));
                if (r >= 0)
                        r = text_format(ret_text, "group:%d", group);
        } else
                r = text_format(ret_text, "%s", path);
        return r;
}

static int event_new(const char *name, json_object **ret) {
        _cleanup_json_ json_object *event = NULL;
        int r;

        r = json_document_new(&event);
        if (r >= 0)
                r = json_set(event, "event", json_object_new_string(name));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(event);
        return 0;
}

/* Manager.DeviceAdded / DeviceRemoved (o device, s address). */
static int on_device_signal(sd_bus_message *m, const char *event, bool json, char **ret_line) {
        _cleanup_json_ json_object *e = NULL;
        _cleanup_free_ char *subject = NULL;
        const char *path, *address;
        int r;

        r = sd_bus_message_read(m, "os", &path, &address);
        if (r < 0)
                return r;
        if (!json)
                return text_format(ret_line, "%s %s", event, address);
        r = event_new(event, &e);
        if (r >= 0)
                r = describe_object(path, e, &subject);
        if (r < 0)
                return r;
        return json_format(e, false, ret_line);
}

/* Manager.DriverChanged (s address, s old, s new); "" is no driver. */
static int on_driver_changed(sd_bus_message *m, const char *event, bool json, char **ret_line) {
        _cleanup_json_ json_object *e = NULL;
        const char *address, *old_driver, *new_driver;
        int r;

        r = sd_bus_message_read(m, "sss", &address, &old_driver, &new_driver);
        if (r < 0)
                return r;
        if (!json)
                return text_format(ret_line, "%s %s %s -> %s", event, address, dash(old_driver),
                                   dash(new_driver));
        r = event_new(event, &e);
        if (r >= 0)
                r = json_set(e, "address", json_object_new_string(address));
        if (r >= 0)
                r = json_set(e, "old_driver", json_object_new_string(old_driver));
        if (r >= 0)
                r = json_set(e, "new_driver", json_object_new_string(new_driver));
        if (r < 0)
                return r;
        return json_format(e, false, ret_line);
}

/* "EVENT SUBJECT Name=value..." for each changed property, then the bare names of the
 * invalidated ones. */
static int format_changes(const char *event, const char *subject, json_object *props, char **invalidated,
                          char **ret_line) {
        _cleanup_(memstream_done) MemStream m = {};
        FILE *f = memstream_init(&m);
        int r = 0;

        if (!f)
                return -ENOMEM;
        fprintf(f, "%s %s", event, subject);
        json_object_object_foreach(props, name, value) {
                _cleanup_free_ char *v = NULL;

                if (r < 0)
                        break;
                r = property_format(name, value, ",", true, &v);
                if (r >= 0)
                        fprintf(f, " %s=%s", name, v);
        }
        for (char **i = invalidated; r >= 0 && i && *i; i++)
                fprintf(f, " %s", *i);
        if (r < 0)
                return -ENOMEM;
        return memstream_finalize(&m, ret_line);
}

typedef char *(*NameConverter)(const char *name);

/* Adds names as a JSON array of strings under key, each through convert when given. */
static int set_string_array(json_object *e, const char *key, char **names, NameConverter convert) {
        _cleanup_json_ json_object *array = json_object_new_array();
        int r = array ? 0 : -ENOMEM;

        for (char **i = names; r >= 0 && i && *i; i++) {
                _cleanup_free_ char *converted = convert ? convert(*i) : NULL;

                if (convert && !converted)
                        return -ENOMEM;
                r = json_append(array, json_object_new_string(converted ?: *i));
        }
        if (r >= 0)
                r = json_set(e, key, TAKE_PTR(array));
        return r;
}

/* Properties.PropertiesChanged (s interface, a{sv} changed, as invalidated). */
static int on_properties_changed(sd_bus_message *m, const char *event, bool json, char **ret_line) {
        _cleanup_json_ json_object *e = NULL, *props = NULL, *changed = json_object_new_object();
        _cleanup_strv_free_ char **invalidated = NULL;
        _cleanup_free_ char *subject = NULL;
        const char *interface;
        int r;

        r = sd_bus_message_read(m, "s", &interface);
        if (r >= 0)
                r = properties_read(m, &props);
        if (r >= 0)
                r = sd_bus_message_read_strv(m, &invalidated);
        if (r >= 0)
                r = event_new(event, &e);
        if (r >= 0)
                r = describe_object(sd_bus_message_get_path(m), e, &subject);
        if (r < 0)
                return r;
        if (!json)
                return format_changes(event, subject, props, invalidated, ret_line);
        r = json_set(e, "interface", json_object_new_string(interface));
        if (r >= 0)
                r = changed ? json_add_properties(changed, props) : -ENOMEM;
        if (r >= 0)
                r = json_set(e, "properties", TAKE_PTR(changed));
        if (r >= 0)
                r = set_string_array(e, "invalidated", invalidated, json_key_from_property);
        if (r < 0)
                return r;
        return json_format(e, false, ret_line);
}

/* The interfaces every object has say nothing about what appeared. */
static bool is_standard_interface(const char *interface) {
        return strncmp(interface, "org.freedesktop.DBus.", strlen("org.freedesktop.DBus.")) == 0;
}

/* The interface names of InterfacesAdded (o, a{sa{sv}}) and InterfacesRemoved (o, as),
 * after the object path; the properties of an addition are for 'show' to print. */
static int read_interfaces(sd_bus_message *m, bool added, char ***ret) {
        _cleanup_strv_free_ char **interfaces = NULL;
        const char *interface;
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, added ? "{sa{sv}}" : "s");
        while (r >= 0) {
                if (added) {
                        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sa{sv}");
                        if (r <= 0)
                                break;
                }
                r = sd_bus_message_read(m, "s", &interface);
                if (r <= 0)
                        break;
                if (!is_standard_interface(interface))
                        r = strv_extend(&interfaces, interface);
                if (r >= 0 && added)
                        r = sd_bus_message_skip(m, "a{sv}");
                if (r >= 0 && added)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(interfaces);
        return 0;
}

/* ObjectManager.InterfacesAdded / InterfacesRemoved. */
static int on_interfaces_changed(sd_bus_message *m, const char *event, bool json, char **ret_line) {
        _cleanup_strv_free_ char **interfaces = NULL;
        _cleanup_free_ char *subject = NULL;
        _cleanup_json_ json_object *e = NULL;
        const char *path;
        int r;

        r = sd_bus_message_read(m, "o", &path);
        if (r >= 0)
                r = read_interfaces(m, streq(sd_bus_message_get_member(m), "InterfacesAdded"), &interfaces);
        if (r >= 0)
                r = event_new(event, &e);
        if (r >= 0)
                r = describe_object(path, e, &subject);
        if (r < 0)
                return r;
        if (!json) {
                _cleanup_free_ char *line = NULL;

                r = text_format(&line, "%s %s", event, subject);
                for (char **i = interfaces; r >= 0 && i && *i; i++) {
                        _cleanup_free_ char *prefix = TAKE_PTR(line);

                        r = text_format(&line, "%s %s", prefix, *i);
                }
                if (r < 0)
                        return r;
                *ret_line = TAKE_PTR(line);
                return 0;
        }
        r = set_string_array(e, "interfaces", interfaces, NULL);
        if (r < 0)
                return r;
        return json_format(e, false, ret_line);
}

static const struct {
        const char *interface;
        const char *member;
        const char *event; /* the name printed, part of the output format */
        EventHandler handle;
} handlers[] = {
        { PASSTHRU_MANAGER_INTERFACE, "DeviceAdded", "device-added", on_device_signal },
        { PASSTHRU_MANAGER_INTERFACE, "DeviceRemoved", "device-removed", on_device_signal },
        { PASSTHRU_MANAGER_INTERFACE, "DriverChanged", "driver-changed", on_driver_changed },
        { "org.freedesktop.DBus.Properties", "PropertiesChanged", "properties-changed",
          on_properties_changed },
        { "org.freedesktop.DBus.ObjectManager", "InterfacesAdded", "interfaces-added",
          on_interfaces_changed },
        { "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved", "interfaces-removed",
          on_interfaces_changed },
};

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        sd_event *event = sd_bus_get_event(sd_bus_message_get_bus(m));
        _cleanup_free_ char *line = NULL;
        Monitor *monitor = userdata;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(handlers); i++) {
                if (!sd_bus_message_is_signal(m, handlers[i].interface, handlers[i].member))
                        continue;
                r = handlers[i].handle(m, handlers[i].event, monitor->json, &line);
                /* Only a daemon bug sends a malformed signal: say so and stop, since a
                 * consumer must not miss events silently. */
                if (r < 0)
                        client_error_errno(r, "Failed to read the %s signal: %m", handlers[i].member);
                else
                        r = print_line("%s", line);
                if (r < 0) {
                        monitor->failed = true;
                        return sd_event_exit(event, EXIT_FAILURE);
                }
                return 0;
        }
        return 0;
}

static int setup_signals(sd_event *event) {
        sigset_t mask;
        int r;

        /* sd-event takes signals through a signalfd; with no handler they end the loop with 0. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r < 0)
                return r;
        return sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
}

int verb_monitor(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        Monitor monitor = { .json = o->json };
        int r;

        r = sd_event_default(&event);
        if (r < 0)
                return client_error_errno(r, "Failed to create the event loop: %m");
        r = setup_signals(event);
        if (r < 0)
                return client_error_errno(r, "Failed to watch SIGINT and SIGTERM: %m");
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_bus_set_exit_on_disconnect(bus, true);
        if (r < 0)
                return client_error_errno(r, "Failed to attach the bus to the event loop: %m");
        /* Synchronous, so the rule is in place once the ready line is out. */
        r = sd_bus_add_match(bus, NULL, MATCH_RULE, on_signal, &monitor);
        if (r < 0)
                return client_error_errno(r, "Failed to subscribe to passthru signals: %m");
        fprintf(stderr, READY_MESSAGE "\n");

        r = sd_event_loop(event);
        if (r < 0)
                return client_error_errno(r, "Event loop failed: %m");
        if (monitor.failed)
                return -EIO;
        /* SIGINT and SIGTERM end the loop with 0; sd-bus ends it with 1 when the bus goes. */
        if (r != 0)
                return client_error_errno(ECONNRESET, "Lost the connection to the bus.");
        return 0;
}
