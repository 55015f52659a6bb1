/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "editor.h"

struct TestEditor {
        char *path;
        GThread *thread;
        gint stop;
        guint edits, lost;
};

/* The counter on the file's first line, 0 when none. */
static guint edit_number(const char *text) {
        guint n = 0;

        return sscanf(text, "# edit %u", &n) == 1 ? n : 0;
}

static char *read_text(const TestEditor *e) {
        char *text = NULL;

        g_assert_true(g_file_get_contents(e->path, &text, NULL, NULL));
        return text;
}

static gpointer editor_run(gpointer data) {
        TestEditor *e = data;
        g_autofree char *tmp = g_strconcat(e->path, ".editor", NULL);

        while (!g_atomic_int_get(&e->stop)) {
                g_autofree char *text = read_text(e), *edited = NULL;
                const char *rest;

                /* A save that saw the edit puts it back within microseconds: look twice. */
                if (edit_number(text) != e->edits) {
                        g_usleep(20000);
                        g_free(text);
                        text = read_text(e);
                        if (edit_number(text) != e->edits) {
                                g_test_message("edit %u lost, the file says %u", e->edits,
                                               edit_number(text));
                                e->lost++;
                        }
                }
                rest = edit_number(text) > 0 ? strchr(text, '\n') + 1 : text;
                edited = g_strdup_printf("# edit %u\n%s", ++e->edits, rest);
                g_assert_true(g_file_set_contents(tmp, edited, -1, NULL));
                g_assert_cmpint(rename(tmp, e->path), ==, 0);
                /* Hundreds of saves a second: far beyond a person, and slow enough that a
                 * loaded 2-core machine still answers the daemon's callers in time. Under
                 * valgrind (the suite's wrapper) the daemon runs some 30 times slower: the
                 * editor slows down as much, or its reloads alone would fill the loop. */
                if (g_getenv("PASSTHRU_TEST_WRAPPER"))
                        g_usleep(g_random_int_range(20000, 60000));
                else
                        g_usleep(g_random_int_range(500, 2000));
        }
        return NULL;
}

TestEditor *test_editor_start(const char *path) {
        TestEditor *e = g_new0(TestEditor, 1);

        e->path = g_strdup(path);
        e->thread = g_thread_new("editor", editor_run, e);
        return e;
}

guint test_editor_stop(TestEditor *e, guint *ret_edits) {
        guint lost;

        g_atomic_int_set(&e->stop, 1);
        g_thread_join(e->thread);
        lost = e->lost;
        if (ret_edits)
                *ret_edits = e->edits;
        g_free(e->path);
        g_free(e);
        return lost;
}
