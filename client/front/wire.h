/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The D-Bus wire format, as much of it as the front needs: writing a method call whose body
 * is strings, booleans and an a{sv} of those, and reading any message's header plus a body
 * of strings and arrays of string structs. Nothing here allocates or touches a socket.
 * See the D-Bus specification, "Message Format". */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
        WIRE_METHOD_CALL = 1,
        WIRE_METHOD_RETURN = 2,
        WIRE_ERROR = 3,
        WIRE_SIGNAL = 4,
};

#define WIRE_FLAG_ALLOW_INTERACTIVE_AUTHORIZATION 0x4
/* The specification's limit on a whole message. */
#define WIRE_MESSAGE_MAX (128U * 1024 * 1024)

/* A message being written into a caller's buffer; overflow makes every later write a no-op
 * and wire_finish() fail. */
typedef struct WireWriter {
        uint8_t *data;
        size_t size, n;
        size_t fields_length_at, body_at, array_length_at, array_start;
        bool overflow;
} WireWriter;

/* Starts a method call: the header with its fields (signature may be NULL: no body). */
void wire_begin_call(WireWriter *w, uint8_t *buffer, size_t size, uint32_t serial, uint8_t flags,
                     const char *destination, const char *path, const char *interface, const char *member,
                     const char *signature);
void wire_append_string(WireWriter *w, const char *s);
/* An a{sv}: begin, entries, end (not nested). */
void wire_open_dict(WireWriter *w);
void wire_dict_bool(WireWriter *w, const char *key, bool value);
void wire_dict_string(WireWriter *w, const char *key, const char *value);
void wire_close_dict(WireWriter *w);
/* Returns the message's length, or -ENOBUFS when it did not fit. */
int wire_finish(WireWriter *w, size_t *ret_length);

/* The length of the message at the start of data once its fixed header is in (16 bytes),
 * or -EAGAIN for fewer; -EBADMSG for a header no peer may send. */
int wire_message_length(const uint8_t *data, size_t n, size_t *ret);

typedef struct WireMessage {
        uint8_t type;
        bool big_endian;
        uint32_t serial, reply_serial;
        const char *error_name; /* NULL unless an error */
        const char *signature;  /* "" without a body */
        const uint8_t *body;
        size_t body_size;
} WireMessage;

/* Parses the complete message of length n (as wire_message_length() said); the strings
 * point into data. -EBADMSG when it is malformed. */
int wire_message_parse(const uint8_t *data, size_t n, WireMessage *ret);

/* Reading a body: a cursor over it. Every read returns -EBADMSG past the end or on a
 * malformed value, and leaves the cursor unusable. */
typedef struct WireReader {
        const uint8_t *data;
        size_t size, pos;
        bool big_endian;
} WireReader;

void wire_reader_init(WireReader *r, const WireMessage *m);
int wire_read_string(WireReader *r, const char **ret);
/* Enters an array whose elements align to align (8 for structs); ret_end is where it ends. */
int wire_enter_array(WireReader *r, size_t align, size_t *ret_end);
/* A struct of strings inside an array; n strings, stored in ret[]. */
int wire_read_string_struct(WireReader *r, const char **ret, size_t n);
