/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A hand editor for race tests: a thread that saves a file by rename (as editors do) over
 * and over, each edit carrying "# edit N" on its first line and keeping the rest of the file.
 * Before each edit it checks that its last one is still there: a writer that replaced the
 * file with a copy read before that edit has lost it. */

#include <glib.h>

typedef struct TestEditor TestEditor;

TestEditor *test_editor_start(const char *path);
/* Stops and frees it; *ret_edits (may be NULL) gets how many edits it made. Returns how many
 * of them were lost. */
guint test_editor_stop(TestEditor *e, guint *ret_edits);
