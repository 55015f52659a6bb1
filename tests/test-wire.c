/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The front's D-Bus wire format (client/front/wire.c) against GLib's own: what the front
 * writes GDBus reads as the intended call, what GDBus writes (either byte order) the front
 * reads back, and truncated or damaged messages are refused. Also the bus addresses the
 * front speaks itself (client/front/transport.c). */
#include <errno.h>
#include <gio/gio.h>
#include <sys/un.h>

#include "transport.h"
#include "wire.h"

static GDBusMessage *parse_with_gdbus(const uint8_t *data, size_t n) {
        g_autoptr(GError) error = NULL;
        GDBusMessage *m =
                g_dbus_message_new_from_blob((guchar *) data, n, G_DBUS_CAPABILITY_FLAGS_NONE, &error);

        g_assert_no_error(error);
        return m;
}

static size_t write_bind(uint8_t *buffer, size_t size, bool all_options) {
        WireWriter w;
        size_t n;

        wire_begin_call(&w, buffer, size, 2, WIRE_FLAG_ALLOW_INTERACTIVE_AUTHORIZATION,
                        "org.passthru.Manager", "/org/passthru/Manager", "org.passthru.Manager", "Unbind",
                        "sa{sv}");
        wire_append_string(&w, "0000:01:00.0");
        wire_open_dict(&w);
        if (all_options) {
                wire_dict_bool(&w, "group", true);
                wire_dict_bool(&w, "dry-run", false);
                wire_dict_string(&w, "driver", "snd_hda_intel");
                wire_dict_bool(&w, "persist", true);
        }
        wire_close_dict(&w);
        g_assert_cmpint(wire_finish(&w, &n), ==, 0);
        return n;
}

static void test_call_read_by_gdbus(void) {
        for (int all = 0; all <= 1; all++) {
                uint8_t buffer[1024];
                size_t n = write_bind(buffer, sizeof(buffer), all);
                g_autoptr(GDBusMessage) m = parse_with_gdbus(buffer, n);
                g_autofree char *body = g_variant_print(g_dbus_message_get_body(m), TRUE);

                g_assert_cmpint(g_dbus_message_get_message_type(m), ==, G_DBUS_MESSAGE_TYPE_METHOD_CALL);
                g_assert_cmpuint(g_dbus_message_get_serial(m), ==, 2);
                g_assert_cmpint(g_dbus_message_get_flags(m), ==,
                                G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION);
                g_assert_cmpstr(g_dbus_message_get_destination(m), ==, "org.passthru.Manager");
                g_assert_cmpstr(g_dbus_message_get_path(m), ==, "/org/passthru/Manager");
                g_assert_cmpstr(g_dbus_message_get_interface(m), ==, "org.passthru.Manager");
                g_assert_cmpstr(g_dbus_message_get_member(m), ==, "Unbind");
                g_assert_cmpstr(g_dbus_message_get_signature(m), ==, "sa{sv}");
                g_assert_cmpstr(body, ==,
                                all ? "('0000:01:00.0', {'group': <true>, 'dry-run': <false>, 'driver': "
                                      "<'snd_hda_intel'>, 'persist': <true>})"
                                    : "('0000:01:00.0', @a{sv} {})");
        }
}

static void test_call_too_big(void) {
        uint8_t buffer[64];
        WireWriter w;
        size_t n;

        wire_begin_call(&w, buffer, sizeof(buffer), 2, 0, "org.passthru.Manager", "/org/passthru/Manager",
                        "org.passthru.Manager", "Bind", "sa{sv}");
        wire_append_string(&w, "0000:01:00.0");
        g_assert_cmpint(wire_finish(&w, &n), ==, -ENOBUFS);
}

/* GDBus writes a reply of rows (or an error) in byte order; the front reads it. */
static GBytes *gdbus_reply(GDBusMessageByteOrder order, bool error, size_t n_rows) {
        g_autoptr(GDBusMessage) call =
                g_dbus_message_new_method_call("org.passthru.Manager", "/", "x.y", "Bind");
        g_autoptr(GDBusMessage) reply = NULL;
        g_autoptr(GError) e = NULL;
        GVariantBuilder rows;
        guchar *blob;
        gsize size;

        g_dbus_message_set_serial(call, 2);
        if (error)
                reply = g_dbus_message_new_method_error_literal(call, "org.passthru.Error.NoSuchDevice",
                                                                "There is no PCI function 0000:00:1f.7.");
        else {
                reply = g_dbus_message_new_method_reply(call);
                g_variant_builder_init(&rows, G_VARIANT_TYPE("a(sss)"));
                for (size_t i = 0; i < n_rows; i++)
                        g_variant_builder_add(&rows, "(sss)", i ? "0000:01:00.1" : "0000:01:00.0",
                                              i ? "snd_hda_intel" : "", "vfio-pci");
                g_dbus_message_set_body(reply, g_variant_new("(a(sss))", &rows));
        }
        g_dbus_message_set_serial(reply, 7);
        g_dbus_message_set_byte_order(reply, order);
        blob = g_dbus_message_to_blob(reply, &size, G_DBUS_CAPABILITY_FLAGS_NONE, &e);
        g_assert_no_error(e);
        return g_bytes_new_take(blob, size);
}

static void read_rows(const WireMessage *m, size_t expected) {
        const char *row[3];
        WireReader r;
        size_t end, n = 0;

        g_assert_cmpstr(m->signature, ==, "a(sss)");
        wire_reader_init(&r, m);
        g_assert_cmpint(wire_enter_array(&r, 8, &end), ==, 0);
        while (r.pos < end) {
                g_assert_cmpint(wire_read_string_struct(&r, row, 3), ==, 0);
                g_assert_cmpstr(row[0], ==, n ? "0000:01:00.1" : "0000:01:00.0");
                g_assert_cmpstr(row[1], ==, n ? "snd_hda_intel" : "");
                g_assert_cmpstr(row[2], ==, "vfio-pci");
                n++;
        }
        g_assert_cmpuint(r.pos, ==, end);
        g_assert_cmpuint(n, ==, expected);
}

static void test_reply_read_from_gdbus(void) {
        static const GDBusMessageByteOrder orders[] = { G_DBUS_MESSAGE_BYTE_ORDER_LITTLE_ENDIAN,
                                                        G_DBUS_MESSAGE_BYTE_ORDER_BIG_ENDIAN };

        for (size_t o = 0; o < G_N_ELEMENTS(orders); o++)
                for (size_t rows = 0; rows <= 2; rows++) {
                        g_autoptr(GBytes) blob = gdbus_reply(orders[o], false, rows);
                        size_t n, length;
                        const uint8_t *data = g_bytes_get_data(blob, &n);
                        WireMessage m;

                        g_assert_cmpint(wire_message_length(data, n, &length), ==, 0);
                        g_assert_cmpuint(length, ==, n);
                        g_assert_cmpint(wire_message_parse(data, n, &m), ==, 0);
                        g_assert_cmpint(m.type, ==, WIRE_METHOD_RETURN);
                        g_assert_cmpuint(m.serial, ==, 7);
                        g_assert_cmpuint(m.reply_serial, ==, 2);
                        g_assert_null(m.error_name);
                        read_rows(&m, rows);
                }
}

static void test_error_read_from_gdbus(void) {
        g_autoptr(GBytes) blob = gdbus_reply(G_DBUS_MESSAGE_BYTE_ORDER_BIG_ENDIAN, true, 0);
        size_t n;
        const uint8_t *data = g_bytes_get_data(blob, &n);
        const char *text;
        WireMessage m;
        WireReader r;

        g_assert_cmpint(wire_message_parse(data, n, &m), ==, 0);
        g_assert_cmpint(m.type, ==, WIRE_ERROR);
        g_assert_cmpuint(m.reply_serial, ==, 2);
        g_assert_cmpstr(m.error_name, ==, "org.passthru.Error.NoSuchDevice");
        g_assert_cmpstr(m.signature, ==, "s");
        wire_reader_init(&r, &m);
        g_assert_cmpint(wire_read_string(&r, &text), ==, 0);
        g_assert_cmpstr(text, ==, "There is no PCI function 0000:00:1f.7.");
}

/* Every prefix is incomplete, and every single damaged byte is either refused or read
 * within bounds (ASan watches the latter in the sanitizer build). */
static void test_truncated_and_damaged(void) {
        g_autoptr(GBytes) blob = gdbus_reply(G_DBUS_MESSAGE_BYTE_ORDER_LITTLE_ENDIAN, false, 2);
        size_t n;
        const uint8_t *data = g_bytes_get_data(blob, &n);

        for (size_t k = 0; k < n; k++) {
                g_autofree uint8_t *prefix = g_memdup2(data, k);
                size_t length;
                WireMessage m;
                int r = wire_message_length(prefix, k, &length);

                g_assert_true(r == -EAGAIN || (r == 0 && length > k));
                g_assert_cmpint(wire_message_parse(prefix, k, &m), <, 0);
        }
        for (size_t k = 0; k < n; k++)
                for (unsigned v = 0; v < 256; v += 51) {
                        g_autofree uint8_t *copy = g_memdup2(data, n);
                        WireMessage m;
                        const char *row[3];
                        WireReader r;
                        size_t end;

                        copy[k] = (uint8_t) v;
                        if (wire_message_parse(copy, n, &m) < 0)
                                continue;
                        wire_reader_init(&r, &m);
                        if (wire_enter_array(&r, 8, &end) < 0)
                                continue;
                        g_assert_cmpuint(end, <=, m.body_size);
                        while (r.pos < end && wire_read_string_struct(&r, row, 3) == 0)
                                ;
                }
}

static void test_addresses(void) {
        static const struct {
                const char *address, *path;
        } cases[] = {
                { "unix:path=/run/dbus/system_bus_socket", "/run/dbus/system_bus_socket" },
                { "unix:path=/tmp/bus,guid=0123456789abcdef0123456789abcdef", "/tmp/bus" },
                { "unix:guid=0123,path=/tmp/bus", "/tmp/bus" },
                { "unix:abstract=/tmp/dbus-x", NULL },
                { "unix:path=/tmp/a%20b", NULL },
                { "unix:path=/a;unix:path=/b", NULL },
                { "tcp:host=localhost,port=1", NULL },
                { "unixexec:path=ssh", NULL },
                { "unix:", NULL },
                { "unix:path=", NULL },
                { "unix:tmpdir=/tmp", NULL },
                { "", NULL },
        };
        char path[sizeof(((struct sockaddr_un *) NULL)->sun_path)];
        g_autofree char *x = g_strnfill(sizeof(path), 'x');
        g_autofree char *long_address = g_strconcat("unix:path=/", x, NULL);

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                int r = transport_address_path(cases[i].address, path, sizeof(path));

                if (cases[i].path) {
                        g_assert_cmpint(r, ==, 0);
                        g_assert_cmpstr(path, ==, cases[i].path);
                } else
                        g_assert_cmpint(r, ==, -EPROTONOSUPPORT);
        }
        g_assert_cmpint(transport_address_path(long_address, path, sizeof(path)), ==, -EPROTONOSUPPORT);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/wire/call-read-by-gdbus", test_call_read_by_gdbus);
        g_test_add_func("/wire/call-too-big", test_call_too_big);
        g_test_add_func("/wire/reply-read-from-gdbus", test_reply_read_from_gdbus);
        g_test_add_func("/wire/error-read-from-gdbus", test_error_read_from_gdbus);
        g_test_add_func("/wire/truncated-and-damaged", test_truncated_and_damaged);
        g_test_add_func("/wire/addresses", test_addresses);
        return g_test_run();
}
