/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UTF-8 validation and escaping (common/utf8.c): the gate between text read from outside
 * (pci.ids, sysfs) and D-Bus, which refuses a whole message for one invalid string. */
#include <glib.h>

#include "macros.h"
#include "utf8.h"

static const char *const valid[] = {
        "",
        "Intel Corporation",
        "Realtek Semiconductor Co., Ltd.",
        "Gr\303\244fikkarte",             /* ä, two bytes (octal: a hex escape would eat the f) */
        "\xe2\x80\x94 dash \xe2\x82\xac", /* em dash and euro sign, three bytes */
        "\xf0\x9f\x98\x80",               /* U+1F600, four bytes */
        "\xef\xbf\xbf",                   /* U+FFFF: a noncharacter, but valid */
        "\xf4\x8f\xbf\xbf",               /* U+10FFFF, the last code point */
        "\x01\x7f",                       /* control characters are valid UTF-8 */
};

/* Each invalid input and what the escaper makes of it. */
static const struct {
        const char *in, *escaped;
} invalid[] = {
        { "caf\xe9", "caf\\xe9" },                            /* Latin-1 é */
        { "\xe9vfio", "\\xe9vfio" },                          /* at the start */
        { "\x80", "\\x80" },                                  /* a lone continuation byte */
        { "\xc3", "\\xc3" },                                  /* a lead byte at the end */
        { "\xc3z", "\\xc3z" },                                /* a lead byte without its continuation */
        { "\xe2\x82", "\\xe2\\x82" },                         /* a three-byte character cut short */
        { "\xc0\xaf", "\\xc0\\xaf" },                         /* overlong '/' */
        { "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },                /* overlong, three bytes */
        { "\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf" },       /* overlong, four bytes */
        { "\xed\xa0\x80", "\\xed\\xa0\\x80" },                /* U+D800, a surrogate */
        { "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },       /* U+110000 */
        { "\xff\xfe", "\\xff\\xfe" },                         /* never in UTF-8 */
        { "ok \xc3\xa4 \xe4 ok", "ok \xc3\xa4 \\xe4 ok" },    /* valid around invalid */
        { "\xe2\x82\xe2\x82\xac", "\\xe2\\x82\xe2\x82\xac" }, /* a cut character before a whole one */
};

typedef struct {
        char *escaped;
} Utf8Fixture;

static void fixture_setup(Utf8Fixture *f, gconstpointer data) {
        f->escaped = NULL;
}

static void fixture_teardown(Utf8Fixture *f, gconstpointer data) {
        free(f->escaped);
}

static void test_valid(Utf8Fixture *f, gconstpointer data) {
        for (size_t i = 0; i < G_N_ELEMENTS(valid); i++) {
                _cleanup_free_ char *escaped = NULL;

                g_assert_true(utf8_is_valid(valid[i]));
                g_assert_true(g_utf8_validate(valid[i], -1, NULL));
                g_assert_cmpint(utf8_escape_invalid(valid[i], &escaped), ==, 0);
                g_assert_cmpstr(escaped, ==, valid[i]);
        }
}

static void test_invalid(Utf8Fixture *f, gconstpointer data) {
        for (size_t i = 0; i < G_N_ELEMENTS(invalid); i++) {
                _cleanup_free_ char *escaped = NULL;

                g_assert_false(utf8_is_valid(invalid[i].in));
                g_assert_false(g_utf8_validate(invalid[i].in, -1, NULL));
                g_assert_cmpint(utf8_escape_invalid(invalid[i].in, &escaped), ==, 0);
                g_assert_cmpstr(escaped, ==, invalid[i].escaped);
                g_assert_true(utf8_is_valid(escaped));
        }
}

/* Every byte value alone: the escaper's output is always valid, and only ASCII stays as is. */
static void test_every_byte(Utf8Fixture *f, gconstpointer data) {
        for (unsigned b = 1; b < 256; b++) {
                _cleanup_free_ char *escaped = NULL;
                char s[2] = { (char) b, '\0' };

                g_assert_true(utf8_is_valid(s) == (b < 0x80));
                g_assert_cmpint(utf8_escape_invalid(s, &escaped), ==, 0);
                g_assert_true(utf8_is_valid(escaped));
                g_assert_cmpuint(strlen(escaped), ==, b < 0x80 ? 1 : 4);
        }
}

static void test_char_length(Utf8Fixture *f, gconstpointer data) {
        g_assert_cmpuint(utf8_char_length("a", 1), ==, 1);
        g_assert_cmpuint(utf8_char_length("\xc3\xa4", 2), ==, 2);
        g_assert_cmpuint(utf8_char_length("\xe2\x82\xac", 3), ==, 3);
        g_assert_cmpuint(utf8_char_length("\xf0\x9f\x98\x80", 4), ==, 4);
        /* The buffer's end cuts the character: never read past it. */
        g_assert_cmpuint(utf8_char_length("\xe2\x82\xac", 2), ==, 0);
        g_assert_cmpuint(utf8_char_length("a", 0), ==, 0);
}

static void test_prefix_length(Utf8Fixture *f, gconstpointer data) {
        const char *umlauts = "\xc3\xa4\xc3\xa4\xc3\xa4"; /* three ä, two bytes each */

        g_assert_cmpuint(utf8_prefix_length("0000:01:00.0", 32), ==, 12);
        g_assert_cmpuint(utf8_prefix_length("0000:01:00.0", 4), ==, 4);
        g_assert_cmpuint(utf8_prefix_length("", 4), ==, 0);
        g_assert_cmpuint(utf8_prefix_length(umlauts, 6), ==, 6);
        g_assert_cmpuint(utf8_prefix_length(umlauts, 5), ==, 4); /* not half an ä */
        g_assert_cmpuint(utf8_prefix_length(umlauts, 1), ==, 0);
        g_assert_cmpuint(utf8_prefix_length("a\360\237\230\200b", 4), ==, 1);
        g_assert_cmpuint(utf8_prefix_length("a\360\237\230\200b", 5), ==, 5);
        /* Invalid bytes are units of one: the cut may fall between them. */
        g_assert_cmpuint(utf8_prefix_length("\xe9\xe9\xe9", 2), ==, 2);
        g_assert_cmpuint(utf8_prefix_length("ab\xe2\x82", 3), ==, 3);
}

static void test_make_valid(Utf8Fixture *f, gconstpointer data) {
        char *unchanged;

        g_assert_cmpint(utf8_make_valid(&f->escaped), ==, 0);
        g_assert_null(f->escaped);

        f->escaped = strdup("vfio-pci");
        unchanged = f->escaped;
        g_assert_cmpint(utf8_make_valid(&f->escaped), ==, 0);
        g_assert_true(f->escaped == unchanged);

        free(f->escaped);
        f->escaped = strdup("vfio\xe9");
        g_assert_cmpint(utf8_make_valid(&f->escaped), ==, 1);
        g_assert_cmpstr(f->escaped, ==, "vfio\\xe9");
}

#define ADD(path, func) g_test_add(path, Utf8Fixture, NULL, fixture_setup, func, fixture_teardown)

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        ADD("/utf8/valid", test_valid);
        ADD("/utf8/invalid", test_invalid);
        ADD("/utf8/every-byte", test_every_byte);
        ADD("/utf8/char-length", test_char_length);
        ADD("/utf8/prefix-length", test_prefix_length);
        ADD("/utf8/make-valid", test_make_valid);
        return g_test_run();
}
