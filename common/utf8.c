/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>

#include "macros.h"
#include "utf8.h"

static bool is_continuation(unsigned char c) {
        return (c & 0xc0) == 0x80;
}

size_t utf8_char_length(const char *s, size_t n) {
        const unsigned char *u = (const unsigned char *) s;
        uint32_t cp;
        size_t len;

        assert(s);
        if (n == 0)
                return 0;
        if (u[0] < 0x80)
                return 1;
        if (u[0] >= 0xc2 && u[0] <= 0xdf)
                len = 2, cp = u[0] & 0x1f;
        else if (u[0] >= 0xe0 && u[0] <= 0xef)
                len = 3, cp = u[0] & 0x0f;
        else if (u[0] >= 0xf0 && u[0] <= 0xf4)
                len = 4, cp = u[0] & 0x07;
        else
                return 0; /* a continuation byte, an overlong lead (c0, c1) or beyond U+10FFFF */
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if (!is_continuation(u[i]))
                        return 0;
                cp = (cp << 6) | (u[i] & 0x3f);
        }
        /* Overlong three- and four-byte forms, UTF-16 surrogates, and above U+10FFFF. */
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
            cp > 0x10ffff)
                return 0;
        return len;
}

bool utf8_is_valid(const char *s) {
        size_t n;

        assert(s);
        /* Nearly every string the daemon checks is ASCII: skip the decoder for that run. */
        while ((unsigned char) *s - 1u < 0x7fu)
                s++;
        n = strlen(s);

        while (n > 0) {
                size_t len = utf8_char_length(s, n);

                if (len == 0)
                        return false;
                s += len;
                n -= len;
        }
        return true;
}

size_t utf8_prefix_length(const char *s, size_t max) {
        /* A character is at most 4 bytes: what lies further cannot change the answer. */
        size_t n = strnlen(s, max + 3), done = 0;

        assert(s);
        while (done < n) {
                size_t len = utf8_char_length(s + done, n - done) ?: 1;

                if (done + len > max)
                        break;
                done += len;
        }
        return done;
}

int utf8_escape_invalid(const char *s, char **ret) {
        size_t n = strlen(s);
        char *copy, *p;

        assert(s);
        assert(ret);
        /* At worst every byte grows to four ("\xNN"). */
        copy = malloc(n * 4 + 1);
        if (!copy)
                return -ENOMEM;
        p = copy;
        while (n > 0) {
                size_t len = utf8_char_length(s, n);

                if (len == 0) {
                        p += sprintf(p, "\\x%02x", (unsigned char) *s);
                        len = 1;
                } else {
                        memcpy(p, s, len);
                        p += len;
                }
                s += len;
                n -= len;
        }
        *p = '\0';
        *ret = copy;
        return 0;
}

int utf8_make_valid(char **p) {
        char *escaped;
        int r;

        if (!*p || utf8_is_valid(*p))
                return 0;
        r = utf8_escape_invalid(*p, &escaped);
        if (r < 0)
                return r;
        free(*p);
        *p = escaped;
        return 1;
}
