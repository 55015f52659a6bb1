/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Keeps dbus/org.passthru.Manager.xml honest: the built passthrud on a private bus over the
 * realistic testbed host (so device and group objects exist) is introspected, and any
 * difference from the committed XML in methods, arguments, signals, properties, types,
 * directions, access or annotations fails the test. Doc comments and the order of members
 * are not compared. */
#include "harness.h"
#include "passthru-dbus.h"
#include "testbed.h"

#define DEVICE_PATH PASSTHRU_DEVICES_PATH "/0000_01_00_0"
#define GROUP_PATH PASSTHRU_GROUPS_PATH "/1"
#define INTERFACE_XML "dbus/org.passthru.Manager.xml"

typedef struct {
        Testbed *tb;
        Harness *h;
        GDBusNodeInfo *reference;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data) {
        const char *path = g_test_get_filename(G_TEST_DIST, "..", INTERFACE_XML, NULL);
        g_autofree char *xml = NULL;
        g_autoptr(GError) error = NULL;

        g_assert_true(g_file_get_contents(path, &xml, NULL, &error));
        g_assert_no_error(error);
        f->reference = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);
        f->tb = testbed_new();
        testbed_add_all(f->tb, testbed_host, testbed_host_len);
        f->h = harness_new(f->tb);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        harness_free(f->h);
        testbed_free(f->tb);
        g_dbus_node_info_unref(f->reference);
}

static GDBusNodeInfo *introspect(Fixture *f, const char *path) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = harness_call(f->h, path, "org.freedesktop.DBus.Introspectable",
                                                 "Introspect", NULL, "(s)", &error);
        GDBusNodeInfo *node;
        const char *xml;

        g_assert_no_error(error);
        g_variant_get(reply, "(&s)", &xml);
        node = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);
        return node;
}

/* For g_ptr_array_sort(), which passes pointers to the elements. */
static int compare_strings(gconstpointer a, gconstpointer b) {
        return g_strcmp0(*(const char *const *) a, *(const char *const *) b);
}

static void append_annotations(GString *s, GDBusAnnotationInfo **annotations) {
        g_autoptr(GPtrArray) sorted = g_ptr_array_new_with_free_func(g_free);

        for (GDBusAnnotationInfo **a = annotations; a && *a; a++)
                g_ptr_array_add(sorted, g_strdup_printf("@%s=%s", (*a)->key, (*a)->value));
        g_ptr_array_sort(sorted, compare_strings);
        for (guint i = 0; i < sorted->len; i++)
                g_string_append_printf(s, " %s", (const char *) sorted->pdata[i]);
}

/* Arguments keep their order: it is part of the signature. */
static void append_args(GString *s, const char *direction, GDBusArgInfo **args) {
        for (GDBusArgInfo **a = args; a && *a; a++) {
                g_string_append_printf(s, " %s %s:%s", direction, (*a)->name, (*a)->signature);
                append_annotations(s, (*a)->annotations);
        }
}

/* One line per member, sorted, so the comparison ignores order and comments and a
 * difference names the member it is in. */
static GPtrArray *interface_lines(const GDBusInterfaceInfo *iface) {
        GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
        GString *s;

        s = g_string_new("interface");
        append_annotations(s, iface->annotations);
        g_ptr_array_add(lines, g_string_free(s, FALSE));
        for (GDBusMethodInfo **m = iface->methods; m && *m; m++) {
                s = g_string_new(NULL);
                g_string_append_printf(s, "method %s", (*m)->name);
                append_args(s, "in", (*m)->in_args);
                append_args(s, "out", (*m)->out_args);
                append_annotations(s, (*m)->annotations);
                g_ptr_array_add(lines, g_string_free(s, FALSE));
        }
        for (GDBusSignalInfo **sig = iface->signals; sig && *sig; sig++) {
                s = g_string_new(NULL);
                g_string_append_printf(s, "signal %s", (*sig)->name);
                append_args(s, "arg", (*sig)->args);
                append_annotations(s, (*sig)->annotations);
                g_ptr_array_add(lines, g_string_free(s, FALSE));
        }
        for (GDBusPropertyInfo **p = iface->properties; p && *p; p++) {
                s = g_string_new(NULL);
                g_string_append_printf(s, "property %s %s %s%s", (*p)->name, (*p)->signature,
                                       (*p)->flags & G_DBUS_PROPERTY_INFO_FLAGS_READABLE ? "read" : "",
                                       (*p)->flags & G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE ? "write" : "");
                append_annotations(s, (*p)->annotations);
                g_ptr_array_add(lines, g_string_free(s, FALSE));
        }
        g_ptr_array_sort(lines, compare_strings);
        return lines;
}

static gboolean lines_contain(GPtrArray *lines, const char *line) {
        return g_ptr_array_find_with_equal_func(lines, line, g_str_equal, NULL);
}

/* Appends every line one side has and the other lacks to diff, on one line: TAP readers
 * keep only the first line of a failure. */
static void append_missing(GString *diff, GPtrArray *have, GPtrArray *other, const char *message) {
        for (guint i = 0; i < have->len; i++)
                if (!lines_contain(other, have->pdata[i]))
                        g_string_append_printf(diff, " [%s: %s]", message, (const char *) have->pdata[i]);
}

static void assert_interface_matches(Fixture *f, const char *path, const char *interface) {
        g_autoptr(GDBusNodeInfo) live = introspect(f, path);
        GDBusInterfaceInfo *live_iface = g_dbus_node_info_lookup_interface(live, interface);
        GDBusInterfaceInfo *ref_iface = g_dbus_node_info_lookup_interface(f->reference, interface);
        g_autoptr(GPtrArray) live_lines = NULL, ref_lines = NULL;
        g_autoptr(GString) diff = g_string_new(NULL);

        g_assert_nonnull(live_iface);
        g_assert_nonnull(ref_iface);
        live_lines = interface_lines(live_iface);
        ref_lines = interface_lines(ref_iface);
        append_missing(diff, live_lines, ref_lines, "only in the daemon");
        append_missing(diff, ref_lines, live_lines, "only in " INTERFACE_XML);
        if (diff->len > 0)
                g_test_fail_printf("%s on %s differs from %s:%s", interface, path, INTERFACE_XML, diff->str);
}

static void test_manager(Fixture *f, gconstpointer data) {
        assert_interface_matches(f, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE);
}

static void test_device(Fixture *f, gconstpointer data) {
        assert_interface_matches(f, DEVICE_PATH, PASSTHRU_DEVICE_INTERFACE);
}

static void test_group(Fixture *f, gconstpointer data) {
        assert_interface_matches(f, GROUP_PATH, PASSTHRU_GROUP_INTERFACE);
}

static void add_passthru_interfaces(GHashTable *set, GDBusNodeInfo *node) {
        for (GDBusInterfaceInfo **i = node->interfaces; i && *i; i++)
                if (g_str_has_prefix((*i)->name, "org.passthru."))
                        g_hash_table_add(set, g_strdup((*i)->name));
}

/* The XML must describe every org.passthru interface the daemon exports, and nothing else:
 * a new interface, or a stale one left in the file, fails here. */
static void test_interface_set(Fixture *f, gconstpointer data) {
        const char *paths[] = { PASSTHRU_ROOT_PATH, PASSTHRU_MANAGER_PATH, DEVICE_PATH, GROUP_PATH };
        g_autoptr(GHashTable) live = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GHashTable) reference = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        GHashTableIter iter;
        const char *name;

        for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
                g_autoptr(GDBusNodeInfo) node = introspect(f, paths[i]);

                add_passthru_interfaces(live, node);
        }
        add_passthru_interfaces(reference, f->reference);
        /* Guards the comparison itself: the testbed gave us a device and a group. */
        g_assert_true(g_hash_table_contains(live, PASSTHRU_DEVICE_INTERFACE));
        g_assert_true(g_hash_table_contains(live, PASSTHRU_GROUP_INTERFACE));

        g_hash_table_iter_init(&iter, live);
        while (g_hash_table_iter_next(&iter, (gpointer *) &name, NULL))
                if (!g_hash_table_contains(reference, name))
                        g_test_fail_printf("The daemon exports %s, which %s lacks.", name, INTERFACE_XML);
        g_hash_table_iter_init(&iter, reference);
        while (g_hash_table_iter_next(&iter, (gpointer *) &name, NULL))
                if (!g_hash_table_contains(live, name))
                        g_test_fail_printf("%s describes %s, which the daemon does not export.",
                                           INTERFACE_XML, name);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        if (test_skip_all("/introspection", harness_unavailable_reason()))
                return g_test_run();
        g_test_add("/introspection/manager", Fixture, NULL, fixture_setup, test_manager, fixture_teardown);
        g_test_add("/introspection/device", Fixture, NULL, fixture_setup, test_device, fixture_teardown);
        g_test_add("/introspection/group", Fixture, NULL, fixture_setup, test_group, fixture_teardown);
        g_test_add("/introspection/interfaces", Fixture, NULL, fixture_setup, test_interface_set,
                   fixture_teardown);
        return g_test_run();
}
