/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus.h"
#include "config-verbs.h"
#include "output.h"
#include "passthru-dbus.h"

/* One GetConfig row, with the identity in the file's own notation. */
typedef struct Entry {
        const char *address, *state, *reason;
        uint16_t vendor_id, device_id, subsystem_vendor_id, subsystem_device_id;
        bool has_subsystem, vfio, allow_protected;
        uint32_t class_code;
        const char *serial; /* NULL: none */
        const char *name;   /* the device name of the card there now; NULL: none */
        int sriov_numvfs;   /* -1: not set */
} Entry;

static int read_entry_field(sd_bus_message *reply, const char *key, Entry *e) {
        int b;

        if (streq(key, "vendor-id"))
                return sd_bus_message_read(reply, "v", "q", &e->vendor_id);
        if (streq(key, "device-id"))
                return sd_bus_message_read(reply, "v", "q", &e->device_id);
        if (streq(key, "subsystem-vendor-id")) {
                e->has_subsystem = true;
                return sd_bus_message_read(reply, "v", "q", &e->subsystem_vendor_id);
        }
        if (streq(key, "subsystem-device-id"))
                return sd_bus_message_read(reply, "v", "q", &e->subsystem_device_id);
        if (streq(key, "class"))
                return sd_bus_message_read(reply, "v", "u", &e->class_code);
        if (streq(key, "serial"))
                return sd_bus_message_read(reply, "v", "s", &e->serial);
        if (streq(key, "name"))
                return sd_bus_message_read(reply, "v", "s", &e->name);
        if (streq(key, "sriov-numvfs"))
                return sd_bus_message_read(reply, "v", "i", &e->sriov_numvfs);
        if (streq(key, "vfio") || streq(key, "allow-protected")) {
                int r = sd_bus_message_read(reply, "v", "b", &b);

                *(streq(key, "vfio") ? &e->vfio : &e->allow_protected) = b;
                return r;
        }
        /* A newer daemon may say more: skip what this client does not know. */
        return sd_bus_message_skip(reply, "v");
}

/* Reads the next row; 0 at the end of the array. */
static int read_entry(sd_bus_message *reply, Entry *ret) {
        Entry e = { .sriov_numvfs = -1 };
        const char *key;
        int r;

        r = sd_bus_message_enter_container(reply, 'r', "sa{sv}ss");
        if (r <= 0)
                return r;
        r = sd_bus_message_read(reply, "s", &e.address);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &key);
                if (r >= 0)
                        r = read_entry_field(reply, key, &e);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_read(reply, "ss", &e.state, &e.reason);
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        *ret = e;
        return 1;
}

static int entry_to_json(const Entry *e, json_object **ret) {
        _cleanup_json_ json_object *o = json_object_new_object(), *identity = json_object_new_object();
        char buf[32];
        int r = o && identity ? 0 : -ENOMEM;

        snprintf(buf, sizeof(buf), "%04x:%04x", e->vendor_id, e->device_id);
        if (r >= 0)
                r = json_set(identity, "id", json_object_new_string(buf));
        if (r >= 0 && e->has_subsystem) {
                snprintf(buf, sizeof(buf), "%04x:%04x", e->subsystem_vendor_id, e->subsystem_device_id);
                r = json_set(identity, "subsystem", json_object_new_string(buf));
        }
        snprintf(buf, sizeof(buf), "0x%06x", e->class_code);
        if (r >= 0)
                r = json_set(identity, "class", json_object_new_string(buf));
        if (r >= 0 && e->serial)
                r = json_set(identity, "serial", json_object_new_string(e->serial));
        if (r >= 0)
                r = json_set(o, "address", json_object_new_string(e->address));
        if (r >= 0 && e->name)
                r = json_set(o, "name", json_object_new_string(e->name));
        if (r >= 0)
                r = json_set(o, "identity", TAKE_PTR(identity));
        if (r >= 0)
                r = json_set(o, "vfio", json_object_new_boolean(e->vfio));
        if (r >= 0)
                r = json_set(o, "allow_protected", json_object_new_boolean(e->allow_protected));
        if (r >= 0 && e->sriov_numvfs >= 0)
                r = json_set(o, "sriov_numvfs", json_object_new_int(e->sriov_numvfs));
        if (r >= 0)
                r = json_set(o, "state", json_object_new_string(e->state));
        if (r >= 0)
                r = json_set(o, "reason", json_object_new_string(e->reason));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int print_json(sd_bus_message *reply) {
        _cleanup_json_ json_object *array = json_object_new_array();
        Entry e;
        int r;

        if (!array)
                return client_oom();
        while ((r = read_entry(reply, &e)) > 0) {
                json_object *row;

                r = entry_to_json(&e, &row);
                if (r >= 0)
                        r = json_append(array, row);
                if (r < 0)
                        return client_oom();
        }
        if (r < 0)
                return client_error_errno(r, "Failed to read the reply: %m");
        return json_print_document_of("entries", array);
}

static int print_text(sd_bus_message *reply) {
        _cleanup_table_ Table *t = NULL;
        unsigned n = 0;
        Entry e;
        int r;

        r = table_new(&t, "ADDRESS", "ID", "NAME", "SUBSYSTEM", "CLASS", "STATE", "REASON", NULL);
        if (r < 0)
                return client_oom();
        while ((r = read_entry(reply, &e)) > 0) {
                r = table_add_cell(t, e.address);
                if (r >= 0)
                        r = table_add_cellf(t, "%04x:%04x", e.vendor_id, e.device_id);
                if (r >= 0)
                        r = table_add_cell(t, e.name ?: "");
                if (r >= 0)
                        r = e.has_subsystem ? table_add_cellf(t, "%04x:%04x", e.subsystem_vendor_id,
                                                              e.subsystem_device_id)
                                            : table_add_cell(t, "");
                if (r >= 0)
                        r = table_add_cellf(t, "0x%06x", e.class_code);
                if (r >= 0)
                        r = table_add_cell(t, e.state);
                if (r >= 0)
                        r = table_add_cell(t, e.reason);
                if (r < 0)
                        return client_oom();
                n++;
        }
        if (r < 0)
                return client_error_errno(r, "Failed to read the reply: %m");
        if (n == 0)
                return print_line("No device is remembered.");
        return table_print(t);
}

int verb_config(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = bus_call_manager(bus, "GetConfig", &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', PASSTHRU_CONFIG_ROW_SIGNATURE);
        if (r < 0)
                return client_error_errno(r, "Failed to read the reply: %m");
        return o->json ? print_json(reply) : print_text(reply);
}

int verb_persist(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL, *reply = NULL;
        bool enabled;
        int r;

        /* verbs.c checked that it is on or off. */
        enabled = streq(argv[2], "on");
        r = bus_new_manager_call(bus, "Persist", &msg);
        if (r >= 0)
                r = sd_bus_message_append(msg, "sb", argv[1], enabled);
        if (r < 0)
                return client_error_errno(r, "Failed to build the Persist call: %m");
        r = bus_call(bus, msg, 0, o, &reply);
        if (r < 0)
                return r;
        return print_line("%s %s.", argv[1],
                          enabled ? "is remembered: it goes to vfio-pci at start-up and when it appears"
                                  : "is forgotten: it stays where it is, and on the host after a restart");
}
