/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bootcfg-file.h"
#include "bootcfg-initramfs.h"
#include "macros.h"
#include "memstream.h"

#define HOOK_NAME "passthru"

static int entry_compare(const void *a, const void *b) {
        const EarlyBindEntry *x = a, *y = b;

        return pci_address_compare(&x->address, &y->address);
}

int early_bind_list_format(const EarlyBindEntry *entries, size_t n, char **ret) {
        _cleanup_free_ EarlyBindEntry *sorted = NULL;
        _cleanup_(memstream_done) MemStream out = {};
        FILE *f;

        assert(ret);
        sorted = calloc(n + 1, sizeof(EarlyBindEntry));
        if (!sorted)
                return -ENOMEM;
        if (n > 0)
                memcpy(sorted, entries, n * sizeof(EarlyBindEntry));
        qsort(sorted, n, sizeof(EarlyBindEntry), entry_compare);
        for (size_t i = 0; i < n; i++) {
                if (sorted[i].class > 0xffffff)
                        return -EINVAL;
                if (i > 0 && pci_address_equal(&sorted[i - 1].address, &sorted[i].address))
                        return -EEXIST;
        }

        f = bootcfg_text_init(&out);
        if (!f)
                return -ENOMEM;
        fputs("# Bound to vfio-pci in the initramfs when the identity still matches "
              "(passthru.early=0 skips it).\n"
              "# ADDRESS VENDOR DEVICE SUBSYSTEM_VENDOR SUBSYSTEM_DEVICE CLASS\n",
              f);
        for (size_t i = 0; i < n; i++) {
                char address[PCI_ADDRESS_STRING_MAX];
                const EarlyBindEntry *e = &sorted[i];

                /* sysfs prints IDs as 0x%04x and the class as 0x%06x */
                fprintf(f, "%s 0x%04x 0x%04x 0x%04x 0x%04x 0x%06x\n",
                        pci_address_format(&e->address, address), e->vendor, e->device, e->subsystem_vendor,
                        e->subsystem_device, e->class);
        }
        return memstream_finalize(&out, ret);
}

/* A word of the HOOKS array: where it is in the text. */
typedef struct HookWord {
        size_t start, end;
} HookWord;

static bool word_is(const char *text, const HookWord *w, const char *name) {
        return w->end - w->start == strlen(name) && strncmp(text + w->start, name, w->end - w->start) == 0;
}

/* Finds the last uncommented "HOOKS=(" line (bash keeps the last) and the span of its words. */
static int find_hooks(const char *text, size_t *ret_open, size_t *ret_close) {
        const char *line = text;
        bool found = false;

        while (line && *line) {
                const char *p = line + strspn(line, " \t"), *close;

                if (strncmp(p, "HOOKS=(", 7) == 0) {
                        close = strchr(p + 7, ')');
                        if (!close)
                                return -EBADMSG;
                        *ret_open = p + 7 - text;
                        *ret_close = close - text;
                        found = true;
                        line = close;
                }
                line = strchr(line, '\n');
                if (line)
                        line++;
        }
        return found ? 0 : -EBADMSG;
}

int mkinitcpio_hooks_edit(const char *text, bool add, char **ret) {
        HookWord words[128];
        size_t open_at, close_at, n = 0, udev = SIZE_MAX, ours = SIZE_MAX;
        char *out;
        int r;

        assert(text);
        assert(ret);
        r = find_hooks(text, &open_at, &close_at);
        if (r < 0)
                return r;
        for (size_t i = open_at; i < close_at;) {
                size_t len;

                i += strspn(text + i, " \t\n");
                if (i >= close_at)
                        break;
                len = strcspn(text + i, " \t\n)");
                if (n == ELEMENTSOF(words))
                        return -E2BIG;
                words[n] = (HookWord){ i, i + len };
                if (word_is(text, &words[n], "udev"))
                        udev = n;
                else if (word_is(text, &words[n], HOOK_NAME))
                        ours = n;
                n++;
                i += len;
        }

        if (!add) {
                if (ours == SIZE_MAX) {
                        out = strdup(text);
                        if (!out)
                                return -ENOMEM;
                        *ret = out;
                        return 0;
                }
                /* the word and the blank after it (or before it, when it ends the array) */
                size_t from = words[ours].start, to = words[ours].end;

                if (ours + 1 < n)
                        to = words[ours + 1].start;
                else if (ours > 0)
                        from = words[ours - 1].end;
                if (asprintf(&out, "%.*s%s", (int) from, text, text + to) < 0)
                        return -ENOMEM;
                *ret = out;
                return 1;
        }

        /* without udev (a systemd initramfs runs no early hooks) there is no place before it */
        if (udev == SIZE_MAX)
                return -EOPNOTSUPP;
        if (ours != SIZE_MAX && ours < udev) {
                out = strdup(text);
                if (!out)
                        return -ENOMEM;
                *ret = out;
                return 0;
        }
        if (ours != SIZE_MAX) {
                /* after udev: too late; take it out first, then put it in place */
                _cleanup_free_ char *removed = NULL;

                r = mkinitcpio_hooks_edit(text, false, &removed);
                if (r < 0)
                        return r;
                r = mkinitcpio_hooks_edit(removed, true, ret);
                return r < 0 ? r : 1;
        }
        if (asprintf(&out, "%.*s" HOOK_NAME " %s", (int) words[udev].start, text, text + words[udev].start) <
            0)
                return -ENOMEM;
        *ret = out;
        return 1;
}
