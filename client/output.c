/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <wchar.h>

#include "memstream.h"
#include "output.h"
#include "passthructl.h"
#include "strv.h"
#include "text-buffer.h"

int json_set(json_object *object, const char *key, json_object *value) {
        if (!value)
                return -ENOMEM;
        if (json_object_object_add(object, key, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

int json_append(json_object *array, json_object *value) {
        if (!value)
                return -ENOMEM;
        if (json_object_array_add(array, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

char *json_key_from_property(const char *name) {
        char *s = malloc(strlen(name) * 2 + 1), *p = s;

        if (!s)
                return NULL;
        for (const char *c = name; *c; c++) {
                if (isupper((unsigned char) *c) && c != name)
                        *p++ = '_';
                *p++ = (char) tolower((unsigned char) *c);
        }
        *p = '\0';
        return s;
}

/* Properties that are PCI numbers and read best in hex, as lspci prints them. */
static const struct {
        const char *name;
        int digits;
} hex_properties[] = {
        { "VendorId", 4 },          { "DeviceId", 4 }, { "SubsystemVendorId", 4 },
        { "SubsystemDeviceId", 4 }, { "Class", 6 },    { "Revision", 2 },
};

static int hex_digits(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(hex_properties); i++)
                if (streq(name, hex_properties[i].name))
                        return hex_properties[i].digits;
        return 0;
}

json_object *json_hex_new(uint64_t v, int digits) {
        char text[sizeof("ffffffffffffffff")];

        snprintf(text, sizeof(text), "%0*" PRIx64, digits, v);
        return json_object_new_string(text);
}

int json_document_new(json_object **ret) {
        _cleanup_json_ json_object *document = json_object_new_object();
        int r;

        if (!document)
                return -ENOMEM;
        r = json_set(document, "version", json_object_new_int(JSON_DOCUMENT_VERSION));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(document);
        return 0;
}

int json_print_document_of(const char *key, json_object *value) {
        _cleanup_json_ json_object *document = NULL;
        int r;

        r = json_document_new(&document);
        if (r >= 0)
                r = json_set(document, key, json_object_get(value));
        if (r < 0)
                return client_oom();
        return json_print(document, true);
}

int json_add_properties(json_object *target, json_object *props) {
        json_object_object_foreach(props, name, value) {
                _cleanup_free_ char *key = json_key_from_property(name);
                int digits = hex_digits(name);
                json_object *converted =
                        digits > 0 && json_object_is_type(value, json_type_int)
                                ? json_hex_new((uint64_t) json_object_get_int64(value), digits)
                                : json_object_get(value);
                int r;

                if (!key) {
                        json_object_put(converted);
                        return -ENOMEM;
                }
                r = json_set(target, key, converted);
                if (r < 0)
                        return r;
        }
        return 0;
}

int output_flush(FILE *f) {
        if (fflush(f) == 0 && !ferror(f))
                return 0;
        /* The reader stopped reading (head, grep -q): nothing went wrong, and nothing is said. */
        if (errno == EPIPE) {
                clearerr(f);
                return 0;
        }
        return client_error_errno(errno > 0 ? errno : EIO, "Failed to write the output: %m");
}

int flush_stdout(void) {
        return output_flush(stdout);
}

/* json-c escapes C0 controls in strings but writes C1 ones (U+0080..U+009F) as they are;
 * outside strings a document is ASCII, so every such pair is in one. */
static char *json_escape_c1(const char *text) {
        char *escaped = malloc(strlen(text) * 3 + 1), *p = escaped;

        if (!escaped)
                return NULL;
        for (const char *s = text; *s; s++)
                if ((unsigned char) s[0] == 0xc2 && (unsigned char) s[1] >= 0x80 &&
                    (unsigned char) s[1] <= 0x9f) {
                        p += sprintf(p, "\\u%04x", (unsigned char) s[1]);
                        s++;
                } else
                        *p++ = *s;
        *p = '\0';
        return escaped;
}

int json_format(json_object *value, bool pretty, char **ret) {
        int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
                    (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
        const char *text = json_object_to_json_string_ext(value, flags);
        char *copy;

        /* The text belongs to value; a copy outlives it. */
        copy = text ? json_escape_c1(text) : NULL;
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

int json_print(json_object *value, bool pretty) {
        _cleanup_free_ char *text = NULL;

        if (json_format(value, pretty, &text) < 0)
                return client_oom();
        return print_line_unescaped("%s", text);
}

int text_vformat(char **ret, const char *fmt, va_list ap) {
        char *text;

        /* On failure vasprintf() leaves its pointer undefined. */
        if (vasprintf(&text, fmt, ap) < 0)
                return -ENOMEM;
        *ret = text;
        return 0;
}

int text_format(char **ret, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = text_vformat(ret, fmt, ap);
        va_end(ap);
        return r;
}

/* The length of the control character at p (C0 but, in text, newline and tab; DEL; C1 as
 * UTF-8), or 0. */
static size_t control_length(const char *p, bool text) {
        unsigned char c = (unsigned char) p[0];

        if (text && (c == '\n' || c == '\t'))
                return 0;
        if (c < ' ' || c == 0x7f)
                return 1;
        if (c == 0xc2 && (unsigned char) p[1] >= 0x80 && (unsigned char) p[1] <= 0x9f)
                return 2;
        return 0;
}

bool text_has_controls(const char *s, bool text) {
        for (; *s; s++)
                if (control_length(s, text) > 0)
                        return true;
        return false;
}

char *text_escape_controls(const char *s, bool text) {
        char *escaped = malloc(strlen(s) * 4 + 1), *p = escaped;

        if (!escaped)
                return NULL;
        while (*s) {
                size_t n = control_length(s, text);

                if (n == 0) {
                        *p++ = *s++;
                        continue;
                }
                for (; n > 0; n--)
                        p += sprintf(p, "\\x%02x", (unsigned char) *s++);
        }
        *p = '\0';
        return escaped;
}

typedef enum Escape {
        ESCAPE_LINE, /* every control character: the text is one line */
        ESCAPE_TEXT, /* all but newline and tab */
        ESCAPE_NONE, /* the caller's own control characters (colours) */
} Escape;

static int vprint_line(FILE *f, Escape escape, const char *fmt, va_list ap) _printf_(3, 0);

static int vprint_line(FILE *f, Escape escape, const char *fmt, va_list ap) {
        _cleanup_free_ char *line = NULL;
        bool text = escape == ESCAPE_TEXT;

        if (text_vformat(&line, fmt, ap) < 0)
                return client_oom();
        if (escape != ESCAPE_NONE && text_has_controls(line, text)) {
                char *escaped = text_escape_controls(line, text);

                if (!escaped)
                        return client_oom();
                free(line);
                line = escaped;
        }
        fputs(line, f);
        fputc('\n', f);
        return output_flush(f);
}

#define DEFINE_PRINT(name, file, escape)                    \
        int name(const char *fmt, ...) {                    \
                va_list ap;                                 \
                int r;                                      \
                                                            \
                va_start(ap, fmt);                          \
                r = vprint_line((file), (escape), fmt, ap); \
                va_end(ap);                                 \
                return r;                                   \
        }

DEFINE_PRINT(print_line, stdout, ESCAPE_LINE)
DEFINE_PRINT(print_line_to_stderr, stderr, ESCAPE_LINE)
DEFINE_PRINT(print_lines, stdout, ESCAPE_TEXT)
DEFINE_PRINT(print_line_unescaped, stdout, ESCAPE_NONE)

static bool needs_quotes(const char *s) {
        return *s == '\0' ||
               s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/+-")] != '\0';
}

static void append_quoted(FILE *f, const char *s) {
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        fputc('\\', f);
                fputc(*s, f);
        }
        fputc('"', f);
}

static int format_scalar(FILE *f, const char *name, json_object *v, bool quote) {
        _cleanup_free_ char *escaped = NULL;
        int r = 0;

        switch (json_object_get_type(v)) {
        case json_type_boolean:
                fputs(json_object_get_boolean(v) ? "yes" : "no", f);
                return 0;
        case json_type_int:
                if (hex_digits(name) > 0)
                        fprintf(f, "%0*" PRIx64, hex_digits(name), (uint64_t) json_object_get_int64(v));
                else if (json_object_get_int64(v) < 0)
                        fputc('-', f);
                else
                        fputs(json_object_get_string(v), f);
                return 0;
        case json_type_string:
                /* A value is one token on one line, whatever the reply holds. */
                escaped = text_escape_controls(json_object_get_string(v), false);
                if (!escaped)
                        return -ENOMEM;
                if (quote && needs_quotes(escaped))
                        append_quoted(f, escaped);
                else
                        fputs(escaped, f);
                return 0;
        case json_type_array:
                /* A struct's members (a holder and its remedy): "what -> remedy". */
                for (size_t i = 0; i < json_object_array_length(v) && r >= 0; i++) {
                        if (i > 0)
                                fputs(" -> ", f);
                        r = format_scalar(f, name, json_object_array_get_idx(v, i), quote);
                }
                return r;
        default:
                fputs(json_object_get_string(v), f);
                return 0;
        }
}

int property_format(const char *name, json_object *value, const char *separator, bool quote, char **ret) {
        _cleanup_(memstream_done) MemStream m = {};
        FILE *f = memstream_init(&m);
        int r = 0;

        if (!f)
                return -ENOMEM;
        if (json_object_is_type(value, json_type_array))
                for (size_t i = 0; i < json_object_array_length(value) && r >= 0; i++) {
                        if (i > 0)
                                fputs(separator, f);
                        r = format_scalar(f, name, json_object_array_get_idx(value, i), quote);
                }
        else
                r = format_scalar(f, name, value, quote);
        if (r < 0)
                return -ENOMEM;
        return memstream_finalize(&m, ret);
}

/* Cells live in chunks the table owns, so a cell costs no allocation of its own. */
typedef struct Chunk {
        struct Chunk *next;
        size_t size, used;
        char data[];
} Chunk;

typedef struct Cell {
        const char *text;
        size_t width; /* TABLE_WIDTH_UNKNOWN until table_print() measures it */
} Cell;

struct Table {
        size_t n_columns;
        size_t n_cells, allocated;
        Cell *cells; /* headers first, then the rows, row-major */
        Chunk *chunks;
};

int table_new(Table **ret, const char *header, ...) {
        _cleanup_table_ Table *t = calloc(1, sizeof(Table));
        va_list ap;
        int r = 0;

        if (!t)
                return -ENOMEM;
        va_start(ap, header);
        for (const char *h = header; h && r >= 0; h = va_arg(ap, const char *)) {
                r = table_add_cell_ref(t, h, TABLE_WIDTH_UNKNOWN);
                t->n_columns++;
        }
        va_end(ap);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        while (t->chunks) {
                Chunk *next = t->chunks->next;

                free(t->chunks);
                t->chunks = next;
        }
        free(t->cells);
        free(t);
        return NULL;
}

char *table_cell_space(Table *t, size_t size) {
        Chunk *c = t->chunks;

        if (!c || c->size - c->used < size) {
                size_t chunk_size = size > 65536 ? size : 65536;

                c = malloc(sizeof(Chunk) + chunk_size);
                if (!c)
                        return NULL;
                *c = (Chunk){ .next = t->chunks, .size = chunk_size };
                t->chunks = c;
        }
        c->used += size;
        return c->data + c->used - size;
}

/* The array grows by doubling: a list of a few thousand functions has tens of thousands of
 * cells. */
int table_add_clean_cell_ref(Table *t, const char *text, size_t width) {
        if (!text || !*text) {
                text = "-";
                width = 1;
        }
        if (t->n_cells == t->allocated) {
                size_t allocated = t->allocated > 0 ? t->allocated * 2 : 64;
                Cell *grown = realloc(t->cells, sizeof(Cell) * allocated);

                if (!grown)
                        return -ENOMEM;
                t->cells = grown;
                t->allocated = allocated;
        }
        t->cells[t->n_cells++] = (Cell){ text, width };
        return 0;
}

const char *table_clean_text(Table *t, const char *text) {
        _cleanup_free_ char *escaped = NULL;
        char *copy;

        if (!text || !text_has_controls(text, false))
                return text;
        escaped = text_escape_controls(text, false);
        copy = escaped ? table_cell_space(t, strlen(escaped) + 1) : NULL;
        return copy ? strcpy(copy, escaped) : NULL;
}

int table_add_cell_ref(Table *t, const char *text, size_t width) {
        const char *clean = table_clean_text(t, text);

        if (text && !clean)
                return -ENOMEM;
        return table_add_clean_cell_ref(t, clean, clean == text ? width : TABLE_WIDTH_UNKNOWN);
}

int table_add_cell(Table *t, const char *text) {
        size_t n = text ? strlen(text) + 1 : 0;
        char *copy;

        if (n <= 1)
                return table_add_cell_ref(t, NULL, 0);
        copy = table_cell_space(t, n);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, text, n);
        return table_add_cell_ref(t, copy, TABLE_WIDTH_UNKNOWN);
}

const char *table_int_text(Table *t, int64_t v, size_t *ret_width) {
        char text[FORMAT_INT_MAX], *copy;
        size_t len = format_int(v, text);

        copy = table_cell_space(t, len + 1);
        if (!copy)
                return NULL;
        *ret_width = len;
        return memcpy(copy, text, len + 1);
}

int table_add_cell_int(Table *t, int64_t v) {
        size_t width;
        const char *text = table_int_text(t, v, &width);

        return text ? table_add_cell_ref(t, text, width) : -ENOMEM;
}

int table_add_cellf(Table *t, const char *fmt, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = text_vformat(&text, fmt, ap);
        va_end(ap);
        if (r < 0)
                return r;
        return table_add_cell(t, text);
}

/* Terminal columns taken by s: vendor names from pci.ids are not all ASCII. Bytes that are
 * not valid in the locale's encoding count one column each. Printable ASCII, nearly every
 * cell, is one column a byte and skips the locale's decoder. */
size_t text_display_width(const char *s) {
        mbstate_t state = {};
        size_t width = 0;

        while (*s >= ' ' && *s <= '~') {
                width++;
                s++;
        }
        while (*s) {
                wchar_t c;
                size_t n = mbrtowc(&c, s, MB_CUR_MAX, &state);

                if (n == (size_t) -1 || n == (size_t) -2)
                        return width + strlen(s);
                width += (size_t) (wcwidth(c) > 0 ? wcwidth(c) : 0);
                s += n;
        }
        return width;
}

/* The whole table goes out in one write, not a stdio call per cell. */
int table_print(Table *t) {
        _cleanup_(text_buffer_done) TextBuffer out = {};
        _cleanup_free_ size_t *widths = calloc(t->n_columns, sizeof(size_t));

        if (!widths)
                return client_oom();
        for (size_t i = 0; i < t->n_cells; i++) {
                Cell *c = &t->cells[i];

                if (c->width == TABLE_WIDTH_UNKNOWN)
                        c->width = text_display_width(c->text);
                if (c->width > widths[i % t->n_columns])
                        widths[i % t->n_columns] = c->width;
        }
        for (size_t i = 0; i < t->n_cells; i++) {
                size_t column = i % t->n_columns;

                text_buffer_puts(&out, t->cells[i].text);
                if (column + 1 == t->n_columns || i + 1 == t->n_cells)
                        text_buffer_putc(&out, '\n');
                else
                        text_buffer_put_blanks(&out, widths[column] - t->cells[i].width + 2);
        }
        if (text_buffer_write(&out, stdout) < 0)
                return client_oom();
        return output_flush(stdout);
}
