/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bootcfg-cmdline.h"
#include "macros.h"
#include "memstream.h"
#include "strv.h"

#define GRUB_VARIABLE "GRUB_CMDLINE_LINUX_DEFAULT"

/* One word of a command line with the blanks before it, so untouched words keep their spacing. */
typedef struct Word {
        char *pre;
        char *text;
        bool gone;
} Word;

typedef struct Words {
        Word *items;
        size_t n;
        char *trailing;
} Words;

static void words_done(Words *w) {
        for (size_t i = 0; i < w->n; i++) {
                free(w->items[i].pre);
                free(w->items[i].text);
        }
        free(w->items);
        free(w->trailing);
        *w = (Words){};
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\n';
}

bool cmdline_arg_is_safe(const char *s) {
        const char *eq = strchr(s, '=');

        assert(s);
        if (!s[0] || eq == s)
                return false;
        if (eq && strchr(eq + 1, '='))
                return false;
        for (const char *p = s; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.,:/+-=", *p))
                        return false;
        return true;
}

/* Kernel parameter names treat '-' and '_' alike. */
static bool key_equal(const char *a, size_t na, const char *b, size_t nb) {
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++) {
                char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];

                if (x != y)
                        return false;
        }
        return true;
}

static size_t key_length(const char *arg) {
        return strcspn(arg, "=");
}

static bool arg_has_key(const char *word, const char *key, size_t key_len) {
        return key_equal(word, key_length(word), key, key_len);
}

static int words_split(const char *s, Words *ret) {
        Words w = {};
        const char *p = s;

        for (;;) {
                const char *start = p, *word;
                bool quoted = false;
                Word *items;

                while (*p && is_blank(*p))
                        p++;
                if (!*p) {
                        w.trailing = strdup(start);
                        if (!w.trailing)
                                goto oom;
                        break;
                }
                word = p;
                for (; *p && (quoted || !is_blank(*p)); p++)
                        if (*p == '"')
                                quoted = !quoted;

                items = realloc(w.items, (w.n + 1) * sizeof(Word));
                if (!items)
                        goto oom;
                w.items = items;
                w.items[w.n] = (Word){
                        .pre = strndup(start, word - start),
                        .text = strndup(word, p - word),
                };
                w.n++;
                if (!w.items[w.n - 1].pre || !w.items[w.n - 1].text)
                        goto oom;
        }
        *ret = w;
        return 0;
oom:
        words_done(&w);
        return -ENOMEM;
}

static bool words_any_left(const Words *w) {
        for (size_t i = 0; i < w->n; i++)
                if (!w->items[i].gone)
                        return true;
        return false;
}

static int words_append(Words *w, const char *text) {
        bool any = words_any_left(w); /* before realloc() moves the items */
        Word *items = realloc(w->items, (w->n + 1) * sizeof(Word));

        if (!items)
                return -ENOMEM;
        w->items = items;
        w->items[w->n] = (Word){ .pre = strdup(any ? " " : ""), .text = strdup(text) };
        w->n++;
        if (!w->items[w->n - 1].pre || !w->items[w->n - 1].text)
                return -ENOMEM;
        return 0;
}

static int words_join(const Words *w, char **ret) {
        _cleanup_(memstream_done) MemStream m = {};
        FILE *f = memstream_init(&m);
        bool first = true;

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < w->n; i++) {
                if (w->items[i].gone)
                        continue;
                /* The first word left keeps the line's leading blanks, whichever word it is. */
                fputs(first ? w->items[0].pre : w->items[i].pre, f);
                fputs(w->items[i].text, f);
                first = false;
        }
        if (first && w->n > 0)
                fputs(w->items[0].pre, f);
        fputs(w->trailing ?: "", f);
        return memstream_finalize(&m, ret);
}

static bool edit_is_safe(const CmdlineEdit *edit) {
        for (char *const *a = edit->add; a && *a; a++)
                if (!cmdline_arg_is_safe(*a))
                        return false;
        for (char *const *r = edit->remove; r && *r; r++)
                if (!cmdline_arg_is_safe(*r))
                        return false;
        return true;
}

/* Parameters whose value is a list of options separated by commas, where every occurrence
 * counts (the kernel's parser runs for each): intel_iommu=on,igfx_off. passthru sets its
 * option in the list and takes out the one that contradicts it, keeping the others. */
static const struct {
        const char *key, *option, *opposite;
} list_options[] = {
        { "intel_iommu", "on", "off" },
};

static int list_option_find(const char *arg) {
        size_t key_len = key_length(arg);

        if (!arg[key_len])
                return -1;
        for (size_t i = 0; i < ELEMENTSOF(list_options); i++)
                if (arg_has_key(list_options[i].key, arg, key_len) &&
                    streq(arg + key_len + 1, list_options[i].option))
                        return (int) i;
        return -1;
}

/* word ("key=a,b,c") without the option drop, and with add first (NULL: nothing added); a
 * word left without options goes. */
static int word_options_edit(Word *word, const char *add, const char *drop) {
        const char *eq = strchr(word->text, '=');
        size_t key_len = eq ? (size_t) (eq - word->text) : strlen(word->text);
        _cleanup_(memstream_done) MemStream out = {};
        _cleanup_free_ char *buf = NULL;
        bool any = false;
        FILE *f;

        f = memstream_init(&out);
        if (!f)
                return -ENOMEM;
        fprintf(f, "%.*s=", (int) key_len, word->text);
        if (add) {
                fputs(add, f);
                any = true;
        }
        for (const char *o = eq ? eq + 1 : ""; *o;) {
                size_t n = strcspn(o, ",");

                if (n > 0 && !(strlen(drop) == n && strncmp(o, drop, n) == 0)) {
                        fprintf(f, "%s%.*s", any ? "," : "", (int) n, o);
                        any = true;
                }
                o += n + (o[n] == ',');
        }
        if (memstream_finalize(&out, &buf) < 0)
                return -ENOMEM;
        if (!any) {
                word->gone = true;
                return 0;
        }
        return free_and_strdup(&word->text, buf) < 0 ? -ENOMEM : 0;
}

static bool word_has_option(const char *word, const char *option) {
        const char *o = strchr(word, '=');

        for (o = o ? o + 1 : ""; *o;) {
                size_t n = strcspn(o, ",");

                if (strlen(option) == n && strncmp(o, option, n) == 0)
                        return true;
                o += n + (o[n] == ',');
        }
        return false;
}

/* A word still there with the key of list_options[i]. */
static bool list_word_wanted(const Word *word, size_t i) {
        return !word->gone && arg_has_key(word->text, list_options[i].key, strlen(list_options[i].key));
}

/* Sets the option of list_options[i]: the opposite goes from every occurrence, the option
 * goes first into the first one unless one has it already, and any occurrence left empty
 * goes; appended as arg when there is none. */
static int words_set_option(Words *w, size_t i, const char *arg, bool *changed) {
        const char *option = list_options[i].option, *opposite = list_options[i].opposite;
        Word *first = NULL;
        bool present = false;
        int r;

        for (size_t k = 0; k < w->n; k++) {
                Word *word = &w->items[k];

                if (!list_word_wanted(word, i))
                        continue;
                first = first ?: word;
                present = present || word_has_option(word->text, option);
        }
        if (!first) {
                *changed = true;
                return words_append(w, arg);
        }
        for (size_t k = 0; k < w->n; k++) {
                Word *word = &w->items[k];
                _cleanup_free_ char *before = NULL;

                if (!list_word_wanted(word, i))
                        continue;
                before = strdup(word->text);
                if (!before)
                        return -ENOMEM;
                /* the first occurrence gets the option even when nothing else is left in it */
                r = word_options_edit(word, word == first && !present ? option : NULL, opposite);
                if (r < 0)
                        return r;
                if (word->gone || !streq(before, word->text))
                        *changed = true;
        }
        return 0;
}

/* Takes the option of list_options[i] out of every occurrence; an occurrence left empty goes. */
static int words_remove_option(Words *w, size_t i, bool *changed) {
        for (size_t k = 0; k < w->n; k++) {
                Word *word = &w->items[k];
                int r;

                if (!list_word_wanted(word, i) || !word_has_option(word->text, list_options[i].option))
                        continue;
                r = word_options_edit(word, NULL, list_options[i].option);
                if (r < 0)
                        return r;
                *changed = true;
        }
        return 0;
}

static bool words_remove(Words *w, const char *arg) {
        bool exact = strchr(arg, '=') != NULL, changed = false;

        for (size_t i = 0; i < w->n; i++) {
                Word *word = &w->items[i];

                if (word->gone)
                        continue;
                if (exact ? streq(word->text, arg) : arg_has_key(word->text, arg, strlen(arg))) {
                        word->gone = true;
                        changed = true;
                }
        }
        return changed;
}

/* Sets arg: nothing when every argument with its key already reads arg, otherwise the first
 * one becomes arg and the others go; appended when the key is absent. */
static int words_set(Words *w, const char *arg, bool *changed) {
        size_t key_len = key_length(arg), n_same = 0;
        Word *first = NULL;
        bool all_equal = true;

        for (size_t i = 0; i < w->n; i++) {
                Word *word = &w->items[i];

                if (word->gone || !arg_has_key(word->text, arg, key_len))
                        continue;
                n_same++;
                if (!first)
                        first = word;
                /* the value decides: vfio_pci.ids= is vfio-pci.ids= */
                if (!streq(word->text + key_length(word->text), arg + key_len))
                        all_equal = false;
        }
        if (n_same == 0) {
                *changed = true;
                return words_append(w, arg);
        }
        if (all_equal)
                return 0;

        for (size_t i = 0; i < w->n; i++) {
                Word *word = &w->items[i];

                if (word != first && !word->gone && arg_has_key(word->text, arg, key_len))
                        word->gone = true;
        }
        if (free_and_strdup(&first->text, arg) < 0)
                return -ENOMEM;
        *changed = true;
        return 0;
}

int cmdline_edit_args(const char *args, const CmdlineEdit *edit, char **ret) {
        Words w = {};
        bool changed = false;
        char *s;
        int r;

        assert(args);
        assert(edit);
        assert(ret);
        if (!edit_is_safe(edit))
                return -EINVAL;
        r = words_split(args, &w);
        if (r < 0)
                return r;
        for (char *const *a = edit->remove; a && *a; a++) {
                int i = list_option_find(*a);

                if (i >= 0) {
                        r = words_remove_option(&w, i, &changed);
                        if (r < 0)
                                goto finish;
                } else if (words_remove(&w, *a))
                        changed = true;
        }
        for (char *const *a = edit->add; a && *a; a++) {
                int i = list_option_find(*a);

                r = i >= 0 ? words_set_option(&w, i, *a, &changed) : words_set(&w, *a, &changed);
                if (r < 0)
                        goto finish;
        }
        r = words_join(&w, &s);
        if (r < 0)
                goto finish;
        *ret = s;
        r = changed;
finish:
        words_done(&w);
        return r;
}

/* An unterminated double quote makes the rest of a command line one word for the kernel: an
 * argument added after it is not seen. */
static bool quotes_balanced(const char *s) {
        bool open = false;

        for (; *s; s++)
                if (*s == '"')
                        open = !open;
        return !open;
}

/* Where the value of one assignment sits in the text. */
typedef struct Assignment {
        size_t start, end; /* the value, quotes included */
        char quote;        /* '"', '\'' or 0 */
} Assignment;

/* Parses the value starting at p; returns the position after it, or NULL if it cannot be
 * edited safely. */
static const char *parse_value(const char *p, char *ret_quote) {
        if (*p == '"') {
                for (p++; *p && *p != '"'; p++) {
                        if (*p == '`' || (*p == '$' && p[1] == '('))
                                return NULL;
                        if (*p == '\\' && p[1])
                                p++;
                }
                if (!*p)
                        return NULL;
                *ret_quote = '"';
                return p + 1;
        }
        if (*p == '\'') {
                p = strchr(p + 1, '\'');
                if (!p)
                        return NULL;
                *ret_quote = '\'';
                return p + 1;
        }
        for (; *p && !strchr(" \t\n;&|", *p); p++)
                if (strchr("\"'\\$`(){}<>", *p))
                        return NULL;
        *ret_quote = 0;
        return p;
}

/* /etc/default/grub is a shell script that grub-mkconfig sources: it is read here word by
 * word as the shell reads it (quotes, escapes, command substitutions, comments, command
 * positions, compound commands), so an assignment is found only where the shell runs one. */

/* The end of the command substitution or parameter expansion that starts at p ("$(", "${" or
 * "`"), quotes inside it taken into account; NULL when it never ends. */
static const char *skip_substitution(const char *p) {
        char open = p[0] == '`' ? '`' : p[1], close = open == '(' ? ')' : open == '{' ? '}' : '`';
        int depth = 1;

        for (p += open == '`' ? 1 : 2; *p; p++) {
                if (*p == '\\' && p[1])
                        p++;
                else if (*p == '\'') {
                        p = strchr(p + 1, '\'');
                        if (!p)
                                return NULL;
                } else if (*p == close && --depth == 0)
                        return p + 1;
                else if (*p == open && open != '`')
                        depth++;
        }
        return NULL;
}

static bool starts_substitution(const char *p) {
        return *p == '`' || (p[0] == '$' && (p[1] == '(' || p[1] == '{'));
}

/* The end of the shell word starting at p, or NULL when a quote or substitution in it never
 * ends. A word ends at an unquoted blank, newline or operator character. */
static const char *skip_word(const char *p) {
        while (*p && !strchr(" \t\n;&|()<>", *p)) {
                if (*p == '\\')
                        p += p[1] ? 2 : 1;
                else if (*p == '\'') {
                        p = strchr(p + 1, '\'');
                        if (!p)
                                return NULL;
                        p++;
                } else if (*p == '"') {
                        for (p++; *p && *p != '"';)
                                if (*p == '\\' && p[1])
                                        p += 2;
                                else if (starts_substitution(p)) {
                                        p = skip_substitution(p);
                                        if (!p)
                                                return NULL;
                                } else
                                        p++;
                        if (!*p)
                                return NULL;
                        p++;
                } else if (starts_substitution(p)) {
                        p = skip_substitution(p);
                        if (!p)
                                return NULL;
                } else
                        p++;
        }
        return p;
}

static bool word_is(const char *w, size_t n, const char *s) {
        return strlen(s) == n && strncmp(w, s, n) == 0;
}

static bool word_is_any(const char *w, size_t n, const char *const *list) {
        for (; *list; list++)
                if (word_is(w, n, *list))
                        return true;
        return false;
}

/* NAME= at the start of the word: the length of NAME, or 0. */
static size_t assignment_name_length(const char *w, size_t n) {
        size_t i = 0;

        if (n == 0 || !(w[0] == '_' || (w[0] >= 'A' && w[0] <= 'Z') || (w[0] >= 'a' && w[0] <= 'z')))
                return 0;
        while (i < n && (w[i] == '_' || (w[i] >= 'A' && w[i] <= 'Z') || (w[i] >= 'a' && w[i] <= 'z') ||
                         (w[i] >= '0' && w[i] <= '9')))
                i++;
        return i < n && w[i] == '=' ? i : 0;
}

typedef struct ShellScan {
        bool command;     /* the next word starts a simple command: NAME=value assigns there */
        bool declaration; /* after export/readonly: its arguments assign too */
        int depth;        /* inside if/while/for/case/{ }/( ) or a function: runs maybe, or never */
        int parens;       /* how many of those are ( ), so a case pattern's ) is told apart */
} ShellScan;

/* Adjusts the scan for a word in command position that is not an assignment. */
static void scan_command_word(ShellScan *s, const char *w, size_t n) {
        static const char *const opening[] = { "if", "while", "until", "{", NULL };
        static const char *const opening_args[] = { "for", "case", "select", NULL };
        static const char *const continuing[] = { "then", "else", "elif", "do", "!", NULL };
        static const char *const closing[] = { "fi", "done", "esac", "}", NULL };
        static const char *const declaring[] = { "export", "readonly", NULL };

        if (word_is_any(w, n, opening))
                s->depth++;
        else if (word_is_any(w, n, opening_args)) {
                s->depth++;
                s->command = false;
        } else if (word_is_any(w, n, closing)) {
                s->depth--;
                s->command = false;
        } else if (word_is_any(w, n, declaring)) {
                s->declaration = true;
                s->command = false;
        } else if (!word_is_any(w, n, continuing))
                s->command = false; /* a command: its arguments are not assignments */
}

/* Finds the last assignment of GRUB_VARIABLE the shell runs; 1 when found, 0 when none,
 * -EBADMSG when the file cannot be read safely or the assignment cannot be edited: the
 * shell's reading is unclear (an unterminated quote, substitution or compound command, a
 * here-document), the
 * assignment runs only maybe (in an if, a loop, a function), or its value is glued to more
 * text or has a command substitution. */
static int grub_find_assignment(const char *text, Assignment *ret) {
        ShellScan s = { .command = true };
        const char *p = text;
        bool found = false;

        while (*p) {
                const char *end;
                size_t n, name;

                if (*p == ' ' || *p == '\t') {
                        p++;
                        continue;
                }
                if (*p == '\\' && p[1] == '\n') {
                        p += 2;
                        continue;
                }
                if (strchr("\n;&|", *p)) {
                        p++;
                        s.command = true;
                        s.declaration = false;
                        continue;
                }
                if (*p == '(') {
                        p++;
                        s.depth++;
                        s.parens++;
                        s.command = true;
                        continue;
                }
                if (*p == ')') {
                        p++;
                        if (s.parens > 0) {
                                s.parens--;
                                s.depth--;
                        }
                        s.command = true; /* after a case pattern, a command */
                        continue;
                }
                if (*p == '<' || *p == '>') {
                        if (p[0] == '<' && p[1] == '<')
                                return -EBADMSG;
                        p++;
                        continue;
                }
                if (*p == '#') {
                        p += strcspn(p, "\n");
                        continue;
                }
                end = skip_word(p);
                if (!end)
                        return -EBADMSG;
                n = end - p;
                name = (s.command || s.declaration) ? assignment_name_length(p, n) : 0;
                if (name == 0 && s.command)
                        scan_command_word(&s, p, n);
                else if (name > 0 && word_is(p, name, GRUB_VARIABLE)) {
                        const char *value = p + name + 1, *value_end;
                        char quote;

                        if (s.depth > 0)
                                return -EBADMSG;
                        value_end = parse_value(value, &quote);
                        /* a value glued to more text ("a"b) is not one passthru can edit */
                        if (value_end != end)
                                return -EBADMSG;
                        *ret = (Assignment){ .start = value - text, .end = end - text, .quote = quote };
                        found = true;
                }
                p = end;
        }
        /* an if, a loop or a ( ) never closed, or closed twice: the shell fails on the file */
        if (s.depth != 0)
                return -EBADMSG;
        return found;
}

/* Whether text ends in a backslash that escapes what follows (with or without the last
 * newline): a line appended there would continue the last command. Conservative: a backslash
 * in quotes or a comment counts too. */
static bool ends_continued(const char *text) {
        size_t len = strlen(text), n = 0;

        if (len > 0 && text[len - 1] == '\n')
                len--;
        while (n < len && text[len - 1 - n] == '\\')
                n++;
        return n % 2 == 1;
}

static bool has_blank(const char *s) {
        return strpbrk(s, " \t\n") != NULL;
}

int grub_default_assigns(const char *text) {
        Assignment a;

        assert(text);
        return grub_find_assignment(text, &a);
}

int grub_default_edit(const char *text, const CmdlineEdit *edit, char **ret) {
        _cleanup_free_ char *value = NULL, *edited = NULL, *out = NULL;
        Assignment a;
        bool quote;
        int r, changed;

        assert(text);
        assert(edit);
        assert(ret);
        if (!edit_is_safe(edit))
                return -EINVAL;
        r = grub_find_assignment(text, &a);
        if (r < 0)
                return r;

        if (r == 0) {
                size_t len = strlen(text);

                changed = cmdline_edit_args("", edit, &edited);
                if (changed < 0)
                        return changed;
                if (changed > 0 && edited[0] != '\0' && ends_continued(text))
                        return -EBADMSG;
                if (changed == 0 || edited[0] == '\0') {
                        out = strdup(text);
                        if (!out)
                                return -ENOMEM;
                        *ret = TAKE_PTR(out);
                        return 0;
                }
                if (asprintf(&out, "%s%s" GRUB_VARIABLE "=\"%s\"\n", text,
                             len > 0 && text[len - 1] != '\n' ? "\n" : "", edited) < 0)
                        return -ENOMEM;
                *ret = TAKE_PTR(out);
                return 1;
        }

        if (a.quote)
                value = strndup(text + a.start + 1, a.end - a.start - 2);
        else
                value = strndup(text + a.start, a.end - a.start);
        if (!value)
                return -ENOMEM;
        if (!quotes_balanced(value))
                return -EBADMSG;
        changed = cmdline_edit_args(value, edit, &edited);
        if (changed < 0)
                return changed;
        if (changed == 0) {
                out = strdup(text);
                if (!out)
                        return -ENOMEM;
                *ret = TAKE_PTR(out);
                return 0;
        }

        /* An unquoted value that became several words needs quotes, or the shell runs them. */
        quote = a.quote || has_blank(edited);
        if (asprintf(&out, "%.*s%s%s%s%s", (int) a.start, text, quote ? (a.quote == '\'' ? "'" : "\"") : "",
                     edited, quote ? (a.quote == '\'' ? "'" : "\"") : "", text + a.end) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(out);
        return 1;
}

/* The boot loader's own arguments, which the boot loader adds again at each boot. */
static char *const loader_keys[] = { (char *) "BOOT_IMAGE", (char *) "initrd", NULL };

/* Arguments that shape one boot only: the ones an administrator types at the boot menu to
 * rescue a host, and passthru's own off switch. Copied into a new /etc/kernel/cmdline they
 * would shape every later boot (rescue mode, early binding off). */
static char *const one_off_keys[] = {
        (char *) "passthru.early",
        (char *) "systemd.unit",
        (char *) "rd.systemd.unit",
        (char *) "systemd.debug_shell",
        (char *) "systemd.run",
        (char *) "systemd.run_success_action",
        (char *) "systemd.run_failure_action",
        (char *) "systemd.confirm_spawn",
        (char *) "init",
        (char *) "rdinit",
        (char *) "single",
        (char *) "s",
        (char *) "S",
        (char *) "1",
        (char *) "-b",
        (char *) "emergency",
        (char *) "rescue",
        (char *) "recovery",
        (char *) "rd.break",
        (char *) "break",
        (char *) "rd.shell",
        (char *) "rd.emergency",
        NULL,
};

static bool is_one_off(const char *word) {
        for (char *const *k = one_off_keys; *k; k++)
                if (arg_has_key(word, *k, strlen(*k)))
                        return true;
        return false;
}

int cmdline_one_off_args(const char *args, char ***ret) {
        _cleanup_strv_free_ char **found = NULL;
        Words w = {};
        int r;

        assert(ret);
        r = words_split(strempty(args), &w);
        if (r < 0)
                return r;
        for (size_t i = 0; i < w.n && r >= 0; i++)
                if (is_one_off(w.items[i].text))
                        r = strv_extend(&found, w.items[i].text);
        words_done(&w);
        if (r < 0)
                return r;
        r = (int) strv_length(found);
        *ret = TAKE_PTR(found);
        return r;
}

int kernel_cmdline_edit(const char *text, const char *running_cmdline, const CmdlineEdit *edit, char **ret) {
        _cleanup_free_ char *line = NULL, *base = NULL, *edited = NULL, *out = NULL;
        const char *rest = "";
        int r;

        assert(edit);
        assert(ret);
        if (!edit_is_safe(edit))
                return -EINVAL;

        if (!text) {
                _cleanup_free_ char *without_loader = NULL;
                size_t len;

                /* a new file without the running arguments would boot without root= */
                if (strspn(strempty(running_cmdline), " \t\n") == strlen(strempty(running_cmdline)))
                        return -ENODATA;
                r = cmdline_edit_args(running_cmdline, &(CmdlineEdit){ .remove = loader_keys },
                                      &without_loader);
                if (r < 0)
                        return r;
                r = cmdline_edit_args(without_loader, &(CmdlineEdit){ .remove = one_off_keys }, &base);
                if (r < 0)
                        return r;
                /* /proc/cmdline ends in a newline; the word list of the new file starts clean. */
                len = strlen(base);
                while (len > 0 && is_blank(base[len - 1]))
                        base[--len] = '\0';
                r = cmdline_edit_args(base + strspn(base, " \t\n"), edit, &edited);
                if (r <= 0) {
                        if (r == 0)
                                *ret = NULL;
                        return r;
                }
                if (asprintf(&out, "%s\n", edited) < 0)
                        return -ENOMEM;
                *ret = TAKE_PTR(out);
                return 1;
        }

        line = strndup(text, strcspn(text, "\n"));
        if (!line)
                return -ENOMEM;
        if (!quotes_balanced(line))
                return -EBADMSG;
        rest = text + strlen(line);
        r = cmdline_edit_args(line, edit, &edited);
        if (r < 0)
                return r;
        if (asprintf(&out, "%s%s", edited, rest[0] ? rest : (r > 0 ? "\n" : "")) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(out);
        return r;
}
