/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-manager.h"
#include "host-status.h"
#include "log.h"
#include "manager.h"

int host_status_start(Manager *m) {
        int r;

        m->host_roots.sysfs = m->host_roots.sysfs ?: m->options.sysfs_root;
        r = host_facts_read_boot(&m->host_facts, &m->host_roots);
        if (r < 0)
                return log_error_errno(r, "Failed to read the host's boot-time facts: %m");
        return host_status_refresh(m);
}

int host_status_refresh(Manager *m) {
        HostStatus old = m->host_status;
        HostChecks checks;
        int r;

        /* The device table is lent for this run only: it changes under the facts later. */
        m->host_facts.devices = m->devices;
        m->host_facts.n_devices = m->n_devices;
        m->host_facts.groups = m->groups;
        m->host_facts.n_groups = m->n_groups;
        r = host_facts_read_current(&m->host_facts, &m->host_roots, m->sources.kmod);
        if (r >= 0)
                r = host_checks_run(&m->host_facts, &checks);
        m->host_facts.devices = NULL;
        m->host_facts.n_devices = 0;
        m->host_facts.groups = NULL;
        m->host_facts.n_groups = 0;
        if (r < 0)
                return log_error_errno(r, "Failed to check the host: %m");

        host_checks_done(&m->host_checks);
        m->host_checks = checks;
        m->host_status = host_status_from_checks(&checks);
        if (old != m->host_status || !m->host_checked) {
                log_info("Host status: %s.", host_status_to_string(m->host_status));
                if (m->bus && m->host_checked)
                        bus_manager_emit_host_status_changed(m);
        }
        m->host_checked = true;
        return 0;
}

static int on_host_check(sd_event_source *s, void *userdata) {
        (void) host_status_refresh(userdata);
        return 0;
}

void host_status_schedule(Manager *m) {
        int r;

        if (!m->host_checked)
                return;
        if (!m->host_check_source) {
                /* Idle priority: a burst of udev events is handled first, then checked once. */
                r = sd_event_add_defer(m->event, &m->host_check_source, on_host_check, m);
                if (r >= 0)
                        r = sd_event_source_set_priority(m->host_check_source, SD_EVENT_PRIORITY_IDLE);
                if (r < 0) {
                        log_warning_errno(r, "Failed to schedule a host check, ignoring: %m");
                        m->host_check_source = sd_event_source_unref(m->host_check_source);
                        return;
                }
        }
        r = sd_event_source_set_enabled(m->host_check_source, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule a host check, ignoring: %m");
}

void host_status_done(Manager *m) {
        m->host_check_source = sd_event_source_disable_unref(m->host_check_source);
        host_checks_done(&m->host_checks);
        host_facts_done(&m->host_facts);
}
