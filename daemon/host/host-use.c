/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "host-use.h"
#include "log.h"
#include "safety.h"
#include "thread-job.h"

struct HostUseScan {
        sd_event *event;
        const char *proc_root;
        Sysfs *sysfs;
        host_use_done_t done;
        void *userdata;
        ThreadJob *job; /* the scan under way, on a SafetyHost of its own */
};

static void *scan(void *input) {
        SafetyHost *fresh = input;

        (void) safety_host_refresh(fresh);
        return fresh;
}

static void on_scanned(ThreadJob *job, void *result, void *userdata) {
        HostUseScan *s = userdata;

        (void) thread_job_free(TAKE_PTR(s->job));
        s->done(result, s->userdata);
}

int host_use_scan_new(sd_event *event, const char *proc_root, Sysfs *sysfs, host_use_done_t done,
                      void *userdata, HostUseScan **ret) {
        HostUseScan *s = calloc(1, sizeof(HostUseScan));

        assert(event);
        assert(sysfs);
        assert(ret);
        if (!s)
                return -ENOMEM;
        *s = (HostUseScan){
                .event = event, .proc_root = proc_root, .sysfs = sysfs, .done = done, .userdata = userdata
        };
        *ret = s;
        return 0;
}

HostUseScan *host_use_scan_free(HostUseScan *s) {
        if (!s)
                return NULL;
        safety_host_free(thread_job_free(s->job));
        free(s);
        return NULL;
}

bool host_use_scan_start(HostUseScan *s) {
        SafetyHost *fresh;
        int r;

        assert(s);
        if (s->job)
                return true;
        if (safety_host_new(s->proc_root, s->sysfs, &fresh) < 0)
                return false;
        r = thread_job_start(s->event, scan, fresh, on_scanned, s, &s->job);
        if (r < 0) {
                log_warning_errno(r, "Failed to start the host-use scan, ignoring: %m");
                safety_host_free(fresh);
                return false;
        }
        return true;
}
