/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A string written with stdio (open_memstream()), the one way every part of passthru puts
 * text together piece by piece:
 *
 *         _cleanup_(memstream_done) MemStream m = {};
 *         FILE *f = memstream_init(&m);
 *
 *         if (!f)
 *                 return -ENOMEM;
 *         fprintf(f, ...);
 *         return memstream_finalize(&m, ret);
 */

#include <stdio.h>

typedef struct MemStream {
        FILE *f;
        char *buf;
        size_t size;
} MemStream;

/* Opens the stream; NULL when it cannot (no memory). */
FILE *memstream_init(MemStream *m);
/* Closes the stream and hands its text over in *ret; -ENOMEM, *ret untouched, when a write
 * to it failed. */
int memstream_finalize(MemStream *m, char **ret);
/* Closes the stream if still open and frees what was not handed over: a cleanup. */
void memstream_done(MemStream *m);
