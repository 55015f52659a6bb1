/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "device-table.h"
#include "host-status.h"
#include "log.h"

int host_state_start(HostState *s, const DeviceTable *table, Kmod *kmod) {
        int r;

        assert(s);
        assert(table);
        r = host_facts_read_boot(&s->facts, &s->roots);
        if (r < 0)
                return log_error_errno(r, "Failed to read the host's boot-time facts: %m");
        return host_state_refresh(s, table, kmod, NULL);
}

int host_state_refresh(HostState *s, const DeviceTable *table, Kmod *kmod, bool *ret_changed) {
        HostStatus old = s->status;
        HostChecks checks;
        int r;

        assert(s);
        assert(table);
        /* The table is lent for this run only: it changes under the facts later. */
        s->facts.table = table;
        r = host_facts_read_current(&s->facts, &s->roots, kmod);
        if (r >= 0)
                r = host_checks_run(&s->facts, &checks);
        s->facts.table = NULL;
        if (r < 0)
                return log_error_errno(r, "Failed to check the host: %m");

        host_checks_done(&s->checks);
        s->checks = checks;
        s->status = host_status_from_checks(&checks);
        if (old != s->status || !s->checked)
                log_info("Host status: %s.", host_status_to_string(s->status));
        if (ret_changed)
                *ret_changed = s->checked && old != s->status;
        s->checked = true;
        return 0;
}

void host_state_done(HostState *s) {
        host_checks_done(&s->checks);
        host_facts_done(&s->facts);
}
