/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "transport.h"

#define AUTH_LINE_MAX 512
/* A reply of a bind is a few lines; anything near this is not one. */
#define MESSAGE_MAX (16U * 1024 * 1024)

int64_t transport_now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int transport_address_path(const char *address, char *ret, size_t size) {
        const char *p, *path = NULL;
        size_t path_length = 0;

        if (strncmp(address, "unix:", 5) != 0 || strpbrk(address, ";%"))
                return -EPROTONOSUPPORT;
        for (p = address + 5; *p;) {
                size_t n = strcspn(p, ",");

                if (strncmp(p, "path=", 5) == 0) {
                        path = p + 5;
                        path_length = n - 5;
                } else if (strncmp(p, "guid=", 5) != 0)
                        return -EPROTONOSUPPORT; /* abstract=, tmpdir=, runtime=... */
                p += n + (p[n] == ',');
        }
        if (!path || path_length == 0 || path_length >= size)
                return -EPROTONOSUPPORT;
        memcpy(ret, path, path_length);
        ret[path_length] = '\0';
        return 0;
}

int transport_connect(Transport *t, const char *address) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int r;

        r = transport_address_path(address, sa.sun_path, sizeof(sa.sun_path));
        if (r < 0)
                return r;
        t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (t->fd < 0)
                return -errno;
        if (connect(t->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        return 0;
}

static int send_all(int fd, const uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int transport_send_with_auth(Transport *t, const uint8_t *const *messages, const size_t *lengths,
                             size_t n_messages) {
        char uid[16], hex[2 * sizeof(uid) + 1], auth[64];
        uint8_t *all;
        size_t n, total;
        int r;

        /* EXTERNAL's identity is the UID in decimal, hex-encoded; the leading NUL is the
         * credentials byte. The bus reads BEGIN and the messages after its OK. */
        snprintf(uid, sizeof(uid), "%u", (unsigned) geteuid());
        for (size_t i = 0; uid[i]; i++)
                snprintf(hex + 2 * i, 3, "%02x", (unsigned char) uid[i]);
        n = (size_t) snprintf(auth, sizeof(auth), "%cAUTH EXTERNAL %s\r\nBEGIN\r\n", '\0', hex);
        total = n;
        for (size_t i = 0; i < n_messages; i++)
                total += lengths[i];
        all = malloc(total);
        if (!all)
                return -ENOMEM;
        memcpy(all, auth, n);
        for (size_t i = 0; i < n_messages; i++) {
                memcpy(all + n, messages[i], lengths[i]);
                n += lengths[i];
        }
        r = send_all(t->fd, all, total);
        free(all);
        return r;
}

/* Reads what is there (at least one byte), waiting until the deadline. */
static int fill(Transport *t, int64_t deadline_usec) {
        ssize_t k;

        if (t->consumed > 0) {
                memmove(t->buffer, t->buffer + t->consumed, t->n - t->consumed);
                t->n -= t->consumed;
                t->consumed = 0;
        }
        if (t->n == t->allocated) {
                size_t grown = t->allocated ? 2 * t->allocated : 4096;
                uint8_t *b;

                if (grown > MESSAGE_MAX)
                        return -EMSGSIZE;
                b = realloc(t->buffer, grown);
                if (!b)
                        return -ENOMEM;
                t->buffer = b;
                t->allocated = grown;
        }
        for (;;) {
                int64_t left = deadline_usec - transport_now_usec();
                int p;

                if (left <= 0)
                        return -ETIMEDOUT;
                p = poll(&(struct pollfd){ .fd = t->fd, .events = POLLIN }, 1, (int) ((left + 999) / 1000));
                if (p < 0 && errno != EINTR)
                        return -errno;
                if (p <= 0)
                        continue;
                k = recv(t->fd, t->buffer + t->n, t->allocated - t->n, 0);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -ECONNRESET;
                t->n += (size_t) k;
                return 0;
        }
}

int transport_read_auth(Transport *t, int64_t deadline_usec) {
        for (;;) {
                /* Nothing read yet: no buffer either. */
                uint8_t *end =
                        t->buffer ? memmem(t->buffer + t->consumed, t->n - t->consumed, "\r\n", 2) : NULL;
                int r;

                if (end) {
                        bool ok = end - (t->buffer + t->consumed) >= 3 &&
                                  memcmp(t->buffer + t->consumed, "OK ", 3) == 0;

                        t->consumed = (size_t) (end + 2 - t->buffer);
                        return ok ? 0 : -EACCES;
                }
                if (t->n - t->consumed > AUTH_LINE_MAX)
                        return -EACCES;
                r = fill(t, deadline_usec);
                if (r < 0)
                        return r;
        }
}

int transport_next_message(Transport *t, int64_t deadline_usec, WireMessage *ret) {
        for (;;) {
                const uint8_t *start = t->buffer ? t->buffer + t->consumed : NULL;
                size_t have = t->n - t->consumed, length;
                int r;

                r = have > 0 ? wire_message_length(start, have, &length) : -EAGAIN;
                if (r == -EBADMSG)
                        return r;
                if (r == 0 && length > MESSAGE_MAX)
                        return -EMSGSIZE;
                if (r == 0 && length <= have) {
                        r = wire_message_parse(start, length, ret);
                        t->consumed += length;
                        return r;
                }
                r = fill(t, deadline_usec);
                if (r < 0)
                        return r;
        }
}

void transport_close(Transport *t) {
        if (t->fd >= 0)
                close(t->fd);
        free(t->buffer);
        *t = (Transport) TRANSPORT_INIT;
}
