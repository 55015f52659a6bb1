/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The front's D-Bus message reader (client/front/wire.c) on whatever a bus may send: the
 * input is a stream of messages, read one by one as the front reads its socket, and each
 * reply body as a(sss) and s the way it prints them. */
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_body(const WireMessage *m) {
        const char *row[3], *text;
        WireReader r;
        size_t end;

        wire_reader_init(&r, m);
        if (wire_enter_array(&r, 8, &end) == 0) {
                if (end > m->body_size)
                        abort();
                while (r.pos < end && wire_read_string_struct(&r, row, 3) == 0)
                        for (size_t i = 0; i < 3; i++)
                                if (row[i] < (const char *) m->body ||
                                    row[i] + strlen(row[i]) >= (const char *) m->body + m->body_size)
                                        abort();
        }
        wire_reader_init(&r, m);
        if (wire_read_string(&r, &text) == 0 && text + strlen(text) >= (const char *) m->body + m->body_size)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        while (size > 0) {
                WireMessage m;
                size_t length;
                uint8_t *copy;

                if (wire_message_length(data, size, &length) < 0 || length > size)
                        return 0;
                /* A copy of exactly the message: reads past it are ASan's to catch. */
                copy = malloc(length ?: 1);
                if (!copy)
                        return 0;
                memcpy(copy, data, length);
                if (wire_message_parse(copy, length, &m) == 0) {
                        if (m.body + m.body_size != copy + length || !m.signature)
                                abort();
                        read_body(&m);
                }
                free(copy);
                data += length;
                size -= length;
        }
        return 0;
}
