/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI address parsing and formatting (common/pci-address.c): the one gate every client
 * string passes before it names a device, so hostile input is covered as well as the
 * forms people type. */
#include <glib.h>

#include "passthru-dbus.h"
#include "pci-address.h"

typedef struct {
        char *huge; /* 10 kB of text that starts like an address */
} AddressFixture;

static void fixture_setup(AddressFixture *f, gconstpointer data) {
        GString *s = g_string_new("0000:00:00.0");

        while (s->len < 10 * 1024)
                g_string_append(s, "0000:00:00.0");
        f->huge = g_string_free(s, FALSE);
}

static void fixture_teardown(AddressFixture *f, gconstpointer data) {
        g_free(f->huge);
}

static void assert_address(const PciAddress *a, uint32_t domain, uint8_t bus, uint8_t slot,
                           uint8_t function) {
        g_assert_cmphex(a->domain, ==, domain);
        g_assert_cmphex(a->bus, ==, bus);
        g_assert_cmphex(a->slot, ==, slot);
        g_assert_cmphex(a->function, ==, function);
}

static void test_parse_full(AddressFixture *f, gconstpointer data) {
        PciAddress a;

        g_assert_cmpint(pci_address_parse("0000:01:00.0", &a), ==, 0);
        assert_address(&a, 0, 0x01, 0x00, 0);
        g_assert_cmpint(pci_address_parse("0000:00:1f.7", &a), ==, 0);
        assert_address(&a, 0, 0x00, 0x1f, 7);
        g_assert_cmpint(pci_address_parse("10000:ff:00.3", &a), ==, 0);
        assert_address(&a, 0x10000, 0xff, 0x00, 3);
        g_assert_cmpint(pci_address_parse("ffffffff:ff:1f.7", &a), ==, 0);
        assert_address(&a, 0xffffffff, 0xff, 0x1f, 7);
}

static void test_parse_short(AddressFixture *f, gconstpointer data) {
        PciAddress a, full;

        g_assert_cmpint(pci_address_parse("01:00.0", &a), ==, 0);
        assert_address(&a, 0, 0x01, 0x00, 0);
        g_assert_cmpint(pci_address_parse("0000:01:00.0", &full), ==, 0);
        g_assert_true(pci_address_equal(&a, &full));
        g_assert_cmpint(pci_address_parse("ff:1f.7", &a), ==, 0);
        assert_address(&a, 0, 0xff, 0x1f, 7);
}

static void test_case(AddressFixture *f, gconstpointer data) {
        char buf[PCI_ADDRESS_STRING_MAX];
        PciAddress lower, upper, mixed;

        g_assert_cmpint(pci_address_parse("0000:0a:1f.7", &lower), ==, 0);
        g_assert_cmpint(pci_address_parse("0000:0A:1F.7", &upper), ==, 0);
        g_assert_cmpint(pci_address_parse("0000:0a:1F.7", &mixed), ==, 0);
        g_assert_true(pci_address_equal(&lower, &upper));
        g_assert_true(pci_address_equal(&lower, &mixed));
        /* One spelling on output, whatever came in. */
        g_assert_cmpstr(pci_address_format(&upper, buf), ==, "0000:0a:1f.7");
        g_assert_cmpint(pci_address_parse("ABCD:EF:1A.6", &upper), ==, 0);
        g_assert_cmpstr(pci_address_format(&upper, buf), ==, "abcd:ef:1a.6");
}

static void test_format_round_trip(AddressFixture *f, gconstpointer data) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "0000:00:00.0", "0000:00:00.0" },      { "00:02.0", "0000:00:02.0" },
                { "0001:02:03.4", "0001:02:03.4" },      { "FFFF:FF:1F.7", "ffff:ff:1f.7" },
                { "00010000:00:01.0", "10000:00:01.0" }, { "ffffffff:ff:1f.7", "ffffffff:ff:1f.7" },
        };
        char buf[PCI_ADDRESS_STRING_MAX];

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                PciAddress a, again;

                g_assert_cmpint(pci_address_parse(cases[i].in, &a), ==, 0);
                g_assert_cmpstr(pci_address_format(&a, buf), ==, cases[i].out);
                g_assert_cmpint(pci_address_parse(buf, &again), ==, 0);
                g_assert_true(pci_address_equal(&a, &again));
        }
        /* Every slot and function of a bus survives the trip. */
        for (unsigned slot = 0; slot <= 0x1f; slot++)
                for (unsigned function = 0; function <= 7; function++) {
                        PciAddress a = { .domain = 0x1234, .bus = 0xab, .slot = slot, .function = function };
                        PciAddress again;

                        g_assert_cmpint(pci_address_parse(pci_address_format(&a, buf), &again), ==, 0);
                        g_assert_cmpint(pci_address_compare(&a, &again), ==, 0);
                }
}

static void test_object_path(AddressFixture *f, gconstpointer data) {
        static const char *const rejected[] = {
                PASSTHRU_DEVICES_PATH "/01_00_0",      /* short form: never formatted by us */
                PASSTHRU_DEVICES_PATH "/0000:01:00.0", /* not path characters */
                PASSTHRU_DEVICES_PATH "/0000_01_00_8",
                PASSTHRU_DEVICES_PATH "/0000_00_20_0",
                PASSTHRU_DEVICES_PATH "/0000_01_00_0_",
                PASSTHRU_DEVICES_PATH "/00000000_01_00_0", /* one path per function */
                PASSTHRU_DEVICES_PATH "/0000_0A_00_0",
                PASSTHRU_DEVICES_PATH "/",
                PASSTHRU_DEVICES_PATH,
                PASSTHRU_GROUPS_PATH "/0000_01_00_0",
                "/org/passthru/devicesX/0000_01_00_0",
                "0000_01_00_0",
                "",
        };
        char path[PCI_ADDRESS_PATH_MAX];
        PciAddress a = { .domain = 0, .bus = 1, .slot = 0, .function = 0 }, back;
        PciAddress big = { .domain = 0xffffffff, .bus = 0xff, .slot = 0x1f, .function = 7 };

        g_assert_cmpstr(pci_address_to_object_path(&a, path), ==, PASSTHRU_DEVICES_PATH "/0000_01_00_0");
        g_assert_cmpint(pci_address_from_object_path(path, &back), ==, 0);
        g_assert_true(pci_address_equal(&a, &back));
        g_assert_cmpstr(pci_address_to_object_path(&big, path), ==,
                        PASSTHRU_DEVICES_PATH "/ffffffff_ff_1f_7");
        g_assert_cmpint(pci_address_from_object_path(path, &back), ==, 0);
        g_assert_true(pci_address_equal(&big, &back));

        for (size_t i = 0; i < G_N_ELEMENTS(rejected); i++) {
                PciAddress untouched = { .domain = 0xdead };

                g_test_message("object path %s", rejected[i]);
                g_assert_cmpint(pci_address_from_object_path(rejected[i], &untouched), ==, -EINVAL);
                g_assert_cmphex(untouched.domain, ==, 0xdead);
        }
        g_assert_cmpint(pci_address_from_object_path(NULL, &back), ==, -EINVAL);
        g_assert_cmpint(pci_address_from_object_path(f->huge, &back), ==, -EINVAL);
}

static void test_reject(AddressFixture *f, gconstpointer data) {
        static const char *const rejected[] = {
                "../../x",
                "0000:00:1f.8",
                "zz",
                "",
                "0000:00:20.0",
                "0000:01:00.0x",
                "0000:01:00.0 ",
                " 0000:01:00.0",
                "0000:01:00.0\n",
                "0000:01:00.00",
                "01:00.0.0",
                "000:01:00.0",
                "123456789:00:00.0",
                "0000:1:00.0",
                "0000:01:0.0",
                "0000-01-00.0",
                "0000:01:00:0",
                "01:00",
                "01:00.",
                ":01:00.0",
                "0000::01:00.0",
                "+000:01:00.0",
                "0x00:01:00.0",
                "0000:01:00.-1",
                "0000:g1:00.0",
                "../devices/0000:01:00.0",
                "0000:01:00.0/../..",
        };
        PciAddress untouched = { .domain = 0xdead, .bus = 0xbe, .slot = 0x0f, .function = 3 };

        for (size_t i = 0; i < G_N_ELEMENTS(rejected); i++) {
                g_autofree char *shown = g_strescape(rejected[i], NULL);

                g_test_message("address \"%s\"", shown);
                g_assert_cmpint(pci_address_parse(rejected[i], &untouched), ==, -EINVAL);
        }
        g_assert_cmpint(pci_address_parse(NULL, &untouched), ==, -EINVAL);
        g_assert_cmpint(pci_address_parse(f->huge, &untouched), ==, -EINVAL);
        /* Failures never write the result. */
        assert_address(&untouched, 0xdead, 0xbe, 0x0f, 3);
}

static void test_huge_lengths(AddressFixture *f, gconstpointer data) {
        PciAddress a;

        /* A valid address followed by anything is refused, however long the tail. */
        for (size_t len = strlen("0000:00:00.0") + 1; len < strlen(f->huge); len = len * 2 + 1) {
                g_autofree char *prefix = g_strndup(f->huge, len);

                g_assert_cmpint(pci_address_parse(prefix, &a), ==, -EINVAL);
        }
        g_assert_cmpint(pci_address_parse("00:00.0", &a), ==, 0);
}

static void test_compare(AddressFixture *f, gconstpointer data) {
        static const char *const sorted[] = {
                "0000:00:00.0", "0000:00:00.1", "0000:00:01.0", "0000:00:1f.7",
                "0000:01:00.0", "0000:ff:00.0", "0001:00:00.0", "ffffffff:00:00.0",
        };

        for (size_t i = 0; i < G_N_ELEMENTS(sorted); i++)
                for (size_t j = 0; j < G_N_ELEMENTS(sorted); j++) {
                        PciAddress a, b;
                        int expected = (i > j) - (i < j);

                        g_assert_cmpint(pci_address_parse(sorted[i], &a), ==, 0);
                        g_assert_cmpint(pci_address_parse(sorted[j], &b), ==, 0);
                        g_assert_cmpint(pci_address_compare(&a, &b), ==, expected);
                        g_assert_true(pci_address_equal(&a, &b) == (i == j));
                }
}

/* The packed form (ListDevicesPacked): the segment above the 16-bit routing ID, and back. */
static void test_pack(AddressFixture *f, gconstpointer data) {
        static const struct {
                PciAddress a;
                uint64_t packed;
        } cases[] = {
                { { 0, 0, 0, 0 }, 0 },
                { { 0, 0x01, 0x00, 0 }, 0x0100 },
                { { 0, 0x00, 0x1f, 7 }, 0x00ff },
                { { 0x1234, 0xab, 0x03, 2 }, 0x1234ab1a },
                { { 0xffffffff, 0xff, 0x1f, 7 }, UINT64_C(0xffffffffffff) },
        };
        PciAddress back;

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_assert_cmphex(pci_address_pack(&cases[i].a), ==, cases[i].packed);
                g_assert_cmpint(pci_address_unpack(cases[i].packed, &back), ==, 0);
                g_assert_true(pci_address_equal(&back, &cases[i].a));
        }
        /* Above a 32-bit domain there is no address. */
        g_assert_cmpint(pci_address_unpack(UINT64_C(1) << 48, &back), ==, -EINVAL);
}

#define ADD(path, func) g_test_add(path, AddressFixture, NULL, fixture_setup, func, fixture_teardown)

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        ADD("/pci-address/parse-full", test_parse_full);
        ADD("/pci-address/parse-short", test_parse_short);
        ADD("/pci-address/case", test_case);
        ADD("/pci-address/format-round-trip", test_format_round_trip);
        ADD("/pci-address/object-path", test_object_path);
        ADD("/pci-address/reject", test_reject);
        ADD("/pci-address/reject-long", test_huge_lengths);
        ADD("/pci-address/compare", test_compare);
        ADD("/pci-address/pack", test_pack);
        return g_test_run();
}
