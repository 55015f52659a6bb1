/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel command line as the host checks read it: its first line, made valid UTF-8 as
 * host_facts_read_boot() does, split into arguments by the checks and quoted in their rows. */
#include "fuzz.h"
#include "host-facts.h"

static void run(const char *cmdline, const char *vendor, bool dmar) {
        HostFacts f = { .dmar_table = dmar, .acpi = true, .table = &fuzz_no_devices };
        HostChecks c = {};

        f.cmdline = strdup(cmdline);
        f.cpu_vendor = strdup(vendor);
        if (!f.cmdline || !f.cpu_vendor || utf8_make_valid(&f.cmdline) < 0) {
                host_facts_done(&f);
                return;
        }
        if (host_checks_run(&f, &c) >= 0) {
                fuzz_assert_checks_utf8(&c);
                host_checks_done(&c);
        }
        host_facts_done(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *line = fuzz_string(data, size);

        fuzz_quiet();
        if (!line)
                return 0;
        line[strcspn(line, "\n")] = '\0';
        /* Each vendor's remedies read the command line differently. */
        run(line, "GenuineIntel", true);
        run(line, "AuthenticAMD", false);
        return 0;
}
