/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* PCI function addresses. A client's string is parsed into integers and formatted again
 * before it is used anywhere, so no path is ever built from untrusted text. Accepted forms:
 * "DDDD:BB:SS.F" (domain 4-8 hex digits) and the short "BB:SS.F" (domain 0). */

#include <stdbool.h>
#include <stdint.h>

typedef struct PciAddress {
        uint32_t domain;
        uint8_t bus;
        uint8_t slot;     /* 0..0x1f */
        uint8_t function; /* 0..7 */
} PciAddress;

/* "ffffffff:ff:1f.7" and its NUL */
#define PCI_ADDRESS_STRING_MAX 17
/* "/org/passthru/devices/" + "ffffffff_ff_1f_7" and its NUL */
#define PCI_ADDRESS_PATH_MAX (sizeof("/org/passthru/devices/") + PCI_ADDRESS_STRING_MAX)

int pci_address_parse(const char *s, PciAddress *ret);
const char *pci_address_format(const PciAddress *a, char buf[static PCI_ADDRESS_STRING_MAX]);
/* The 64-bit form of packed replies (ListDevicesPacked): domain << 16 | bus << 8 | slot << 3 |
 * function, that is the PCI segment above the 16-bit routing ID. Unpacking refuses bits
 * above the 32-bit domain. */
uint64_t pci_address_pack(const PciAddress *a);
int pci_address_unpack(uint64_t packed, PciAddress *ret);
int pci_address_compare(const PciAddress *a, const PciAddress *b);
bool pci_address_equal(const PciAddress *a, const PciAddress *b);

/* Object paths of devices: /org/passthru/devices/0000_01_00_0 */
const char *pci_address_to_object_path(const PciAddress *a, char buf[static PCI_ADDRESS_PATH_MAX]);
int pci_address_from_object_path(const char *path, PciAddress *ret);
