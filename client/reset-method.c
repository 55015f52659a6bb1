/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus.h"
#include "output.h"
#include "passthru-dbus.h"
#include "reset-method.h"
#include "strv.h"

/* Writing reset_method is quick; polkit may ask for a password meanwhile. */
#define RESET_METHOD_CALL_TIMEOUT_USEC (120ULL * 1000 * 1000)

static int print_result(sd_bus *bus, const char *address, bool persist) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_strv_free_ char **methods = NULL;
        _cleanup_free_ char *verdict = NULL, *joined = NULL;
        const char *path;
        int r;

        r = bus_call_manager(bus, "GetDevice", &reply, "s", address);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0)
                r = sd_bus_get_property_strv(bus, PASSTHRU_BUS_NAME, path, PASSTHRU_DEVICE_INTERFACE,
                                             "ResetMethods", &error, &methods);
        if (r >= 0)
                r = sd_bus_get_property_string(bus, PASSTHRU_BUS_NAME, path, PASSTHRU_DEVICE_INTERFACE,
                                               "ResetVerdict", &error, &verdict);
        if (r < 0)
                return bus_log_error(&error, r);
        joined = strv_join(methods, " ");
        if (!joined)
                return client_oom();
        return print_line("%s: reset methods %s (%s)%s.", address, *joined ? joined : "none", verdict,
                          persist ? "; remembered" : "");
}

int verb_reset_method(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL, *reply = NULL;
        _cleanup_strv_free_ char **methods = NULL;
        int r;

        r = strv_split(argv[2], ",", &methods);
        if (r < 0)
                return client_oom();
        r = bus_new_manager_call(bus, "SetResetMethod", &msg);
        if (r >= 0)
                r = sd_bus_message_append(msg, "s", argv[1]);
        if (r >= 0)
                r = sd_bus_message_append_strv(msg, methods);
        if (r >= 0)
                r = sd_bus_message_append(msg, "a{sv}", 1, "persist", "b", o->persist);
        if (r < 0)
                return client_error_errno(r, "Failed to build the SetResetMethod call: %m");
        r = bus_call(bus, msg, RESET_METHOD_CALL_TIMEOUT_USEC, o, &reply);
        if (r < 0)
                return r;
        return print_result(bus, argv[1], o->persist);
}
