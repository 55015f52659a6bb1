/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-common.h"
#include "log.h"
#include "passthru-dbus.h"
#include "refusal.h"
#include "strv.h"

int bus_error_from_refusal(sd_bus_error *error, const Refusal *refusal, int r) {
        if (!refusal->name)
                return r;
        return sd_bus_error_set(error, refusal->name, refusal->message);
}

int bus_read_address(sd_bus_message *msg, PciAddress *ret, sd_bus_error *error) {
        const char *address;
        int r;

        assert(msg);
        assert(ret);
        r = sd_bus_message_read(msg, "s", &address);
        if (r < 0)
                return r;
        if (pci_address_parse(address, ret) < 0)
                return sd_bus_error_set(error, PASSTHRU_ERROR_INVALID_ADDRESS,
                                        "Not a PCI address; expected DDDD:BB:SS.F or BB:SS.F, "
                                        "for example 0000:01:00.0 or 01:00.0.");
        return 0;
}

Bus *bus_from_message(sd_bus_message *msg) {
        assert(msg);
        return sd_bus_slot_get_userdata(sd_bus_get_current_slot(sd_bus_message_get_bus(msg)));
}

int bus_register_fallback(Bus *b, const char *what, const char *prefix, const char *interface,
                          const sd_bus_vtable *vtable, sd_bus_object_find_t find,
                          sd_bus_node_enumerator_t enumerate) {
        int r;

        assert(b);
        assert(what);
        assert(prefix);
        assert(interface);
        assert(vtable);
        r = sd_bus_add_fallback_vtable(b->bus, NULL, prefix, interface, vtable, find, b);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s objects: %m", what);
        r = sd_bus_add_node_enumerator(b->bus, NULL, prefix, enumerate, b);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s enumerator: %m", what);
        return 0;
}

int bus_node_list(Bus *b, size_t n, const char *(*path_of)(Bus *b, size_t i), char ***ret_nodes) {
        _cleanup_strv_free_ char **nodes = calloc(n + 1, sizeof(char *));

        assert(b);
        assert(path_of);
        assert(ret_nodes);
        if (!nodes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                nodes[i] = strdup(path_of(b, i));
                if (!nodes[i])
                        return -ENOMEM;
        }
        *ret_nodes = TAKE_PTR(nodes);
        return 0;
}

int bus_reply_rows(sd_bus_message *msg, const char *row, size_t n,
                   int (*append)(sd_bus_message *reply, size_t i, const void *userdata),
                   const void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        assert(msg);
        assert(row);
        assert(append);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', row);
        for (size_t i = 0; i < n && r >= 0; i++)
                r = append(reply, i, userdata);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int bus_read_options(sd_bus_message *msg, BusOptionReader read_one, void *userdata, sd_bus_error *error) {
        const char *key;
        int r;

        assert(msg);
        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                r = sd_bus_message_read(msg, "s", &key);
                if (r >= 0)
                        r = read_one(msg, key, userdata, error);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

uid_t bus_caller_uid(sd_bus_message *msg) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uid_t uid;

        assert(msg);
        if (sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID, &creds) < 0)
                return UID_INVALID;
        if (sd_bus_creds_get_augmented_mask(creds) & SD_BUS_CREDS_EUID)
                return UID_INVALID;
        return sd_bus_creds_get_euid(creds, &uid) >= 0 ? uid : UID_INVALID;
}
