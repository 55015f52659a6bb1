/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's objects as passthructl holds them: each object's properties decoded from
 * D-Bus into a json-c object keyed by the D-Bus property name ("IommuGroup"), in the order
 * the daemon sent them. show, groups and monitor print their tables, "Key: value" text and
 * --json from that one form (list prints ListDevices' rows instead). Also loads every
 * device and group in one GetManagedObjects call. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "output.h"

/* Reads an a{sv}. Values of basic types and arrays of them are kept; any other value (none
 * in the current API) is skipped, so a newer daemon does not break an older client. */
int properties_read(sd_bus_message *m, json_object **ret);

/* Typed look-ups that tolerate a missing property: "" / -1 / false. */
const char *properties_get_string(json_object *props, const char *name);
int64_t properties_get_int(json_object *props, const char *name);
bool properties_get_bool(json_object *props, const char *name);

typedef struct Objects {
        json_object *devices; /* array of Device properties, sorted by address */
        json_object *groups;  /* array of Group properties, sorted by number */
} Objects;

int objects_load(sd_bus *bus, Objects *ret);
void objects_done(Objects *o);

/* Borrowed references into o, or NULL. */
json_object *objects_find_device(const Objects *o, const char *object_path);
json_object *objects_find_group(const Objects *o, int64_t number);

/* A group's members as an array of {"address", "driver", "state"}, without except_address
 * (may be NULL): the group mates of show and the members of groups --json. */
int objects_group_members(const Objects *o, json_object *group, const char *except_address,
                          json_object **ret);
