/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The original-driver record parser, on whatever a runtime record may hold. The values it
 * returns reach D-Bus as OriginalDriver: they must be valid UTF-8. */
#include "fuzz.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *driver = NULL, *override = NULL;

        fuzz_quiet();
        /* record_load() never hands the parser more than this. */
        if (size > RECORD_SIZE_MAX)
                return 0;
        if (record_parse((const char *) data, size, &driver, &override) < 0)
                return 0;
        if ((driver && (!utf8_is_valid(driver) || !*driver)) ||
            (override && (!utf8_is_valid(override) || !*override)))
                abort();
        return 0;
}
