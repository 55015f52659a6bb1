/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;

        if (l)
                while (l[n])
                        n++;
        return n;
}

bool strv_contains(char *const *l, const char *s) {
        for (size_t i = 0; l && l[i]; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

bool strv_equal(char *const *a, char *const *b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

int strv_push(char ***l, char *s) {
        size_t n = strv_length(*l);
        char **grown = realloc(*l, sizeof(char *) * (n + 2));

        assert(l);
        assert(s);
        if (!grown)
                return -ENOMEM;
        grown[n] = s;
        grown[n + 1] = NULL;
        *l = grown;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        char *copy = strdup(s);
        int r;

        assert(l);
        assert(s);
        if (!copy)
                return -ENOMEM;
        r = strv_push(l, copy);
        if (r < 0)
                free(copy);
        return r;
}

int strv_copy(char *const *l, char ***ret) {
        _cleanup_strv_free_ char **copy = calloc(1, sizeof(char *));
        int r;

        assert(ret);
        if (!copy)
                return -ENOMEM;
        for (size_t i = 0; l && l[i]; i++) {
                r = strv_extend(&copy, l[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(copy);
        return 0;
}

int strv_split(const char *s, const char *separators, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int r;

        assert(s);
        assert(separators);
        assert(ret);
        if (!l)
                return -ENOMEM;
        while (*s) {
                size_t skip = strspn(s, separators), len;

                s += skip;
                len = strcspn(s, separators);
                if (len == 0)
                        break;
                char *word = strndup(s, len);
                if (!word)
                        return -ENOMEM;
                r = strv_push(&l, word);
                if (r < 0) {
                        free(word);
                        return r;
                }
                s += len;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void strv_sort(char **l) {
        qsort(l, strv_length(l), sizeof(char *), compare_strings);
}

char *strv_join(char *const *l, const char *separator) {
        size_t len = 1, n = strv_length(l);
        char *s, *p;

        for (size_t i = 0; i < n; i++)
                len += strlen(l[i]) + (i > 0 ? strlen(separator) : 0);
        s = p = malloc(len);
        if (!s)
                return NULL;
        *p = '\0';
        for (size_t i = 0; i < n; i++)
                p = stpcpy(stpcpy(p, i > 0 ? separator : ""), l[i]);
        return s;
}

int strv_extendf(char ***l, const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        assert(l);
        assert(fmt);
        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        r = strv_push(l, s);
        if (r < 0)
                free(s);
        return r;
}
