/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* NULL-terminated string arrays ("strv"), as used for KernelModules, ResetMethods and
 * VirtualFunctions. */

#include <stdbool.h>
#include <stddef.h>

#include "macros.h"

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *s);
bool strv_equal(char *const *a, char *const *b);
/* Appends a copy of s; -ENOMEM leaves *l unchanged. */
int strv_extend(char ***l, const char *s);
/* Appends a formatted string; -ENOMEM leaves *l unchanged. */
int strv_extendf(char ***l, const char *fmt, ...) _printf_(2, 3);
/* Appends s itself (taking ownership only on success). */
int strv_push(char ***l, char *s);
int strv_copy(char *const *l, char ***ret);
/* Splits on any run of the characters in separators; empty words are dropped. */
int strv_split(const char *s, const char *separators, char ***ret);
void strv_sort(char **l);
/* The words joined with separator between them; NULL on allocation failure. */
char *strv_join(char *const *l, const char *separator);
