/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-common.h"
#include "bus-persist.h"
#include "log.h"
#include "manager.h"
#include "passthru-dbus.h"
#include "operations.h"
#include "persist.h"
#include "polkit.h"
#include "refusal.h"

int bus_persist_method_persist(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(refusal_done) Refusal refusal = {};
        Bus *b = userdata;
        PciAddress a;
        int enabled, r;

        assert(msg);
        /* After polkit answered, the same message is dispatched again: read it from the start. */
        r = sd_bus_message_rewind(msg, true);
        if (r >= 0)
                r = bus_read_address(msg, &a, error);
        if (r >= 0)
                r = sd_bus_message_read(msg, "b", &enabled);
        if (r < 0)
                return r;
        r = polkit_check(b->polkit, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = operation_remember(b->operations, &a, enabled, &refusal);
        if (r < 0)
                return bus_error_from_refusal(error, &refusal, r);
        return sd_bus_reply_method_return(msg, NULL);
}

/* The state GetConfig shows: an entry still waiting says why the gate would refuse it, if it
 * would (from the last look at the host: reading costs no more than a read). */
static ConfigState entry_state(Bus *b, const ConfigEntry *e, Refusal *refusal, const char **ret_reason) {
        ConfigState state = persist_entry_state(b->persist, e, ret_reason);

        if (state == CONFIG_STATE_PENDING && operation_check_entry(b->operations, e, refusal) < 0 &&
            refusal->message) {
                *ret_reason = refusal->message;
                return CONFIG_STATE_REFUSED;
        }
        return state;
}

static int append_entry(sd_bus_message *reply, Bus *b, const ConfigEntry *e) {
        _cleanup_(refusal_done) Refusal refusal = {};
        const ConfigIdentity *id = &e->identity;
        char address[PCI_ADDRESS_STRING_MAX];
        const char *reason;
        ConfigState state = entry_state(b, e, &refusal, &reason);
        const Device *d = manager_find_device(b->manager, &e->address);
        int r;

        r = sd_bus_message_open_container(reply, 'r', "sa{sv}ss");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", pci_address_format(&e->address, address));
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}", "vendor-id", "q", id->vendor_id,
                                          "device-id", "q", id->device_id, "class", "u", id->class_code);
        if (r >= 0 && id->has_subsystem)
                r = sd_bus_message_append(reply, "{sv}{sv}", "subsystem-vendor-id", "q",
                                          id->subsystem_vendor_id, "subsystem-device-id", "q",
                                          id->subsystem_device_id);
        if (r >= 0 && id->serial)
                r = sd_bus_message_append(reply, "{sv}", "serial", "s", id->serial);
        /* The name of the card there now, when it is the one remembered. */
        if (r >= 0 && d && state != CONFIG_STATE_MISMATCH && d->device_name)
                r = sd_bus_message_append(reply, "{sv}", "name", "s", d->device_name);
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}{sv}", "vfio", "b", e->vfio, "allow-protected", "b",
                                          e->allow_protected);
        if (r >= 0 && e->sriov_numvfs >= 0)
                r = sd_bus_message_append(reply, "{sv}", "sriov-numvfs", "i", e->sriov_numvfs);
        if (r >= 0 && e->reset_method[0])
                r = sd_bus_message_append(reply, "{sv}", "reset-method", "s", e->reset_method);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "ss", config_state_to_string(state), reason);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

int bus_persist_method_get_config(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Bus *b = userdata;
        const Config *c;
        int r;

        assert(msg);
        /* The entries in force would hide that the file on disk is not what the admin
         * thinks: say so instead. */
        if (persist_load_error(b->persist))
                return sd_bus_error_setf(error, PASSTHRU_ERROR_CONFIG_INVALID,
                                         "%s The daemon keeps the configuration it read before (if any) "
                                         "until the file is fixed.",
                                         persist_load_error(b->persist));
        c = persist_config(b->persist);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', PASSTHRU_CONFIG_ROW_SIGNATURE);
        for (size_t i = 0; c && i < config_n_entries(c) && r >= 0; i++)
                r = append_entry(reply, b, config_entry(c, i));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static void on_config_changed(void *userdata) {
        Bus *b = userdata;
        int r;

        r = sd_bus_emit_signal(b->bus, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "ConfigChanged",
                               NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit ConfigChanged, ignoring: %m");
}

void bus_persist_listen(Bus *b) {
        assert(b);
        persist_set_listener(b->persist, on_config_changed, b);
}
