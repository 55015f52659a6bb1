/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passthructl, the front: a static program with no library but libc, so that it starts in
 * a fraction of the time the full client takes (no dynamic linking of libsystemd and its
 * five libraries). It runs `bind` and `unbind` itself, the verbs scripts loop over, when the
 * command line is one it fully understands, and hands every other command, unchanged, to
 * the full client (exec). It also hands over before anything was sent: on a terminal
 * where polkit may need to ask for a password (the full client starts the agent), for
 * --json, -H, and any bus address, error or option it does not speak. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "changes-text.h"
#include "client-options.h"
#include "macros.h"
#include "config.h" /* the build's: LIBEXECDIR */
#include "passthru-dbus.h"
#include "transport.h"
#include "wire.h"

#define FULL_CLIENT "passthructl-full"
#define DEFAULT_SYSTEM_BUS "unix:path=/run/dbus/system_bus_socket"
/* As the full client: a person may take a while to type a password. */
#define CALL_TIMEOUT_USEC (10LL * 60 * 1000 * 1000)
#define HELLO_SERIAL 1
#define CALL_SERIAL 2

typedef struct Request {
        const char *member; /* "Bind" or "Unbind" */
        const char *address;
        const char *bus_address;
        bool group, dry_run, force, persist;
        const char *driver;
} Request;

/* Where the full client is installed; a build for memcheck (client/memcheck), which is
 * never installed, names the one in the build tree. */
#ifndef FRONT_FULL_CLIENT
#define FRONT_FULL_CLIENT LIBEXECDIR "/" FULL_CLIENT
#endif

/* The full client beside this program (the build tree) when there is one, else installed. */
static void full_client_path(char *ret, size_t size) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        char *slash = NULL;

        if (n > 0) {
                self[n] = '\0';
                slash = strrchr(self, '/');
        }
        if (slash &&
            (size_t) snprintf(ret, size, "%.*s/%s", (int) (slash - self), self, FULL_CLIENT) < size &&
            access(ret, X_OK) == 0)
                return;
        snprintf(ret, size, "%s", FRONT_FULL_CLIENT);
}

_noreturn_ static void hand_over(char *argv[]) {
        char path[PATH_MAX];

        full_client_path(path, sizeof(path));
        execv(path, argv);
        fprintf(stderr, "%s: Failed to run %s: %s\n", program_invocation_short_name, path, strerror(errno));
        exit(EXIT_FAILURE);
}

/* 1 when the front runs the command itself; 0 to hand it over (the full client parses it
 * again and says what is wrong with it, if anything). argv is permuted. */
static int parse_request(int argc, char *argv[], Request *req) {
        static const struct option options[] = {
                CLIENT_BIND_OPTIONS,
                {},
        };
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":", options, NULL)) >= 0)
                switch (c) {
                case ARG_BUS_ADDRESS:
                        req->bus_address = optarg;
                        break;
                case ARG_GROUP:
                        req->group = true;
                        break;
                case ARG_DRY_RUN:
                        req->dry_run = true;
                        break;
                case ARG_FORCE:
                        req->force = true;
                        break;
                case ARG_DRIVER:
                        req->driver = optarg;
                        break;
                case ARG_PERSIST:
                        req->persist = true;
                        break;
                default: /* an option of another verb, --json, -H, --help, or a mistake */
                        return 0;
                }
        if (argc - optind != 2)
                return 0;
        if (strcmp(argv[optind], "bind") == 0 && !req->driver)
                req->member = "Bind";
        else if (strcmp(argv[optind], "unbind") == 0 && !req->force)
                req->member = "Unbind";
        else
                return 0;
        req->address = argv[optind + 1];
        /* On a terminal, polkit may ask for a password through the agent the full client
         * starts. Root is never asked (passthrud lets UID 0 through; polkitd would say yes). */
        if (geteuid() != 0 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
                return 0;
        return 1;
}

static int build_call(const Request *req, uint8_t *buffer, size_t size, size_t *ret_length) {
        WireWriter w;

        wire_begin_call(&w, buffer, size, CALL_SERIAL, WIRE_FLAG_ALLOW_INTERACTIVE_AUTHORIZATION,
                        PASSTHRU_BUS_NAME, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE, req->member,
                        "sa{sv}");
        wire_append_string(&w, req->address);
        wire_open_dict(&w);
        /* The keys in the order the full client sends them. */
        if (req->group)
                wire_dict_bool(&w, "group", true);
        if (req->dry_run)
                wire_dict_bool(&w, "dry-run", true);
        if (req->force)
                wire_dict_bool(&w, "force", true);
        if (req->driver)
                wire_dict_string(&w, "driver", req->driver);
        if (req->persist)
                wire_dict_bool(&w, "persist", true);
        wire_close_dict(&w);
        return wire_finish(&w, ret_length);
}

static int build_hello(uint8_t *buffer, size_t size, size_t *ret_length) {
        WireWriter w;

        wire_begin_call(&w, buffer, size, HELLO_SERIAL, 0, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                        "org.freedesktop.DBus", "Hello", NULL);
        return wire_finish(&w, ret_length);
}

/* Connects, authenticates and sends Hello and the call in one write. <0: nothing reached
 * the daemon, hand over. */
static int send_call(Transport *t, const Request *req, int64_t deadline) {
        uint8_t hello[256], call[4096];
        const uint8_t *messages[] = { hello, call };
        size_t lengths[2];
        int r;

        r = build_hello(hello, sizeof(hello), &lengths[0]);
        if (r >= 0)
                r = build_call(req, call, sizeof(call), &lengths[1]);
        if (r >= 0)
                r = transport_connect(t, req->bus_address);
        if (r >= 0)
                r = transport_send_with_auth(t, messages, lengths, 2);
        if (r >= 0)
                r = transport_read_auth(t, deadline);
        return r;
}

static int fail_errno(int error, const char *what) {
        fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, strerror(error));
        return EXIT_FAILURE;
}

static int print_error(const WireMessage *m) {
        const char *text = NULL;
        WireReader r;

        wire_reader_init(&r, m);
        if (m->signature[0] != 's' || wire_read_string(&r, &text) < 0 || !*text)
                text = m->error_name;
        fprintf(stderr, "%s: %s\n", program_invocation_short_name, text);
        return EXIT_FAILURE;
}

static int print_changes(const WireMessage *m, const Request *req) {
        const char *row[3];
        unsigned n = 0;
        size_t end;
        WireReader r;

        wire_reader_init(&r, m);
        if (strcmp(m->signature, "a(sss)") != 0 || wire_enter_array(&r, 8, &end) < 0)
                return fail_errno(EBADMSG, "Failed to read the reply");
        while (r.pos < end) {
                if (wire_read_string_struct(&r, row, 3) < 0 || r.pos > end)
                        return fail_errno(EBADMSG, "Failed to read the reply");
                changes_text_row(stdout, req->dry_run, row[0], row[1], row[2]);
                n++;
        }
        if (n == 0)
                changes_text_none(stdout, req->address);
        if (fflush(stdout) != 0 || ferror(stdout))
                return fail_errno(errno > 0 ? errno : EIO, "Failed to write to standard output");
        return EXIT_SUCCESS;
}

/* Messages until the call's answer; the Hello's reply and NameAcquired come first. */
static int await_reply(Transport *t, const Request *req, int64_t deadline) {
        for (;;) {
                WireMessage m;
                int r = transport_next_message(t, deadline, &m);

                if (r < 0)
                        return fail_errno(-r, "Failed to talk to passthrud");
                if (m.reply_serial != CALL_SERIAL)
                        continue;
                if (m.type == WIRE_ERROR)
                        return print_error(&m);
                if (m.type == WIRE_METHOD_RETURN)
                        return print_changes(&m, req);
        }
}

int main(int argc, char *argv[]) {
        Transport t = TRANSPORT_INIT;
        Request req = {};
        char **original;
        int64_t deadline;
        int r;

        /* getopt permutes argv; the full client gets it as typed. */
        original = calloc((size_t) argc + 1, sizeof(char *));
        if (!original)
                return fail_errno(ENOMEM, "Out of memory");
        memcpy(original, argv, sizeof(char *) * (size_t) argc);
        if (!parse_request(argc, argv, &req))
                hand_over(original);
        if (!req.bus_address)
                req.bus_address = getenv("DBUS_SYSTEM_BUS_ADDRESS") ?: DEFAULT_SYSTEM_BUS;

        deadline = transport_now_usec() + CALL_TIMEOUT_USEC;
        if (send_call(&t, &req, deadline) < 0) {
                transport_close(&t);
                hand_over(original);
        }
        r = await_reply(&t, &req, deadline);
        transport_close(&t);
        free(original);
        return r;
}
