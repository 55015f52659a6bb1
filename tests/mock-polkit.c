/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mock-polkit.h"
#include "harness.h"

#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"

static const char polkit_xml[] =
        "<node><interface name='" POLKIT_INTERFACE "'>"
        "<method name='CheckAuthorization'>"
        "<arg type='(sa{sv})' direction='in'/><arg type='s' direction='in'/>"
        "<arg type='a{ss}' direction='in'/><arg type='u' direction='in'/><arg type='s' direction='in'/>"
        "<arg type='(bba{ss})' direction='out'/>"
        "</method></interface></node>";

static void polkit_reply(GDBusMethodInvocation *invocation, PolkitMode mode) {
        if (mode == POLKIT_ERROR) {
                g_dbus_method_invocation_return_dbus_error(
                        invocation, "org.freedesktop.PolicyKit1.Error.Failed", "mock failure");
                return;
        }
        g_dbus_method_invocation_return_value(
                invocation,
                g_variant_new_parsed("((%b, %b, @a{ss} {}),)", mode == POLKIT_ALLOW || mode == POLKIT_HOLD,
                                     mode == POLKIT_CHALLENGE));
}

static void polkit_method(GDBusConnection *connection, const char *sender, const char *path,
                          const char *interface, const char *method, GVariant *parameters,
                          GDBusMethodInvocation *invocation, gpointer data) {
        MockPolkit *p = data;
        g_autoptr(GVariant) details = NULL;

        p->calls++;
        g_clear_pointer(&p->subject_kind, g_free);
        g_clear_pointer(&p->subject_name, g_free);
        g_clear_pointer(&p->action, g_free);
        g_variant_get(parameters, "((s@a{sv})s@a{ss}u&s)", &p->subject_kind, &details, &p->action, NULL,
                      &p->flags, NULL);
        g_variant_lookup(details, "name", "s", &p->subject_name);
        if (p->mode == POLKIT_HOLD) {
                g_assert_null(p->held);
                p->held = invocation;
                return;
        }
        if (p->mode == POLKIT_HOLD_ALL) {
                g_ptr_array_add(p->held_all, invocation);
                return;
        }
        polkit_reply(invocation, p->mode);
}

void mock_polkit_answer(MockPolkit *p, PolkitMode mode) {
        g_assert_nonnull(p->held);
        polkit_reply(g_steal_pointer(&p->held), mode);
}

void mock_polkit_answer_all(MockPolkit *p, PolkitMode mode) {
        while (p->held_all && p->held_all->len > 0)
                polkit_reply(g_ptr_array_steal_index(p->held_all, 0), mode);
}

static void on_polkit_name(GDBusConnection *connection, const char *name, gpointer data) {
        ((MockPolkit *) data)->owned = true;
}

static gboolean polkit_owned(gpointer data) {
        return ((MockPolkit *) data)->owned;
}

void mock_polkit_start(MockPolkit *p, GDBusConnection *connection, PolkitMode mode) {
        static const GDBusInterfaceVTable vtable = { .method_call = polkit_method };
        g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml(polkit_xml, NULL);
        g_autoptr(GError) error = NULL;

        *p = (MockPolkit){ .mode = mode, .held_all = g_ptr_array_new() };
        if (mode == POLKIT_ABSENT)
                return;
        g_assert_nonnull(info);
        p->registration = g_dbus_connection_register_object(connection, POLKIT_PATH, info->interfaces[0],
                                                            &vtable, p, NULL, &error);
        g_assert_no_error(error);
        p->owner = g_bus_own_name_on_connection(connection, POLKIT_NAME, G_BUS_NAME_OWNER_FLAGS_NONE,
                                                on_polkit_name, NULL, p, NULL);
        harness_wait_until(polkit_owned, p, "the mock polkit to own its name");
}

void mock_polkit_stop(MockPolkit *p, GDBusConnection *connection) {
        if (p->held)
                mock_polkit_answer(p, POLKIT_DENY);
        mock_polkit_answer_all(p, POLKIT_DENY);
        g_clear_pointer(&p->held_all, g_ptr_array_unref);
        if (p->registration)
                g_dbus_connection_unregister_object(connection, p->registration);
        if (p->owner)
                g_bus_unown_name(p->owner);
        g_free(p->subject_kind);
        g_free(p->subject_name);
        g_free(p->action);
        *p = (MockPolkit){};
}
