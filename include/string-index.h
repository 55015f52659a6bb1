/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Distinct strings numbered in the order they first came: the string table of a packed
 * reply, in which thousands of rows share a few dozen names. The strings are borrowed and
 * must outlive the index. */

#include <stddef.h>
#include <stdint.h>

typedef struct StringIndex {
        const char **strings; /* in order of first appearance */
        size_t n_strings, allocated;
        uint32_t *slots; /* open addressing: number + 1, 0 for an empty slot */
        size_t n_slots;  /* a power of two, at least twice n_strings */
} StringIndex;

/* The number of s: the one it got when first added. -ENOMEM leaves x unchanged. */
int string_index_add(StringIndex *x, const char *s, uint32_t *ret);
void string_index_done(StringIndex *x);

/* A StringIndex that owns its strings: each distinct string kept once, for the pool's life.
 * The names of thousands of functions are a few dozen strings. */
typedef struct StringPool {
        StringIndex index;
} StringPool;

/* s (malloc'd, taken; NULL gives NULL) as the pool's one copy: the one the pool has when it
 * has s already (s is freed), else s itself, kept. NULL on -ENOMEM (s freed). */
const char *string_pool_take(StringPool *p, char *s);
void string_pool_done(StringPool *p);
