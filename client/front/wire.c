/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <byteswap.h>
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "wire.h"

enum {
        FIELD_PATH = 1,
        FIELD_INTERFACE = 2,
        FIELD_MEMBER = 3,
        FIELD_ERROR_NAME = 4,
        FIELD_REPLY_SERIAL = 5,
        FIELD_DESTINATION = 6,
        FIELD_SIGNATURE = 8,
};

#define FIXED_HEADER 16
#define HOST_BIG_ENDIAN (__BYTE_ORDER == __BIG_ENDIAN)

static size_t align_up(size_t n, size_t align) {
        return (n + align - 1) & ~(align - 1);
}

/* Writing. Offsets are from the message's start, which is what D-Bus aligns to. */

static void put(WireWriter *w, const void *p, size_t n) {
        if (w->overflow || n > w->size - w->n) {
                w->overflow = true;
                return;
        }
        memcpy(w->data + w->n, p, n);
        w->n += n;
}

static void pad(WireWriter *w, size_t align) {
        static const uint8_t zeros[8];

        put(w, zeros, align_up(w->n, align) - w->n);
}

static void put_u8(WireWriter *w, uint8_t v) {
        put(w, &v, 1);
}

static void put_u32(WireWriter *w, uint32_t v) {
        pad(w, 4);
        put(w, &v, 4);
}

static void patch_u32(WireWriter *w, size_t at, uint32_t v) {
        if (!w->overflow)
                memcpy(w->data + at, &v, 4);
}

static void put_string(WireWriter *w, const char *s) {
        size_t n = strlen(s);

        put_u32(w, (uint32_t) n);
        put(w, s, n + 1);
}

static void put_signature(WireWriter *w, const char *s) {
        size_t n = strlen(s);

        if (n > 255) {
                w->overflow = true;
                return;
        }
        put_u8(w, (uint8_t) n);
        put(w, s, n + 1);
}

static void put_field(WireWriter *w, uint8_t code, char type, const char *value) {
        const char signature[2] = { type, '\0' };

        pad(w, 8);
        put_u8(w, code);
        put_signature(w, signature);
        if (type == 'g')
                put_signature(w, value);
        else
                put_string(w, value);
}

void wire_begin_call(WireWriter *w, uint8_t *buffer, size_t size, uint32_t serial, uint8_t flags,
                     const char *destination, const char *path, const char *interface, const char *member,
                     const char *signature) {
        const uint8_t fixed[4] = { HOST_BIG_ENDIAN ? 'B' : 'l', WIRE_METHOD_CALL, flags, 1 };

        *w = (WireWriter){ .data = buffer, .size = size };
        put(w, fixed, sizeof(fixed));
        put_u32(w, 0); /* body length, patched by wire_finish() */
        put_u32(w, serial);
        w->fields_length_at = w->n;
        put_u32(w, 0);
        put_field(w, FIELD_PATH, 'o', path);
        put_field(w, FIELD_INTERFACE, 's', interface);
        put_field(w, FIELD_MEMBER, 's', member);
        put_field(w, FIELD_DESTINATION, 's', destination);
        if (signature && *signature)
                put_field(w, FIELD_SIGNATURE, 'g', signature);
        patch_u32(w, w->fields_length_at, (uint32_t) (w->n - FIXED_HEADER));
        pad(w, 8);
        w->body_at = w->n;
}

void wire_append_string(WireWriter *w, const char *s) {
        put_string(w, s);
}

void wire_open_dict(WireWriter *w) {
        w->array_length_at = align_up(w->n, 4);
        put_u32(w, 0);
        pad(w, 8); /* the padding before the first entry is not part of the length */
        w->array_start = w->n;
}

static void dict_key(WireWriter *w, const char *key, const char *type) {
        pad(w, 8);
        put_string(w, key);
        put_signature(w, type);
}

void wire_dict_bool(WireWriter *w, const char *key, bool value) {
        dict_key(w, key, "b");
        put_u32(w, value);
}

void wire_dict_string(WireWriter *w, const char *key, const char *value) {
        dict_key(w, key, "s");
        put_string(w, value);
}

void wire_close_dict(WireWriter *w) {
        patch_u32(w, w->array_length_at, (uint32_t) (w->n - w->array_start));
}

int wire_finish(WireWriter *w, size_t *ret_length) {
        if (w->overflow)
                return -ENOBUFS;
        patch_u32(w, 4, (uint32_t) (w->n - w->body_at));
        *ret_length = w->n;
        return 0;
}

/* Reading. */

static uint32_t load_u32(const uint8_t *p, bool big_endian) {
        uint32_t v;

        memcpy(&v, p, 4);
        return big_endian == HOST_BIG_ENDIAN ? v : bswap_32(v);
}

int wire_message_length(const uint8_t *data, size_t n, size_t *ret) {
        uint64_t fields, body, total;
        bool big;

        if (n < FIXED_HEADER)
                return -EAGAIN;
        if ((data[0] != 'l' && data[0] != 'B') || data[3] != 1)
                return -EBADMSG;
        big = data[0] == 'B';
        body = load_u32(data + 4, big);
        fields = load_u32(data + 12, big);
        total = align_up(FIXED_HEADER + fields, 8) + body;
        if (total > WIRE_MESSAGE_MAX)
                return -EBADMSG;
        *ret = (size_t) total;
        return 0;
}

static int fail(WireReader *r) {
        r->pos = r->size + 1; /* every later read fails too */
        return -EBADMSG;
}

static int align_to(WireReader *r, size_t align) {
        size_t to = align_up(r->pos, align);

        if (r->pos > r->size || to > r->size)
                return fail(r);
        r->pos = to;
        return 0;
}

static int read_u8(WireReader *r, uint8_t *ret) {
        if (r->pos >= r->size)
                return fail(r);
        *ret = r->data[r->pos++];
        return 0;
}

static int read_u32(WireReader *r, uint32_t *ret) {
        if (align_to(r, 4) < 0 || r->size - r->pos < 4)
                return fail(r);
        *ret = load_u32(r->data + r->pos, r->big_endian);
        r->pos += 4;
        return 0;
}

/* n bytes of text and their terminating NUL, with no NUL inside. */
static int read_text(WireReader *r, size_t n, const char **ret) {
        const char *s = (const char *) r->data + r->pos;

        if (r->pos > r->size || r->size - r->pos < n + 1 || s[n] != '\0' || memchr(s, '\0', n))
                return fail(r);
        r->pos += n + 1;
        *ret = s;
        return 0;
}

int wire_read_string(WireReader *r, const char **ret) {
        uint32_t n;

        if (read_u32(r, &n) < 0)
                return -EBADMSG;
        return read_text(r, n, ret);
}

static int read_signature(WireReader *r, const char **ret) {
        uint8_t n;

        if (read_u8(r, &n) < 0)
                return -EBADMSG;
        return read_text(r, n, ret);
}

/* One header field: (code, variant). Only the types the specification gives fields. */
static int read_field(WireReader *r, WireMessage *m) {
        const char *type, *text = NULL;
        uint32_t number = 0;
        uint8_t code;
        int k;

        if (align_to(r, 8) < 0 || read_u8(r, &code) < 0 || read_signature(r, &type) < 0)
                return -EBADMSG;
        if (type[0] == '\0' || type[1] != '\0')
                return fail(r);
        switch (type[0]) {
        case 's':
        case 'o':
                k = wire_read_string(r, &text);
                break;
        case 'g':
                k = read_signature(r, &text);
                break;
        case 'u':
                k = read_u32(r, &number);
                break;
        default:
                return fail(r);
        }
        if (k < 0)
                return k;
        if (code == FIELD_ERROR_NAME && type[0] == 's')
                m->error_name = text;
        else if (code == FIELD_REPLY_SERIAL && type[0] == 'u')
                m->reply_serial = number;
        else if (code == FIELD_SIGNATURE && type[0] == 'g')
                m->signature = text;
        return 0;
}

int wire_message_parse(const uint8_t *data, size_t n, WireMessage *ret) {
        WireMessage m = { .signature = "" };
        WireReader r;
        size_t total, fields_end;
        int k;

        k = wire_message_length(data, n, &total);
        if (k < 0 || total != n)
                return -EBADMSG;
        m.type = data[1];
        m.big_endian = data[0] == 'B';
        m.serial = load_u32(data + 8, m.big_endian);
        fields_end = FIXED_HEADER + load_u32(data + 12, m.big_endian);
        r = (WireReader){
                .data = data, .size = fields_end, .pos = FIXED_HEADER, .big_endian = m.big_endian
        };
        while (r.pos < r.size)
                if (read_field(&r, &m) < 0)
                        return -EBADMSG;
        if (r.pos != r.size)
                return -EBADMSG;
        m.body = data + align_up(fields_end, 8);
        m.body_size = load_u32(data + 4, m.big_endian);
        if (m.type == WIRE_ERROR && !m.error_name)
                return -EBADMSG;
        *ret = m;
        return 0;
}

void wire_reader_init(WireReader *r, const WireMessage *m) {
        *r = (WireReader){ .data = m->body, .size = m->body_size, .big_endian = m->big_endian };
}

int wire_enter_array(WireReader *r, size_t align, size_t *ret_end) {
        uint32_t n;

        if (read_u32(r, &n) < 0 || align_to(r, align) < 0 || n > r->size - r->pos)
                return fail(r);
        *ret_end = r->pos + n;
        return 0;
}

int wire_read_string_struct(WireReader *r, const char **ret, size_t n) {
        if (align_to(r, 8) < 0)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++)
                if (wire_read_string(r, &ret[i]) < 0)
                        return -EBADMSG;
        return 0;
}
