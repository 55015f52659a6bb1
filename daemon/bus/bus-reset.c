/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-common.h"
#include "bus-reset.h"
#include "passthru-dbus.h"
#include "pci-address.h"
#include "polkit.h"
#include "refusal.h"
#include "reset-method.h"
#include "reset.h"
#include "strv.h"

/* Methods are few: a longer list is not one the kernel could take. */
#define RESET_METHODS_MAX 8

static int read_option(sd_bus_message *msg, const char *key, void *userdata, sd_bus_error *error) {
        bool *persist = userdata;
        int b, r;

        if (!streq(key, "persist"))
                return sd_bus_error_setf(error, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                         "SetResetMethod does not know the option '%s'; it takes persist.",
                                         key);
        r = sd_bus_message_read(msg, "v", "b", &b);
        if (r < 0)
                return sd_bus_error_set(error, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                        "Option 'persist' has the wrong type: it is a boolean.");
        *persist = b;
        return 0;
}

int bus_reset_method_set(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(refusal_done) Refusal refusal = {};
        _cleanup_strv_free_ char **methods = NULL;
        Bus *b = userdata;
        bool persist = false;
        PciAddress a;
        int r;

        assert(msg);
        /* After polkit answered, the same message is dispatched again: read it from the start. */
        r = sd_bus_message_rewind(msg, true);
        if (r >= 0)
                r = bus_read_address(msg, &a, error);
        if (r >= 0)
                r = sd_bus_message_read_strv(msg, &methods);
        if (r < 0)
                return r;
        if (strv_length(methods) > RESET_METHODS_MAX)
                return sd_bus_error_set(error, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                        "Too many reset methods; the kernel has seven.");
        r = bus_read_options(msg, read_option, &persist, error);
        if (r < 0)
                return r;
        /* Bad names are refused before anyone is asked for a password. */
        r = reset_methods_check(methods, &refusal);
        if (r < 0)
                return bus_error_from_refusal(error, &refusal, r);
        /* Remembering it changes the host's configuration: configure-host, as Bind with persist. */
        r = polkit_check_action(b->polkit, msg,
                                persist ? POLKIT_ACTION_CONFIGURE_HOST : POLKIT_ACTION_MANAGE_DEVICES,
                                error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = reset_method_set(b->manager, b->persist, &a, methods, persist, &refusal);
        if (r < 0)
                return bus_error_from_refusal(error, &refusal, r);
        return sd_bus_reply_method_return(msg, NULL);
}
