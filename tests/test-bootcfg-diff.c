/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unified diffs (daemon/boot/bootcfg-diff.c): hand-written expectations for the shapes a dry run
 * shows (a changed line, a new file, a file removed, no newline at the end, hunks apart and
 * merged), and the same output as GNU `diff -u` on the command-line fixtures and on edits of
 * a long file. */
#include <glib.h>
#include <glib/gstdio.h>

#include "bootcfg-diff.h"

static void test_same(void) {
        char *out = (char *) "untouched";

        g_assert_cmpint(unified_diff("a", "x\n", "b", "x\n", &out), ==, 0);
        g_assert_null(out);
        g_assert_cmpint(unified_diff("a", NULL, "b", NULL, &out), ==, 0);
}

static void test_cases(void) {
        static const struct {
                const char *old, *new, *diff;
        } cases[] = {
                { "a\nb\nc\n", "a\nB\nc\n", "--- old\n+++ new\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n" },
                { NULL, "x\ny\n", "--- /dev/null\n+++ new\n@@ -0,0 +1,2 @@\n+x\n+y\n" },
                { "x\n", NULL, "--- old\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n" },
                { "x", "x\n", "--- old\n+++ new\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+x\n" },
                { "x\n", "x\ny", "--- old\n+++ new\n@@ -1 +1,2 @@\n x\n+y\n\\ No newline at end of file\n" },
                { "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
                  "--- old\n+++ new\n@@ -7,3 +7,4 @@\n 7\n 8\n 9\n+10\n" },
                { "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n3\n4\n5\n6\n7\n8\n9\n",
                  "--- old\n+++ new\n@@ -1,5 +1,4 @@\n 1\n-2\n 3\n 4\n 5\n" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *out = NULL;

                g_test_message("case %zu", i);
                g_assert_cmpint(unified_diff("old", cases[i].old, "new", cases[i].new, &out), ==, 1);
                g_assert_cmpstr(out, ==, cases[i].diff);
        }
}

/* Our diff against `diff -u` of the same two texts, the headers left out (diff prints dates). */
static void assert_like_gnu_diff(const char *old, const char *new) {
        g_autofree char *dir = g_dir_make_tmp("passthru-diff-XXXXXX", NULL);
        g_autofree char *a = g_build_filename(dir, "a", NULL), *b = g_build_filename(dir, "b", NULL);
        g_autofree char *gnu = NULL, *ours = NULL;
        const char *argv[] = { "diff", "-u", a, b, NULL };
        int status;

        g_assert_true(g_file_set_contents(a, old, -1, NULL));
        g_assert_true(g_file_set_contents(b, new, -1, NULL));
        g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &gnu, NULL,
                                   &status, NULL));
        g_assert_cmpint(unified_diff("a", old, "b", new, &ours), ==, 1);
        g_assert_cmpstr(strchr(strchr(ours, '\n') + 1, '\n') + 1, ==,
                        strchr(strchr(gnu, '\n') + 1, '\n') + 1);
        g_unlink(a);
        g_unlink(b);
        g_rmdir(dir);
}

static void test_like_gnu(void) {
        static const char *const names[] = { "debian12",       "ubuntu-splash",      "unquoted",
                                             "commented-only", "missing-no-newline", "duplicates",
                                             "multiline",      "present-remove" };
        g_autofree char *diff_prog = g_find_program_in_path("diff");
        g_autoptr(GString) old = g_string_new(NULL), new = NULL;

        if (!diff_prog) {
                g_test_skip("GNU diff is not installed");
                return;
        }
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                g_autofree char *in_name = g_strconcat(names[i], ".in", NULL);
                g_autofree char *out_name = g_strconcat(names[i], ".out", NULL);
                g_autofree char *in_path =
                        g_test_build_filename(G_TEST_DIST, "data", "bootcfg", "grub", in_name, NULL);
                g_autofree char *out_path =
                        g_test_build_filename(G_TEST_DIST, "data", "bootcfg", "grub", out_name, NULL);
                g_autofree char *in = NULL, *out = NULL;

                g_test_message("%s", names[i]);
                g_assert_true(g_file_get_contents(in_path, &in, NULL, NULL));
                g_assert_true(g_file_get_contents(out_path, &out, NULL, NULL));
                assert_like_gnu_diff(in, out);
        }

        /* a long file with changes far apart (two hunks) and close together (one) */
        for (int i = 1; i <= 60; i++)
                g_string_append_printf(old, "line %d\n", i);
        new = g_string_new(old->str);
        g_string_replace(new, "line 5\n", "line five\n", 1);
        g_string_replace(new, "line 30\n", "", 1);
        g_string_replace(new, "line 36\n", "line 36\nnew after 36\n", 1);
        g_string_append(new, "last");
        assert_like_gnu_diff(old->str, new->str);
}

static void test_too_big(void) {
        g_autoptr(GString) a = g_string_new(NULL), b = g_string_new(NULL);
        g_autofree char *out = NULL;

        for (int i = 0; i < 5000; i++) {
                g_string_append_printf(a, "a%d\n", i);
                g_string_append_printf(b, "b%d\n", i);
        }
        g_assert_cmpint(unified_diff("a", a->str, "b", b->str, &out), ==, -E2BIG);
        g_assert_null(out);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/diff/same", test_same);
        g_test_add_func("/diff/cases", test_cases);
        g_test_add_func("/diff/like-gnu-diff", test_like_gnu);
        g_test_add_func("/diff/too-big", test_too_big);
        return g_test_run();
}
