/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus.h"
#include "objects.h"
#include "output.h"
#include "passthru-dbus.h"
#include "pci-address.h"

static int read_basic(sd_bus_message *m, char type, json_object **ret) {
        union {
                uint8_t y;
                int b;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                const char *s;
        } v;
        json_object *j;
        int r;

        /* Only the types is_basic() accepts come here: no 'h', this API passes no fds. */
        r = sd_bus_message_read_basic(m, type, &v);
        if (r < 0)
                return r;
        switch (type) {
        case 'y':
                j = json_object_new_int(v.y);
                break;
        case 'b':
                j = json_object_new_boolean(v.b);
                break;
        case 'n':
                j = json_object_new_int(v.n);
                break;
        case 'q':
                j = json_object_new_int(v.q);
                break;
        case 'i':
                j = json_object_new_int(v.i);
                break;
        case 'u':
                j = json_object_new_int64(v.u);
                break;
        case 'x':
                j = json_object_new_int64(v.x);
                break;
        case 't':
                j = json_object_new_uint64(v.t);
                break;
        case 'd':
                j = json_object_new_double(v.d);
                break;
        default: /* 's', 'o', 'g' */
                j = json_object_new_string(v.s);
                break;
        }
        if (!j)
                return -ENOMEM;
        *ret = j;
        return 0;
}

static bool is_basic(char type) {
        return type != '\0' && strchr("ybnqiuxtdsog", type);
}

/* A struct of basic types only, such as "(ss)". */
static bool is_basic_struct(const char *contents) {
        size_t n = strlen(contents);

        if (n < 3 || contents[0] != '(' || contents[n - 1] != ')')
                return false;
        for (size_t i = 1; i < n - 1; i++)
                if (!is_basic(contents[i]))
                        return false;
        return true;
}

/* One struct of basic types as a JSON array of its members (Holders' (what, remedy)). */
static int read_struct(sd_bus_message *m, const char *contents, json_object **ret) {
        _cleanup_json_ json_object *members = json_object_new_array();
        int r;

        if (!members)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_STRUCT, NULL);
        for (const char *t = contents + 1; r >= 0 && *t != ')'; t++) {
                json_object *member;

                r = read_basic(m, *t, &member);
                if (r >= 0)
                        r = json_append(members, member);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(members);
        return 0;
}

/* One value of the current (variant's) type; *ret stays NULL when the type is skipped. */
static int read_value(sd_bus_message *m, json_object **ret) {
        _cleanup_json_ json_object *array = NULL;
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r <= 0)
                return r < 0 ? r : -EBADMSG;
        if (is_basic(type))
                return read_basic(m, type, ret);
        if (type != SD_BUS_TYPE_ARRAY ||
            !((is_basic(contents[0]) && contents[1] == '\0') || is_basic_struct(contents))) {
                *ret = NULL;
                return sd_bus_message_skip(m, NULL);
        }

        array = json_object_new_array();
        if (!array)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, contents);
        if (r < 0)
                return r;
        while ((r = sd_bus_message_at_end(m, false)) == 0) {
                json_object *element;

                r = contents[0] == '(' ? read_struct(m, contents, &element)
                                       : read_basic(m, contents[0], &element);
                if (r >= 0)
                        r = json_append(array, element);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(array);
        return 0;
}

/* Calls read_entry for each entry of the dictionary at the current position, an array of
 * array_contents ("{sv}") whose entries hold entry_contents ("sv"). */
static int read_dict(sd_bus_message *m, const char *array_contents, const char *entry_contents,
                     int (*read_entry)(sd_bus_message *m, void *userdata), void *userdata) {
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, array_contents);
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, entry_contents)) > 0) {
                r = read_entry(m, userdata);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_property(sd_bus_message *m, void *userdata) {
        json_object *props = userdata, *value = NULL;
        const char *name, *contents;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, contents);
        if (r < 0)
                return r;
        r = read_value(m, &value);
        if (r < 0)
                return r;
        if (value) {
                r = json_set(props, name, value);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_exit_container(m);
}

int properties_read(sd_bus_message *m, json_object **ret) {
        _cleanup_json_ json_object *props = json_object_new_object();
        int r;

        if (!props)
                return -ENOMEM;
        r = read_dict(m, "{sv}", "sv", read_property, props);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(props);
        return 0;
}

const char *properties_get_string(json_object *props, const char *name) {
        json_object *v;

        if (!json_object_object_get_ex(props, name, &v) || !json_object_is_type(v, json_type_string))
                return "";
        return json_object_get_string(v);
}

int64_t properties_get_int(json_object *props, const char *name) {
        json_object *v;

        if (!json_object_object_get_ex(props, name, &v) || !json_object_is_type(v, json_type_int))
                return -1;
        return json_object_get_int64(v);
}

bool properties_get_bool(json_object *props, const char *name) {
        json_object *v;

        return json_object_object_get_ex(props, name, &v) && json_object_get_boolean(v);
}

/* One interface of an object and its properties. Only our two object interfaces matter; the
 * standard ones carry no properties. */
static int read_interface(sd_bus_message *m, void *userdata) {
        Objects *o = userdata;
        json_object *target = NULL, *props;
        const char *interface;
        int r;

        r = sd_bus_message_read(m, "s", &interface);
        if (r < 0)
                return r;
        if (streq(interface, PASSTHRU_DEVICE_INTERFACE))
                target = o->devices;
        else if (streq(interface, PASSTHRU_GROUP_INTERFACE))
                target = o->groups;
        if (!target)
                return sd_bus_message_skip(m, "a{sv}");
        r = properties_read(m, &props);
        if (r < 0)
                return r;
        return json_append(target, props);
}

/* One entry of GetManagedObjects: an object path and its interfaces. */
static int read_object(sd_bus_message *m, void *userdata) {
        const char *path;
        int r;

        r = sd_bus_message_read(m, "o", &path);
        if (r < 0)
                return r;
        return read_dict(m, "{sa{sv}}", "sa{sv}", read_interface, userdata);
}

/* Unparsable addresses (none from our daemon) sort last, among themselves by text. */
static int compare_devices(const void *a, const void *b) {
        const char *sa = properties_get_string(*(json_object *const *) a, "Address");
        const char *sb = properties_get_string(*(json_object *const *) b, "Address");
        PciAddress pa, pb;
        bool ok_a = pci_address_parse(sa, &pa) >= 0, ok_b = pci_address_parse(sb, &pb) >= 0;

        if (ok_a && ok_b)
                return pci_address_compare(&pa, &pb);
        if (ok_a != ok_b)
                return ok_a ? -1 : 1;
        return strcmp(sa, sb);
}

static int compare_groups(const void *a, const void *b) {
        int64_t na = properties_get_int(*(json_object *const *) a, "Number");
        int64_t nb = properties_get_int(*(json_object *const *) b, "Number");

        return (na > nb) - (na < nb);
}

int objects_load(sd_bus *bus, Objects *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(objects_done) Objects o = {
                .devices = json_object_new_array(),
                .groups = json_object_new_array(),
        };
        int r;

        if (!o.devices || !o.groups)
                return client_oom();
        r = sd_bus_call_method(bus, PASSTHRU_BUS_NAME, PASSTHRU_ROOT_PATH,
                               "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", &error, &reply,
                               NULL);
        if (r < 0)
                return bus_log_error(&error, r);
        r = read_dict(reply, "{oa{sa{sv}}}", "oa{sa{sv}}", read_object, &o);
        if (r < 0)
                return client_error_errno(r, "Failed to parse the list of passthru objects: %m");
        json_object_array_sort(o.devices, compare_devices);
        json_object_array_sort(o.groups, compare_groups);
        *ret = o;
        o = (Objects){};
        return 0;
}

void objects_done(Objects *o) {
        json_object_put(o->devices);
        json_object_put(o->groups);
        *o = (Objects){};
}

/* The devices are sorted by address (objects_load): a binary search, so groups on a host
 * with thousands of functions does not compare every member with every device. */
json_object *objects_find_device(const Objects *o, const char *object_path) {
        size_t lo = 0, hi = json_object_array_length(o->devices);
        PciAddress a;

        if (pci_address_from_object_path(object_path, &a) < 0)
                return NULL;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                json_object *d = json_object_array_get_idx(o->devices, mid);
                PciAddress b;
                int c;

                if (pci_address_parse(properties_get_string(d, "Address"), &b) < 0)
                        c = 1; /* unparsable addresses sort last */
                else
                        c = pci_address_compare(&b, &a);
                if (c == 0)
                        return d;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

json_object *objects_find_group(const Objects *o, int64_t number) {
        for (size_t i = 0; i < json_object_array_length(o->groups); i++) {
                json_object *g = json_object_array_get_idx(o->groups, i);

                if (properties_get_int(g, "Number") == number)
                        return g;
        }
        return NULL;
}

static int member_new(const Objects *o, const char *object_path, json_object **ret) {
        _cleanup_json_ json_object *member = json_object_new_object();
        json_object *device = objects_find_device(o, object_path);
        char address[PCI_ADDRESS_STRING_MAX] = "";
        PciAddress a;
        int r;

        if (!member)
                return -ENOMEM;
        /* A member that vanished between the daemon's answers still has its address. */
        if (pci_address_from_object_path(object_path, &a) >= 0)
                pci_address_format(&a, address);
        r = json_set(member, "address", json_object_new_string(address));
        if (r >= 0)
                r = json_set(member, "driver",
                             json_object_new_string(properties_get_string(device, "Driver")));
        if (r >= 0)
                r = json_set(member, "state",
                             json_object_new_string(properties_get_string(device, "State")));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(member);
        return 0;
}

int objects_group_members(const Objects *o, json_object *group, const char *except_address,
                          json_object **ret) {
        _cleanup_json_ json_object *members = json_object_new_array();
        json_object *paths;
        size_t n = 0;
        int r;

        if (!members)
                return -ENOMEM;
        if (json_object_object_get_ex(group, "Devices", &paths) &&
            json_object_is_type(paths, json_type_array))
                n = json_object_array_length(paths);
        for (size_t i = 0; i < n; i++) {
                json_object *member;

                r = member_new(o, json_object_get_string(json_object_array_get_idx(paths, i)), &member);
                if (r < 0)
                        return r;
                if (streq_ptr(properties_get_string(member, "address"), except_address)) {
                        json_object_put(member);
                        continue;
                }
                r = json_append(members, member);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(members);
        return 0;
}
