/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "text-buffer.h"

static bool reserve(TextBuffer *b, size_t n) {
        size_t allocated;
        char *grown;

        if (b->failed)
                return false;
        if (b->allocated - b->size >= n)
                return true;
        allocated = b->allocated > 0 ? b->allocated : 16384;
        while (allocated - b->size < n) {
                if (allocated > SIZE_MAX / 2) {
                        b->failed = true;
                        return false;
                }
                allocated *= 2;
        }
        grown = realloc(b->data, allocated);
        if (!grown) {
                b->failed = true;
                return false;
        }
        b->data = grown;
        b->allocated = allocated;
        return true;
}

void text_buffer_put(TextBuffer *b, const char *s, size_t n) {
        if (!reserve(b, n))
                return;
        memcpy(b->data + b->size, s, n);
        b->size += n;
}

void text_buffer_puts(TextBuffer *b, const char *s) {
        text_buffer_put(b, s, strlen(s));
}

void text_buffer_putc(TextBuffer *b, char c) {
        if (reserve(b, 1))
                b->data[b->size++] = c;
}

void text_buffer_put_blanks(TextBuffer *b, size_t n) {
        if (!reserve(b, n))
                return;
        memset(b->data + b->size, ' ', n);
        b->size += n;
}

size_t format_int(int64_t v, char buf[static FORMAT_INT_MAX]) {
        char text[FORMAT_INT_MAX], *p = text + sizeof(text) - 1;
        uint64_t n = v < 0 ? -(uint64_t) v : (uint64_t) v;

        *p = '\0';
        do {
                *--p = (char) ('0' + n % 10);
                n /= 10;
        } while (n > 0);
        if (v < 0)
                *--p = '-';
        memcpy(buf, p, (size_t) (text + sizeof(text) - p));
        return (size_t) (text + sizeof(text) - 1 - p);
}

void text_buffer_put_int(TextBuffer *b, int64_t v) {
        char text[FORMAT_INT_MAX];

        text_buffer_put(b, text, format_int(v, text));
}

int text_buffer_write(TextBuffer *b, FILE *f) {
        if (b->failed)
                return -ENOMEM;
        if (b->size > 0)
                (void) fwrite(b->data, 1, b->size, f);
        return 0;
}

void text_buffer_done(TextBuffer *b) {
        free(b->data);
        *b = (TextBuffer){};
}
