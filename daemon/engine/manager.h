/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Manager is the model's root: it owns the event loop, the udev monitor, the device
 * table, the sources devices are read from, the original-driver records and the host
 * checks. There is no other global state.
 *
 * Calls go down, changes come up: the Manager never calls the bus. It reports every change
 * through listeners (structs of callbacks): the bus layer and persistence (persist.c) in the
 * daemon, nothing or a recorder in tests. */

#include <systemd/sd-event.h>

#include "device-read.h"
#include "device-table.h"
#include "host-status.h"

struct udev;
typedef struct Records Records;
typedef struct UdevMonitor UdevMonitor;
typedef struct HostUseScan HostUseScan;
typedef struct ThreadJob ThreadJob;
typedef struct Manager Manager;

/* A sysfs worker that has not finished by then leaves its device stuck. Shorter than the
 * 25 s a D-Bus call waits by default, so the caller hears why. */
#define MANAGER_OPERATION_TIMEOUT_USEC (20ULL * 1000 * 1000)

typedef struct ManagerOptions {
        const char *sysfs_root;      /* NULL: /sys */
        const char *pci_ids;         /* NULL: the build's default pci.ids */
        const char *modules_dir;     /* NULL: /lib/modules/$(uname -r) */
        const char *modprobe_config; /* NULL: the system's modprobe.d */
        const char *runtime_dir;     /* NULL: /run/passthru */
        const char *proc_root;       /* NULL: /proc */
        const char *config_dir;      /* NULL: /etc/passthru, where devices.conf lives */
        /* NULL: /. The root whose /etc and /boot the boot configuration and the host checks
         * read, and where ApplyBootConfig writes. */
        const char *boot_root;
        uint64_t operation_timeout_usec; /* 0: MANAGER_OPERATION_TIMEOUT_USEC */
} ManagerOptions;

/* Manager-wide properties that changed (ManagerListener.manager_changed). */
typedef enum ManagerChange {
        MANAGER_CHANGE_IOMMU = 1 << 0,
        MANAGER_CHANGE_HOST_STATUS = 1 << 1,
} ManagerChange;

/* What the Manager tells the layer above. Every callback may be NULL. */
typedef struct ManagerListener {
        void (*device_added)(Device *d, void *userdata);
        /* Before d leaves the table and is freed. */
        void (*device_removed)(Device *d, void *userdata);
        /* changes: DeviceChange bits; old_driver is the driver before, when DRIVER is set. */
        void (*device_changed)(Device *d, unsigned changes, const char *old_driver, void *userdata);
        /* The group table was rebuilt; old is the previous one, freed after this returns. */
        void (*groups_changed)(Group **old, size_t n_old, void *userdata);
        void (*manager_changed)(unsigned changes, void *userdata);
        /* The host checks ran (manager_check_host(), or again once an initramfs listing
         * they waited for ended). */
        void (*host_checked)(Manager *m, void *userdata);
} ManagerListener;

/* The bus layer, persistence, and room for a test's recorder. */
#define MANAGER_LISTENERS_MAX 4

typedef struct Manager {
        sd_event *event;
        struct udev *udev;
        UdevMonitor *monitor;

        DeviceSources sources;
        DeviceTable table;
        Records *records;                 /* original drivers, under the runtime directory */
        unsigned sysfs_writes;            /* counted for test fault points */
        sd_event_source *host_use_source; /* looks again at what the host uses (safety.c) */
        HostUseScan *host_use_scan;       /* ...in a thread, off the loop (host-use.c) */

        HostState host;
        sd_event_source *host_check_source; /* a re-check pending for the idle loop */
        ThreadJob *initramfs_job;           /* lists the initramfs off the loop (host-facts.h) */
        int initramfs_cancel_fd;            /* stops that listing (at exit) */
        sd_event_source *release_source;    /* names and heap freed after a hotplug burst */

        /* Everyone who hears the model's changes: the bus layer, persistence (persist.c). */
        struct {
                const ManagerListener *listener;
                void *userdata;
        } listeners[MANAGER_LISTENERS_MAX];
        size_t n_listeners;

        ManagerOptions options;
        char *boot_etc, *boot_images, *boot_lister; /* boot_root's etc, boot and lsinitramfs */
} Manager;

int manager_new(const ManagerOptions *options, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Listeners are told in the order they were added. -ENOSPC past MANAGER_LISTENERS_MAX. */
int manager_add_listener(Manager *m, const ManagerListener *listener, void *userdata);
/* Removes the pair added before; nothing happens when it is not there. */
void manager_remove_listener(Manager *m, const ManagerListener *listener, void *userdata);

/* Opens sources, starts the udev monitor, enumerates devices and checks the host. */
int manager_start(Manager *m);

Device *manager_find_device(Manager *m, const PciAddress *a);
Group *manager_find_group(Manager *m, int number);
bool manager_iommu_enabled(Manager *m);
uint64_t manager_operation_timeout(Manager *m);

/* Reads the device at devpath again (or for the first time) and reports what changed. */
int manager_device_refresh(Manager *m, const char *devpath);
int manager_device_remove(Manager *m, const char *devpath);
/* Reads the driver link and driver_override of the device at a and of its IOMMU group mates
 * from sysfs; each that differs from the table is read again whole (listeners are told).
 * Every driver change plans on what this leaves. Returns 1 when something differed. */
int manager_sync_group(Manager *m, const PciAddress *a);
/* Reads what the host uses again (mounts, routes, open handles, consoles) and updates every
 * device's Blockers and Assignable. */
void manager_refresh_blockers(Manager *m);
/* Gives the heap back to the kernel once the loop is idle: after a listing's big reply, whose
 * freed buffers would otherwise stay in the daemon's RSS. */
void manager_trim_memory_soon(Manager *m);
/* Runs the host checks now (CheckHost); HostStatus follows. When an initramfs is still to be
 * listed the listing starts off the loop, and the checks run again when it ends. */
int manager_check_host(Manager *m);
/* An initramfs listing is under way: the checks are incomplete until host_checked follows. */
bool manager_host_check_pending(Manager *m);

/* Whether a PCI driver is loaded (bus/pci/drivers/NAME): driver_override can bind it. */
bool manager_driver_loaded(Manager *m, const char *name);

/* What passthru tracks about a device besides the kernel's view; each reports the change. */
void manager_device_set_busy(Manager *m, Device *d, bool busy);
void manager_device_set_stuck(Manager *m, Device *d, bool stuck);
/* Whether a remembered entry with this device's identity exists (set by persist.c). */
void manager_device_set_persistent(Manager *m, Device *d, bool persistent);
/* Records where d was before passthru first moved it (kept across daemon restarts under the
 * runtime directory). A device already recorded keeps its first record. */
int manager_record_original(Manager *m, Device *d);
/* Forgets the record: d is back where it belongs. */
void manager_forget_original(Manager *m, Device *d);
