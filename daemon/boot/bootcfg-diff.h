/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Unified diffs of a configuration file's old and new text, the preview a dry run of the boot
 * configuration returns. Line based, three lines of context, the format of `diff -u` (GNU):
 * "--- OLD" / "+++ NEW" headers, "@@ -l,n +l,n @@" hunks, "\ No newline at end of file".
 * Sized for configuration files: the part between the common head and tail of the two texts is
 * compared with a longest-common-subsequence table, refused (-E2BIG) past a few million cells. */

/* old_text NULL: the file is new ("--- /dev/null"); new_text NULL: the file goes away
 * ("+++ /dev/null"). Returns 1 and the diff when the texts differ, 0 and NULL when they are
 * the same. */
int unified_diff(const char *old_label, const char *old_text, const char *new_label, const char *new_text,
                 char **ret);
