/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-common.h"
#include "bus-list.h"
#include "group.h"
#include "manager.h"
#include "passthru-dbus.h"
#include "string-index.h"

/* One string column: a number per row into the string table. Rows sorted by address come
 * in runs (the VFs of one card), so the previous row's string is tried before the index. */
typedef struct NameColumnData {
        uint32_t *numbers;
        const char *last;
        uint32_t last_number;
} NameColumnData;

typedef struct PackedDevices {
        size_t n;
        StringIndex strings;
        uint64_t *addresses;
        uint16_t *vendor_ids, *device_ids;
        uint32_t *classes;
        int32_t *iommu_groups;
        NameColumnData names[_PASSTHRU_NAME_MAX];
} PackedDevices;

static void packed_devices_done(PackedDevices *p) {
        string_index_done(&p->strings);
        free(p->addresses);
        free(p->vendor_ids);
        free(p->device_ids);
        free(p->classes);
        free(p->iommu_groups);
        for (PassthruNameColumn c = 0; c < _PASSTHRU_NAME_MAX; c++)
                free(p->names[c].numbers);
}

/* At least one element each, so an empty table still has arrays to append. */
static int packed_devices_alloc(PackedDevices *p, size_t n) {
        size_t k = n > 0 ? n : 1;

        p->n = n;
        p->addresses = calloc(k, sizeof(uint64_t));
        p->vendor_ids = calloc(k, sizeof(uint16_t));
        p->device_ids = calloc(k, sizeof(uint16_t));
        p->classes = calloc(k, sizeof(uint32_t));
        p->iommu_groups = calloc(k, sizeof(int32_t));
        if (!p->addresses || !p->vendor_ids || !p->device_ids || !p->classes || !p->iommu_groups)
                return -ENOMEM;
        for (PassthruNameColumn c = 0; c < _PASSTHRU_NAME_MAX; c++) {
                p->names[c].numbers = calloc(k, sizeof(uint32_t));
                if (!p->names[c].numbers)
                        return -ENOMEM;
        }
        return 0;
}

static int packed_devices_set_name(PackedDevices *p, PassthruNameColumn c, size_t row, const char *s) {
        NameColumnData *col = &p->names[c];
        int r;

        s = strempty(s);
        if (!col->last || (col->last != s && !streq(col->last, s))) {
                r = string_index_add(&p->strings, s, &col->last_number);
                if (r < 0)
                        return r;
                col->last = s;
        }
        col->numbers[row] = col->last_number;
        return 0;
}

static int packed_devices_fill(PackedDevices *p, const DeviceTable *t) {
        int r = packed_devices_alloc(p, t->n_devices);

        for (size_t i = 0; i < t->n_devices && r >= 0; i++) {
                const Device *d = t->devices[i];

                p->addresses[i] = pci_address_pack(&d->address);
                p->vendor_ids[i] = d->vendor_id;
                p->device_ids[i] = d->device_id;
                p->classes[i] = d->class_code;
                p->iommu_groups[i] = d->iommu_group;
                r = packed_devices_set_name(p, PASSTHRU_NAME_CLASS, i, d->class_name);
                if (r >= 0)
                        r = packed_devices_set_name(p, PASSTHRU_NAME_VENDOR, i, d->vendor_name);
                if (r >= 0)
                        r = packed_devices_set_name(p, PASSTHRU_NAME_DEVICE, i, d->device_name);
                if (r >= 0)
                        r = packed_devices_set_name(p, PASSTHRU_NAME_DRIVER, i, d->driver);
                if (r >= 0)
                        r = packed_devices_set_name(p, PASSTHRU_NAME_STATE, i,
                                                    device_state_to_string(device_get_state(d)));
        }
        return r;
}

static int append_packed_devices(sd_bus_message *reply, const PackedDevices *p) {
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t i = 0; i < p->strings.n_strings && r >= 0; i++)
                r = sd_bus_message_append_basic(reply, 's', p->strings.strings[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        /* Fixed-width columns go in as one copy each: no per-value marshalling. */
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 't', p->addresses, p->n * sizeof(uint64_t));
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'q', p->vendor_ids, p->n * sizeof(uint16_t));
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'q', p->device_ids, p->n * sizeof(uint16_t));
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'u', p->classes, p->n * sizeof(uint32_t));
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'i', p->iommu_groups, p->n * sizeof(int32_t));
        for (PassthruNameColumn c = 0; c < _PASSTHRU_NAME_MAX && r >= 0; c++)
                r = sd_bus_message_append_array(reply, 'u', p->names[c].numbers, p->n * sizeof(uint32_t));
        return r;
}

int bus_list_method_devices_packed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(packed_devices_done) PackedDevices p = {};
        Bus *b = userdata;
        int r;

        assert(msg);
        r = packed_devices_fill(&p, &b->manager->table);
        if (r >= 0)
                r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = append_packed_devices(reply, &p);
        if (r < 0)
                return r;
        manager_trim_memory_soon(b->manager);
        return sd_bus_send(NULL, reply, NULL);
}

/* Field by field, as ListDevices: sd_bus_message_append() parses its type string per call. */
static int append_group_member(sd_bus_message *reply, const Device *d) {
        int r;

        r = sd_bus_message_open_container(reply, 'r', "sssssqq");
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', d->address_str);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', strempty(d->driver));
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', device_state_to_string(device_get_state(d)));
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', strempty(d->vendor_name));
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', strempty(d->device_name));
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'q', &d->vendor_id);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'q', &d->device_id);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int append_group(sd_bus_message *reply, const Group *g) {
        int32_t number = g->number;
        int viable = g->viable;
        int r;

        r = sd_bus_message_open_container(reply, 'r', "iba(sssssqq)");
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'i', &number);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'b', &viable);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssssqq)");
        for (size_t i = 0; i < g->n_devices && r >= 0; i++)
                r = append_group_member(reply, g->devices[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int append_group_at(sd_bus_message *reply, size_t i, const void *userdata) {
        const DeviceTable *t = userdata;

        return append_group(reply, t->groups[i]);
}

int bus_list_method_groups(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;

        assert(msg);
        manager_trim_memory_soon(b->manager);
        return bus_reply_rows(msg, PASSTHRU_GROUP_ROW_SIGNATURE, b->manager->table.n_groups, append_group_at,
                              &b->manager->table);
}
