/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Output put together in memory and written with one call, not a stdio call per cell. The
 * appends never fail: a failed allocation is remembered and reported by text_buffer_write().
 * Below output.c: it knows nothing of how the client reports errors. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* Hands the text to f's buffer (the caller flushes f and reports a failed write);
 * -ENOMEM, writing nothing, when an append failed. */
int text_buffer_write(TextBuffer *b, FILE *f);
void text_buffer_done(TextBuffer *b);
