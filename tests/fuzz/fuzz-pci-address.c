/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PCI address parser: every client string that names a device passes it. What it
 * accepts formats back to a string and an object path that parse to the same address. */
#include "fuzz.h"
#include "pci-address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = fuzz_string(data, size);
        char text[PCI_ADDRESS_STRING_MAX], path[PCI_ADDRESS_PATH_MAX];
        PciAddress a, b;

        if (!s)
                return 0;
        if (pci_address_from_object_path(s, &a) >= 0 && !streq(pci_address_to_object_path(&a, path), s))
                abort(); /* one function, one object path */
        if (pci_address_parse(s, &a) < 0)
                return 0;
        if (a.slot > 0x1f || a.function > 7)
                abort();
        if (pci_address_parse(pci_address_format(&a, text), &b) < 0 || !pci_address_equal(&a, &b))
                abort();
        if (pci_address_from_object_path(pci_address_to_object_path(&a, path), &b) < 0 ||
            !pci_address_equal(&a, &b))
                abort();
        return 0;
}
