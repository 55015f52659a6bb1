/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The bus layer's side of the Manager's listener. Objects appearing and disappearing, and
 * the Manager's signals, go out at once; property changes are collected per object and sent
 * as one PropertiesChanged per object from a single deferred event source, so a burst of
 * udev events or a group move makes one signal per object, not one per field. */

#include "macros.h"

typedef struct Bus Bus;
typedef struct BusChanges BusChanges;

typedef enum BusObjectKind {
        BUS_OBJECT_MANAGER, /* ManagerChange bits */
        BUS_OBJECT_DEVICE,  /* DeviceChange bits */
        BUS_OBJECT_GROUP,   /* GroupChange bits */
} BusObjectKind;

/* Starts listening to b's Manager. */
int bus_changes_new(Bus *b, BusChanges **ret);
BusChanges *bus_changes_free(BusChanges *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusChanges *, bus_changes_free);

/* Queues property changes of the object at path for the next flush. */
void bus_changes_queue(BusChanges *c, BusObjectKind kind, const char *path, unsigned bits);
/* A removed object's pending changes are moot: its signals would name nothing. */
void bus_changes_drop(BusChanges *c, const char *path);
/* Sends everything queued now. */
void bus_changes_flush(BusChanges *c);
