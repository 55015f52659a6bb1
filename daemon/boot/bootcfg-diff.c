/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/param.h>

#include "bootcfg-diff.h"
#include "macros.h"
#include "memstream.h"

#define CONTEXT 3
#define MAX_CELLS (4u * 1024 * 1024)

typedef struct Lines {
        const char **start;
        size_t *len; /* without the newline */
        size_t n;
        bool last_has_newline;
} Lines;

typedef enum OpKind { OP_SAME, OP_DEL, OP_ADD } OpKind;

typedef struct Op {
        OpKind kind;
        size_t a, b; /* line index in the old and in the new text at this point */
} Op;

static void lines_done(Lines *l) {
        free(l->start);
        free(l->len);
}

static int lines_split(const char *text, Lines *ret) {
        Lines l = { .last_has_newline = true };
        size_t cap = 0;

        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);

                if (l.n == cap) {
                        size_t new_cap = cap ? cap * 2 : 64;
                        const char **s = realloc(l.start, new_cap * sizeof(char *));
                        size_t *n;

                        if (!s)
                                goto oom;
                        l.start = s;
                        n = realloc(l.len, new_cap * sizeof(size_t));
                        if (!n)
                                goto oom;
                        l.len = n;
                        cap = new_cap;
                }
                l.start[l.n] = p;
                l.len[l.n] = len;
                l.n++;
                l.last_has_newline = nl != NULL;
                p = nl ? nl + 1 : p + len;
        }
        *ret = l;
        return 0;
oom:
        lines_done(&l);
        return -ENOMEM;
}

static bool line_equal(const Lines *x, size_t i, const Lines *y, size_t j) {
        /* The last line without its newline differs from the same line with one. */
        bool x_nl = i + 1 < x->n || x->last_has_newline, y_nl = j + 1 < y->n || y->last_has_newline;

        return x->len[i] == y->len[j] && x_nl == y_nl && memcmp(x->start[i], y->start[j], x->len[i]) == 0;
}

/* The edit script: same lines of the common head, an LCS walk of the middle, the common tail. */
static int diff_ops(const Lines *x, const Lines *y, Op **ret, size_t *ret_n) {
        _cleanup_free_ uint32_t *table = NULL;
        _cleanup_free_ Op *ops = NULL;
        size_t head = 0, tail = 0, n, m, k = 0, i, j;

        while (head < x->n && head < y->n && line_equal(x, head, y, head))
                head++;
        while (tail < x->n - head && tail < y->n - head &&
               line_equal(x, x->n - 1 - tail, y, y->n - 1 - tail))
                tail++;
        n = x->n - head - tail;
        m = y->n - head - tail;
        if ((n + 1) > MAX_CELLS / (m + 1))
                return -E2BIG;

        /* table[i][j]: LCS length of the middles' suffixes from i and j */
        table = calloc((n + 1) * (m + 1), sizeof(uint32_t));
        ops = calloc(x->n + y->n + 1, sizeof(Op));
        if (!table || !ops)
                return -ENOMEM;
#define T(a, b) table[(a) * (m + 1) + (b)]
        for (i = n; i-- > 0;)
                for (j = m; j-- > 0;)
                        T(i, j) = line_equal(x, head + i, y, head + j) ? T(i + 1, j + 1) + 1
                                                                       : MAX(T(i + 1, j), T(i, j + 1));

        for (i = 0; i < head; i++)
                ops[k++] = (Op){ OP_SAME, i, i };
        for (i = 0, j = 0; i < n || j < m;) {
                if (i < n && j < m && line_equal(x, head + i, y, head + j)) {
                        ops[k++] = (Op){ OP_SAME, head + i, head + j };
                        i++, j++;
                } else if (j == m || (i < n && T(i + 1, j) >= T(i, j + 1))) {
                        /* on a tie the deletion comes first, as diff -u prints it */
                        ops[k++] = (Op){ OP_DEL, head + i, head + j };
                        i++;
                } else {
                        ops[k++] = (Op){ OP_ADD, head + i, head + j };
                        j++;
                }
        }
#undef T
        for (i = 0; i < tail; i++)
                ops[k++] = (Op){ OP_SAME, x->n - tail + i, y->n - tail + i };

        *ret = TAKE_PTR(ops);
        *ret_n = k;
        return 0;
}

static void print_range(FILE *f, size_t first, size_t count) {
        /* diff -u: a range of one line is just its number; an empty range names the line before */
        if (count == 1)
                fprintf(f, "%zu", first + 1);
        else
                fprintf(f, "%zu,%zu", count == 0 ? first : first + 1, count);
}

static void print_line(FILE *f, char mark, const Lines *l, size_t i) {
        fputc(mark, f);
        fwrite(l->start[i], 1, l->len[i], f);
        fputc('\n', f);
        if (i + 1 == l->n && !l->last_has_newline)
                fputs("\\ No newline at end of file\n", f);
}

static void print_hunk(FILE *f, const Op *ops, size_t from, size_t to, const Lines *x, const Lines *y) {
        size_t n_old = 0, n_new = 0;

        for (size_t k = from; k < to; k++) {
                n_old += ops[k].kind != OP_ADD;
                n_new += ops[k].kind != OP_DEL;
        }
        fputs("@@ -", f);
        print_range(f, ops[from].a, n_old);
        fputs(" +", f);
        print_range(f, ops[from].b, n_new);
        fputs(" @@\n", f);
        for (size_t k = from; k < to; k++)
                switch (ops[k].kind) {
                case OP_SAME:
                        print_line(f, ' ', x, ops[k].a);
                        break;
                case OP_DEL:
                        print_line(f, '-', x, ops[k].a);
                        break;
                case OP_ADD:
                        print_line(f, '+', y, ops[k].b);
                        break;
                }
}

static void print_hunks(FILE *f, const Op *ops, size_t n, const Lines *x, const Lines *y) {
        size_t k = 0;

        while (k < n) {
                size_t from, to, last;

                while (k < n && ops[k].kind == OP_SAME)
                        k++;
                if (k == n)
                        break;
                from = k > CONTEXT ? k - CONTEXT : 0;
                /* extend while the next change is close enough for the contexts to touch */
                last = k;
                for (size_t j = k + 1; j < n; j++) {
                        if (ops[j].kind == OP_SAME)
                                continue;
                        if (j - last - 1 > 2 * CONTEXT)
                                break;
                        last = j;
                }
                to = MIN(last + 1 + CONTEXT, n);
                print_hunk(f, ops, from, to, x, y);
                k = last + 1;
        }
}

int unified_diff(const char *old_label, const char *old_text, const char *new_label, const char *new_text,
                 char **ret) {
        _cleanup_(memstream_done) MemStream out = {};
        _cleanup_free_ Op *ops = NULL;
        Lines x = {}, y = {};
        size_t n_ops;
        FILE *f;
        int r;

        assert(old_label);
        assert(new_label);
        assert(ret);
        if (streq_ptr(old_text, new_text)) {
                *ret = NULL;
                return 0;
        }
        r = lines_split(old_text, &x);
        if (r < 0)
                return r;
        r = lines_split(new_text, &y);
        if (r < 0)
                goto finish;
        r = diff_ops(&x, &y, &ops, &n_ops);
        if (r < 0)
                goto finish;

        f = memstream_init(&out);
        if (!f) {
                r = -ENOMEM;
                goto finish;
        }
        fprintf(f, "--- %s\n+++ %s\n", old_text ? old_label : "/dev/null",
                new_text ? new_label : "/dev/null");
        print_hunks(f, ops, n_ops, &x, &y);
        r = memstream_finalize(&out, ret);
        if (r >= 0)
                r = 1;
finish:
        lines_done(&x);
        lines_done(&y);
        return r;
}
