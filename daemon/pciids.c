/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <pci/pci.h>
#include <stdarg.h>

#include "log.h"
#include "pciids.h"
#include "utf8.h"

/* Unknown IDs give NULL rather than a number; pci.ids is the one source (no hwdb, never DNS),
 * so the names are the same on every host and in every test. */
#define LOOKUP_FLAGS (PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB)

typedef enum NameKind {
        NAME_VENDOR,
        NAME_DEVICE,
        NAME_SUBSYSTEM,
        NAME_CLASS,
        _NAME_KIND_MAX,
} NameKind;

/* The last answer of each kind: functions are looked up in address order, and the VFs of a
 * card (hundreds) follow each other with the same IDs. libpci's look-up formats its answer
 * with vsnprintf every time. */
typedef struct LastName {
        bool valid;
        uint64_t key;
        char *name; /* NULL: unknown ID */
} LastName;

struct PciIds {
        struct pci_access *access;
        LastName last[_NAME_KIND_MAX];
};

static void forget_last_names(PciIds *p) {
        for (NameKind k = 0; k < _NAME_KIND_MAX; k++) {
                free(p->last[k].name);
                p->last[k] = (LastName){};
        }
}

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
        forget_last_names(p);
        pci_cleanup(p->access);
        free(p);
        return NULL;
}

void pciids_release(PciIds *p) {
        forget_last_names(p);
        pci_free_name_list(p->access);
}

/* libpci returns its own buffer (ours) or NULL when the ID is unknown. pci.ids is not
 * checked for encoding (a Latin-1 name is a byte D-Bus refuses): invalid bytes are escaped. */
static char *dup_name(const char *name) {
        char *copy;

        if (!name)
                return NULL;
        return utf8_escape_invalid(name, &copy) < 0 ? NULL : copy;
}

/* A copy of the remembered name; NULL when the ID is unknown (or out of memory: a missing
 * name is not worth failing a device for). */
static char *copy_of(const LastName *l) {
        return l->name ? strdup(l->name) : NULL;
}

/* The last answer of kind, when it was for key. */
static const LastName *last_for(const PciIds *p, NameKind kind, uint64_t key) {
        const LastName *l = &p->last[kind];

        return l->valid && l->key == key ? l : NULL;
}

/* Keeps libpci's answer for key (escaped) and returns a copy of it. */
static char *remember(PciIds *p, NameKind kind, uint64_t key, const char *looked_up) {
        LastName *l = &p->last[kind];

        free(l->name);
        *l = (LastName){ .key = key, .name = dup_name(looked_up) };
        l->valid = !looked_up || l->name;
        return copy_of(l);
}

char *pciids_vendor_name(PciIds *p, uint16_t vendor) {
        const LastName *l;
        char buf[256];

        l = last_for(p, NAME_VENDOR, vendor);
        if (l)
                return copy_of(l);
        return remember(
                p, NAME_VENDOR, vendor,
                pci_lookup_name(p->access, buf, sizeof(buf), LOOKUP_FLAGS | PCI_LOOKUP_VENDOR, vendor));
}

char *pciids_device_name(PciIds *p, uint16_t vendor, uint16_t device) {
        const LastName *l;
        uint64_t key = (uint64_t) vendor << 16 | device;
        char buf[256];

        l = last_for(p, NAME_DEVICE, key);
        if (l)
                return copy_of(l);
        return remember(p, NAME_DEVICE, key,
                        pci_lookup_name(p->access, buf, sizeof(buf), LOOKUP_FLAGS | PCI_LOOKUP_DEVICE,
                                        vendor, device));
}

char *pciids_subsystem_name(PciIds *p, uint16_t vendor, uint16_t device, uint16_t subvendor,
                            uint16_t subdevice) {
        const LastName *l;
        uint64_t key =
                (uint64_t) vendor << 48 | (uint64_t) device << 32 | (uint64_t) subvendor << 16 | subdevice;
        char buf[256];

        l = last_for(p, NAME_SUBSYSTEM, key);
        if (l)
                return copy_of(l);
        return remember(p, NAME_SUBSYSTEM, key,
                        pci_lookup_name(p->access, buf, sizeof(buf),
                                        LOOKUP_FLAGS | PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE, vendor,
                                        device, subvendor, subdevice));
}

char *pciids_class_name(PciIds *p, uint32_t class_code) {
        const LastName *l;
        uint64_t key = class_code >> 8;
        char buf[256];

        l = last_for(p, NAME_CLASS, key);
        if (l)
                return copy_of(l);
        /* Base class and subclass, as lspci shows it ("VGA compatible controller"). */
        return remember(p, NAME_CLASS, key,
                        pci_lookup_name(p->access, buf, sizeof(buf), LOOKUP_FLAGS | PCI_LOOKUP_CLASS,
                                        (int) (class_code >> 8)));
}
