/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The UTF-8 escaper: whatever comes in, what comes out is valid, and valid text is kept as
 * it was. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = fuzz_string(data, size), *escaped = NULL;
        bool valid;

        if (!s)
                return 0;
        valid = utf8_is_valid(s);
        if (utf8_escape_invalid(s, &escaped) < 0)
                return 0;
        if (!utf8_is_valid(escaped))
                abort();
        if (valid != streq(s, escaped))
                abort();
        if (utf8_make_valid(&s) < 0)
                return 0;
        if (!streq(s, escaped))
                abort();
        return 0;
}
