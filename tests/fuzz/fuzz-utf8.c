/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The UTF-8 escaper: whatever comes in, what comes out is valid, and valid text is kept as
 * it was; and the prefix a quote is cut to never splits a character. */
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
        /* A prefix cut for quoting ends on a character boundary: of valid text, it is valid. */
        if (size > 0) {
                size_t max = data[0] % 40, n = utf8_prefix_length(s, max);
                _cleanup_free_ char *prefix = strndup(s, n);

                if (n > max || n > strlen(s) || (max <= strlen(s) && max - n > 3))
                        abort();
                if (prefix && valid && !utf8_is_valid(prefix))
                        abort();
        }
        if (utf8_make_valid(&s) < 0)
                return 0;
        if (!streq(s, escaped))
                abort();
        return 0;
}
