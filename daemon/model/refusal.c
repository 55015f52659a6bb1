/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "passthru-dbus.h"
#include "pci-address.h"
#include "refusal.h"

int refusal_set(Refusal *r, const char *name, const char *fmt, ...) {
        va_list ap;
        int n;

        assert(fmt);
        if (!r || r->name)
                return -EPERM;
        va_start(ap, fmt);
        n = vasprintf(&r->message, fmt, ap);
        va_end(ap);
        if (n < 0) {
                r->message = NULL;
                return -ENOMEM;
        }
        r->name = name;
        return -EPERM;
}

void refusal_done(Refusal *r) {
        free(r->message);
        *r = (Refusal){};
}

int refusal_no_such_device(Refusal *r, const PciAddress *a) {
        char buf[PCI_ADDRESS_STRING_MAX];

        assert(a);
        return refusal_set(
                r, PASSTHRU_ERROR_NO_SUCH_DEVICE,
                "There is no PCI function %s on this host; 'passthructl list' shows those present.",
                pci_address_format(a, buf));
}
