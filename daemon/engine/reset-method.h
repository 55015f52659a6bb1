/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Setting how a device is reset (SetResetMethod) and putting a remembered list back (at
 * start-up and hotplug, from persist.c): the one use case both callers go through. The
 * decisions and the sysfs write are reset.c's; this file joins them to the model and to
 * devices.conf. No bus code here. */

#include <stdbool.h>

typedef struct Manager Manager;
typedef struct Persist Persist;
typedef struct Device Device;
typedef struct Refusal Refusal;
typedef struct PciAddress PciAddress;

/* Writes methods ("default" alone: the kernel's own list) to the device's reset_method and,
 * with persist, remembers them (default: forgets). Refusals: InvalidArgument, NoSuchDevice,
 * ConfigInvalid (persist, the file does not parse: nothing is written then), Failed. */
int reset_method_set(Manager *m, Persist *p, const PciAddress *a, char *const *methods, bool persist,
                     Refusal *refusal);
/* Writes remembered ("flr bus"; "" nothing) when the device's list differs; logs a failure. */
void reset_method_reapply(Manager *m, Device *d, const char *remembered);
