/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The planner: which device goes from which driver to which, or a named refusal. A pure
 * function of the device table, what the host uses (the safety snapshot, read elsewhere)
 * and a request: no I/O, so every decision is unit-tested with tables of cases.
 *
 * This is the one gate every driver change passes — Bind, Unbind with or without a driver,
 * group moves, and whatever re-applies a remembered choice: the safety checks (console,
 * root disk, network, bridges, SR-IOV PFs, open handles), group viability, one operation
 * per group at a time. */

#include <stdbool.h>

#include "pci-address.h"

typedef struct DeviceTable DeviceTable;
typedef struct Device Device;
typedef struct SafetyHost SafetyHost;
typedef struct Refusal Refusal;

#define VFIO_PCI "vfio-pci"
/* A move's target when whichever host driver probes the device may take it. */
#define PLAN_HOST_DRIVER "*"
/* How a plan shows that target when the device's modalias offers no single host module. */
#define PLAN_HOST_DRIVER_LABEL "whichever host driver claims it"

typedef enum BindOperation {
        BIND_OPERATION_BIND,   /* to vfio-pci */
        BIND_OPERATION_UNBIND, /* back to the host */
} BindOperation;

const char *bind_operation_to_string(BindOperation op);

typedef struct BindRequest {
        BindOperation op;
        PciAddress address;
        bool group;         /* the group mates that must come along move too */
        bool force;         /* Bind: override the reasons that can be overridden */
        const char *driver; /* Unbind: this host driver, not the recorded one */
        bool driver_loaded; /* the caller saw that driver loaded (driver_override can bind it) */
        /* With force: the devices force applies to (NULL: all), as a remembered entry's
         * allow-protected covers its own function only. */
        bool (*may_force)(const Device *d, void *userdata);
        void *may_force_data;
} BindRequest;

/* One device of a plan: where it is and where it goes. */
typedef struct Move {
        PciAddress address;
        char address_str[PCI_ADDRESS_STRING_MAX];
        char *devpath;
        char *from_driver, *from_override;
        char *to_driver; /* NULL: unbound; PLAN_HOST_DRIVER: whichever host driver probes */
        char *to_override;
        char **load_modules; /* the host modules to load before (Unbind); NULL: none */
} Move;

typedef struct Plan {
        BindOperation op;
        int group; /* -1: the devices have no IOMMU group */
        Move *moves;
        size_t n_moves;
} Plan;

void plan_done(Plan *p);

/* The moves for the request, in order, into an empty Plan; an empty plan means there is
 * nothing to do. A refusal returns <0 with refusal set. */
int plan_make(const DeviceTable *t, SafetyHost *host, const BindRequest *req, Plan *ret, Refusal *refusal);

/* A Bind of a device that is on vfio-pci already (left there by ids=, new_id or another
 * tool without driver_override): only its driver_override is set; it is never unbound or
 * probed again, so a VM using it notices nothing. */
bool move_is_override_only(const Move *mv);

/* Whether a device whose driver is now driver (NULL: none) is where the move sent it. */
bool move_reached(const Move *mv, const char *driver);

/* Drops the moves for which keep() is false, keeping the order of the others. */
void plan_keep_moves(Plan *p, bool (*keep)(const Move *mv, void *userdata), void *userdata);

/* "vfio-pci", "e1000e", "" (unbound); for PLAN_HOST_DRIVER the one host module the kernel
 * will probe, else PLAN_HOST_DRIVER_LABEL. */
const char *move_target_label(const Move *mv);

/* Whether a driver name is one that the kernel could call a driver ([A-Za-z0-9_-], 1-64). */
bool driver_name_is_valid(const char *name);
