/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "bus-errors.h"
#include "bus.h"
#include "passthru-dbus.h"

static int open_address(const char *address, sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        /* A bus, not a peer: say Hello so the daemon sees a unique name to answer. */
        r = sd_bus_set_bus_client(bus, true);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

int bus_connect(const ClientOptions *o, sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        /* sd_bus_open_system() honours $DBUS_SYSTEM_BUS_ADDRESS, which the tests set. */
        if (o->bus_address) {
                r = open_address(o->bus_address, &bus);
                if (r < 0)
                        return client_error_errno(r, "Failed to connect to the bus at %s: %m",
                                                  o->bus_address);
        } else if (o->host) {
                r = sd_bus_open_system_remote(&bus, o->host);
                if (r < 0)
                        return client_error_errno(r, "Failed to connect to the system bus of %s: %m",
                                                  o->host);
        } else {
                r = sd_bus_open_system(&bus);
                if (r < 0)
                        return client_error_errno(r, "Failed to connect to the system bus: %m");
        }

        /* Map org.passthru.Error.* to errnos, so r says what kind of failure it was. */
        r = sd_bus_error_add_map(passthru_error_map);
        if (r < 0)
                return client_error_errno(r, "Failed to register the passthru error names: %m");
        /* Changing verbs are checked by polkit, which may ask for a password when allowed to. */
        r = sd_bus_set_allow_interactive_authorization(bus, true);
        if (r < 0)
                return client_error_errno(r, "Failed to allow interactive authorization: %m");
        *ret = TAKE_PTR(bus);
        return 0;
}

int bus_log_error(const sd_bus_error *error, int r) {
        if (sd_bus_error_is_set(error))
                return client_error_errno(r, "%s", error->message ?: error->name);
        /* No answer at all: the connection itself failed (ssh, a dead bus). */
        return client_error_errno(r, "Failed to talk to passthrud: %m");
}

int bus_call_manager(sd_bus *bus, const char *member, sd_bus_message **ret_reply, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &call, PASSTHRU_BUS_NAME, PASSTHRU_MANAGER_PATH,
                                           PASSTHRU_MANAGER_INTERFACE, member);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(call, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return client_error_errno(r, "Failed to build the %s call: %m", member);
        r = sd_bus_call(bus, call, 0, &error, &reply);
        if (r < 0)
                return bus_log_error(&error, r);
        *ret_reply = TAKE_PTR(reply);
        return 0;
}

int bus_get_all_properties(sd_bus *bus, const char *path, const char *interface,
                           sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, PASSTHRU_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &reply, "s", interface);
        if (r < 0)
                return bus_log_error(&error, r);
        *ret_reply = TAKE_PTR(reply);
        return 0;
}
