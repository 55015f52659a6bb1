/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>

#include "config.h"
#include "log.h"
#include "pciids.h"
#include "string-index.h"
#include "utf8.h"

/* Unknown IDs give NULL rather than a number; libpci asks the udev hwdb for what pci.ids
 * does not name. Never DNS (no PCI_LOOKUP_NETWORK) and never ~/.pciids-cache (see new). */
#define LOOKUP_FLAGS PCI_LOOKUP_NO_NUMBERS
#define NAME_SIZE 256

typedef enum NameKind {
        NAME_VENDOR,
        NAME_DEVICE,
        NAME_SUBSYSTEM,
        NAME_CLASS,
        _NAME_KIND_MAX,
} NameKind;

/* The last answer of each kind: functions are looked up in address order, and the VFs of a
 * card (hundreds) follow each other with the same IDs; an ID neither source knows would ask
 * the hwdb again each time. */
typedef struct LastName {
        bool valid;
        uint64_t key;
        const char *name; /* in names; NULL: unknown ID */
} LastName;

struct PciIds {
        struct pci_access *access;
        bool warned; /* libpci's complaint about pci.ids was logged: once a lifetime */
        LastName last[_NAME_KIND_MAX];
        /* Every name handed out, once: thousands of functions share a few dozen. Kept when
         * libpci's list is released, so the devices' names stay valid. */
        StringPool names;
};

/* libpci's error callback must not return: the library is compiled so that the code after
 * the call is not the caller's any more. It jumps back to the look-up that called into libpci.
 * libpci passes no userdata, so the look-up in progress is this file's one piece of state. */
typedef struct LibpciCall {
        sigjmp_buf escape;
        PciIds *ids;
} LibpciCall;

static thread_local LibpciCall *libpci_call;

_printf_(2, 0) static void libpci_log(int level, const char *fmt, va_list ap) {
        char buf[512];
        size_t n;

        vsnprintf(buf, sizeof(buf), fmt, ap);
        n = strlen(buf);
        if (n > 0 && buf[n - 1] == '\n')
                buf[n - 1] = '\0';
        log_full_errno(level, 0, "libpci: %s", buf);
}

_printf_(1, 2) static void libpci_debug(char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        libpci_log(LOG_DEBUG, fmt, ap);
        va_end(ap);
}

_printf_(1, 2) static void libpci_warning(char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        libpci_log(LOG_WARNING, fmt, ap);
        va_end(ap);
}

/* Called when libpci cannot go on: in a look-up, a malformed line of pci.ids (libpci keeps
 * the names before it), a read error, or no memory. */
_printf_(1, 2) _noreturn_ static void libpci_error(char *fmt, ...) {
        LibpciCall *call = libpci_call;
        va_list ap;

        va_start(ap, fmt);
        libpci_log(!call || !call->ids->warned ? LOG_WARNING : LOG_DEBUG, fmt, ap);
        va_end(ap);
        if (!call)
                abort(); /* libpci is only called from lookup() */
        if (!call->ids->warned)
                log_warning("Names missing from pci.ids come from the udev hwdb or are left out, ignoring.");
        call->ids->warned = true;
        siglongjmp(call->escape, 1);
}

int pciids_new(const char *ids_file, PciIds **ret) {
        _cleanup_free_ PciIds *p = calloc(1, sizeof(PciIds));
        char *path;

        assert(ret);
        if (!p)
                return -ENOMEM;
        path = strdup(ids_file ?: PCI_IDS_PATH);
        if (!path)
                return -ENOMEM;
        /* No pci_init(): no access method, no scan; names are all we ask of libpci. */
        p->access = pci_alloc();
        if (!p->access) {
                free(path);
                return -ENOMEM;
        }
        p->access->error = libpci_error;
        p->access->warning = libpci_warning;
        p->access->debug = libpci_debug;
        p->access->id_lookup_mode = 0; /* libpci's default, PCI_LOOKUP_CACHE, reads ~/.pciids-cache */
        pci_set_name_list_path(p->access, path, 1);
        *ret = TAKE_PTR(p);
        return 0;
}

static void forget_last_names(PciIds *p) {
        for (NameKind k = 0; k < _NAME_KIND_MAX; k++)
                p->last[k] = (LastName){};
}

void pciids_release(PciIds *p) {
        assert(p);
        forget_last_names(p);
        pci_free_name_list(p->access);
}

PciIds *pciids_free(PciIds *p) {
        if (!p)
                return NULL;
        pci_cleanup(p->access);
        string_pool_done(&p->names);
        free(p);
        return NULL;
}

/* pci_lookup_name() with up to four IDs (libpci reads as many as the flags ask for). After
 * libpci gave up on pci.ids it keeps what it read and loads no more until released, so the
 * question is asked once more: the names before the bad line, the rest from the hwdb. */
static const char *lookup(PciIds *p, char buf[static NAME_SIZE], int flags, int id1, int id2, int id3,
                          int id4) {
        LibpciCall call = { .ids = p };
        volatile unsigned tries = 0;
        const char *name = NULL;

        libpci_call = &call;
        (void) sigsetjmp(call.escape, 0);
        if (tries++ < 2)
                name = pci_lookup_name(p->access, buf, NAME_SIZE, LOOKUP_FLAGS | flags, id1, id2, id3, id4);
        libpci_call = NULL;
        return name;
}

/* pci.ids is not checked for encoding (a Latin-1 name is a byte D-Bus refuses): invalid
 * bytes are escaped. */
static char *dup_name(const char *name) {
        char *copy;

        if (!name)
                return NULL;
        return utf8_escape_invalid(name, &copy) < 0 ? NULL : copy;
}

/* The name of kind for key: the last answer when it was for key, else libpci's. NULL when the
 * ID is unknown (or out of memory: a missing name is not worth failing a device for). */
static const char *name_of(PciIds *p, NameKind kind, uint64_t key, int flags, int id1, int id2, int id3,
                           int id4) {
        LastName *l = &p->last[kind];
        char buf[NAME_SIZE];
        const char *looked_up;

        assert(p);
        if (l->valid && l->key == key)
                return l->name;
        looked_up = lookup(p, buf, flags, id1, id2, id3, id4);
        *l = (LastName){ .key = key, .name = string_pool_take(&p->names, dup_name(looked_up)) };
        l->valid = !looked_up || l->name;
        return l->name;
}

const char *pciids_vendor_name(PciIds *p, uint16_t vendor) {
        assert(p);
        return name_of(p, NAME_VENDOR, vendor, PCI_LOOKUP_VENDOR, vendor, 0, 0, 0);
}

const char *pciids_device_name(PciIds *p, uint16_t vendor, uint16_t device) {
        assert(p);
        return name_of(p, NAME_DEVICE, (uint64_t) vendor << 16 | device, PCI_LOOKUP_DEVICE, vendor, device,
                       0, 0);
}

const char *pciids_subsystem_name(PciIds *p, uint16_t vendor, uint16_t device, uint16_t subvendor,
                                  uint16_t subdevice) {
        uint64_t key =
                (uint64_t) vendor << 48 | (uint64_t) device << 32 | (uint64_t) subvendor << 16 | subdevice;

        assert(p);
        return name_of(p, NAME_SUBSYSTEM, key, PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE, vendor, device,
                       subvendor, subdevice);
}

/* Base class and subclass, as lspci shows it ("VGA compatible controller"). */
const char *pciids_class_name(PciIds *p, uint32_t class_code) {
        assert(p);
        return name_of(p, NAME_CLASS, class_code >> 8, PCI_LOOKUP_CLASS, (int) (class_code >> 8), 0, 0, 0);
}
