/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <pci/pci.h>
#include <stdarg.h>

#include "log.h"
#include "pciids.h"
#include "utf8.h"

/* Unknown IDs give NULL rather than a number; pci.ids is the one source (no hwdb, never DNS),
 * so the names are the same on every host and in every test. */
#define LOOKUP_FLAGS (PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB)

struct PciIds {
        struct pci_access *access;
};

/* libpci reports through callbacks that pci_init() would set; we never call pci_init()
 * (no scan, no config space access), so route them to our log. */
_printf_(2, 0) static void libpci_log(int level, const char *fmt, va_list ap) {
        char buf[512];

        vsnprintf(buf, sizeof(buf), fmt, ap);
        log_full_errno(level, 0, "libpci: %s", buf);
}

_printf_(1, 2) static void libpci_message(char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        libpci_log(LOG_DEBUG, fmt, ap);
        va_end(ap);
}

/* libpci's error callback must not return; it is only called when libpci cannot go on. */
_printf_(1, 2) _noreturn_ static void libpci_fatal(char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        libpci_log(LOG_ERR, fmt, ap);
        va_end(ap);
        exit(EXIT_FAILURE);
}

int pciids_new(const char *ids_file, PciIds **ret) {
        _cleanup_free_ PciIds *p = calloc(1, sizeof(PciIds));

        if (!p)
                return -ENOMEM;
        p->access = pci_alloc();
        if (!p->access)
                return -ENOMEM;
        p->access->error = libpci_fatal;
        p->access->warning = libpci_message;
        p->access->debug = libpci_message;
        if (ids_file)
                pci_set_name_list_path(p->access, (char *) ids_file, 0);
        *ret = TAKE_PTR(p);
        return 0;
}

PciIds *pciids_free(PciIds *p) {
        if (!p)
                return NULL;
        pci_cleanup(p->access);
        free(p);
        return NULL;
}

/* libpci returns its own buffer (ours) or NULL when the ID is unknown. pci.ids is not
 * checked for encoding (a Latin-1 name is a byte D-Bus refuses): invalid bytes are escaped. */
static char *dup_name(const char *name) {
        char *copy;

        if (!name)
                return NULL;
        return utf8_escape_invalid(name, &copy) < 0 ? NULL : copy;
}

char *pciids_vendor_name(PciIds *p, uint16_t vendor) {
        char buf[256];

        return dup_name(
                pci_lookup_name(p->access, buf, sizeof(buf), LOOKUP_FLAGS | PCI_LOOKUP_VENDOR, vendor));
}

char *pciids_device_name(PciIds *p, uint16_t vendor, uint16_t device) {
        char buf[256];

        return dup_name(pci_lookup_name(p->access, buf, sizeof(buf), LOOKUP_FLAGS | PCI_LOOKUP_DEVICE,
                                        vendor, device));
}

char *pciids_subsystem_name(PciIds *p, uint16_t vendor, uint16_t device, uint16_t subvendor,
                            uint16_t subdevice) {
        char buf[256];

        return dup_name(pci_lookup_name(p->access, buf, sizeof(buf),
                                        LOOKUP_FLAGS | PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE, vendor,
                                        device, subvendor, subdevice));
}

char *pciids_class_name(PciIds *p, uint32_t class_code) {
        char buf[256];

        /* Base class and subclass, as lspci shows it ("VGA compatible controller"). */
        return dup_name(pci_lookup_name(p->access, buf, sizeof(buf), LOOKUP_FLAGS | PCI_LOOKUP_CLASS,
                                        (int) (class_code >> 8)));
}
