/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Batched PropertiesChanged: property changes are collected per object and sent as one
 * PropertiesChanged per object from a single deferred event source, so a burst of udev
 * events or a group move makes one signal per object, not one per field. What the bits of
 * each kind of object mean is given by the caller. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macros.h"

typedef struct BusChanges BusChanges;

typedef enum BusObjectKind {
        BUS_OBJECT_MANAGER, /* ManagerChange bits */
        BUS_OBJECT_DEVICE,  /* DeviceChange bits */
        BUS_OBJECT_GROUP,   /* GroupChange bits */
        _BUS_OBJECT_KIND_MAX,
} BusObjectKind;

/* One kind of object: its interface, and the names of the properties behind change bits. */
typedef struct BusObjectProperties {
        const char *interface;
        int (*names)(unsigned changes, char ***names);
} BusObjectProperties;

int bus_changes_new(sd_event *event, sd_bus *bus,
                    const BusObjectProperties kinds[static _BUS_OBJECT_KIND_MAX], BusChanges **ret);
BusChanges *bus_changes_free(BusChanges *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusChanges *, bus_changes_free);

/* Queues property changes of the object at path for the next flush. */
void bus_changes_queue(BusChanges *c, BusObjectKind kind, const char *path, unsigned bits);
/* A removed object's pending changes are moot: its signals would name nothing. */
void bus_changes_drop(BusChanges *c, const char *path);
/* Sends everything queued now. */
void bus_changes_flush(BusChanges *c);
