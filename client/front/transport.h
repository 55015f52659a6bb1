/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A bus connection that speaks only what the front needs: a unix:path= address, SASL
 * EXTERNAL sent together with the first messages, and messages read whole, one at a time.
 * A failure before the bus said OK to the authentication means nothing was delivered, so
 * the caller may still hand the command to the full client. */

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

typedef struct Transport {
        int fd;
        uint8_t *buffer;
        size_t allocated, n, consumed;
} Transport;

#define TRANSPORT_INIT \
        { .fd = -1 }

/* -EPROTONOSUPPORT for an address the front does not speak (another transport, a list, an
 * escaped value); the socket's path otherwise, in ret (size bytes). */
int transport_address_path(const char *address, char *ret, size_t size);
int transport_connect(Transport *t, const char *address);
/* Sends the authentication, BEGIN and messages (each length[i] bytes) in one write. */
int transport_send_with_auth(Transport *t, const uint8_t *const *messages, const size_t *lengths,
                             size_t n_messages);
/* Waits for the bus's answer to the authentication: 0 on OK, -EACCES otherwise. */
int transport_read_auth(Transport *t, int64_t deadline_usec);
/* The next complete message, valid until the next call. -ETIMEDOUT past the deadline
 * (CLOCK_MONOTONIC), -ECONNRESET when the bus closed, -EBADMSG for garbage. */
int transport_next_message(Transport *t, int64_t deadline_usec, WireMessage *ret);
void transport_close(Transport *t);

int64_t transport_now_usec(void);
