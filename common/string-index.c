/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "string-index.h"

/* FNV-1a: short names, few of them; good enough and cheap. */
static uint32_t hash(const char *s) {
        uint32_t h = 2166136261u;

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 16777619u;
        return h;
}

static size_t slot_of(const StringIndex *x, const char *s) {
        size_t mask = x->n_slots - 1, i = hash(s) & mask;

        while (x->slots[i] != 0 && !streq(x->strings[x->slots[i] - 1], s))
                i = (i + 1) & mask;
        return i;
}

static int grow(StringIndex *x) {
        size_t n_slots = x->n_slots > 0 ? x->n_slots * 2 : 64;
        uint32_t *slots = calloc(n_slots, sizeof(uint32_t)), *old = x->slots;

        if (!slots)
                return -ENOMEM;
        x->slots = slots;
        x->n_slots = n_slots;
        for (size_t i = 0; i < x->n_strings; i++)
                x->slots[slot_of(x, x->strings[i])] = (uint32_t) i + 1;
        free(old);
        return 0;
}

int string_index_add(StringIndex *x, const char *s, uint32_t *ret) {
        size_t slot;
        int r;

        assert(x);
        assert(s);
        assert(ret);
        if (x->n_slots > 0) {
                slot = slot_of(x, s);
                if (x->slots[slot] != 0) {
                        *ret = x->slots[slot] - 1;
                        return 0;
                }
        }
        if (x->n_strings >= UINT32_MAX - 1)
                return -ENOMEM;
        if (x->n_strings == x->allocated) {
                size_t allocated = x->allocated > 0 ? x->allocated * 2 : 32;
                const char **grown = realloc(x->strings, sizeof(char *) * allocated);

                if (!grown)
                        return -ENOMEM;
                x->strings = grown;
                x->allocated = allocated;
        }
        if ((x->n_strings + 1) * 2 > x->n_slots) {
                r = grow(x);
                if (r < 0)
                        return r;
        }
        x->strings[x->n_strings] = s;
        x->slots[slot_of(x, s)] = (uint32_t) ++x->n_strings;
        *ret = (uint32_t) x->n_strings - 1;
        return 0;
}

void string_index_done(StringIndex *x) {
        free(x->strings);
        free(x->slots);
        *x = (StringIndex){};
}

const char *string_pool_take(StringPool *p, char *s) {
        size_t n;
        uint32_t i;

        assert(p);
        if (!s)
                return NULL;
        n = p->index.n_strings;
        if (string_index_add(&p->index, s, &i) < 0) {
                free(s);
                return NULL;
        }
        if (i < n)
                free(s); /* the pool has it: i is the number of its copy */
        return p->index.strings[i];
}

void string_pool_done(StringPool *p) {
        for (size_t i = 0; i < p->index.n_strings; i++)
                free((char *) p->index.strings[i]);
        string_index_done(&p->index);
}
