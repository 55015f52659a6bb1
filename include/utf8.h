/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* UTF-8 as D-Bus wants it: every string on the bus must be valid UTF-8 (no overlong forms,
 * no surrogates, nothing above U+10FFFF), or sd-bus refuses the whole message. Text read
 * from outside (pci.ids, sysfs attributes, link names) is made valid once, where it enters
 * the model: each invalid byte becomes a visible "\xNN", so one device's bad byte never
 * breaks a reply that lists everyone. */

#include <stdbool.h>
#include <stddef.h>

/* Length (1..4) of the valid UTF-8 character at the start of s[0..n), or 0 when the bytes
 * there do not start one (invalid, truncated, or n == 0). */
size_t utf8_char_length(const char *s, size_t n);

bool utf8_is_valid(const char *s);

/* The length in bytes of the longest start of s that is at most max bytes and does not end
 * inside a character (an invalid byte counts as one of its own), for quoting a string cut
 * short without cutting a character in two. */
size_t utf8_prefix_length(const char *s, size_t max);

/* A copy of s in which each byte that is not part of a valid character is written as
 * "\xNN" (lower-case hex); valid UTF-8 is copied unchanged. */
int utf8_escape_invalid(const char *s, char **ret);

/* Replaces *p (may be NULL) with its escaped form when it is not valid UTF-8. On failure
 * *p is left as it was. */
int utf8_make_valid(char **p);
