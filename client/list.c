/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "bus.h"
#include "list.h"
#include "output.h"
#include "passthru-dbus.h"
#include "pci-address.h"

/* The reply of ListDevicesPacked, read in place: the arrays and strings point into it. */
typedef struct DeviceColumns {
        const char **strings;
        size_t n_strings;
        size_t n; /* rows */
        const uint64_t *addresses;
        const uint16_t *vendor_ids, *device_ids;
        const uint32_t *classes;
        const int32_t *iommu_groups;
        const uint32_t *names[_PASSTHRU_NAME_MAX];
} DeviceColumns;

static void device_columns_done(DeviceColumns *c) {
        free(c->strings);
}

static int read_strings(sd_bus_message *reply, DeviceColumns *c) {
        size_t allocated = 0;
        const char *s;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "s");
        while (r >= 0 && (r = sd_bus_message_read_basic(reply, 's', &s)) > 0) {
                if (c->n_strings == allocated) {
                        const char **grown;

                        allocated = allocated > 0 ? allocated * 2 : 64;
                        grown = realloc(c->strings, sizeof(char *) * allocated);
                        if (!grown)
                                return -ENOMEM;
                        c->strings = grown;
                }
                c->strings[c->n_strings++] = s;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        return r;
}

/* One fixed-width column; every column must have a value for each row. */
static int read_column(sd_bus_message *reply, char type, size_t width, const void **ret, DeviceColumns *c) {
        size_t size;
        int r;

        r = sd_bus_message_read_array(reply, type, ret, &size);
        if (r < 0)
                return r;
        if (size % width != 0 || size / width != c->n)
                return -EBADMSG;
        return 0;
}

static int read_device_columns(sd_bus_message *reply, DeviceColumns *c) {
        size_t size;
        int r;

        r = read_strings(reply, c);
        if (r < 0)
                return r;
        r = sd_bus_message_read_array(reply, 't', (const void **) &c->addresses, &size);
        if (r < 0)
                return r;
        c->n = size / sizeof(uint64_t);
        r = read_column(reply, 'q', sizeof(uint16_t), (const void **) &c->vendor_ids, c);
        if (r >= 0)
                r = read_column(reply, 'q', sizeof(uint16_t), (const void **) &c->device_ids, c);
        if (r >= 0)
                r = read_column(reply, 'u', sizeof(uint32_t), (const void **) &c->classes, c);
        if (r >= 0)
                r = read_column(reply, 'i', sizeof(int32_t), (const void **) &c->iommu_groups, c);
        for (PassthruNameColumn k = 0; k < _PASSTHRU_NAME_MAX && r >= 0; k++)
                r = read_column(reply, 'u', sizeof(uint32_t), (const void **) &c->names[k], c);
        if (r < 0)
                return r;
        /* Checked once here, so the printers can index without looking. */
        for (PassthruNameColumn k = 0; k < _PASSTHRU_NAME_MAX; k++)
                for (size_t i = 0; i < c->n; i++)
                        if (c->names[k][i] >= c->n_strings)
                                return -EBADMSG;
        for (size_t i = 0; i < c->n; i++)
                if (c->addresses[i] >> 48 != 0)
                        return -EBADMSG;
        return 0;
}

static size_t format_address(uint64_t packed, char buf[static PCI_ADDRESS_STRING_MAX]) {
        PciAddress a;

        /* read_device_columns() refused what does not unpack. */
        (void) pci_address_unpack(packed, &a);
        return strlen(pci_address_format(&a, buf));
}

/* "Vendor Device [vvvv:dddd]" as lspci -nn writes it; unknown names leave only the IDs.
 * Put together in the table's own memory, a row at a time, from names cleaned of control
 * characters already (table_clean_text()); widths are the names' display widths. */
static int add_description_cell(Table *t, const char *vendor, size_t vendor_width, const char *name,
                                size_t name_width, uint16_t vendor_id, uint16_t device_id) {
        static const char hex[] = "0123456789abcdef";
        size_t nv = strlen(vendor), nn = strlen(name);
        char *text, *p;

        text = table_cell_space(t, nv + 1 + nn + 1 + sizeof("[vvvv:dddd]"));
        if (!text)
                return -ENOMEM;
        p = text;
        if (nv) {
                p = mempcpy(p, vendor, nv);
                *p++ = ' ';
        }
        if (nn) {
                p = mempcpy(p, name, nn);
                *p++ = ' ';
        }
        *p++ = '[';
        for (int shift = 12; shift >= 0; shift -= 4)
                *p++ = hex[(vendor_id >> shift) & 0xf];
        *p++ = ':';
        for (int shift = 12; shift >= 0; shift -= 4)
                *p++ = hex[(device_id >> shift) & 0xf];
        *p++ = ']';
        *p = '\0';
        return table_add_clean_cell_ref(
                t, text, (nv ? vendor_width + 1 : 0) + (nn ? name_width + 1 : 0) + strlen("[vvvv:dddd]"));
}

/* Each distinct string of the reply as the table shows it: cleaned of control characters and
 * measured once, not once per row. */
typedef struct TableNames {
        const char **shown;
        size_t *widths;
} TableNames;

static void table_names_done(TableNames *names) {
        free(names->shown);
        free(names->widths);
}

static int table_names_new(Table *t, const DeviceColumns *c, TableNames *ret) {
        TableNames names = {
                .shown = calloc(c->n_strings ?: 1, sizeof(char *)),
                .widths = calloc(c->n_strings ?: 1, sizeof(size_t)),
        };

        for (size_t i = 0; names.shown && names.widths && i < c->n_strings; i++) {
                names.shown[i] = table_clean_text(t, c->strings[i]);
                if (!names.shown[i])
                        break;
                names.widths[i] = text_display_width(names.shown[i]);
        }
        if (!names.shown || !names.widths || (c->n_strings > 0 && !names.shown[c->n_strings - 1])) {
                table_names_done(&names);
                return -ENOMEM;
        }
        *ret = names;
        return 0;
}

static int add_name_cell(Table *t, const DeviceColumns *c, const TableNames *names, PassthruNameColumn k,
                         size_t row) {
        uint32_t s = c->names[k][row];

        return table_add_clean_cell_ref(t, names->shown[s], names->widths[s]);
}

static int add_device_row(Table *t, const DeviceColumns *c, const TableNames *names, size_t i) {
        char *address = table_cell_space(t, PCI_ADDRESS_STRING_MAX);
        uint32_t vendor = c->names[PASSTHRU_NAME_VENDOR][i], device = c->names[PASSTHRU_NAME_DEVICE][i];
        int32_t group = c->iommu_groups[i];
        int r;

        if (!address)
                return -ENOMEM;
        r = table_add_clean_cell_ref(t, address, format_address(c->addresses[i], address));
        if (r >= 0)
                r = add_name_cell(t, c, names, PASSTHRU_NAME_CLASS, i);
        if (r >= 0)
                r = add_name_cell(t, c, names, PASSTHRU_NAME_DRIVER, i);
        if (r >= 0)
                r = group < 0 ? table_add_clean_cell_ref(t, "-", 1) : table_add_cell_int(t, group);
        if (r >= 0)
                r = add_name_cell(t, c, names, PASSTHRU_NAME_STATE, i);
        if (r >= 0)
                r = add_description_cell(t, names->shown[vendor], names->widths[vendor],
                                         names->shown[device], names->widths[device], c->vendor_ids[i],
                                         c->device_ids[i]);
        return r;
}

static int print_devices_table(const DeviceColumns *c) {
        _cleanup_(table_names_done) TableNames names = {};
        _cleanup_table_ Table *t = NULL;
        int r;

        r = table_new(&t, "ADDRESS", "CLASS", "DRIVER", "GROUP", "STATE", "DEVICE", NULL);
        if (r >= 0)
                r = table_names_new(t, c, &names);
        for (size_t i = 0; i < c->n && r >= 0; i++)
                r = add_device_row(t, c, &names, i);
        if (r < 0)
                return client_oom();
        return table_print(t);
}

/* One json-c string per distinct name, shared by every row that uses it. */
typedef struct JsonNames {
        json_object **strings;
        size_t n;
} JsonNames;

static void json_names_done(JsonNames *names) {
        for (size_t i = 0; i < names->n; i++)
                json_object_put(names->strings[i]);
        free(names->strings);
}

static int json_names_new(const DeviceColumns *c, JsonNames *ret) {
        JsonNames names = { .strings = calloc(c->n_strings ?: 1, sizeof(json_object *)) };

        if (!names.strings)
                return -ENOMEM;
        for (; names.n < c->n_strings; names.n++) {
                names.strings[names.n] = json_object_new_string(c->strings[names.n]);
                if (!names.strings[names.n]) {
                        json_names_done(&names);
                        return -ENOMEM;
                }
        }
        *ret = names;
        return 0;
}

static int set_name(json_object *device, const char *key, const DeviceColumns *c, const JsonNames *names,
                    PassthruNameColumn k, size_t i) {
        return json_set(device, key, json_object_get(names->strings[c->names[k][i]]));
}

/* The keys and values are those the same properties have in show --json. */
static int device_json_new(const DeviceColumns *c, const JsonNames *names, size_t i, json_object **ret) {
        _cleanup_json_ json_object *device = json_object_new_object();
        char address[PCI_ADDRESS_STRING_MAX];
        int r;

        if (!device)
                return -ENOMEM;
        (void) format_address(c->addresses[i], address);
        r = json_set(device, "address", json_object_new_string(address));
        if (r >= 0)
                r = json_set(device, "vendor_id", json_hex_new(c->vendor_ids[i], 4));
        if (r >= 0)
                r = json_set(device, "device_id", json_hex_new(c->device_ids[i], 4));
        if (r >= 0)
                r = json_set(device, "class", json_hex_new(c->classes[i], 6));
        if (r >= 0)
                r = set_name(device, "class_name", c, names, PASSTHRU_NAME_CLASS, i);
        if (r >= 0)
                r = set_name(device, "vendor_name", c, names, PASSTHRU_NAME_VENDOR, i);
        if (r >= 0)
                r = set_name(device, "device_name", c, names, PASSTHRU_NAME_DEVICE, i);
        if (r >= 0)
                r = set_name(device, "driver", c, names, PASSTHRU_NAME_DRIVER, i);
        if (r >= 0)
                r = json_set(device, "iommu_group", json_object_new_int(c->iommu_groups[i]));
        if (r >= 0)
                r = set_name(device, "state", c, names, PASSTHRU_NAME_STATE, i);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(device);
        return 0;
}

static int print_devices_json(const DeviceColumns *c) {
        _cleanup_json_ json_object *devices = json_object_new_array_ext((int) c->n);
        _cleanup_(json_names_done) JsonNames names = {};
        int r;

        r = devices ? json_names_new(c, &names) : -ENOMEM;
        for (size_t i = 0; i < c->n && r >= 0; i++) {
                json_object *device;

                r = device_json_new(c, &names, i, &device);
                if (r >= 0)
                        r = json_append(devices, device);
        }
        if (r < 0)
                return client_oom();
        return json_print_document_of("devices", devices);
}

/* ListDevicesPacked holds all that list prints, column by column: names once, numbers as
 * plain arrays, read in place. */
int verb_list(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(device_columns_done) DeviceColumns columns = {};
        int r;

        r = bus_call_manager(bus, "ListDevicesPacked", &reply, NULL);
        if (r < 0)
                return r;
        r = read_device_columns(reply, &columns);
        if (r == -ENOMEM)
                return client_oom();
        if (r < 0)
                return client_error_errno(r, "Failed to read the ListDevicesPacked reply: %m");
        return o->json ? print_devices_json(&columns) : print_devices_table(&columns);
}

/* One member of a ListGroups row; the strings point into the reply. */
typedef struct GroupMember {
        const char *address, *driver, *state, *vendor_name, *device_name;
        uint16_t vendor_id, device_id;
} GroupMember;

typedef struct GroupRow {
        int32_t number;
        bool viable;
} GroupRow;

/* Receives each group, then each of its members (or the group's end, member NULL). */
typedef struct GroupVisitor {
        int (*group)(void *userdata, const GroupRow *g);
        int (*member)(void *userdata, const GroupRow *g, const GroupMember *m, bool first);
        int (*group_end)(void *userdata, const GroupRow *g, size_t n_members);
        void *userdata;
} GroupVisitor;

static int read_group_member(sd_bus_message *reply, GroupMember *m) {
        int r;

        r = sd_bus_message_enter_container(reply, 'r', "sssssqq");
        if (r <= 0)
                return r;
        r = sd_bus_message_read_basic(reply, 's', &m->address);
        if (r >= 0)
                r = sd_bus_message_read_basic(reply, 's', &m->driver);
        if (r >= 0)
                r = sd_bus_message_read_basic(reply, 's', &m->state);
        if (r >= 0)
                r = sd_bus_message_read_basic(reply, 's', &m->vendor_name);
        if (r >= 0)
                r = sd_bus_message_read_basic(reply, 's', &m->device_name);
        if (r >= 0)
                r = sd_bus_message_read_basic(reply, 'q', &m->vendor_id);
        if (r >= 0)
                r = sd_bus_message_read_basic(reply, 'q', &m->device_id);
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        return r < 0 ? r : 1;
}

/* The visitor's callbacks fail only with -ENOMEM; reading errors are -EBADMSG and the like. */
static int read_group(sd_bus_message *reply, const GroupVisitor *v) {
        GroupRow g;
        GroupMember m;
        size_t n = 0;
        int viable, r;

        r = sd_bus_message_enter_container(reply, 'r', "iba(sssssqq)");
        if (r <= 0)
                return r;
        r = sd_bus_message_read_basic(reply, 'i', &g.number);
        if (r >= 0)
                r = sd_bus_message_read_basic(reply, 'b', &viable);
        if (r < 0)
                return r;
        g.viable = viable;
        if (v->group && v->group(v->userdata, &g) < 0)
                return -ENOMEM;
        r = sd_bus_message_enter_container(reply, 'a', "(sssssqq)");
        while (r >= 0 && (r = read_group_member(reply, &m)) > 0) {
                if (v->member(v->userdata, &g, &m, n == 0) < 0)
                        return -ENOMEM;
                n++;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0 && v->group_end && v->group_end(v->userdata, &g, n) < 0)
                return -ENOMEM;
        return r < 0 ? r : 1;
}

static int for_each_group(sd_bus_message *reply, const GroupVisitor *v, size_t *ret_n) {
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', PASSTHRU_GROUP_ROW_SIGNATURE);
        while (r >= 0 && (r = read_group(reply, v)) > 0)
                n++;
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r == -ENOMEM)
                return client_oom();
        if (r < 0)
                return client_error_errno(r, "Failed to read the ListGroups reply: %m");
        *ret_n = n;
        return 0;
}

typedef struct GroupTable {
        Table *table;
        const char *number; /* the current group's number, shared by its members' rows */
        size_t number_width;
} GroupTable;

/* The number is formatted once: each member's row refers to that text. */
static int group_table_group(void *userdata, const GroupRow *g) {
        GroupTable *gt = userdata;

        gt->number = table_int_text(gt->table, g->number, &gt->number_width);
        return gt->number ? 0 : -ENOMEM;
}

static int group_table_member(void *userdata, const GroupRow *g, const GroupMember *m, bool first) {
        GroupTable *gt = userdata;
        Table *t = gt->table;
        const char *vendor = table_clean_text(t, m->vendor_name),
                   *device = table_clean_text(t, m->device_name);
        int r;

        if (!vendor || !device)
                return -ENOMEM;
        r = table_add_cell_ref(t, gt->number, gt->number_width);
        if (r >= 0)
                r = table_add_cell_ref(t, g->viable ? "yes" : "no", g->viable ? 3 : 2);
        if (r >= 0)
                r = table_add_cell_ref(t, m->address, TABLE_WIDTH_UNKNOWN);
        if (r >= 0)
                r = table_add_cell_ref(t, m->driver, TABLE_WIDTH_UNKNOWN);
        if (r >= 0)
                r = table_add_cell_ref(t, m->state, TABLE_WIDTH_UNKNOWN);
        if (r >= 0)
                r = add_description_cell(t, vendor, text_display_width(vendor), device,
                                         text_display_width(device), m->vendor_id, m->device_id);
        return r;
}

static int print_groups_table(sd_bus_message *reply) {
        _cleanup_table_ Table *t = NULL;
        GroupTable gt;
        GroupVisitor v = { group_table_group, group_table_member, NULL, &gt };
        size_t n;
        int r;

        r = table_new(&t, "GROUP", "VIABLE", "ADDRESS", "DRIVER", "STATE", "DEVICE", NULL);
        if (r < 0)
                return client_oom();
        gt = (GroupTable){ .table = t };
        r = for_each_group(reply, &v, &n);
        if (r < 0)
                return r;
        if (n == 0) {
                /* Not an error: the answer is "none", and why matters more than an empty table. */
                fprintf(stderr, "No IOMMU groups: the IOMMU is off or absent on this host.\n");
                return 0;
        }
        return table_print(t);
}

typedef struct GroupJson {
        json_object *groups;
        json_object *group, *members; /* the group being read */
} GroupJson;

/* {"number", "devices": [{"address", "driver", "state"}...], "viable"}: the group's
 * properties with member summaries for object paths, as read. */
static int group_json_group(void *userdata, const GroupRow *g) {
        GroupJson *gj = userdata;
        json_object *group = json_object_new_object();
        int r;

        r = json_append(gj->groups, group);
        if (r < 0)
                return r;
        gj->group = group;
        gj->members = json_object_new_array();
        r = json_set(group, "number", json_object_new_int(g->number));
        if (r >= 0)
                r = json_set(group, "devices", gj->members);
        return r;
}

static int group_json_member(void *userdata, const GroupRow *g, const GroupMember *m, bool first) {
        GroupJson *gj = userdata;
        json_object *member = json_object_new_object();
        int r;

        r = json_append(gj->members, member);
        if (r >= 0)
                r = json_set(member, "address", json_object_new_string(m->address));
        if (r >= 0)
                r = json_set(member, "driver", json_object_new_string(m->driver));
        if (r >= 0)
                r = json_set(member, "state", json_object_new_string(m->state));
        return r;
}

static int group_json_end(void *userdata, const GroupRow *g, size_t n_members) {
        GroupJson *gj = userdata;

        return json_set(gj->group, "viable", json_object_new_boolean(g->viable));
}

static int print_groups_json(sd_bus_message *reply) {
        _cleanup_json_ json_object *groups = json_object_new_array();
        GroupJson gj = { .groups = groups };
        GroupVisitor v = { group_json_group, group_json_member, group_json_end, &gj };
        size_t n;
        int r;

        if (!groups)
                return client_oom();
        r = for_each_group(reply, &v, &n);
        if (r < 0)
                return r;
        return json_print_document_of("groups", groups);
}

/* ListGroups holds what groups prints and nothing else, not every property of every
 * object. */
int verb_groups(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = bus_call_manager(bus, "ListGroups", &reply, NULL);
        if (r < 0)
                return r;
        return o->json ? print_groups_json(reply) : print_groups_table(reply);
}
