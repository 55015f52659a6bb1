/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel log parser (the /dev/kmsg record format), then every host check on the result:
 * the checks quote its lines, and what they make must be valid UTF-8. */
#include "fuzz.h"
#include "host-facts.h"
#include "klog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        HostFacts f = { .table = &fuzz_no_devices };
        HostChecks c = {};

        fuzz_quiet();
        if (klog_parse("fuzz", (const char *) data, size, &f.klog) < 0)
                return 0;
        for (size_t i = 0; i < f.klog->n_lines; i++)
                if (!f.klog->lines[i] || !utf8_is_valid(f.klog->lines[i]))
                        abort();
        if (f.klog->lines[f.klog->n_lines])
                abort();
        /* The firmware tables are there, so the checks go on to read the log. */
        f.acpi = f.dmar_table = true;
        f.n_iommus = f.n_iommu_groups = 1;
        if (host_checks_run(&f, &c) >= 0) {
                fuzz_assert_checks_utf8(&c);
                host_checks_done(&c);
        }
        host_facts_done(&f);
        return 0;
}
