/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc/cpuinfo parser, then every host check on what it found. */
#include "fuzz.h"
#include "host-facts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_fclose_ FILE *file = NULL;
        HostFacts f = { .table = &fuzz_no_devices };
        HostChecks c = {};

        fuzz_quiet();
        if (size == 0)
                return 0;
        file = fmemopen((void *) data, size, "r");
        if (!file)
                return 0;
        if (host_facts_parse_cpuinfo(&f, file) >= 0) {
                if (f.cpu_vendor && !utf8_is_valid(f.cpu_vendor))
                        abort();
                if (host_checks_run(&f, &c) >= 0) {
                        fuzz_assert_checks_utf8(&c);
                        host_checks_done(&c);
                }
        }
        host_facts_done(&f);
        return 0;
}
