/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command-line editor (bootcfg-cmdline.c) on arbitrary existing arguments: adding what
 * passthru adds is idempotent (a second edit changes nothing), and taking it out again leaves
 * nothing of passthru's. The same input as a /etc/default/grub: the shell reading finds an
 * assignment or refuses, and an edit it accepts is idempotent too. */
#include "bootcfg-cmdline.h"
#include "fuzz.h"

static char *const adds[] = { (char *) "intel_iommu=on", (char *) "iommu=pt",
                              (char *) "vfio-pci.ids=8086:10d3", NULL };

/* What the file readers hand over: they refuse an unterminated double quote (GRUB's value,
 * /etc/kernel/cmdline's line), after which an added argument would sit inside it. */
static bool quotes_balanced(const char *s) {
        bool open = false;

        for (; *s; s++)
                open ^= *s == '"';
        return !open;
}

static void grub(const char *text) {
        _cleanup_free_ char *added = NULL, *again = NULL;
        CmdlineEdit add = { .add = adds };
        int r;

        r = grub_default_edit(text, &add, &added);
        if (r < 0)
                return;
        if (grub_default_edit(added, &add, &again) != 0 || !streq(again, added))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *line = fuzz_string(data, size), *added = NULL, *again = NULL, *removed = NULL,
                            *check = NULL;
        CmdlineEdit add = { .add = adds }, remove = { .remove = adds };

        fuzz_quiet();
        if (!line)
                return 0;
        grub(line);
        if (!quotes_balanced(line))
                return 0;
        if (cmdline_edit_args(line, &add, &added) < 0)
                return 0;
        if (cmdline_edit_args(added, &add, &again) != 0 || !streq(again, added))
                abort();
        if (cmdline_edit_args(added, &remove, &removed) < 0)
                abort();
        /* nothing left to remove, and each argument wanted again */
        if (cmdline_edit_args(removed, &remove, &check) != 0)
                abort();
        return 0;
}
