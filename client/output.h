/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What passthructl prints: aligned tables for people, JSON (built with json-c, never by
 * hand) for programs, and the text form of property values that show and monitor share.
 * Every print flushes stdout and reports a failed write, so a consumer on a pipe sees each
 * line as it comes and a full disk is an error, not silence. */

#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "macros.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
#define _cleanup_json_ _cleanup_(json_object_putp)

/* Building JSON. Both take ownership of value, also on failure; a NULL value (a failed
 * json_object_new_*()) is -ENOMEM, so calls can be chained on r. */
int json_set(json_object *object, const char *key, json_object *value);
int json_append(json_object *array, json_object *value);

/* "IommuGroup" -> "iommu_group": JSON keys are the D-Bus property names in snake_case. */
char *json_key_from_property(const char *name);

/* Every JSON document passthructl prints (and every line of monitor --json) is an object
 * that starts with "version": 1; a change that breaks a script's reading raises it. */
#define JSON_DOCUMENT_VERSION 1
int json_document_new(json_object **ret);
/* Prints {"version": 1, key: value}, indented; value stays the caller's. */
int json_print_document_of(const char *key, json_object *value);

/* v as a lowercase hex string of at least digits digits, as lspci prints IDs ("10de"). */
json_object *json_hex_new(uint64_t v, int digits);

/* Adds props (D-Bus property names) to target with keys made by json_key_from_property();
 * PCI IDs, class and revision become hex strings as lspci prints them. */
int json_add_properties(json_object *target, json_object *props);

/* One JSON value as text: indented (list, show, groups) or on one line (monitor's stream).
 * No control character is left raw in it: json-c escapes C0, and C1 become \u0080...\u009f. */
int json_format(json_object *value, bool pretty, char **ret);
/* Prints json_format()'s text and a newline. */
int json_print(json_object *value, bool pretty);

/* A property value for people: yes/no, PCI IDs and class in hex, "-" for -1 (the API's
 * "none" for IommuGroup and NumaNode), control characters escaped. Array elements are
 * joined with separator. With
 * quote, strings that are empty or hold anything but [A-Za-z0-9_.:/+-] are put in double
 * quotes with \" and \\ escaped, so a Key=value line stays one token per value. */
int property_format(const char *name, json_object *value, const char *separator, bool quote, char **ret);

/* asprintf() that writes *ret only on success and says -ENOMEM on failure. */
int text_format(char **ret, const char *fmt, ...) _printf_(2, 3);
int text_vformat(char **ret, const char *fmt, va_list ap) _printf_(2, 0);

/* A reply's strings may hold control characters that would move the cursor, set the
 * terminal's title or worse: they are printed as \xNN. In text (lines, diffs) newline and
 * tab stay; in a table cell or an error message they are escaped too. */
bool text_has_controls(const char *s, bool text);
/* A copy of s with each such byte as \xNN; NULL when out of memory. */
char *text_escape_controls(const char *s, bool text);

/* Flushes f; a failed write is an error said once, except EPIPE (the reader left: quiet). */
int output_flush(FILE *f);
/* Write a finished line (a newline is added) and flush: print_line() with every control
 * character escaped (a line is one line, whatever a reply holds); print_lines() keeps
 * newlines and tabs (a diff, a list one element a line); print_line_unescaped() for a line
 * whose only control characters are the caller's own (colours), the reply's text in it
 * escaped already. */
int print_line(const char *fmt, ...) _printf_(1, 2);
int print_line_to_stderr(const char *fmt, ...) _printf_(1, 2);
int print_lines(const char *fmt, ...) _printf_(1, 2);
int print_line_unescaped(const char *fmt, ...) _printf_(1, 2);
/* Flushes standard output; a failure to write it is reported and returned. */
int flush_stdout(void);

typedef struct Table Table;

/* The column headers, NULL-terminated. */
int table_new(Table **ret, const char *header, ...);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);
#define _cleanup_table_ _cleanup_(table_freep)

/* Cells are added row by row, left to right; "" (or NULL) is printed as "-"; control
 * characters are escaped. */
int table_add_cell(Table *t, const char *text);
int table_add_cellf(Table *t, const char *fmt, ...) _printf_(2, 3);
/* A number in decimal; table_int_text() gives its text (in the table's memory, for cells
 * that share it) without adding a cell, NULL when out of memory. */
int table_add_cell_int(Table *t, int64_t v);
const char *table_int_text(Table *t, int64_t v, size_t *ret_width);
/* A cell whose text is not copied: it must outlive the table (a reply's string, a constant,
 * or table_cell_space()). width is its display width, when the caller knows it already,
 * else TABLE_WIDTH_UNKNOWN. */
#define TABLE_WIDTH_UNKNOWN SIZE_MAX
int table_add_cell_ref(Table *t, const char *text, size_t width);
/* The same for text already free of control characters (table_clean_text(), or a constant):
 * a listing cleans each distinct string of its reply once, not each cell. */
int table_add_clean_cell_ref(Table *t, const char *text, size_t width);
/* text, or its copy with control characters escaped in the table's memory; NULL when text is
 * NULL or memory ran out. */
const char *table_clean_text(Table *t, const char *text);
/* size bytes that live as long as the table, for a cell put together by the caller; NULL
 * when out of memory. */
char *table_cell_space(Table *t, size_t size);
/* Columns are padded to their widest cell (in terminal columns, not bytes); the last column
 * is not padded, so long names do not push trailing blanks. The table is written with one
 * call; failures are reported. */
int table_print(Table *t);

/* Terminal columns that s takes in the current locale. */
size_t text_display_width(const char *s);
