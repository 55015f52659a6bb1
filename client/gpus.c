/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus.h"
#include "gpus.h"
#include "objects.h"
#include "output.h"
#include "passthru-dbus.h"
#include "pci-address.h"

#define CLASS_DISPLAY 0x03

typedef struct Row {
        const char *address;
        uint32_t class_code;
} Row;

/* The slot "DDDD:BB:SS" of an address, for matching functions of one card. */
static bool same_slot(const char *a, const char *b) {
        const char *dot_a = strrchr(a, '.'), *dot_b = strrchr(b, '.');

        return dot_a && dot_b && dot_a - a == dot_b - b && strncmp(a, b, (size_t) (dot_a - a)) == 0;
}

static int read_rows(sd_bus_message *reply, Row **ret, size_t *ret_n) {
        _cleanup_free_ Row *rows = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', PASSTHRU_DEVICE_ROW_SIGNATURE);
        while (r > 0) {
                Row row, *grown;

                r = sd_bus_message_read(reply, PASSTHRU_DEVICE_ROW_SIGNATURE, &row.address, NULL, NULL,
                                        &row.class_code, NULL, NULL, NULL, NULL, NULL, NULL);
                if (r <= 0)
                        break;
                grown = realloc(rows, sizeof(Row) * (n + 1));
                if (!grown)
                        return -ENOMEM;
                rows = grown;
                rows[n++] = row;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(rows);
        *ret_n = n;
        return 0;
}

static bool wanted(const Row *rows, size_t n, size_t i) {
        for (size_t j = 0; j < n; j++)
                if ((rows[j].class_code >> 16) == CLASS_DISPLAY &&
                    same_slot(rows[i].address, rows[j].address))
                        return true;
        return false;
}

static int gpu_new(sd_bus *bus, const char *address, json_object **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *props_reply = NULL;
        _cleanup_json_ json_object *o = json_object_new_object(), *props = NULL;
        char path[PCI_ADDRESS_PATH_MAX];
        json_object *holders = NULL;
        PciAddress a;
        int r;

        if (!o)
                return -ENOMEM;
        r = pci_address_parse(address, &a);
        if (r < 0)
                return r;
        pci_address_to_object_path(&a, path);
        r = bus_get_all_properties(bus, path, PASSTHRU_DEVICE_INTERFACE, &props_reply);
        if (r < 0)
                return r;
        r = properties_read(props_reply, &props);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(props, "Holders", &holders))
                holders = NULL;
        r = json_set(o, "address", json_object_new_string(address));
        if (r >= 0)
                r = json_set(o, "driver", json_object_new_string(properties_get_string(props, "Driver")));
        if (r >= 0)
                r = json_set(o, "holders", holders ? json_object_get(holders) : json_object_new_array());
        if (r >= 0)
                r = json_set(o, "reset_verdict",
                             json_object_new_string(properties_get_string(props, "ResetVerdict")));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int gpus_collect(sd_bus *bus, json_object **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_json_ json_object *gpus = json_object_new_array();
        _cleanup_free_ Row *rows = NULL;
        size_t n = 0;
        int r;

        if (!gpus)
                return client_oom();
        r = bus_call_manager(bus, "ListDevices", &reply, NULL);
        if (r < 0)
                return r;
        r = read_rows(reply, &rows, &n);
        if (r < 0)
                return client_error_errno(r, "Failed to read the ListDevices reply: %m");
        for (size_t i = 0; i < n; i++) {
                json_object *gpu;

                if (!wanted(rows, n, i))
                        continue;
                /* A function gone meanwhile is left out. */
                if (gpu_new(bus, rows[i].address, &gpu) < 0)
                        continue;
                r = json_append(gpus, gpu);
                if (r < 0)
                        return client_oom();
        }
        *ret = TAKE_PTR(gpus);
        return 0;
}

int gpus_print_text(json_object *gpus) {
        int r = 0;

        if (json_object_array_length(gpus) == 0)
                return 0;
        r = print_line("%s", "");
        if (r >= 0)
                r = print_line("GPUs:");
        for (size_t i = 0; i < json_object_array_length(gpus) && r >= 0; i++) {
                json_object *gpu = json_object_array_get_idx(gpus, i), *holders = NULL;
                const char *driver = properties_get_string(gpu, "driver");

                r = print_line("  %s  driver=%s  reset: %s", properties_get_string(gpu, "address"),
                               *driver ? driver : "-", properties_get_string(gpu, "reset_verdict"));
                (void) json_object_object_get_ex(gpu, "holders", &holders);
                for (size_t j = 0; holders && j < json_object_array_length(holders) && r >= 0; j++) {
                        json_object *h = json_object_array_get_idx(holders, j);

                        r = print_line("    held: %s",
                                       json_object_get_string(json_object_array_get_idx(h, 0)));
                        if (r >= 0)
                                r = print_line("      -> %s",
                                               json_object_get_string(json_object_array_get_idx(h, 1)));
                }
        }
        return r;
}
