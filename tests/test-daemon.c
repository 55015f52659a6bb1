/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passthrud as a client sees it: the built daemon on a private bus over the realistic
 * testbed host, checked over D-Bus (ListDevices, GetDevice, properties, groups,
 * ObjectManager, errors) and through hotplug and driver changes made on the testbed. */
#include <glib/gstdio.h>

#include "harness.h"
#include "hwdb-names.h"
#include "passthru-dbus.h"
#include "testbed.h"

#define GPU "0000:01:00.0"
#define GPU_PATH PASSTHRU_DEVICES_PATH "/0000_01_00_0"
#define PF_PATH PASSTHRU_DEVICES_PATH "/0000_03_00_0"
#define VF1 "0000:03:10.4"
#define NVME "0000:06:00.0"
#define NVME_PATH PASSTHRU_DEVICES_PATH "/0000_06_00_0"
#define HOTPLUG_PATH PASSTHRU_DEVICES_PATH "/0000_00_05_0"
#define OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"
#define PROPERTIES "org.freedesktop.DBus.Properties"

typedef struct {
        Testbed *tb;
        Harness *h;
        char *ids_path; /* a pci.ids of the test's own, removed at teardown */
} DaemonFixture;

/* Test data: the functions the testbed starts with. */
typedef struct {
        const TestbedFunction *functions;
        size_t n;
} Host;

/* A copy of the realistic host with room for `extra` more functions. */
static TestbedFunction *host_copy(size_t extra) {
        TestbedFunction *functions = g_new0(TestbedFunction, testbed_host_len + extra);

        memcpy(functions, testbed_host, testbed_host_len * sizeof(TestbedFunction));
        return functions;
}

static void fixture_setup(DaemonFixture *f, gconstpointer data) {
        const Host *host = data;

        f->tb = testbed_new();
        /* fbcon draws on the boot VGA, as on most desktops. */
        testbed_set_console(f->tb, true);
        if (host)
                testbed_add_all(f->tb, host->functions, host->n);
        else
                testbed_add_all(f->tb, testbed_host, testbed_host_len);
        f->h = harness_new(f->tb);
}

static void fixture_teardown(DaemonFixture *f, gconstpointer data) {
        harness_free(f->h);
        testbed_assert_contained(f->tb);
        testbed_free(f->tb);
        if (f->ids_path)
                g_assert_no_errno(g_unlink(f->ids_path));
        g_free(f->ids_path);
}

static GVariant *call_manager(DaemonFixture *f, const char *method, GVariant *args, const char *reply_type,
                              GError **error) {
        return harness_call(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, method, args,
                            reply_type, error);
}

static GVariant *list_devices(DaemonFixture *f) {
        g_autoptr(GError) error = NULL;
        GVariant *reply =
                call_manager(f, "ListDevices", NULL, "(a" PASSTHRU_DEVICE_ROW_SIGNATURE ")", &error);

        g_assert_no_error(error);
        return reply;
}

static char *get_device(DaemonFixture *f, const char *address, GError **error) {
        g_autoptr(GVariant) reply =
                call_manager(f, "GetDevice", g_variant_new("(s)", address), "(o)", error);
        char *path = NULL;

        if (reply)
                g_variant_get(reply, "(o)", &path);
        return path;
}

static GVariant *device_property(DaemonFixture *f, const char *path, const char *name) {
        return harness_get_property(f->h, path, PASSTHRU_DEVICE_INTERFACE, name);
}

static void assert_property_string(DaemonFixture *f, const char *path, const char *name,
                                   const char *expected) {
        g_autoptr(GVariant) v = device_property(f, path, name);

        g_test_message("%s %s", path, name);
        g_assert_cmpstr(g_variant_get_string(v, NULL), ==, expected);
}

static void assert_property_strv(DaemonFixture *f, const char *path, const char *name,
                                 const char *const *expected) {
        g_autoptr(GVariant) v = device_property(f, path, name);
        g_autofree const char **got = g_variant_get_strv(v, NULL);

        g_test_message("%s %s", path, name);
        g_assert_cmpstrv(got, expected);
}

static void assert_property_int(DaemonFixture *f, const char *path, const char *name, gint64 expected) {
        g_autoptr(GVariant) v = device_property(f, path, name);
        gint64 got;

        if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT16))
                got = g_variant_get_uint16(v);
        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
                got = g_variant_get_uint32(v);
        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT32))
                got = g_variant_get_int32(v);
        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_BYTE))
                got = g_variant_get_byte(v);
        else
                got = g_variant_get_boolean(v);
        g_test_message("%s %s", path, name);
        g_assert_cmpint(got, ==, expected);
}

static const char *state_of(const TestbedFunction *t) {
        if (!t->driver)
                return "unbound";
        return g_str_equal(t->driver, "vfio-pci") ? "vfio" : "host";
}

static int compare_functions(const void *a, const void *b) {
        return g_strcmp0(((const TestbedFunction *) a)->address, ((const TestbedFunction *) b)->address);
}

/* The rows of ListDevices are exactly the testbed's functions, sorted by address: nothing
 * from the real /sys of the machine running the test. */
static void assert_rows_match(GVariant *reply, const TestbedFunction *functions, size_t n) {
        g_autofree TestbedFunction *sorted = g_memdup2(functions, n * sizeof(TestbedFunction));
        g_autoptr(GVariantIter) iter = NULL;
        const char *address, *class_name, *vendor_name, *device_name, *driver, *state;
        guint16 vendor, device;
        guint32 class_code;
        gint32 group;
        size_t i = 0;

        qsort(sorted, n, sizeof(TestbedFunction), compare_functions);
        g_variant_get(reply, "(a" PASSTHRU_DEVICE_ROW_SIGNATURE ")", &iter);
        g_assert_cmpuint(g_variant_iter_n_children(iter), ==, n);
        while (g_variant_iter_next(iter, "(&sqqu&s&s&s&si&s)", &address, &vendor, &device, &class_code,
                                   &class_name, &vendor_name, &device_name, &driver, &group, &state)) {
                const TestbedFunction *t = &sorted[i++];

                g_test_message("row %s", address);
                g_assert_cmpstr(address, ==, t->address);
                g_assert_cmphex(vendor, ==, t->vendor);
                g_assert_cmphex(device, ==, t->device);
                g_assert_cmphex(class_code, ==, t->class_code);
                g_assert_cmpstr(driver, ==, t->driver ?: "");
                g_assert_cmpint(group, ==, t->iommu_group);
                g_assert_cmpstr(state, ==, state_of(t));
        }
}

/* The names in the row for address. */
static void assert_row_names(GVariant *reply, const char *address, const char *class_name,
                             const char *vendor_name, const char *device_name) {
        g_autoptr(GVariantIter) iter = NULL;
        const char *a, *c, *v, *d;

        g_variant_get(reply, "(a" PASSTHRU_DEVICE_ROW_SIGNATURE ")", &iter);
        while (g_variant_iter_next(iter, "(&sqqu&s&s&s&si&s)", &a, NULL, NULL, NULL, &c, &v, &d, NULL, NULL,
                                   NULL))
                if (g_str_equal(a, address)) {
                        g_assert_cmpstr(c, ==, class_name);
                        g_assert_cmpstr(v, ==, vendor_name);
                        g_assert_cmpstr(d, ==, device_name);
                        return;
                }
        g_error("No row for %s", address);
}

static size_t n_rows(GVariant *reply);

/* ListDevicesPacked holds the rows of ListDevices column by column, each distinct string
 * once in its table. */
static void assert_packed_matches_rows(DaemonFixture *f) {
        g_autoptr(GVariant) rows = list_devices(f);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) packed = call_manager(f, "ListDevicesPacked", NULL,
                                                  "(" PASSTHRU_DEVICE_COLUMNS_SIGNATURE ")", &error);
        GVariant *columns[11];
        g_autofree const char **strings = NULL;
        const guint64 *addresses;
        const guint16 *vendors, *devices;
        const guint32 *classes, *names[_PASSTHRU_NAME_MAX];
        const gint32 *groups;
        gsize n_strings, n, k;
        g_autoptr(GVariantIter) iter = NULL;
        const char *address, *row_names[_PASSTHRU_NAME_MAX];
        guint16 vendor, device;
        guint32 class_code;
        gint32 group;
        size_t i = 0;

        g_assert_no_error(error);
        for (size_t c = 0; c < G_N_ELEMENTS(columns); c++)
                columns[c] = g_variant_get_child_value(packed, c);
        strings = g_variant_get_strv(columns[0], &n_strings);
        for (size_t a = 0; a < n_strings; a++)
                for (size_t b = a + 1; b < n_strings; b++)
                        g_assert_cmpstr(strings[a], !=, strings[b]);
        addresses = g_variant_get_fixed_array(columns[1], &n, sizeof(guint64));
        g_assert_cmpuint(n, ==, n_rows(rows));
        vendors = g_variant_get_fixed_array(columns[2], &k, sizeof(guint16));
        g_assert_cmpuint(k, ==, n);
        devices = g_variant_get_fixed_array(columns[3], &k, sizeof(guint16));
        g_assert_cmpuint(k, ==, n);
        classes = g_variant_get_fixed_array(columns[4], &k, sizeof(guint32));
        g_assert_cmpuint(k, ==, n);
        groups = g_variant_get_fixed_array(columns[5], &k, sizeof(gint32));
        g_assert_cmpuint(k, ==, n);
        for (size_t c = 0; c < G_N_ELEMENTS(names); c++) {
                names[c] = g_variant_get_fixed_array(columns[6 + c], &k, sizeof(guint32));
                g_assert_cmpuint(k, ==, n);
        }

        g_variant_get(rows, "(a" PASSTHRU_DEVICE_ROW_SIGNATURE ")", &iter);
        while (g_variant_iter_next(iter, "(&sqqu&s&s&s&si&s)", &address, &vendor, &device, &class_code,
                                   &row_names[0], &row_names[1], &row_names[2], &row_names[3], &group,
                                   &row_names[4])) {
                guint64 a = addresses[i];
                g_autofree char *formatted = g_strdup_printf("%04x:%02x:%02x.%x", (unsigned) (a >> 16),
                                                             (unsigned) (a >> 8) & 0xff,
                                                             (unsigned) (a >> 3) & 0x1f, (unsigned) a & 7);

                g_assert_cmpuint(a >> 48, ==, 0);
                g_assert_cmpstr(formatted, ==, address);
                g_assert_cmphex(vendors[i], ==, vendor);
                g_assert_cmphex(devices[i], ==, device);
                g_assert_cmphex(classes[i], ==, class_code);
                g_assert_cmpint(groups[i], ==, group);
                for (size_t c = 0; c < G_N_ELEMENTS(names); c++) {
                        g_assert_cmpuint(names[c][i], <, n_strings);
                        g_assert_cmpstr(strings[names[c][i]], ==, row_names[c]);
                }
                i++;
        }
        g_assert_cmpuint(i, ==, n);
        for (size_t c = 0; c < G_N_ELEMENTS(columns); c++)
                g_variant_unref(columns[c]);
}

/* ListGroups says what the group objects and ListDevices say: every group by number, its
 * viability, its members by address with their driver, state, names and IDs. */
static void assert_list_groups_match(DaemonFixture *f) {
        g_autoptr(GVariant) rows = list_devices(f);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply =
                call_manager(f, "ListGroups", NULL, "(a" PASSTHRU_GROUP_ROW_SIGNATURE ")", &error);
        g_autoptr(GVariant) objects = harness_call(f->h, PASSTHRU_ROOT_PATH, OBJECT_MANAGER,
                                                   "GetManagedObjects", NULL, "(a{oa{sa{sv}}})", NULL);
        g_autoptr(GHashTable) by_address =
                g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) g_variant_unref);
        g_autoptr(GVariantIter) groups = NULL, row_iter = NULL;
        GVariantIter *members;
        GVariant *row;
        size_t n_objects = 0, n_groups = 0;
        gint32 number, previous = -1;
        gboolean viable;

        g_assert_no_error(error);
        g_variant_get(rows, "(a" PASSTHRU_DEVICE_ROW_SIGNATURE ")", &row_iter);
        while ((row = g_variant_iter_next_value(row_iter))) {
                const char *address;

                g_variant_get_child(row, 0, "&s", &address);
                g_hash_table_insert(by_address, (gpointer) address, row);
        }
        {
                g_autoptr(GVariant) all = g_variant_get_child_value(objects, 0);
                GVariantIter iter;
                GVariant *interfaces;

                g_variant_iter_init(&iter, all);
                while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", NULL, &interfaces)) {
                        n_objects += g_variant_lookup(interfaces, PASSTHRU_GROUP_INTERFACE, "@a{sv}", NULL);
                        g_variant_unref(interfaces);
                }
        }

        g_variant_get(reply, "(a" PASSTHRU_GROUP_ROW_SIGNATURE ")", &groups);
        while (g_variant_iter_next(groups, "(iba(sssssqq))", &number, &viable, &members)) {
                g_autofree char *path = g_strdup_printf(PASSTHRU_GROUPS_PATH "/%d", number);
                g_autoptr(GVariant) v = harness_get_property(f->h, path, PASSTHRU_GROUP_INTERFACE, "Viable");
                g_autoptr(GVariant) paths_v =
                        harness_get_property(f->h, path, PASSTHRU_GROUP_INTERFACE, "Devices");
                g_autofree const char **paths = g_variant_get_objv(paths_v, NULL);
                const char *address, *driver, *state, *vendor_name, *device_name;
                guint16 vendor, device;
                size_t m = 0;

                g_test_message("ListGroups: group %d", number);
                g_assert_cmpint(number, >, previous);
                previous = number;
                g_assert_cmpint(viable, ==, g_variant_get_boolean(v));
                while (g_variant_iter_next(members, "(&s&s&s&s&sqq)", &address, &driver, &state,
                                           &vendor_name, &device_name, &vendor, &device)) {
                        GVariant *r = g_hash_table_lookup(by_address, address);
                        const char *rd, *rs, *rv, *rn;
                        guint16 rvid, rdid;
                        g_autofree char *member_path = NULL;

                        g_assert_nonnull(r);
                        g_assert_nonnull(paths[m]);
                        member_path = g_strdup_printf(PASSTHRU_DEVICES_PATH "/%s", address);
                        g_strdelimit(member_path + strlen(PASSTHRU_DEVICES_PATH "/"), ":.", '_');
                        g_assert_cmpstr(paths[m], ==, member_path);
                        g_variant_get(r, "(&sqqu&s&s&s&si&s)", NULL, &rvid, &rdid, NULL, NULL, &rv, &rn, &rd,
                                      NULL, &rs);
                        g_assert_cmpstr(driver, ==, rd);
                        g_assert_cmpstr(state, ==, rs);
                        g_assert_cmpstr(vendor_name, ==, rv);
                        g_assert_cmpstr(device_name, ==, rn);
                        g_assert_cmphex(vendor, ==, rvid);
                        g_assert_cmphex(device, ==, rdid);
                        m++;
                }
                g_variant_iter_free(members);
                g_assert_null(paths[m]);
                n_groups++;
        }
        g_assert_cmpuint(n_groups, ==, n_objects);
}

static void test_list_devices(DaemonFixture *f, gconstpointer data) {
        g_autoptr(GVariant) reply = list_devices(f);

        assert_rows_match(reply, testbed_host, testbed_host_len);
        g_autofree char *aspeed_vendor = hwdb_vendor_name(0x1a03);
        g_autofree char *aspeed_device = hwdb_device_name(0x1a03, 0x2000);

        /* Names come from the fixture pci.ids; IDs it does not know from the hwdb, else empty. */
        assert_row_names(reply, GPU, "VGA compatible controller", "NVIDIA Corporation",
                         "GP104 [GeForce GTX 1080]");
        assert_row_names(reply, NVME, "Non-Volatile memory controller", "Samsung Electronics Co Ltd",
                         "NVMe SSD Controller SM981/PM981/PM983");
        assert_row_names(reply, "0000:07:01.0", "VGA compatible controller", aspeed_vendor ?: "",
                         aspeed_device ?: "");
        assert_packed_matches_rows(f);
}

static void test_get_device(DaemonFixture *f, gconstpointer data) {
        static const char *const spellings[] = { GPU, "01:00.0", "00000000:01:00.0" };

        for (size_t i = 0; i < G_N_ELEMENTS(spellings); i++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *path = get_device(f, spellings[i], &error);

                g_assert_no_error(error);
                g_assert_cmpstr(path, ==, GPU_PATH);
        }
        for (size_t i = 0; i < testbed_host_len; i++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *path = get_device(f, testbed_host[i].address, &error);
                g_autoptr(GVariant) address = NULL;

                g_assert_no_error(error);
                address = device_property(f, path, "Address");
                g_assert_cmpstr(g_variant_get_string(address, NULL), ==, testbed_host[i].address);
        }
        {
                g_autoptr(GError) error = NULL;
                g_autofree char *path = get_device(f, "0000:0A:1F.7", &error);
                g_autofree char *remote = NULL;

                /* Upper case parses; the function just is not there. */
                g_assert_null(path);
                remote = g_dbus_error_get_remote_error(error);
                g_assert_cmpstr(remote, ==, PASSTHRU_ERROR_NO_SUCH_DEVICE);
        }
}

static void assert_bad_address(DaemonFixture *f, const char *address, const char *expected_error) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = get_device(f, address, &error);
        g_autofree char *remote = NULL;
        g_autofree char *shown = g_strndup(address, 40);

        g_test_message("GetDevice(\"%s\")", shown);
        g_assert_null(path);
        g_assert_nonnull(error);
        remote = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(remote, ==, expected_error);
        g_dbus_error_strip_remote_error(error);
        /* A sentence for a person, which does not echo what the client sent. */
        g_assert_cmpuint(strlen(error->message), >, 20);
        g_assert_cmpuint(strlen(error->message), <, 300);
        g_assert_null(strchr(error->message, '\n'));
        g_assert_null(strstr(error->message, "../"));
        g_assert_null(strstr(error->message, "zz"));
}

static void test_get_device_errors(DaemonFixture *f, gconstpointer data) {
        static const char *const invalid[] = {
                "../../x",      "0000:00:1f.8",  "zz",       "",
                "0000:00:20.0", "0000:01:00.0x", " 01:00.0", "0000:01:00.0/../../../bus",
                "01:00.0\n",
        };
        g_autofree char *huge = g_strnfill(10 * 1024, '0');
        g_autoptr(GError) error = NULL;
        g_autofree char *path = NULL;

        for (size_t i = 0; i < G_N_ELEMENTS(invalid); i++)
                assert_bad_address(f, invalid[i], PASSTHRU_ERROR_INVALID_ADDRESS);
        assert_bad_address(f, huge, PASSTHRU_ERROR_INVALID_ADDRESS);
        memcpy(huge, "0000:01:00.0", strlen("0000:01:00.0"));
        assert_bad_address(f, huge, PASSTHRU_ERROR_INVALID_ADDRESS);
        assert_bad_address(f, "0000:09:00.0", PASSTHRU_ERROR_NO_SUCH_DEVICE);
        assert_bad_address(f, "ffff:ff:1f.7", PASSTHRU_ERROR_NO_SUCH_DEVICE);

        /* The message names the function in canonical form, whatever the spelling. */
        path = get_device(f, "09:00.0", &error);
        g_assert_null(path);
        g_dbus_error_strip_remote_error(error);
        g_assert_nonnull(strstr(error->message, "0000:09:00.0"));
        g_clear_error(&error);

        /* Wrong argument types are refused by the bus layer, not crashed on. */
        g_assert_null(call_manager(f, "GetDevice", g_variant_new("(u)", 1), NULL, &error));
        g_assert_nonnull(error);
        g_clear_error(&error);
        g_assert_null(call_manager(f, "NoSuchMethod", NULL, NULL, &error));
        g_assert_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
}

static void test_device_properties(DaemonFixture *f, gconstpointer data) {
        g_autofree char *aspeed_vendor = hwdb_vendor_name(0x1a03);

        assert_property_string(f, GPU_PATH, "Address", GPU);
        assert_property_int(f, GPU_PATH, "VendorId", 0x10de);
        assert_property_int(f, GPU_PATH, "DeviceId", 0x1b80);
        assert_property_int(f, GPU_PATH, "SubsystemVendorId", 0x1043);
        assert_property_int(f, GPU_PATH, "SubsystemDeviceId", 0x85aa);
        assert_property_int(f, GPU_PATH, "Class", 0x030000);
        assert_property_int(f, GPU_PATH, "Revision", 0xa1);
        assert_property_string(f, GPU_PATH, "VendorName", "NVIDIA Corporation");
        assert_property_string(f, GPU_PATH, "DeviceName", "GP104 [GeForce GTX 1080]");
        assert_property_string(f, GPU_PATH, "SubsystemName", "GeForce GTX 1080 Founders Edition");
        assert_property_string(f, GPU_PATH, "ClassName", "VGA compatible controller");
        assert_property_string(f, GPU_PATH, "Modalias",
                               "pci:v000010DEd00001B80sv00001043sd000085AAbc03sc00i00");
        assert_property_strv(f, GPU_PATH, "KernelModules",
                             (const char *const[]){ "nouveau", "nvidiafb", NULL });
        assert_property_string(f, GPU_PATH, "Driver", "nouveau");
        assert_property_string(f, GPU_PATH, "DriverOverride", "");
        assert_property_string(f, GPU_PATH, "OriginalDriver", "");
        assert_property_int(f, GPU_PATH, "IommuGroup", 1);
        assert_property_int(f, GPU_PATH, "BootVga", TRUE);
        assert_property_int(f, GPU_PATH, "Bridge", FALSE);
        assert_property_int(f, GPU_PATH, "Persistent", FALSE);
        assert_property_string(f, GPU_PATH, "State", "host");
        assert_property_int(f, GPU_PATH, "Assignable", FALSE);
        assert_property_strv(f, GPU_PATH, "ResetMethods", (const char *const[]){ "bus", NULL });
        assert_property_string(f, GPU_PATH, "PhysicalFunction", "");
        assert_property_strv(f, GPU_PATH, "VirtualFunctions", (const char *const[]){ NULL });
        assert_property_int(f, GPU_PATH, "NumaNode", -1);
        {
                g_autoptr(GVariant) blockers = device_property(f, GPU_PATH, "Blockers");
                const char *reason;

                g_assert_cmpuint(g_variant_n_children(blockers), ==, 1);
                g_variant_get_child(blockers, 0, "&s", &reason);
                g_assert_nonnull(strstr(reason, "boot VGA"));
        }

        assert_property_strv(f, PF_PATH, "VirtualFunctions",
                             (const char *const[]){ "0000:03:10.0", VF1, NULL });
        assert_property_int(f, PF_PATH, "NumVfs", 2);
        assert_property_int(f, PF_PATH, "TotalVfs", 7);
        assert_property_int(f, PF_PATH, "NumaNode", 0);
        assert_property_int(f, PF_PATH, "Assignable", FALSE);
        assert_property_string(f, PASSTHRU_DEVICES_PATH "/0000_03_10_4", "PhysicalFunction", "0000:03:00.0");
        assert_property_string(f, PASSTHRU_DEVICES_PATH "/0000_03_10_4", "State", "vfio");
        assert_property_int(f, PASSTHRU_DEVICES_PATH "/0000_03_10_4", "Assignable", TRUE);
        assert_property_strv(f, NVME_PATH, "KernelModules", (const char *const[]){ "nvme", NULL });
        assert_property_strv(f, NVME_PATH, "ResetMethods", (const char *const[]){ "flr", "bus", NULL });
        assert_property_strv(f, NVME_PATH, "Blockers", (const char *const[]){ NULL });
        assert_property_int(f, PASSTHRU_DEVICES_PATH "/0000_05_08_0", "Bridge", TRUE);
        assert_property_string(f, PASSTHRU_DEVICES_PATH "/0000_07_01_0", "State", "unbound");
        assert_property_string(f, PASSTHRU_DEVICES_PATH "/0000_07_01_0", "VendorName", aspeed_vendor ?: "");
        assert_property_strv(f, PASSTHRU_DEVICES_PATH "/0000_07_01_0", "KernelModules",
                             (const char *const[]){ "ast", NULL });
}

static void test_unknown_objects(DaemonFixture *f, gconstpointer data) {
        static const struct {
                const char *path, *interface;
        } objects[] = {
                { PASSTHRU_DEVICES_PATH "/0000_09_00_0", PASSTHRU_DEVICE_INTERFACE },
                { PASSTHRU_DEVICES_PATH "/01_00_0", PASSTHRU_DEVICE_INTERFACE },
                { PASSTHRU_DEVICES_PATH "/0000_01_00_8", PASSTHRU_DEVICE_INTERFACE },
                { PASSTHRU_DEVICES_PATH "/0000_01_00_0_", PASSTHRU_DEVICE_INTERFACE },
                /* Only the canonical spelling names a function. */
                { PASSTHRU_DEVICES_PATH "/00000000_01_00_0", PASSTHRU_DEVICE_INTERFACE },
                { PASSTHRU_DEVICES_PATH "/0000_03_10_4", PASSTHRU_GROUP_INTERFACE },
                { PASSTHRU_GROUPS_PATH "/99", PASSTHRU_GROUP_INTERFACE },
                { PASSTHRU_GROUPS_PATH "/0", PASSTHRU_GROUP_INTERFACE },
                { PASSTHRU_GROUPS_PATH "/01", PASSTHRU_GROUP_INTERFACE }, /* only "/1" is group 1 */
                { PASSTHRU_GROUPS_PATH "/1x", PASSTHRU_GROUP_INTERFACE },
                { PASSTHRU_GROUPS_PATH "/99999999999999999999", PASSTHRU_GROUP_INTERFACE },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(objects); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) reply =
                        harness_call(f->h, objects[i].path, PROPERTIES, "GetAll",
                                     g_variant_new("(s)", objects[i].interface), NULL, &error);

                g_test_message("object %s %s", objects[i].path, objects[i].interface);
                g_assert_null(reply);
                g_assert_nonnull(error);
        }
}

static GVariant *group_property(DaemonFixture *f, int number, const char *name) {
        g_autofree char *path = g_strdup_printf(PASSTHRU_GROUPS_PATH "/%d", number);

        return harness_get_property(f->h, path, PASSTHRU_GROUP_INTERFACE, name);
}

static void assert_group(DaemonFixture *f, int number, const char *const *members, gboolean viable) {
        g_autoptr(GVariant) n = group_property(f, number, "Number");
        g_autoptr(GVariant) devices = group_property(f, number, "Devices");
        g_autoptr(GVariant) v = group_property(f, number, "Viable");
        g_autofree const char **paths = g_variant_get_objv(devices, NULL);

        g_test_message("group %d", number);
        g_assert_cmpint(g_variant_get_int32(n), ==, number);
        g_assert_cmpstrv(paths, members);
        g_assert_cmpint(g_variant_get_boolean(v), ==, viable);
}

static void test_groups(DaemonFixture *f, gconstpointer data) {
        g_autoptr(GVariant) enabled = harness_get_property(f->h, PASSTHRU_MANAGER_PATH,
                                                           PASSTHRU_MANAGER_INTERFACE, "IommuEnabled");
        g_autoptr(GVariant) status =
                harness_get_property(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "HostStatus");
        g_autoptr(GVariant) version =
                harness_get_property(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "Version");

        g_assert_true(g_variant_get_boolean(enabled));
        /* The rest of the host checks read the real host: any of the three. */
        g_assert_true(g_strv_contains((const char *const[]){ "ready", "degraded", "not-ready", NULL },
                                      g_variant_get_string(status, NULL)));
        g_assert_cmpstr(g_variant_get_string(version, NULL), !=, "");
        assert_group(f, 1,
                     (const char *const[]){ PASSTHRU_DEVICES_PATH "/0000_00_01_0", GPU_PATH,
                                            PASSTHRU_DEVICES_PATH "/0000_01_00_1", NULL },
                     FALSE);
        /* Bridges alone: nothing in it a VM could take, they stay with the host. */
        assert_group(f, 2, (const char *const[]){ PASSTHRU_DEVICES_PATH "/0000_00_1c_0", NULL }, FALSE);
        assert_group(f, 3, (const char *const[]){ PF_PATH, NULL }, FALSE);
        assert_group(f, 5, (const char *const[]){ PASSTHRU_DEVICES_PATH "/0000_03_10_4", NULL }, TRUE);
        assert_group(f, 9, (const char *const[]){ NVME_PATH, NULL }, FALSE);
        assert_group(f, 10,
                     (const char *const[]){ PASSTHRU_DEVICES_PATH "/0000_00_1e_0",
                                            PASSTHRU_DEVICES_PATH "/0000_07_00_0",
                                            PASSTHRU_DEVICES_PATH "/0000_07_01_0", NULL },
                     FALSE);
        assert_list_groups_match(f);
}

static void test_managed_objects(DaemonFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(f->h, PASSTHRU_ROOT_PATH, OBJECT_MANAGER,
                                                 "GetManagedObjects", NULL, "(a{oa{sa{sv}}})", &error);
        g_autoptr(GVariant) objects = NULL;
        g_autoptr(GVariant) manager = NULL;
        size_t n_devices = 0, n_groups = 0;
        GVariantIter iter;
        const char *path;
        GVariant *interfaces;

        g_assert_no_error(error);
        objects = g_variant_get_child_value(reply, 0);
        g_variant_iter_init(&iter, objects);
        while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", &path, &interfaces)) {
                g_autoptr(GVariant) props = NULL;

                if (g_str_has_prefix(path, PASSTHRU_DEVICES_PATH "/")) {
                        const char *address;

                        props = g_variant_lookup_value(interfaces, PASSTHRU_DEVICE_INTERFACE, NULL);
                        g_assert_nonnull(props);
                        g_assert_true(g_variant_lookup(props, "Address", "&s", &address));
                        g_assert_nonnull(testbed_host_find(address));
                        g_assert_true(g_variant_lookup(props, "KernelModules", "as", NULL));
                        n_devices++;
                } else if (g_str_has_prefix(path, PASSTHRU_GROUPS_PATH "/")) {
                        props = g_variant_lookup_value(interfaces, PASSTHRU_GROUP_INTERFACE, NULL);
                        g_assert_nonnull(props);
                        g_assert_true(g_variant_lookup(props, "Viable", "b", NULL));
                        n_groups++;
                }
                g_variant_unref(interfaces);
        }
        g_assert_cmpuint(n_devices, ==, testbed_host_len);
        g_assert_cmpuint(n_groups, ==, 10);
        manager = g_variant_lookup_value(objects, PASSTHRU_MANAGER_PATH, NULL);
        g_assert_nonnull(manager);
        g_assert_true(g_variant_lookup(manager, PASSTHRU_MANAGER_INTERFACE, "a{sv}", NULL));
}

static TestbedFunction *host_without_iommu(void) {
        TestbedFunction *functions = host_copy(0);

        for (size_t i = 0; i < testbed_host_len; i++)
                functions[i].iommu_group = -1;
        return functions;
}

static void test_no_iommu(DaemonFixture *f, gconstpointer data) {
        g_autoptr(GVariant) enabled = harness_get_property(f->h, PASSTHRU_MANAGER_PATH,
                                                           PASSTHRU_MANAGER_INTERFACE, "IommuEnabled");
        g_autoptr(GVariant) status =
                harness_get_property(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "HostStatus");
        g_autoptr(GVariant) reply = list_devices(f);
        g_autoptr(GVariant) blockers = device_property(f, NVME_PATH, "Blockers");
        g_autofree TestbedFunction *expected = host_without_iommu();
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) group = NULL;
        const char *reason;

        g_assert_false(g_variant_get_boolean(enabled));
        g_assert_cmpstr(g_variant_get_string(status, NULL), ==, "not-ready");
        assert_rows_match(reply, expected, testbed_host_len);
        assert_packed_matches_rows(f);
        /* No group objects, no rows. */
        assert_list_groups_match(f);
        g_assert_cmpuint(g_variant_n_children(blockers), ==, 1);
        g_variant_get_child(blockers, 0, "&s", &reason);
        g_assert_nonnull(strstr(reason, "IOMMU"));
        group = harness_call(f->h, PASSTHRU_GROUPS_PATH "/9", PROPERTIES, "GetAll",
                             g_variant_new("(s)", PASSTHRU_GROUP_INTERFACE), NULL, &error);
        g_assert_null(group);
        g_assert_nonnull(error);
}

static void assert_added(GVariant *interfaces_added, const char *path, const char *interface) {
        const char *added;
        g_autoptr(GVariant) interfaces = NULL;

        g_variant_get(interfaces_added, "(&o@a{sa{sv}})", &added, &interfaces);
        g_assert_cmpstr(added, ==, path);
        g_assert_true(g_variant_lookup(interfaces, interface, "a{sv}", NULL));
}

static void assert_removed(GVariant *interfaces_removed, const char *path, const char *interface) {
        const char *removed;
        g_autofree const char **interfaces = NULL;

        g_variant_get(interfaces_removed, "(&o^a&s)", &removed, &interfaces);
        g_assert_cmpstr(removed, ==, path);
        g_assert_true(g_strv_contains(interfaces, interface));
}

static void assert_driver_changed(GVariant *signal, const char *address, const char *old, const char *new) {
        const char *a, *o, *n;

        g_variant_get(signal, "(&s&s&s)", &a, &o, &n);
        g_assert_cmpstr(a, ==, address);
        g_assert_cmpstr(o, ==, old);
        g_assert_cmpstr(n, ==, new);
}

/* PropertiesChanged carries name with the expected value (a floating reference, taken). */
static void assert_changed(GVariant *properties_changed, const char *interface, const char *name,
                           GVariant *expected) {
        g_autoptr(GVariant) owned = g_variant_ref_sink(expected);
        g_autoptr(GVariant) changed = NULL;
        g_autoptr(GVariant) value = NULL;
        g_autofree char *all = NULL;
        const char *iface;

        g_variant_get(properties_changed, "(&s@a{sv}as)", &iface, &changed, NULL);
        g_assert_cmpstr(iface, ==, interface);
        all = g_variant_print(changed, TRUE);
        value = g_variant_lookup_value(changed, name, g_variant_get_type(owned));
        if (!value || !g_variant_equal(value, owned))
                g_error("PropertiesChanged on %s without %s as expected: %s", interface, name, all);
}

/* Moves the driver link as the kernel would and sends its event; the daemon must say
 * DriverChanged and PropertiesChanged(Driver, State). */
static void change_driver(DaemonFixture *f, const char *address, const char *path, const char *old,
                          const char *new, const char *state) {
        g_autoptr(GVariant) changed = NULL, props = NULL;

        testbed_set_driver(f->tb, address, *new ? new : NULL);
        testbed_uevent(f->tb, address, *new ? "bind" : "unbind");
        changed = harness_wait_signal(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                      "DriverChanged");
        assert_driver_changed(changed, address, old, new);
        props = harness_wait_signal(f->h, path, PROPERTIES, "PropertiesChanged");
        assert_changed(props, PASSTHRU_DEVICE_INTERFACE, "Driver", g_variant_new_string(new));
        assert_changed(props, PASSTHRU_DEVICE_INTERFACE, "State", g_variant_new_string(state));
}

/* Manager.DeviceAdded or DeviceRemoved (o device, s address). */
static void wait_device_signal(DaemonFixture *f, const char *member, const char *path, const char *address) {
        g_autoptr(GVariant) signal =
                harness_wait_signal(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, member);
        const char *p, *a;

        g_variant_get(signal, "(&o&s)", &p, &a);
        g_assert_cmpstr(p, ==, path);
        g_assert_cmpstr(a, ==, address);
}

static void test_hotplug(DaemonFixture *f, gconstpointer data) {
        g_autoptr(GVariant) added = NULL, group_added = NULL, removed = NULL;
        g_autoptr(GVariant) group_removed = NULL, before = NULL, after = NULL;
        g_autoptr(GVariant) gone = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *remote = NULL;
        g_autofree TestbedFunction *all = host_copy(1);

        TestbedFunction unbound = testbed_hotplug_nic;

        /* The "add" event comes from umockdev; the driver binds afterwards, as on a host. */
        unbound.driver = NULL;
        testbed_add(f->tb, &unbound);
        testbed_assert_contained(f->tb);

        added = harness_wait_signal(f->h, PASSTHRU_ROOT_PATH, OBJECT_MANAGER, "InterfacesAdded");
        assert_added(added, HOTPLUG_PATH, PASSTHRU_DEVICE_INTERFACE);
        wait_device_signal(f, "DeviceAdded", HOTPLUG_PATH, testbed_hotplug_nic.address);
        group_added = harness_wait_signal(f->h, PASSTHRU_ROOT_PATH, OBJECT_MANAGER, "InterfacesAdded");
        assert_added(group_added, PASSTHRU_GROUPS_PATH "/11", PASSTHRU_GROUP_INTERFACE);

        assert_property_string(f, HOTPLUG_PATH, "State", "unbound");
        change_driver(f, testbed_hotplug_nic.address, HOTPLUG_PATH, "", "e1000e", "host");

        all[testbed_host_len] = testbed_hotplug_nic;
        before = list_devices(f);
        assert_rows_match(before, all, testbed_host_len + 1);
        assert_property_strv(f, HOTPLUG_PATH, "KernelModules", (const char *const[]){ "e1000e", NULL });
        assert_property_string(f, HOTPLUG_PATH, "DeviceName", "82574L Gigabit Network Connection");
        assert_property_int(f, HOTPLUG_PATH, "Assignable", TRUE);

        testbed_uevent(f->tb, testbed_hotplug_nic.address, "remove");
        testbed_remove(f->tb, testbed_hotplug_nic.address);
        removed = harness_wait_signal(f->h, PASSTHRU_ROOT_PATH, OBJECT_MANAGER, "InterfacesRemoved");
        assert_removed(removed, HOTPLUG_PATH, PASSTHRU_DEVICE_INTERFACE);
        wait_device_signal(f, "DeviceRemoved", HOTPLUG_PATH, testbed_hotplug_nic.address);
        group_removed = harness_wait_signal(f->h, PASSTHRU_ROOT_PATH, OBJECT_MANAGER, "InterfacesRemoved");
        assert_removed(group_removed, PASSTHRU_GROUPS_PATH "/11", PASSTHRU_GROUP_INTERFACE);

        after = list_devices(f);
        assert_rows_match(after, testbed_host, testbed_host_len);
        gone = call_manager(f, "GetDevice", g_variant_new("(s)", testbed_hotplug_nic.address), "(o)",
                            &error);
        g_assert_null(gone);
        remote = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(remote, ==, PASSTHRU_ERROR_NO_SUCH_DEVICE);
}

static void test_driver_change(DaemonFixture *f, gconstpointer data) {
        g_autoptr(GVariant) group_props = NULL;

        change_driver(f, NVME, NVME_PATH, "nvme", "", "unbound");
        /* With nvme gone, nothing holds group 9. */
        group_props = harness_wait_signal(f->h, PASSTHRU_GROUPS_PATH "/9", PROPERTIES, "PropertiesChanged");
        assert_changed(group_props, PASSTHRU_GROUP_INTERFACE, "Viable", g_variant_new_boolean(TRUE));

        change_driver(f, NVME, NVME_PATH, "", "vfio-pci", "vfio");
        assert_property_string(f, NVME_PATH, "State", "vfio");
        assert_property_string(f, NVME_PATH, "Driver", "vfio-pci");
        /* The listings follow the change. */
        assert_packed_matches_rows(f);
        assert_list_groups_match(f);
}

/* A "change" event that changes nothing is silent: the next signal is the one that follows. */
static void test_change_without_change(DaemonFixture *f, gconstpointer data) {
        g_autoptr(GVariant) group_props = NULL;

        testbed_uevent(f->tb, GPU, "change");
        change_driver(f, NVME, NVME_PATH, "nvme", "", "unbound");
        group_props = harness_wait_signal(f->h, PASSTHRU_GROUPS_PATH "/9", PROPERTIES, "PropertiesChanged");
        if (harness_pending_signals(f->h) != 0) {
                g_autofree char *pending = harness_describe_pending(f->h);

                g_error("Unexpected signals: %s", pending);
        }
}

/* Removing a VF changes its PF's VirtualFunctions. */
static void test_vf_removed(DaemonFixture *f, gconstpointer data) {
        g_autoptr(GVariant) removed = NULL, pf_changed = NULL;

        /* As the kernel does it: the PF's view changes before the event for the VF. */
        testbed_set_attr(f->tb, "0000:03:00.0", "sriov_numvfs", "1");
        testbed_remove_attr(f->tb, "0000:03:00.0", "virtfn1");
        testbed_uevent(f->tb, VF1, "remove");
        testbed_remove(f->tb, VF1);
        removed = harness_wait_signal(f->h, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                      "DeviceRemoved");
        pf_changed = harness_wait_signal(f->h, PF_PATH, PROPERTIES, "PropertiesChanged");
        assert_changed(pf_changed, PASSTHRU_DEVICE_INTERFACE, "VirtualFunctions",
                       g_variant_new_strv((const char *const[]){ "0000:03:10.0" }, 1));
        assert_changed(pf_changed, PASSTHRU_DEVICE_INTERFACE, "NumVfs", g_variant_new_uint32(1));
        assert_property_strv(f, PF_PATH, "VirtualFunctions", (const char *const[]){ "0000:03:10.0", NULL });
}

/* Without a console or display on it, the boot VGA is like any other GPU. */
static void test_boot_vga_headless(DaemonFixture *f, gconstpointer data) {
        assert_property_int(f, GPU_PATH, "BootVga", TRUE);
        assert_property_int(f, GPU_PATH, "Assignable", TRUE);
        assert_property_strv(f, GPU_PATH, "Blockers", (const char *const[]){ NULL });
}

static void headless_setup(DaemonFixture *f, gconstpointer data) {
        f->tb = testbed_new();
        testbed_set_console(f->tb, false);
        testbed_add_all(f->tb, testbed_host, testbed_host_len);
        f->h = harness_new(f->tb);
}

static size_t n_rows(GVariant *reply) {
        g_autoptr(GVariant) rows = g_variant_get_child_value(reply, 0);

        return g_variant_n_children(rows);
}

/* The GPU's driver_override holds a Latin-1 byte before the daemon starts (sysfs takes any
 * bytes); D-Bus takes only UTF-8. */
static void not_utf8_setup(DaemonFixture *f, gconstpointer data) {
        f->tb = testbed_new();
        testbed_set_console(f->tb, true);
        testbed_add_all(f->tb, testbed_host, testbed_host_len);
        testbed_set_attr(f->tb, GPU, "driver_override", "nouveau\xe9");
        f->h = harness_new(f->tb);
}

/* One device's bad byte breaks nobody's listing: it arrives escaped in ListDevices' rows,
 * GetManagedObjects, GetAll and PropertiesChanged. */
static void test_not_utf8(DaemonFixture *f, gconstpointer data) {
        g_autoptr(GVariant) rows = list_devices(f);
        g_autoptr(GVariant) all = NULL, objects = NULL, changed = NULL;
        g_autoptr(GVariant) rows_after = NULL;
        g_autoptr(GError) error = NULL;

        g_assert_cmpuint(n_rows(rows), ==, testbed_host_len);
        objects = harness_call(f->h, PASSTHRU_ROOT_PATH, OBJECT_MANAGER, "GetManagedObjects", NULL,
                               "(a{oa{sa{sv}}})", &error);
        g_assert_no_error(error);
        all = harness_call(f->h, GPU_PATH, PROPERTIES, "GetAll",
                           g_variant_new("(s)", PASSTHRU_DEVICE_INTERFACE), "(a{sv})", &error);
        g_assert_no_error(error);
        assert_property_string(f, GPU_PATH, "DriverOverride", "nouveau\\xe9");

        /* Written while the daemon runs, announced by an event. */
        testbed_set_attr(f->tb, NVME, "driver_override", "\xff");
        testbed_uevent(f->tb, NVME, "change");
        changed = harness_wait_signal(f->h, NVME_PATH, PROPERTIES, "PropertiesChanged");
        assert_changed(changed, PASSTHRU_DEVICE_INTERFACE, "DriverOverride", g_variant_new_string("\\xff"));
        rows_after = list_devices(f);
        g_assert_cmpuint(n_rows(rows_after), ==, testbed_host_len);
        assert_packed_matches_rows(f);
        assert_list_groups_match(f);
}

/* libpci stops reading pci.ids at its first malformed line (line 9 here). */
static const char damaged_ids[] = "# A pci.ids damaged on purpose\n"
                                  "10de  Fixture NVIDIA\n"
                                  "\t1b80  Fixture GP104\n"
                                  "\t\t1043 85aa  Fixture GTX 1080 FE\n"
                                  "C 03  Fixture display\n"
                                  "\t00  Fixture VGA\n"
                                  "8086  Fixture Intel\n"
                                  "\t10d3  Fixture 82574L\n"
                                  "\tzzzz  not an ID\n"
                                  "144d  Fixture Samsung\n"
                                  "\ta808  Fixture NVMe\n";

static void damaged_ids_setup(DaemonFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *arg = NULL;
        int fd;

        fd = g_file_open_tmp("passthru-damaged-XXXXXX.ids", &f->ids_path, &error);
        g_assert_no_error(error);
        g_assert_no_errno(close(fd));
        g_assert_true(g_file_set_contents(f->ids_path, damaged_ids, -1, &error));
        g_assert_no_error(error);
        arg = g_strconcat("--pci-ids=", f->ids_path, NULL);
        f->tb = testbed_new();
        testbed_add_all(f->tb, testbed_host, testbed_host_len);
        f->h = harness_new_with_args(f->tb, (const char *const[]){ arg, NULL });
}

/* A malformed pci.ids costs names, never the daemon (libpci's own error callback exits):
 * the names before the bad line are served, the ones after it come from the udev hwdb (or
 * are empty), and a hotplug, which makes libpci read the file again, is served too. */
static void test_damaged_ids(DaemonFixture *f, gconstpointer data) {
        g_autofree char *samsung = hwdb_vendor_name(0x144d);
        g_autofree char *nvme = hwdb_device_name(0x144d, 0xa808);
        g_autofree char *storage = hwdb_class_name(0x010802);
        g_autoptr(GVariant) rows = list_devices(f);
        g_autoptr(GVariant) added = NULL, after = NULL;

        assert_rows_match(rows, testbed_host, testbed_host_len);
        assert_row_names(rows, GPU, "Fixture VGA", "Fixture NVIDIA", "Fixture GP104");
        assert_property_string(f, GPU_PATH, "SubsystemName", "Fixture GTX 1080 FE");
        assert_row_names(rows, NVME, storage ?: "", samsung ?: "", nvme ?: "");
        g_assert_cmpstr(samsung, !=, "Fixture Samsung");

        testbed_add(f->tb, &testbed_hotplug_nic);
        added = harness_wait_signal(f->h, PASSTHRU_ROOT_PATH, OBJECT_MANAGER, "InterfacesAdded");
        assert_added(added, HOTPLUG_PATH, PASSTHRU_DEVICE_INTERFACE);
        assert_property_string(f, HOTPLUG_PATH, "VendorName", "Fixture Intel");
        assert_property_string(f, HOTPLUG_PATH, "DeviceName", "Fixture 82574L");
        after = list_devices(f);
        g_assert_cmpuint(n_rows(after), ==, testbed_host_len + 1);
}

#define ADD(path, func, host) g_test_add(path, DaemonFixture, host, fixture_setup, func, fixture_teardown)

/* Without its bus the daemon has no name and no purpose: it exits with a failure, so that
 * systemd's Restart=on-failure brings it back. */
static void test_bus_lost(DaemonFixture *f, gconstpointer data) {
        g_assert_cmpint(harness_lose_bus(f->h), ==, 1);
}

/* ---- arbitrary bodies ---- */

static const char *const option_keys[] = { "group",    "dry-run",   "force",   "driver",
                                           "persist",  "initramfs", "cmdline", "remove",
                                           "iommu-pt", "",          "\x01",    "grp" };

/* A string of up to 40 random bytes, made valid UTF-8 (D-Bus carries nothing else), or
 * something address-like, or a long run. */
static char *random_string(void) {
        switch (g_test_rand_int_range(0, 4)) {
        case 0: {
                guint8 bytes[40];
                int n = g_test_rand_int_range(0, 40);

                for (int i = 0; i < n; i++)
                        bytes[i] = g_test_rand_int_range(1, 256);
                return g_utf8_make_valid((const char *) bytes, n);
        }
        case 1:
                return g_strdup_printf("%04x:%02x:%02x.%d", g_test_rand_int_range(0, 3),
                                       g_test_rand_int_range(0, 10), g_test_rand_int_range(0, 32),
                                       g_test_rand_int_range(0, 9));
        case 2:
                return g_strnfill(g_test_rand_int_range(0, 70000), 'a' + g_test_rand_int_range(0, 26));
        default:
                return g_strdup(option_keys[g_test_rand_int_range(0, G_N_ELEMENTS(option_keys))]);
        }
}

static GVariant *random_value(int depth);

static GVariant *random_options(int depth) {
        GVariantBuilder b;
        int n = g_test_rand_int_range(0, 5);

        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        for (int i = 0; i < n; i++) {
                g_autofree char *key =
                        g_test_rand_bit()
                                ? g_strdup(option_keys[g_test_rand_int_range(0, G_N_ELEMENTS(option_keys))])
                                : random_string();

                g_variant_builder_add(&b, "{sv}", key, random_value(depth + 1));
        }
        return g_variant_builder_end(&b);
}

static GVariant *random_value(int depth) {
        switch (g_test_rand_int_range(0, depth > 2 ? 6 : 8)) {
        case 0: {
                g_autofree char *s = random_string();

                return g_variant_new_string(s);
        }
        case 1:
                return g_variant_new_boolean(g_test_rand_bit());
        case 2:
                return g_variant_new_uint32(g_test_rand_int());
        case 3:
                return g_variant_new_int32(g_test_rand_int());
        case 4:
                return g_variant_new_object_path(g_test_rand_bit() ? "/"
                                                                   : PASSTHRU_DEVICES_PATH "/0000_06_00_0");
        case 5: {
                guint8 bytes[16];

                for (size_t i = 0; i < sizeof(bytes); i++)
                        bytes[i] = g_test_rand_int_range(0, 256);
                return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, bytes, g_test_rand_int_range(0, 16),
                                                 1);
        }
        case 6:
                return random_options(depth);
        default:
                return g_variant_new_variant(random_value(depth + 1));
        }
}

/* Mostly the right shape with wrong contents, sometimes any shape at all. signature lists
 * the arguments: s a string, b a boolean, a an a{sv} of options. */
static GVariant *random_body(const char *signature) {
        GVariantBuilder b;
        int n;

        g_variant_builder_init(&b, G_VARIANT_TYPE_TUPLE);
        if (g_test_rand_int_range(0, 4) != 0) {
                for (const char *c = signature; *c; c++)
                        if (*c == 's') {
                                g_autofree char *s = random_string();

                                g_variant_builder_add_value(&b, g_variant_new_string(s));
                        } else if (*c == 'b')
                                g_variant_builder_add_value(&b, g_variant_new_boolean(g_test_rand_bit()));
                        else
                                g_variant_builder_add_value(&b, random_options(0));
                return g_variant_builder_end(&b);
        }
        n = g_test_rand_int_range(0, 4);
        for (int i = 0; i < n; i++)
                g_variant_builder_add_value(&b, random_value(0));
        return g_variant_builder_end(&b);
}

/* Every method of the Manager and of a device but ApplyBootConfig (whose dry run reads this
 * machine's boot files), fed arbitrary bodies: each call is answered
 * (most with a named error), the daemon keeps serving, and no device changes driver — the
 * calls come from a client polkit never authorizes (there is no polkit on this bus). */
static void test_arbitrary_bodies(DaemonFixture *f, gconstpointer data) {
        static const struct {
                const char *path, *interface, *method, *signature;
        } methods[] = {
                { PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "ListDevices", "" },
                { PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "ListDevicesPacked", "" },
                { PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "ListGroups", "" },
                { PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "GetDevice", "s" },
                { PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "Bind", "sa" },
                { PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "Unbind", "sa" },
                { PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "Persist", "sb" },
                { PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "GetConfig", "" },
                { PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, "CheckHost", "" },
                { NVME_PATH, PASSTHRU_DEVICE_INTERFACE, "Bind", "a" },
                { NVME_PATH, PASSTHRU_DEVICE_INTERFACE, "Unbind", "a" },
                { GPU_PATH, PASSTHRU_DEVICE_INTERFACE, "Bind", "a" },
                { NVME_PATH, PROPERTIES, "GetAll", "s" },
                { NVME_PATH, PROPERTIES, "Get", "ss" },
                { PASSTHRU_ROOT_PATH, OBJECT_MANAGER, "GetManagedObjects", "" },
        };
        g_autoptr(GVariant) before = list_devices(f), after = NULL;
        unsigned answered = 0, errors = 0;

        for (int i = 0; i < 1500; i++) {
                size_t m = g_test_rand_int_range(0, G_N_ELEMENTS(methods));
                /* CheckHost reads the host each time: seldom. */
                GVariant *body = random_body(methods[m].signature);
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) reply = NULL;

                if (g_str_equal(methods[m].method, "CheckHost") && i % 50 != 0) {
                        g_variant_unref(g_variant_ref_sink(body));
                        continue;
                }
                reply = harness_call(f->h, methods[m].path, methods[m].interface, methods[m].method, body,
                                     NULL, &error);
                answered++;
                errors += error != NULL;
                /* A timeout would mean a call left unanswered. */
                g_assert_false(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
        }
        g_test_message("%u calls answered, %u with an error", answered, errors);
        g_assert_cmpuint(errors, >, 0);
        after = list_devices(f);
        g_assert_true(g_variant_equal(before, after));
}

int main(int argc, char *argv[]) {
        g_autofree TestbedFunction *without_iommu = host_without_iommu();
        Host no_iommu = { without_iommu, testbed_host_len };

        g_test_init(&argc, &argv, NULL);
        if (harness_skip_all("/daemon"))
                return g_test_run();
        ADD("/daemon/list-devices", test_list_devices, NULL);
        ADD("/daemon/get-device", test_get_device, NULL);
        ADD("/daemon/get-device-errors", test_get_device_errors, NULL);
        ADD("/daemon/device-properties", test_device_properties, NULL);
        ADD("/daemon/unknown-objects", test_unknown_objects, NULL);
        ADD("/daemon/groups", test_groups, NULL);
        ADD("/daemon/managed-objects", test_managed_objects, NULL);
        ADD("/daemon/no-iommu", test_no_iommu, &no_iommu);
        g_test_add("/daemon/boot-vga-headless", DaemonFixture, NULL, headless_setup, test_boot_vga_headless,
                   fixture_teardown);
        g_test_add("/daemon/not-utf8", DaemonFixture, NULL, not_utf8_setup, test_not_utf8, fixture_teardown);
        g_test_add("/daemon/damaged-pci-ids", DaemonFixture, NULL, damaged_ids_setup, test_damaged_ids,
                   fixture_teardown);
        ADD("/daemon/hotplug", test_hotplug, NULL);
        ADD("/daemon/driver-change", test_driver_change, NULL);
        ADD("/daemon/change-without-change", test_change_without_change, NULL);
        ADD("/daemon/vf-removed", test_vf_removed, NULL);
        ADD("/daemon/bus-lost", test_bus_lost, NULL);
        ADD("/daemon/arbitrary-bodies", test_arbitrary_bodies, NULL);
        return g_test_run();
}
