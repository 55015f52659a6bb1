/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libudev.h>

#include "bind.h"
#include "bus-device.h"
#include "bus-group.h"
#include "bus-manager.h"
#include "host-status.h"
#include "kmod.h"
#include "log.h"
#include "manager.h"
#include "pciids.h"
#include "polkit.h"
#include "record.h"
#include "safety.h"
#include "strv.h"
#include "sysfs.h"
#include "udev-monitor.h"

int manager_new(const ManagerOptions *options, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(Manager));
        int r;

        if (!m)
                return -ENOMEM;
        m->options = *options;
        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate event loop: %m");
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        udev_monitor_stop(m);
        host_status_done(m);
        bind_transactions_free(m);
        sd_event_source_disable_unref(m->host_use_source);
        for (size_t i = 0; i < m->n_devices; i++)
                device_free(m->devices[i]);
        free(m->devices);
        groups_free(m->groups, m->n_groups);
        sd_bus_flush_close_unref(m->bus);
        udev_unref(m->udev);
        sysfs_free(m->sources.sysfs);
        pciids_free(m->sources.ids);
        kmod_close(m->sources.kmod);
        safety_host_free(m->sources.host);
        polkit_free(m->polkit);
        records_free(m->records);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

static int open_sources(Manager *m) {
        const char *config[] = { m->options.modprobe_config, NULL };
        int r;

        r = sysfs_open(m->options.sysfs_root ?: "/sys", &m->sources.sysfs);
        if (r < 0)
                return r;
        r = pciids_new(m->options.pci_ids, &m->sources.ids);
        if (r < 0)
                return log_error_errno(r, "Failed to set up libpci: %m");
        r = kmod_open(m->options.modules_dir, m->options.modprobe_config ? config : NULL, &m->sources.kmod);
        if (r < 0)
                return r;
        r = safety_host_new(m->options.proc_root, m->sources.sysfs, &m->sources.host);
        if (r < 0)
                return r;
        (void) safety_host_refresh(m->sources.host);
        r = records_open(m->options.runtime_dir, false, &m->records);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Cannot read the original drivers recorded earlier, ignoring: %m");
        r = polkit_new(&m->polkit);
        if (r < 0)
                return r;
        m->udev = udev_new();
        if (!m->udev)
                return log_error_errno(ENOMEM, "Failed to create udev context.");
        return 0;
}

/* What passthru recorded before it first moved a device, from this run or an earlier one. */
static void load_record(Manager *m, Device *d) {
        _cleanup_free_ char *driver = NULL;

        if (m->records && record_load(m->records, d->address_str, &driver, NULL) >= 0)
                (void) free_and_strdup(&d->original_driver, strempty(driver));
}

/* Binary search; *ret_index is where the address is or would be inserted. */
static Device *find_device(Manager *m, const PciAddress *a, size_t *ret_index) {
        size_t lo = 0, hi = m->n_devices;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = pci_address_compare(&m->devices[mid]->address, a);

                if (c == 0) {
                        if (ret_index)
                                *ret_index = mid;
                        return m->devices[mid];
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (ret_index)
                *ret_index = lo;
        return NULL;
}

Device *manager_find_device(Manager *m, const PciAddress *a) {
        return find_device(m, a, NULL);
}

Group *manager_find_group(Manager *m, int number) {
        return groups_find(m->groups, m->n_groups, number);
}

bool manager_iommu_enabled(Manager *m) {
        return m->n_groups > 0;
}

static int insert_device(Manager *m, Device *d) {
        Device **grown;
        size_t index;

        if (find_device(m, &d->address, &index))
                return -EEXIST;
        grown = realloc(m->devices, sizeof(Device *) * (m->n_devices + 1));
        if (!grown)
                return -ENOMEM;
        m->devices = grown;
        memmove(m->devices + index + 1, m->devices + index, sizeof(Device *) * (m->n_devices - index));
        m->devices[index] = d;
        m->n_devices++;
        return 0;
}

/* Rebuilds the group table and tells the bus what changed in it. */
static int rebuild_groups(Manager *m) {
        Group **old = m->groups, **groups;
        size_t n_old = m->n_groups, n;
        bool was_enabled = manager_iommu_enabled(m);
        int r;

        r = groups_build(m->devices, m->n_devices, &groups, &n);
        if (r < 0)
                return log_error_errno(r, "Failed to build IOMMU group table: %m");
        m->groups = groups;
        m->n_groups = n;
        if (m->bus) {
                bus_groups_emit_changes(m, old, n_old);
                if (was_enabled != manager_iommu_enabled(m))
                        bus_manager_emit_iommu_changed(m);
        }
        groups_free(old, n_old);
        host_status_schedule(m);
        return 0;
}

static int add_device(Manager *m, Device *fresh) {
        int r;

        r = insert_device(m, fresh);
        if (r < 0)
                return r;
        load_record(m, fresh);
        if (m->bus) {
                bus_device_emit_added(m, fresh);
                bus_manager_emit_device_added(m, fresh);
        }
        log_debug("Added %s (%04x:%04x, driver %s).", fresh->address_str, fresh->vendor_id, fresh->device_id,
                  strna(fresh->driver));
        return 0;
}

static void update_device(Manager *m, Device *d, Device *fresh) {
        _cleanup_free_ char *old_driver = d->driver ? strdup(d->driver) : NULL;
        unsigned changes = device_update(d, fresh);

        device_free(fresh);
        if (!changes || !m->bus)
                return;
        bus_device_emit_changes(m, d, changes);
        if (changes & DEVICE_CHANGE_DRIVER) {
                log_info("%s: driver %s -> %s.", d->address_str, strna(old_driver), strna(d->driver));
                bus_manager_emit_driver_changed(m, d, old_driver);
        }
}

/* A VF coming or going changes its PF's VirtualFunctions: read the PF again. */
static void refresh_physical_function(Manager *m, const char *pf_address) {
        _cleanup_free_ char *devpath = NULL;
        PciAddress a;
        Device *pf;

        if (!pf_address || pci_address_parse(pf_address, &a) < 0)
                return;
        pf = manager_find_device(m, &a);
        if (!pf || !(devpath = strdup(pf->devpath)))
                return;
        (void) manager_device_refresh(m, devpath);
}

int manager_device_refresh(Manager *m, const char *devpath) {
        _cleanup_(device_freep) Device *fresh = NULL;
        Device *d;
        int r;

        r = device_new_from_sysfs(&m->sources, devpath, &fresh);
        if (r < 0)
                return log_warning_errno(r, "Failed to read device %s, ignoring: %m", devpath);
        d = manager_find_device(m, &fresh->address);
        if (d) {
                update_device(m, d, TAKE_PTR(fresh));
                return rebuild_groups(m);
        }
        r = add_device(m, fresh);
        if (r < 0)
                return log_error_errno(r, "Failed to add device %s: %m", devpath);
        d = TAKE_PTR(fresh);
        r = rebuild_groups(m);
        refresh_physical_function(m, d->physical_function);
        return r;
}

int manager_device_remove(Manager *m, const char *devpath) {
        PciAddress a;
        size_t index;
        Device *d;
        int r;

        r = device_address_from_devpath(devpath, &a);
        if (r < 0)
                return log_debug_errno(r, "Ignoring removal of unexpected device %s.", devpath);
        d = find_device(m, &a, &index);
        if (!d)
                return 0;
        /* Tell the bus while the object still exists: InterfacesRemoved lists its interfaces. */
        if (m->bus) {
                bus_device_emit_removed(m, d);
                bus_manager_emit_device_removed(m, d);
        }
        memmove(m->devices + index, m->devices + index + 1, sizeof(Device *) * (m->n_devices - index - 1));
        m->n_devices--;
        r = rebuild_groups(m);
        log_debug("Removed %s.", d->address_str);
        refresh_physical_function(m, d->physical_function);
        device_free(d);
        return r;
}

static int enumerate_devices(Manager *m) {
        struct udev_enumerate *e;
        struct udev_list_entry *entry;
        int r;

        e = udev_enumerate_new(m->udev);
        if (!e)
                return log_oom();
        r = udev_enumerate_add_match_subsystem(e, "pci");
        if (r >= 0)
                r = udev_enumerate_scan_devices(e);
        if (r < 0) {
                udev_enumerate_unref(e);
                return log_error_errno(r, "Failed to enumerate PCI devices: %m");
        }
        udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e)) {
                struct udev_device *dev =
                        udev_device_new_from_syspath(m->udev, udev_list_entry_get_name(entry));
                _cleanup_(device_freep) Device *d = NULL;

                if (!dev)
                        continue;
                r = device_new_from_sysfs(&m->sources, udev_device_get_devpath(dev), &d);
                udev_device_unref(dev);
                if (r < 0)
                        continue;
                if (insert_device(m, d) >= 0)
                        load_record(m, TAKE_PTR(d));
        }
        udev_enumerate_unref(e);
        log_info("Found %zu PCI functions.", m->n_devices);
        return rebuild_groups(m);
}

/* A display server opening a GPU or a new mount makes no udev event: look again now and then. */
#define HOST_USE_INTERVAL_USEC (10ULL * 1000 * 1000)

void manager_refresh_blockers(Manager *m) {
        (void) safety_host_refresh(m->sources.host);
        for (size_t i = 0; i < m->n_devices; i++) {
                _cleanup_strv_free_ char **blockers = NULL;
                Device *d = m->devices[i];

                if (safety_device_blockers(m->sources.host, d, &blockers) < 0 ||
                    strv_equal(blockers, d->blockers))
                        continue;
                strv_free(d->blockers);
                d->blockers = TAKE_PTR(blockers);
                if (m->bus)
                        bus_device_emit_changes(m, d, DEVICE_CHANGE_BLOCKERS | DEVICE_CHANGE_ASSIGNABLE);
        }
}

static int on_host_use_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        manager_refresh_blockers(userdata);
        return sd_event_source_set_time_relative(s, HOST_USE_INTERVAL_USEC);
}

int manager_start(Manager *m) {
        int r;

        r = open_sources(m);
        if (r < 0)
                return r;
        /* Monitor first, then enumerate: an event in between is seen, never lost. */
        r = udev_monitor_start(m);
        if (r < 0)
                return r;
        r = enumerate_devices(m);
        if (r < 0)
                return r;
        m->host_roots.proc = m->options.proc_root;
        r = host_status_start(m);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(m->event, &m->host_use_source, CLOCK_MONOTONIC,
                                       HOST_USE_INTERVAL_USEC, HOST_USE_INTERVAL_USEC / 10,
                                       on_host_use_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->host_use_source, SD_EVENT_ON);
        if (r < 0)
                return log_error_errno(r, "Failed to watch what the host uses: %m");
        return bus_manager_start(m);
}

int manager_run(Manager *m) {
        return sd_event_loop(m->event);
}
