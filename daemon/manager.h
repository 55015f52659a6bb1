/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Manager owns everything the daemon has: the event loop, the bus connection, the udev
 * monitor, the device and group tables and the sources devices are read from. There is no
 * other global state. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "device.h"
#include "group.h"
#include "hostcheck.h"
#include "hostfacts.h"

struct udev;
struct udev_monitor;
typedef struct Polkit Polkit;
typedef struct Records Records;
typedef struct Transaction Transaction;

/* A sysfs worker that has not finished by then leaves its device stuck. Shorter than the
 * 25 s a D-Bus call waits by default, so the caller hears why. */
#define MANAGER_OPERATION_TIMEOUT_USEC (20ULL * 1000 * 1000)

typedef struct ManagerOptions {
        const char *bus_address;         /* NULL: the system bus */
        const char *sysfs_root;          /* NULL: /sys */
        const char *pci_ids;             /* NULL: libpci's default pci.ids */
        const char *modules_dir;         /* NULL: /lib/modules/$(uname -r) */
        const char *modprobe_config;     /* NULL: the system's modprobe.d */
        const char *runtime_dir;         /* NULL: /run/passthru */
        const char *proc_root;           /* NULL: /proc */
        uint64_t operation_timeout_usec; /* 0: MANAGER_OPERATION_TIMEOUT_USEC */
} ManagerOptions;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        struct udev *udev;
        struct udev_monitor *monitor;
        sd_event_source *monitor_source;

        DeviceSources sources;

        Device **devices; /* sorted by address */
        size_t n_devices;
        Group **groups; /* sorted by number, rebuilt when devices change */
        size_t n_groups;

        Polkit *polkit;
        Records *records;                 /* original drivers, under the runtime directory */
        Transaction *transactions;        /* Bind/Unbind operations under way */
        unsigned sysfs_writes;            /* counted for test fault points */
        sd_event_source *host_use_source; /* looks again at what the host uses (safety.c) */

        HostRoots host_roots;   /* where the host checks read from (host-status.c) */
        HostFacts host_facts;   /* the boot-time part is read once */
        HostChecks host_checks; /* the last result, behind CheckHost and HostStatus */
        HostStatus host_status;
        bool host_checked;
        sd_event_source *host_check_source; /* a re-check pending for the idle loop */

        ManagerOptions options;
} Manager;

int manager_new(const ManagerOptions *options, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Opens sources, enumerates devices, connects to the bus and starts the udev monitor. */
int manager_start(Manager *m);
int manager_run(Manager *m);

Device *manager_find_device(Manager *m, const PciAddress *a);
Group *manager_find_group(Manager *m, int number);
bool manager_iommu_enabled(Manager *m);

/* Reads the device at devpath again (or for the first time) and tells the bus. */
int manager_device_refresh(Manager *m, const char *devpath);
int manager_device_remove(Manager *m, const char *devpath);
/* Reads what the host uses again (mounts, routes, open handles, consoles) and updates every
 * device's Blockers and Assignable, telling the bus what changed. */
void manager_refresh_blockers(Manager *m);
