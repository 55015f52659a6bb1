/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Manager owns everything the daemon has: the event loop, the bus connection, the udev
 * monitor, the device and group tables and the sources devices are read from. There is no
 * other global state. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "device.h"
#include "group.h"

struct udev;
struct udev_monitor;

typedef struct ManagerOptions {
        const char *bus_address;     /* NULL: the system bus */
        const char *sysfs_root;      /* NULL: /sys */
        const char *pci_ids;         /* NULL: libpci's default pci.ids */
        const char *modules_dir;     /* NULL: /lib/modules/$(uname -r) */
        const char *modprobe_config; /* NULL: the system's modprobe.d */
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
