/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <libudev.h>
#include <malloc.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "host-use.h"
#include "kmod.h"
#include "log.h"
#include "manager.h"
#include "pciids.h"
#include "plan.h"
#include "record.h"
#include "safety.h"
#include "strv.h"
#include "sysfs.h"
#include "thread-job.h"
#include "udev-monitor.h"

/* Calls each listener's callback NAME, when it has one. A callback may add or remove
 * listeners: the count is read again on each round. */
#define NOTIFY(m, name, ...)                                                                    \
        do {                                                                                    \
                for (size_t _i = 0; _i < (m)->n_listeners; _i++)                                \
                        if ((m)->listeners[_i].listener->name)                                  \
                                (m)->listeners[_i].listener->name(__VA_ARGS__,                  \
                                                                  (m)->listeners[_i].userdata); \
        } while (0)

typedef struct InitramfsListing {
        char *lister, *image;
        struct timespec mtime; /* the image's, when the facts asked for the listing */
        int cancel_fd;
        int result;
} InitramfsListing;

static InitramfsListing *initramfs_listing_free(InitramfsListing *l) {
        if (!l)
                return NULL;
        free(l->lister);
        free(l->image);
        free(l);
        return NULL;
}

static void *run_initramfs_listing(void *input) {
        InitramfsListing *l = input;

        l->result = host_facts_list_initramfs(l->lister, l->image, l->cancel_fd);
        return l;
}

static void on_initramfs_listed(ThreadJob *job, void *result, void *userdata) {
        InitramfsListing *l = result;
        Manager *m = userdata;

        (void) thread_job_free(TAKE_PTR(m->initramfs_job));
        if (l->result < 0)
                log_warning_errno(l->result, "Failed to list %s with %s, ignoring: %m", l->image, l->lister);
        host_facts_set_initramfs_listing(&m->host.facts, &l->mtime, l->result);
        initramfs_listing_free(l);
        (void) manager_check_host(m);
}

/* The facts asked for a listing of the initramfs: it runs in a thread. */
static void start_initramfs_listing(Manager *m) {
        const HostFacts *f = &m->host.facts;
        InitramfsListing *l;
        int r;

        if (!f->initramfs_wanted || m->initramfs_job)
                return;
        l = calloc(1, sizeof(InitramfsListing));
        if (!l)
                return;
        *l = (InitramfsListing){ .lister = strdup(m->host.roots.initramfs_lister ?: "/usr/bin/lsinitramfs"),
                                 .image = strdup(f->initramfs_wanted),
                                 .mtime = f->initramfs_wanted_mtime,
                                 .cancel_fd = m->initramfs_cancel_fd };
        r = l->lister && l->image ? thread_job_start(m->event, run_initramfs_listing, l, on_initramfs_listed,
                                                     m, &m->initramfs_job)
                                  : -ENOMEM;
        if (r < 0) {
                log_warning_errno(r, "Failed to start listing %s, ignoring: %m", f->initramfs_wanted);
                initramfs_listing_free(l);
        }
}

int manager_new(const ManagerOptions *options, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(Manager));
        int r;

        assert(options);
        assert(ret);
        if (!m)
                return -ENOMEM;
        m->options = *options;
        m->initramfs_cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (m->initramfs_cancel_fd < 0)
                return log_error_errno(errno, "Failed to create an eventfd: %m");
        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate event loop: %m");
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        udev_monitor_free(m->monitor);
        sd_event_source_disable_unref(m->host_check_source);
        if (m->initramfs_job) {
                (void) eventfd_write(m->initramfs_cancel_fd, 1);
                initramfs_listing_free(thread_job_free(m->initramfs_job));
        }
        if (m->initramfs_cancel_fd >= 0)
                close(m->initramfs_cancel_fd);
        sd_event_source_disable_unref(m->release_source);
        sd_event_source_disable_unref(m->host_use_source);
        host_use_scan_free(m->host_use_scan);
        host_state_done(&m->host);
        device_table_done(&m->table);
        udev_unref(m->udev);
        sysfs_free(m->sources.sysfs);
        pciids_free(m->sources.ids);
        kmod_close(m->sources.kmod);
        safety_host_free(m->sources.host);
        records_free(m->records);
        sd_event_unref(m->event);
        free(m->boot_etc);
        free(m->boot_images);
        free(m->boot_lister);
        free(m);
        return NULL;
}

int manager_add_listener(Manager *m, const ManagerListener *listener, void *userdata) {
        assert(m);
        assert(listener);
        if (m->n_listeners >= ELEMENTSOF(m->listeners))
                return -ENOSPC;
        m->listeners[m->n_listeners].listener = listener;
        m->listeners[m->n_listeners].userdata = userdata;
        m->n_listeners++;
        return 0;
}

void manager_remove_listener(Manager *m, const ManagerListener *listener, void *userdata) {
        assert(m);
        for (size_t i = 0; i < m->n_listeners; i++)
                if (m->listeners[i].listener == listener && m->listeners[i].userdata == userdata) {
                        memmove(&m->listeners[i], &m->listeners[i + 1],
                                (m->n_listeners - i - 1) * sizeof(m->listeners[0]));
                        m->n_listeners--;
                        return;
                }
}

static int open_sources(Manager *m) {
        const char *config[] = { m->options.modprobe_config, NULL };
        int r;

        r = sysfs_open(m->options.sysfs_root ?: "/sys", &m->sources.sysfs);
        if (r < 0)
                return r;
        r = pciids_new(m->options.pci_ids, &m->sources.ids);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the pci.ids reader: %m");
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
        m->udev = udev_new();
        if (!m->udev)
                return log_error_errno(ENOMEM, "Failed to create udev context.");
        return 0;
}

/* What passthru recorded before it first moved a device, from this run or an earlier one. */
static void load_record(Manager *m, Device *d) {
        _cleanup_free_ char *driver = NULL, *override = NULL;

        if (!m->records || record_load(m->records, d->address_str, &driver, &override) < 0)
                return;
        (void) free_and_strdup(&d->original_driver, strempty(driver));
        free(d->original_override);
        d->original_override = TAKE_PTR(override);
}

Device *manager_find_device(Manager *m, const PciAddress *a) {
        assert(m);
        assert(a);
        return device_table_find(&m->table, a);
}

Group *manager_find_group(Manager *m, int number) {
        assert(m);
        return device_table_find_group(&m->table, number);
}

bool manager_iommu_enabled(Manager *m) {
        assert(m);
        return device_table_iommu_enabled(&m->table);
}

bool manager_driver_loaded(Manager *m, const char *name) {
        _cleanup_free_ char *path = NULL;

        assert(m);
        return driver_name_is_valid(name) && asprintf(&path, "bus/pci/drivers/%s", name) >= 0 &&
               sysfs_path_exists(m->sources.sysfs, path);
}

uint64_t manager_operation_timeout(Manager *m) {
        assert(m);
        return m->options.operation_timeout_usec ?: MANAGER_OPERATION_TIMEOUT_USEC;
}

static int on_host_check(sd_event_source *s, void *userdata) {
        (void) manager_check_host(userdata);
        return 0;
}

/* Runs handler once the event loop is idle: a burst of udev events makes one run. */
static void defer_until_idle(Manager *m, sd_event_source **source, sd_event_handler_t handler,
                             const char *what) {
        int r;

        if (!*source) {
                r = sd_event_add_defer(m->event, source, handler, m);
                if (r >= 0)
                        r = sd_event_source_set_priority(*source, SD_EVENT_PRIORITY_IDLE);
                if (r < 0) {
                        log_warning_errno(r, "Failed to schedule %s, ignoring: %m", what);
                        *source = sd_event_source_unref(*source);
                        return;
                }
        }
        r = sd_event_source_set_enabled(*source, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule %s, ignoring: %m", what);
}

static void schedule_host_check(Manager *m) {
        if (m->host.checked)
                defer_until_idle(m, &m->host_check_source, on_host_check, "a host check");
}

bool manager_host_check_pending(Manager *m) {
        assert(m);
        return m->initramfs_job;
}

int manager_check_host(Manager *m) {
        bool changed;
        int r;

        assert(m);
        r = host_state_refresh(&m->host, &m->table, m->sources.kmod, &changed);
        if (r >= 0 && changed)
                NOTIFY(m, manager_changed, MANAGER_CHANGE_HOST_STATUS);
        if (r >= 0)
                start_initramfs_listing(m);
        NOTIFY(m, host_checked, m);
        return r;
}

/* Every name is looked up once, when its function appears, so libpci's name list is freed
 * (it loads pci.ids again on the next hotplug). Start-up's transient heap (udev's
 * enumeration) goes back to the kernel too, rather than stay in the daemon's RSS. */
static void release_memory(Manager *m) {
        pciids_release(m->sources.ids);
        (void) malloc_trim(0);
}

static int on_release_memory(sd_event_source *s, void *userdata) {
        release_memory(userdata);
        return 0;
}

void manager_trim_memory_soon(Manager *m) {
        assert(m);
        defer_until_idle(m, &m->release_source, on_release_memory, "freeing memory");
}

/* Rebuilds the group table and reports what changed in it. */
static int rebuild_groups(Manager *m) {
        bool was_enabled = manager_iommu_enabled(m);
        Group **old;
        size_t n_old;
        int r;

        r = device_table_rebuild_groups(&m->table, &old, &n_old);
        if (r < 0)
                return log_error_errno(r, "Failed to build IOMMU group table: %m");
        NOTIFY(m, groups_changed, old, n_old);
        if (was_enabled != manager_iommu_enabled(m))
                NOTIFY(m, manager_changed, MANAGER_CHANGE_IOMMU | MANAGER_CHANGE_HOST_STATUS);
        groups_free(old, n_old);
        schedule_host_check(m);
        return 0;
}

static int add_device(Manager *m, Device *fresh) {
        int r;

        r = device_table_insert(&m->table, fresh);
        if (r < 0)
                return r;
        load_record(m, fresh);
        NOTIFY(m, device_added, fresh);
        log_debug("Added %s (%04x:%04x, driver %s).", fresh->address_str, fresh->vendor_id, fresh->device_id,
                  strna(fresh->driver));
        return 0;
}

static void notify_changed(Manager *m, Device *d, unsigned changes, const char *old_driver) {
        if (changes)
                NOTIFY(m, device_changed, d, changes, old_driver);
}

/* Returns what changed (DEVICE_CHANGE_*). */
static unsigned update_device(Manager *m, Device *d, Device *fresh) {
        _cleanup_free_ char *old_driver = d->driver ? strdup(d->driver) : NULL;
        unsigned changes = device_update(d, fresh);

        device_free(fresh);
        if (changes & DEVICE_CHANGE_DRIVER)
                log_info("%s: driver %s -> %s.", d->address_str, strna(old_driver), strna(d->driver));
        notify_changed(m, d, changes, old_driver);
        return changes;
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
        PciAddress a;
        Device *d;
        int r;

        assert(m);
        assert(devpath);
        /* Every bind and unbind comes here (the udev events, the transaction's last look):
         * the names of a function the model has are not looked up again. */
        d = device_address_from_devpath(devpath, &a) >= 0 ? manager_find_device(m, &a) : NULL;
        r = device_new_from_sysfs_known(&m->sources, devpath, d, &fresh);
        if (r < 0)
                return log_warning_errno(r, "Failed to read device %s, ignoring: %m", devpath);
        d = manager_find_device(m, &fresh->address);
        /* A read that finds what the model has (a bind's uevents after the transaction's own
         * look) rebuilds nothing and checks the host no more. */
        if (d)
                return update_device(m, d, TAKE_PTR(fresh)) != 0 ? rebuild_groups(m) : 0;
        r = add_device(m, fresh);
        if (r < 0)
                return log_error_errno(r, "Failed to add device %s: %m", devpath);
        d = TAKE_PTR(fresh);
        /* Its names loaded pci.ids: freed once a burst of hotplugs is over. */
        manager_trim_memory_soon(m);
        r = rebuild_groups(m);
        refresh_physical_function(m, d->physical_function);
        return r;
}

/* The table against the kernel for one device: another tool (an admin's echo, driverctl,
 * libvirt) may have moved it, and its uevents may not have been read yet. */
static int sync_device(Manager *m, const PciAddress *a) {
        _cleanup_free_ char *driver = NULL, *override = NULL, *devpath = NULL;
        Device *d = manager_find_device(m, a);
        int r;

        if (!d)
                return 0;
        r = device_read_driver(m->sources.sysfs, d->devpath, &driver, &override);
        if (r == -ENOENT || r == -ENODEV)
                return 0; /* going away: its remove event follows */
        if (r < 0)
                return log_warning_errno(r, "Failed to read the driver of %s: %m", d->address_str);
        if (streq_ptr(driver, d->driver) && streq_ptr(override, d->driver_override))
                return 0;
        log_info("%s: the kernel shows driver %s, override %s; the table had %s, %s: reading it again.",
                 d->address_str, strna(driver), strna(override), strna(d->driver),
                 strna(d->driver_override));
        devpath = strdup(d->devpath);
        if (!devpath)
                return -ENOMEM;
        r = manager_device_refresh(m, devpath);
        return r < 0 ? r : 1;
}

int manager_sync_group(Manager *m, const PciAddress *a) {
        _cleanup_free_ PciAddress *members = NULL;
        Device *d;
        Group *g;
        size_t n = 1;
        int r, changed = 0;

        assert(m);
        assert(a);
        d = manager_find_device(m, a);
        if (!d)
                return 0;
        g = d->iommu_group >= 0 ? manager_find_group(m, d->iommu_group) : NULL;
        if (g)
                n = g->n_devices;
        /* A refresh may rebuild the groups: walk a copy of the addresses. */
        members = calloc(n, sizeof(PciAddress));
        if (!members)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                members[i] = g ? g->devices[i]->address : *a;
        for (size_t i = 0; i < n; i++) {
                r = sync_device(m, &members[i]);
                if (r < 0)
                        return r;
                changed |= r;
        }
        return changed;
}

int manager_device_remove(Manager *m, const char *devpath) {
        _cleanup_(device_freep) Device *d = NULL;
        PciAddress a;
        int r;

        assert(m);
        assert(devpath);
        r = device_address_from_devpath(devpath, &a);
        if (r < 0)
                return log_debug_errno(r, "Ignoring removal of unexpected device %s.", devpath);
        if (!manager_find_device(m, &a))
                return 0;
        /* Told while the device is still in the table: InterfacesRemoved lists its interfaces. */
        NOTIFY(m, device_removed, manager_find_device(m, &a));
        d = device_table_take(&m->table, &a);
        r = rebuild_groups(m);
        log_debug("Removed %s.", d->address_str);
        refresh_physical_function(m, d->physical_function);
        return r;
}

static void on_udev_event(const char *devpath, bool removed, void *userdata) {
        Manager *m = userdata;

        if (removed)
                (void) manager_device_remove(m, devpath);
        else
                (void) manager_device_refresh(m, devpath);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref);

/* The devpath ("/devices/pci0000:00/...") of a udev syspath: the same path without "/sys". */
static const char *devpath_of_syspath(const char *syspath) {
        return strncmp(syspath, "/sys/", strlen("/sys/")) == 0 ? syspath + strlen("/sys") : NULL;
}

/* The functions as udev knows them (udev_enumerate on the pci subsystem, as hotplug hears of
 * them through the monitor); device_new_from_sysfs reads what the model needs of each. */
static int enumerate_devices(Manager *m) {
        _cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
        struct udev_list_entry *entry;
        int r;

        e = udev_enumerate_new(m->udev);
        if (!e)
                return log_oom();
        r = udev_enumerate_add_match_subsystem(e, "pci");
        if (r >= 0)
                r = udev_enumerate_scan_devices(e);
        if (r < 0)
                return log_error_errno(r, "Failed to enumerate PCI devices: %m");
        udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e)) {
                const char *devpath = devpath_of_syspath(udev_list_entry_get_name(entry));
                _cleanup_(device_freep) Device *d = NULL;

                if (!devpath) {
                        log_debug("Ignoring PCI device %s outside /sys.", udev_list_entry_get_name(entry));
                        continue;
                }
                r = device_new_from_sysfs(&m->sources, devpath, &d);
                if (r < 0)
                        continue;
                if (device_table_insert(&m->table, d) >= 0)
                        load_record(m, TAKE_PTR(d));
        }
        log_info("Found %zu PCI functions.", m->table.n_devices);
        return rebuild_groups(m);
}

/* A display server opening a GPU or a new mount makes no udev event: look again now and then. */
#define HOST_USE_INTERVAL_USEC (10ULL * 1000 * 1000)

/* Every device's Blockers, Assignable and Holders anew from the current snapshot. */
static void apply_blockers(Manager *m) {
        for (size_t i = 0; i < m->table.n_devices; i++) {
                Device *d = m->table.devices[i];
                unsigned changes = device_update_host_use(d, m->sources.host);

                if (changes)
                        notify_changed(m, d, changes, NULL);
        }
}

void manager_refresh_blockers(Manager *m) {
        assert(m);
        (void) safety_host_refresh(m->sources.host);
        apply_blockers(m);
}

static void on_host_use_scanned(SafetyHost *fresh, void *userdata) {
        Manager *m = userdata;

        safety_host_free(m->sources.host);
        m->sources.host = fresh;
        apply_blockers(m);
}

/* The periodic look runs off the loop (host-use.c); a change about to be made looks again
 * on the spot instead (manager_refresh_blockers()). */
static int on_host_use_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        if (!host_use_scan_start(m->host_use_scan))
                manager_refresh_blockers(m);
        release_memory(m);
        return sd_event_source_set_time_relative(s, HOST_USE_INTERVAL_USEC);
}

void manager_device_set_busy(Manager *m, Device *d, bool busy) {
        assert(m);
        assert(d);
        if (d->busy == busy)
                return;
        d->busy = busy;
        notify_changed(m, d, DEVICE_CHANGE_STATE, NULL);
}

void manager_device_set_stuck(Manager *m, Device *d, bool stuck) {
        assert(m);
        assert(d);
        if (d->stuck == stuck)
                return;
        d->stuck = stuck;
        notify_changed(m, d, DEVICE_CHANGE_STATE, NULL);
}

void manager_device_set_persistent(Manager *m, Device *d, bool persistent) {
        assert(m);
        assert(d);
        if (d->persistent == persistent)
                return;
        d->persistent = persistent;
        notify_changed(m, d, DEVICE_CHANGE_PERSISTENT, NULL);
}

int manager_record_original(Manager *m, Device *d) {
        int r;

        assert(m);
        assert(d);
        if (d->original_driver)
                return 0;
        if (!m->records) {
                r = records_open(m->options.runtime_dir, true, &m->records);
                if (r < 0)
                        return log_error_errno(r, "Failed to create the runtime directory for records: %m");
        }
        r = record_save(m->records, d->address_str, d->driver, d->driver_override);
        if (r < 0)
                return log_error_errno(r, "Failed to record the original driver of %s: %m", d->address_str);
        if (free_and_strdup(&d->original_driver, strempty(d->driver)) < 0 ||
            free_and_strdup(&d->original_override, d->driver_override) < 0)
                return -ENOMEM;
        notify_changed(m, d, DEVICE_CHANGE_ORIGINAL_DRIVER, NULL);
        return 0;
}

void manager_forget_original(Manager *m, Device *d) {
        assert(m);
        assert(d);
        if (m->records)
                (void) record_remove(m->records, d->address_str);
        if (!d->original_driver)
                return;
        d->original_driver = (free(d->original_driver), NULL);
        d->original_override = (free(d->original_override), NULL);
        notify_changed(m, d, DEVICE_CHANGE_ORIGINAL_DRIVER, NULL);
}

int manager_start(Manager *m) {
        int r;

        assert(m);
        r = open_sources(m);
        if (r < 0)
                return r;
        /* Monitor first, then enumerate: an event in between is seen, never lost. */
        r = udev_monitor_new(m->udev, m->event, on_udev_event, m, &m->monitor);
        if (r < 0)
                return r;
        r = enumerate_devices(m);
        if (r < 0)
                return r;
        m->host.roots.sysfs = m->sources.sysfs;
        m->host.roots.proc = m->options.proc_root;
        m->host.roots.config_dir = m->options.config_dir;
        m->host.roots.list_later = true;
        if (m->options.boot_root) {
                if (asprintf(&m->boot_etc, "%s/etc", m->options.boot_root) < 0 ||
                    asprintf(&m->boot_images, "%s/boot", m->options.boot_root) < 0 ||
                    asprintf(&m->boot_lister, "%s/usr/bin/lsinitramfs", m->options.boot_root) < 0)
                        return -ENOMEM;
                m->host.roots.root = m->options.boot_root;
                m->host.roots.etc = m->boot_etc;
                m->host.roots.boot = m->boot_images;
                m->host.roots.initramfs_lister = m->boot_lister;
        }
        r = host_state_start(&m->host, &m->table, m->sources.kmod);
        if (r < 0)
                return r;
        start_initramfs_listing(m);
        r = host_use_scan_new(m->event, m->options.proc_root, m->sources.sysfs, on_host_use_scanned, m,
                              &m->host_use_scan);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(m->event, &m->host_use_source, CLOCK_MONOTONIC,
                                       HOST_USE_INTERVAL_USEC, HOST_USE_INTERVAL_USEC / 10,
                                       on_host_use_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->host_use_source, SD_EVENT_ON);
        if (r < 0)
                return log_error_errno(r, "Failed to watch what the host uses: %m");
        release_memory(m);
        return 0;
}
