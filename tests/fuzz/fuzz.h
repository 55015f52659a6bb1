/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the libFuzzer targets: each defines LLVMFuzzerTestOneInput() and feeds the bytes
 * to one parser. A parser that logs its refusals would spend the run writing to stderr. */

#include <stddef.h>
#include <stdint.h>

#include "device-table.h"
#include "host-check.h"
#include "log.h"
#include "macros.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The host checks read the device table: a host without PCI functions, for the targets
 * that feed them something else. */
static const DeviceTable fuzz_no_devices;

static inline void fuzz_quiet(void) {
        log_set_max_level(LOG_CRIT);
}

/* The input as a C string: the bytes up to the first NUL, as a file read into a string has. */
static inline char *fuzz_string(const uint8_t *data, size_t size) {
        return strndup((const char *) data, size);
}

/* Every row the checks make goes to D-Bus: it must be valid UTF-8. */
static inline void fuzz_assert_checks_utf8(const HostChecks *c) {
        for (size_t i = 0; i < c->n; i++)
                if (!utf8_is_valid(c->items[i].summary) || !utf8_is_valid(c->items[i].remedy))
                        abort();
}
