/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Output put together in memory and written with one call, not a stdio call per cell. The
 * appends never fail: a failed allocation is remembered and reported by text_buffer_print(). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct TextBuffer {
        char *data;
        size_t size, allocated;
        bool failed;
} TextBuffer;

void text_buffer_put(TextBuffer *b, const char *s, size_t n);
void text_buffer_puts(TextBuffer *b, const char *s);
void text_buffer_putc(TextBuffer *b, char c);
void text_buffer_put_blanks(TextBuffer *b, size_t n);
void text_buffer_put_int(TextBuffer *b, int64_t v);

/* v in decimal, NUL-terminated, without printf; returns its length. */
#define FORMAT_INT_MAX sizeof("-9223372036854775808")
size_t format_int(int64_t v, char buf[static FORMAT_INT_MAX]);

/* Writes the text to standard output and flushes it; reports a failed allocation or write
 * (client_oom() or "Failed to write") and returns <0 then. */
int text_buffer_print(TextBuffer *b);
void text_buffer_done(TextBuffer *b);
