/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Backup names and the marker of generated files (daemon/boot/bootcfg-file.c). */
#include <glib.h>

#include "bootcfg-file.h"
#include "macros.h"

static void test_backup_path(void) {
        g_autofree char *a = NULL, *b = NULL;
        char *untouched = (char *) "x";

        /* 2026-11-29 05:07:09 UTC */
        g_assert_cmpint(bootcfg_backup_path("/etc/default/grub", 1795928829, 0, &a), ==, 0);
        g_assert_cmpstr(a, ==, "/etc/default/grub.passthru-20261129-050709");
        g_assert_cmpint(bootcfg_backup_path("/etc/kernel/cmdline", 0, 2, &b), ==, 0);
        g_assert_cmpstr(b, ==, "/etc/kernel/cmdline.passthru-19700101-000000-2");
        g_assert_cmpint(bootcfg_backup_path("", 0, 0, &untouched), ==, -EINVAL);
        g_assert_cmpstr(untouched, ==, "x");
}

static void test_is_backup_of(void) {
        static const struct {
                const char *name;
                bool expected;
        } cases[] = {
                { "grub.passthru-20261129-050709", true },
                { "grub.passthru-20261129-050709-2", true },
                { "grub", false },
                { "grub.passthru-", false },
                { "grub.passthru-2026112-050709", false },
                { "grub.passthru-20261129-050709-", false },
                { "grub.passthru-20261129-050709-x", false },
                { "grub.passthru-20261129-050709.bak", false },
                { "grub.d.passthru-20261129-050709", false },
                { "grub.ucf-dist", false },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_test_message("%s", cases[i].name);
                g_assert_cmpint(bootcfg_is_backup_of(cases[i].name, "grub"), ==, cases[i].expected);
        }
}

static void test_marker(void) {
        _cleanup_(memstream_done) MemStream m = {};
        g_autofree char *line = NULL, *script = NULL;

        g_assert_nonnull(bootcfg_text_init(&m));
        g_assert_cmpint(memstream_finalize(&m, &line), ==, 0);
        g_assert_cmpstr(line, ==, "# " BOOTCFG_MARKER "\n");
        g_assert_true(bootcfg_text_is_ours(line));
        script = g_strconcat("#!/bin/sh\n", line, "echo\n", NULL);
        g_assert_true(bootcfg_text_is_ours(script));

        g_assert_false(bootcfg_text_is_ours(""));
        g_assert_false(bootcfg_text_is_ours("vfio\nvfio_pci\n"));
        /* quoted somewhere else, or far down the file: the admin's file, not ours */
        g_assert_false(bootcfg_text_is_ours("echo '" BOOTCFG_MARKER "'\n"));
        g_assert_false(bootcfg_text_is_ours("a\nb\nc\n# " BOOTCFG_MARKER "\n"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/file/backup-path", test_backup_path);
        g_test_add_func("/file/is-backup-of", test_is_backup_of);
        g_test_add_func("/file/marker", test_marker);
        return g_test_run();
}
