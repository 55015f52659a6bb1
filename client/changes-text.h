/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How bind and unbind print the a(sss) of changes as text, in both clients: the full
 * passthructl (bind.c) and the front (front/main.c). One line a device, "-" for no driver. */

#include <stdbool.h>
#include <stdio.h>

static inline void changes_text_row(FILE *f, bool dry_run, const char *address, const char *from,
                                    const char *to) {
        fprintf(f, "%s%s: %s -> %s\n", dry_run ? "would move " : "", address, *from ? from : "-",
                *to ? to : "-");
}

static inline void changes_text_none(FILE *f, const char *address) {
        fprintf(f, "Nothing to change for %s.\n", address);
}
