/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A named refusal: why the model will not do what was asked, as an error name of the D-Bus
 * contract (include/passthru-dbus.h) and a sentence a person can act on. The model fills it
 * in; the bus layer turns it into the method's error reply. The model never sees a bus
 * message. */

#include "macros.h"

typedef struct Refusal {
        const char *name; /* PASSTHRU_ERROR_*; NULL while nothing was refused */
        char *message;
} Refusal;

/* Sets the refusal (the first one set wins) and returns -EPERM, or -ENOMEM. */
int refusal_set(Refusal *r, const char *name, const char *fmt, ...) _printf_(3, 4);
void refusal_done(Refusal *r);

typedef struct PciAddress PciAddress;
/* NoSuchDevice, with the sentence every caller uses. */
int refusal_no_such_device(Refusal *r, const PciAddress *a);
