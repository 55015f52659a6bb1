/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libudev.h>

#include "log.h"
#include "udev-monitor.h"

struct UdevMonitor {
        struct udev_monitor *monitor;
        sd_event_source *source;
        udev_monitor_handler_t handler;
        void *userdata;
};

static int on_udev_event(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        UdevMonitor *m = userdata;
        struct udev_device *dev;
        const char *action, *devpath;

        dev = udev_monitor_receive_device(m->monitor);
        if (!dev)
                return 0;
        action = udev_device_get_action(dev);
        devpath = udev_device_get_devpath(dev);
        if (action && devpath) {
                log_debug("udev: %s %s", action, devpath);
                m->handler(devpath, streq(action, "remove"), m->userdata);
        }
        udev_device_unref(dev);
        return 0;
}

UdevMonitor *udev_monitor_free(UdevMonitor *m) {
        if (!m)
                return NULL;
        sd_event_source_disable_unref(m->source);
        udev_monitor_unref(m->monitor);
        free(m);
        return NULL;
}

int udev_monitor_new(struct udev *udev, sd_event *event, udev_monitor_handler_t handler, void *userdata,
                     UdevMonitor **ret) {
        _cleanup_(udev_monitor_freep) UdevMonitor *m = calloc(1, sizeof(UdevMonitor));
        int r;

        assert(udev);
        assert(event);
        assert(ret);
        if (!m)
                return log_oom();
        m->handler = handler;
        m->userdata = userdata;
        m->monitor = udev_monitor_new_from_netlink(udev, "udev");
        if (!m->monitor)
                return log_error_errno(ENOMEM, "Failed to create udev monitor.");
        r = udev_monitor_filter_add_match_subsystem_devtype(m->monitor, "pci", NULL);
        if (r >= 0)
                r = udev_monitor_enable_receiving(m->monitor);
        if (r < 0)
                return log_error_errno(r, "Failed to start udev monitor: %m");
        r = sd_event_add_io(event, &m->source, udev_monitor_get_fd(m->monitor), EPOLLIN, on_udev_event, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch udev monitor: %m");
        *ret = TAKE_PTR(m);
        return 0;
}
