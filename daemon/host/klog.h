/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The kernel log of this boot, for the host checks. /dev/kmsg is read without ever blocking
 * (O_NONBLOCK, every record until EAGAIN). On a long-running host the ring buffer has wrapped
 * and the early boot lines (DMAR, AMD-Vi) are gone; then the journal's kernel messages of this
 * boot are used when they still reach back to the first line. The Klog says which source it
 * holds and whether it is complete, so a check can tell the reader what its verdict rests on. */

#include <stdbool.h>
#include <stddef.h>

#include "macros.h"

typedef struct Klog {
        char **lines; /* messages, record headers removed, oldest first; NULL-terminated */
        size_t n_lines, allocated;
        char *source;  /* "/dev/kmsg", "the journal of this boot", a fixture's path */
        bool complete; /* reaches back to the boot's first line ("Linux version ...") */
        bool journal;  /* the lines come from the journal, the ring buffer having lost them */
} Klog;

/* Reads a file in the /dev/kmsg record format ("PRI,SEQ,TS,FLAGS;message", continuation
 * lines starting with a space). A character device is read one record per read(2) until
 * EAGAIN; a regular file (a recording) until its end. */
int klog_read_kmsg(const char *path, Klog **ret);
/* Parses size bytes of that format (no NUL needed); source names where they came from. */
int klog_parse(const char *source, const char *buf, size_t size, Klog **ret);
/* kmsg_path NULL: /dev/kmsg. Falls back to the journal when the ring buffer has wrapped or
 * cannot be read; the result is the most complete of the two, possibly with no lines. */
int klog_read(const char *kmsg_path, bool use_journal, Klog **ret);
Klog *klog_free(Klog *k);
DEFINE_TRIVIAL_CLEANUP_FUNC(Klog *, klog_free);

/* The first line containing needle (case-sensitive), or NULL. */
const char *klog_find(const Klog *k, const char *needle);
