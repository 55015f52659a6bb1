/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "macros.h"
#include "passthru-dbus.h"
#include "pci-address.h"

/* Reads exactly min..max hex digits from *p (advancing it) into *ret. */
static int parse_hex(const char **p, size_t min, size_t max, uint32_t *ret) {
        uint32_t v = 0;
        size_t n = 0;

        for (const char *s = *p; n < max; s++, n++) {
                char c = *s;
                int digit;

                if (c >= '0' && c <= '9')
                        digit = c - '0';
                else if (c >= 'a' && c <= 'f')
                        digit = c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        digit = c - 'A' + 10;
                else
                        break;
                v = (v << 4) | (uint32_t) digit;
        }
        if (n < min)
                return -EINVAL;
        *p += n;
        *ret = v;
        return 0;
}

static int expect(const char **p, char c) {
        if (**p != c)
                return -EINVAL;
        (*p)++;
        return 0;
}

/* Parses "BB?SS?F" where ? is the given separators; the tail after the function must be empty. */
static int parse_bus_slot_function(const char *s, char sep1, char sep2, PciAddress *a) {
        uint32_t bus, slot, function;

        if (parse_hex(&s, 2, 2, &bus) < 0 || expect(&s, sep1) < 0 || parse_hex(&s, 2, 2, &slot) < 0 ||
            expect(&s, sep2) < 0 || parse_hex(&s, 1, 1, &function) < 0 || *s != '\0')
                return -EINVAL;
        if (slot > 0x1f || function > 7)
                return -EINVAL;
        a->bus = (uint8_t) bus;
        a->slot = (uint8_t) slot;
        a->function = (uint8_t) function;
        return 0;
}

static int parse_with_separators(const char *s, char sep0, char sep1, char sep2, PciAddress *ret) {
        PciAddress a = {};
        size_t len;

        if (!s)
                return -EINVAL;
        len = strnlen(s, PCI_ADDRESS_STRING_MAX + 1);
        if (len > PCI_ADDRESS_STRING_MAX - 1)
                return -EINVAL;

        if (len > strlen("BB:SS.F")) {
                const char *p = s;
                uint32_t domain;

                if (parse_hex(&p, 4, 8, &domain) < 0 || expect(&p, sep0) < 0)
                        return -EINVAL;
                a.domain = domain;
                s = p;
        }
        if (parse_bus_slot_function(s, sep1, sep2, &a) < 0)
                return -EINVAL;
        *ret = a;
        return 0;
}

int pci_address_parse(const char *s, PciAddress *ret) {
        assert(ret);
        return parse_with_separators(s, ':', ':', '.', ret);
}

/* "%04x<s0>%02x<s1>%02x<s2>%x" digit by digit, not with snprintf: the daemon formats two of
 * these per function at start-up and the client one per row of a listing. */
static char *format_with_separators(const PciAddress *a, char sep0, char sep1, char sep2, char *p) {
        static const char hex[] = "0123456789abcdef";
        int digits = 4;

        while (digits < 8 && (a->domain >> (digits * 4)) != 0)
                digits++;
        for (int i = digits - 1; i >= 0; i--)
                *p++ = hex[(a->domain >> (i * 4)) & 0xf];
        *p++ = sep0;
        *p++ = hex[a->bus >> 4];
        *p++ = hex[a->bus & 0xf];
        *p++ = sep1;
        *p++ = hex[(a->slot >> 4) & 0xf];
        *p++ = hex[a->slot & 0xf];
        *p++ = sep2;
        *p++ = hex[a->function & 0xf];
        *p = '\0';
        return p;
}

const char *pci_address_format(const PciAddress *a, char buf[static PCI_ADDRESS_STRING_MAX]) {
        assert(a);
        format_with_separators(a, ':', ':', '.', buf);
        return buf;
}

uint64_t pci_address_pack(const PciAddress *a) {
        assert(a);
        return (uint64_t) a->domain << 16 | (uint64_t) a->bus << 8 | (uint64_t) (a->slot & 0x1f) << 3 |
               (a->function & 7);
}

int pci_address_unpack(uint64_t packed, PciAddress *ret) {
        assert(ret);
        if (packed >> 48 != 0)
                return -EINVAL;
        *ret = (PciAddress){
                .domain = (uint32_t) (packed >> 16),
                .bus = (uint8_t) (packed >> 8),
                .slot = (uint8_t) ((packed >> 3) & 0x1f),
                .function = (uint8_t) (packed & 7),
        };
        return 0;
}

int pci_address_compare(const PciAddress *a, const PciAddress *b) {
        assert(a);
        assert(b);
        if (a->domain != b->domain)
                return a->domain < b->domain ? -1 : 1;
        if (a->bus != b->bus)
                return a->bus < b->bus ? -1 : 1;
        if (a->slot != b->slot)
                return a->slot < b->slot ? -1 : 1;
        if (a->function != b->function)
                return a->function < b->function ? -1 : 1;
        return 0;
}

bool pci_address_equal(const PciAddress *a, const PciAddress *b) {
        assert(a);
        assert(b);
        return pci_address_compare(a, b) == 0;
}

const char *pci_address_to_object_path(const PciAddress *a, char buf[static PCI_ADDRESS_PATH_MAX]) {
        assert(a);
        memcpy(buf, PASSTHRU_DEVICES_PATH "/", sizeof(PASSTHRU_DEVICES_PATH "/") - 1);
        format_with_separators(a, '_', '_', '_', buf + sizeof(PASSTHRU_DEVICES_PATH "/") - 1);
        return buf;
}

int pci_address_from_object_path(const char *path, PciAddress *ret) {
        const char *prefix = PASSTHRU_DEVICES_PATH "/";
        char canonical[PCI_ADDRESS_PATH_MAX];
        PciAddress a;

        assert(ret);
        if (!path || strncmp(path, prefix, strlen(prefix)) != 0)
                return -EINVAL;
        /* Only the spelling we format names a device ("00000000_01_00_0" and upper case do not),
         * so one function has one object path. */
        if (parse_with_separators(path + strlen(prefix), '_', '_', '_', &a) < 0 ||
            !streq(pci_address_to_object_path(&a, canonical), path))
                return -EINVAL;
        *ret = a;
        return 0;
}
