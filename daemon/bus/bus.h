/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The bus layer's root. It sits on top of the model: method handlers (bus-manager.c,
 * bus-device.c, bus-group.c, bus-bind.c) read arguments, ask polkit, call the Manager or the
 * use cases (operations.h), and reply; the model's changes come back up through the Manager's
 * listener, implemented here: objects appearing and disappearing and the Manager's signals
 * go out at once, property changes batched (bus-changes.c). */

#include "bus-common.h"

/* Connects (address NULL: the system bus), exports every object, starts reporting the
 * Manager's changes, takes the bus name. The event loop exits with a failure when the
 * connection is lost. */
int bus_new(Manager *m, Operations *operations, Persist *persist, const char *address, bool polkit_for_root,
            Bus **ret);
Bus *bus_free(Bus *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(Bus *, bus_free);
