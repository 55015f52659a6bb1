/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bind.h"
#include "bus.h"
#include "output.h"
#include "passthru-dbus.h"
#include "pci-address.h"

static int append_options(sd_bus_message *call, const ClientOptions *o) {
        int r;

        r = sd_bus_message_open_container(call, 'a', "{sv}");
        if (r >= 0 && o->group)
                r = sd_bus_message_append(call, "{sv}", "group", "b", 1);
        if (r >= 0 && o->dry_run)
                r = sd_bus_message_append(call, "{sv}", "dry-run", "b", 1);
        if (r >= 0 && o->force)
                r = sd_bus_message_append(call, "{sv}", "force", "b", 1);
        if (r >= 0 && o->driver)
                r = sd_bus_message_append(call, "{sv}", "driver", "s", o->driver);
        if (r >= 0 && o->persist)
                r = sd_bus_message_append(call, "{sv}", "persist", "b", 1);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        return r;
}

static int call(sd_bus *bus, const char *member, const char *address, const ClientOptions *o,
                sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        int r;

        r = bus_new_manager_call(bus, member, &msg);
        if (r >= 0)
                r = sd_bus_message_append(msg, "s", address);
        if (r >= 0)
                r = append_options(msg, o);
        if (r < 0)
                return client_error_errno(r, "Failed to build the %s call: %m", member);
        return bus_call(bus, msg, 0, o->dry_run ? NULL : o, ret_reply);
}

static int print_changes_json(sd_bus_message *reply) {
        _cleanup_json_ json_object *array = json_object_new_array();
        const char *address, *from, *to;
        int r;

        if (!array)
                return client_oom();
        while ((r = sd_bus_message_read(reply, "(sss)", &address, &from, &to)) > 0) {
                json_object *row = json_object_new_object();

                r = json_append(array, row);
                if (r >= 0)
                        r = json_set(row, "address", json_object_new_string(address));
                if (r >= 0)
                        r = json_set(row, "from", json_object_new_string(from));
                if (r >= 0)
                        r = json_set(row, "to", json_object_new_string(to));
                if (r < 0)
                        return client_oom();
        }
        if (r < 0)
                return client_error_errno(r, "Failed to read the reply: %m");
        return json_print_document_of("changes", array);
}

/* "0000:01:00.0: nouveau -> vfio-pci", one line a device; "-" for no driver. */
static int print_changes_text(sd_bus_message *reply, const char *address, const ClientOptions *o) {
        const char *a, *from, *to;
        unsigned n = 0;
        int r;

        while ((r = sd_bus_message_read(reply, "(sss)", &a, &from, &to)) > 0) {
                /* On vfio-pci already without the override: only the override is written. */
                if (streq(from, "vfio-pci") && streq(to, "vfio-pci"))
                        r = print_line(
                                "%s%s: on vfio-pci already; %s driver_override to vfio-pci (not unbound, "
                                "not probed again)",
                                o->dry_run ? "would keep " : "", a, o->dry_run ? "would set" : "set");
                else
                        r = print_line("%s%s: %s -> %s", o->dry_run ? "would move " : "", a,
                                       *from ? from : "-", *to ? to : "-");
                if (r < 0)
                        return r;
                n++;
        }
        if (r < 0)
                return client_error_errno(r, "Failed to read the reply: %m");
        if (n == 0 && o->persist && !o->dry_run)
                return print_line("No driver to change for %s.", address);
        if (n == 0)
                return print_line("Nothing to change for %s.", address);
        return flush_stdout();
}

/* Whether the daemon remembers the device at address (its Persistent property); false when
 * that cannot be read: the note it decides is a courtesy, never a failure. */
static bool remembered(sd_bus *bus, const char *address) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char path[PCI_ADDRESS_PATH_MAX];
        PciAddress a;
        int persistent = 0;

        if (pci_address_parse(address, &a) < 0)
                return false;
        if (sd_bus_get_property_trivial(bus, PASSTHRU_BUS_NAME, pci_address_to_object_path(&a, path),
                                        PASSTHRU_DEVICE_INTERFACE, "Persistent", &error, 'b',
                                        &persistent) < 0)
                return false;
        return persistent;
}

/* What persistence did or will do, said after the changes (text output only). */
static int print_persistence(sd_bus *bus, const char *member, const char *address, const ClientOptions *o) {
        bool bind = streq(member, "Bind");

        if (o->json || o->dry_run)
                return 0;
        if (o->persist)
                return print_line(
                        bind ? "Remembered%s: back on vfio-pci at every start-up and when it appears."
                             : "Forgotten%s: it stays with the host after a restart or a reboot.",
                        o->group ? ", with its group" : "");
        if (!bind && remembered(bus, address))
                print_line_to_stderr(
                        "Note: %s is remembered: it returns to vfio-pci at the next start-up or hotplug. "
                        "Add --persist to forget it too.",
                        address);
        return 0;
}

static int run(sd_bus *bus, const char *member, const char *address, const ClientOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = call(bus, member, address, o, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        if (r < 0)
                return client_error_errno(r, "Failed to read the reply: %m");
        r = o->json ? print_changes_json(reply) : print_changes_text(reply, address, o);
        if (r < 0)
                return r;
        return print_persistence(bus, member, address, o);
}

int verb_bind(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        return run(bus, "Bind", argv[1], o);
}

int verb_unbind(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        return run(bus, "Unbind", argv[1], o);
}
