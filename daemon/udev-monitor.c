/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libudev.h>

#include "log.h"
#include "manager.h"
#include "udev-monitor.h"

static int on_udev_event(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        struct udev_device *dev;
        const char *action, *devpath;

        dev = udev_monitor_receive_device(m->monitor);
        if (!dev)
                return 0;
        action = udev_device_get_action(dev);
        devpath = udev_device_get_devpath(dev);
        if (action && devpath) {
                log_debug("udev: %s %s", action, devpath);
                if (streq(action, "remove"))
                        (void) manager_device_remove(m, devpath);
                else
                        (void) manager_device_refresh(m, devpath);
        }
        udev_device_unref(dev);
        return 0;
}

int udev_monitor_start(Manager *m) {
        int r;

        m->monitor = udev_monitor_new_from_netlink(m->udev, "udev");
        if (!m->monitor)
                return log_error_errno(ENOMEM, "Failed to create udev monitor.");
        r = udev_monitor_filter_add_match_subsystem_devtype(m->monitor, "pci", NULL);
        if (r >= 0)
                r = udev_monitor_enable_receiving(m->monitor);
        if (r < 0)
                return log_error_errno(r, "Failed to start udev monitor: %m");
        r = sd_event_add_io(m->event, &m->monitor_source, udev_monitor_get_fd(m->monitor), EPOLLIN,
                            on_udev_event, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch udev monitor: %m");
        return 0;
}

void udev_monitor_stop(Manager *m) {
        m->monitor_source = sd_event_source_disable_unref(m->monitor_source);
        m->monitor = udev_monitor_unref(m->monitor);
}
