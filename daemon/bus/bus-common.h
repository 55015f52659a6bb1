/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What every file of the bus layer shares: the Bus (the layer's root, made in bus.c),
 * fallback objects with their node enumerators, and a model's refusal as a method error. */

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "macros.h"
#include "pci-address.h"

typedef struct Manager Manager;
typedef struct Operations Operations;
typedef struct Polkit Polkit;
typedef struct BusChanges BusChanges;
typedef struct BindCall BindCall;
typedef struct Refusal Refusal;
typedef struct Persist Persist;
typedef struct BootCall BootCall;
typedef struct ThreadJob ThreadJob;

typedef struct Bus {
        Manager *manager;
        Operations *operations; /* the use cases: bind, unbind, remember (operations.h) */
        Persist *persist;       /* what the host remembers (Persist, GetConfig, Bind/Unbind persist) */
        sd_bus *bus;
        Polkit *polkit;
        BusChanges *changes;
        BindCall *bind_calls; /* Bind/Unbind calls waiting for their transaction (bus-bind.c) */
        BootCall *boot_call;  /* the ApplyBootConfig under way, if any (bus-bootcfg.c) */
        BootCall *boot_queue; /* ApplyBootConfig calls to plan, in order; the first is being planned */
        ThreadJob *boot_plan_job;
        sd_bus_message **check_calls; /* CheckHost calls waiting for an initramfs listing */
        size_t n_check_calls;
        const char *helper; /* passthru-boot-config; NULL: the installed one (--boot-helper) */
} Bus;

/* Serves the objects under prefix ("device" or "group" objects, as the log names them) with
 * one fallback vtable, find mapping a path to its object, and their node enumerator. */
int bus_register_fallback(Bus *b, const char *what, const char *prefix, const char *interface,
                          const sd_bus_vtable *vtable, sd_bus_object_find_t find,
                          sd_bus_node_enumerator_t enumerate);
/* A node enumerator's answer: copies of the n object paths path_of(b, 0..n-1). */
int bus_node_list(Bus *b, size_t n, const char *(*path_of)(Bus *b, size_t i), char ***ret_nodes);

/* Replies to msg with one array of n rows of type row (a struct signature), each appended by
 * append(reply, i, userdata); sends the reply and returns what sd_bus_send() does. */
int bus_reply_rows(sd_bus_message *msg, const char *row, size_t n,
                   int (*append)(sd_bus_message *reply, size_t i, const void *userdata),
                   const void *userdata);

/* The method error for a model's refusal (or r itself when nothing was refused). */
/* Reads a method's a{sv} options: read_one is called with the message positioned at each
 * key's variant and must read it (or fail, setting error). */
typedef int (*BusOptionReader)(sd_bus_message *msg, const char *key, void *userdata, sd_bus_error *error);
int bus_read_options(sd_bus_message *msg, BusOptionReader read_one, void *userdata, sd_bus_error *error);
int bus_error_from_refusal(sd_bus_error *error, const Refusal *refusal, int r);
/* Reads a method's address argument (s) and parses it; the client's text is never echoed,
 * only our own formatting is shown. InvalidAddress when it is not one. */
int bus_read_address(sd_bus_message *msg, PciAddress *ret, sd_bus_error *error);
/* The caller's effective UID as the bus daemon recorded it when the caller connected, never
 * read from /proc (racy: sd-bus marks such values augmented); UID_INVALID without it. Caps
 * on what a caller may hold pending count per this UID, however many connections it opens. */
#define UID_INVALID ((uid_t) -1)
uid_t bus_caller_uid(sd_bus_message *msg);
/* The Bus a fallback vtable's handler runs for (its slot's userdata). */
Bus *bus_from_message(sd_bus_message *msg);
