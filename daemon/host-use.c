/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <pthread.h>
#include <sys/eventfd.h>

#include "host-use.h"
#include "log.h"
#include "safety.h"

struct HostUseScan {
        const char *proc_root;
        Sysfs *sysfs;
        host_use_done_t done;
        void *userdata;
        int fd; /* the thread says "done" here */
        sd_event_source *source;
        pthread_t thread;
        bool running;
        SafetyHost *fresh; /* written by the thread, read by the loop once it said done */
};

static void *scan(void *userdata) {
        HostUseScan *s = userdata;

        (void) safety_host_refresh(s->fresh);
        (void) eventfd_write(s->fd, 1);
        return NULL;
}

static void join(HostUseScan *s) {
        eventfd_t value;

        (void) pthread_join(s->thread, NULL);
        (void) eventfd_read(s->fd, &value);
        s->running = false;
}

static int on_done(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        HostUseScan *s = userdata;

        join(s);
        s->done(TAKE_PTR(s->fresh), s->userdata);
        return 0;
}

int host_use_scan_new(sd_event *event, const char *proc_root, Sysfs *sysfs, host_use_done_t done,
                      void *userdata, HostUseScan **ret) {
        _cleanup_(host_use_scan_freep) HostUseScan *s = calloc(1, sizeof(HostUseScan));
        int r;

        if (!s)
                return -ENOMEM;
        s->proc_root = proc_root;
        s->sysfs = sysfs;
        s->done = done;
        s->userdata = userdata;
        s->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->fd < 0)
                return log_error_errno(errno, "Failed to create an eventfd: %m");
        r = sd_event_add_io(event, &s->source, s->fd, EPOLLIN, on_done, s);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the host-use scan: %m");
        *ret = TAKE_PTR(s);
        return 0;
}

HostUseScan *host_use_scan_free(HostUseScan *s) {
        if (!s)
                return NULL;
        if (s->running)
                join(s);
        safety_host_free(s->fresh);
        sd_event_source_disable_unref(s->source);
        if (s->fd >= 0)
                close(s->fd);
        free(s);
        return NULL;
}

bool host_use_scan_start(HostUseScan *s) {
        int r;

        if (s->running)
                return true;
        if (safety_host_new(s->proc_root, s->sysfs, &s->fresh) < 0)
                return false;
        r = pthread_create(&s->thread, NULL, scan, s);
        if (r != 0) {
                log_warning_errno(r, "Failed to start the host-use scan, ignoring: %m");
                s->fresh = safety_host_free(s->fresh);
                return false;
        }
        s->running = true;
        return true;
}
