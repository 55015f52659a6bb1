/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "bus-errors.h"
#include "bus.h"
#include "output.h"
#include "passthru-dbus.h"

static int open_address(const char *address, sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        /* A bus, not a peer: say Hello so the daemon sees a unique name to answer. */
        r = sd_bus_set_bus_client(bus, true);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* Runs the bus until done() says so (>0) or fails (<0), for at most timeout_usec however
 * many messages arrive meanwhile. */
static int process_until(sd_bus *bus, int (*done)(sd_bus *bus, void *userdata), void *userdata,
                         uint64_t timeout_usec) {
        uint64_t deadline = now_usec() + timeout_usec;
        int r;

        while ((r = done(bus, userdata)) == 0) {
                uint64_t now = now_usec();

                if (now >= deadline)
                        return -ETIMEDOUT;
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, deadline - now);
                if (r < 0)
                        return r;
        }
        return r < 0 ? r : 0;
}

static int bus_ready(sd_bus *bus, void *userdata) {
        return sd_bus_is_ready(bus);
}

static int open_bus(const ClientOptions *o, sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        /* sd_bus_open_system() honours $DBUS_SYSTEM_BUS_ADDRESS, which the tests set. */
        if (o->bus_address)
                r = open_address(o->bus_address, &bus);
        else if (o->host)
                r = sd_bus_open_system_remote(&bus, o->host);
        else
                r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_method_call_timeout(bus, o->timeout_usec);
        if (r < 0)
                return r;
        /* sd-bus would wait up to 90 s for SASL, and for Hello's answer as long as the first
         * call's deadline: the connection gets the client's timeout instead. */
        r = process_until(bus, bus_ready, NULL, o->timeout_usec);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

static int log_connect_error(const ClientOptions *o, int r) {
        if (r == -ETIMEDOUT)
                return client_error_errno(r, "%s%s did not answer within %" PRIu64 " s (--timeout).",
                                          o->bus_address ? "The bus at " : o->host ? "The system bus of " : "The system bus",
                                          o->bus_address ?: o->host ?: "", o->timeout_usec / USEC_PER_SEC);
        if (o->bus_address && (r == -EINVAL || r == -ENOMEDIUM || r == -EPROTONOSUPPORT))
                return client_error_errno(r, "The bus address '%s' is not one sd-bus can use: %m",
                                          o->bus_address);
        if (o->bus_address)
                return client_error_errno(r, "Failed to connect to the bus at %s: %m", o->bus_address);
        /* ssh printed its own reason on standard error, just above. */
        if (o->host)
                return client_error_errno(
                        r, "Failed to reach the system bus of %s over ssh (see ssh's message): %m", o->host);
        return client_error_errno(r, "Failed to connect to the system bus: %m");
}

int bus_connect(const ClientOptions *o, sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        r = open_bus(o, &bus);
        if (r < 0)
                return log_connect_error(o, r);
        /* Map org.passthru.Error.* to errnos, so r says what kind of failure it was. */
        r = sd_bus_error_add_map(passthru_error_map);
        if (r < 0)
                return client_error_errno(r, "Failed to register the passthru error names: %m");
        /* Changing verbs are checked by polkit, which may ask for a password when allowed to. */
        r = sd_bus_set_allow_interactive_authorization(bus, true);
        if (r < 0)
                return client_error_errno(r, "Failed to allow interactive authorization: %m");
        *ret = TAKE_PTR(bus);
        return 0;
}

int bus_log_error(const sd_bus_error *error, int r) {
        if (r == -ETIMEDOUT)
                return client_error_errno(r, "No answer from passthrud in time (see --timeout).");
        if (sd_bus_error_is_set(error)) {
                _cleanup_free_ char *message = text_escape_controls(error->message ?: error->name, false);

                return message ? client_error_errno(r, "%s", message) : client_oom();
        }
        /* No answer at all: the connection itself failed (ssh, a dead bus). */
        return client_error_errno(r, "Failed to talk to passthrud: %m");
}

#define PKTTYAGENT "/usr/bin/pkttyagent"

/* pkttyagent registers for our session and says so on the notify fd; without a terminal,
 * or over ssh (the remote polkit cannot reach our agent), none is started. */
static pid_t agent_start(const ClientOptions *o) {
        int fds[2];
        pid_t pid;

        if (o->host || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || access(PKTTYAGENT, X_OK) < 0)
                return 0;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return 0;
        pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return 0;
        }
        if (pid == 0) {
                char fd[16];

                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                snprintf(fd, sizeof(fd), "%d", fds[1]);
                (void) fcntl(fds[1], F_SETFD, 0);
                execl(PKTTYAGENT, PKTTYAGENT, "--notify-fd", fd, "--fallback", (char *) NULL);
                _exit(EXIT_FAILURE);
        }
        close(fds[1]);
        /* Ready when it writes or closes the notify fd; do not wait forever. */
        (void) poll(&(struct pollfd){ .fd = fds[0], .events = POLLIN }, 1, 5000);
        close(fds[0]);
        return pid;
}

static void agent_stop(pid_t pid) {
        if (pid <= 0)
                return;
        (void) kill(pid, SIGTERM);
        (void) waitpid(pid, NULL, 0);
}

int bus_new_manager_call(sd_bus *bus, const char *member, sd_bus_message **ret) {
        return sd_bus_message_new_method_call(bus, ret, PASSTHRU_BUS_NAME, PASSTHRU_MANAGER_PATH,
                                              PASSTHRU_MANAGER_INTERFACE, member);
}

/* The deadline of a call: usec, or the bus's (--timeout) for 0; a person at a polkit agent
 * may take longer to type a password. */
static uint64_t call_timeout(sd_bus *bus, uint64_t usec, pid_t agent) {
        uint64_t t = usec;

        if (t == 0 && sd_bus_get_method_call_timeout(bus, &t) < 0)
                t = CLIENT_TIMEOUT_USEC_DEFAULT;
        return agent > 0 && t < AGENT_TIMEOUT_USEC ? AGENT_TIMEOUT_USEC : t;
}

int bus_call(sd_bus *bus, sd_bus_message *call, uint64_t usec, const ClientOptions *agent_for,
             sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        pid_t agent;
        int r;

        agent = agent_for ? agent_start(agent_for) : 0;
        r = sd_bus_call(bus, call, call_timeout(bus, usec, agent), &error, &reply);
        /* Stopped before the error is printed: the agent may still hold the terminal. */
        agent_stop(agent);
        if (r < 0)
                return bus_log_error(&error, r);
        *ret_reply = TAKE_PTR(reply);
        return 0;
}

typedef struct AsyncCall {
        bool done;
        sd_bus_message *reply;
} AsyncCall;

static int on_async_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AsyncCall *c = userdata;

        c->done = true;
        c->reply = sd_bus_message_ref(reply);
        return 0;
}

static int call_done(sd_bus *bus, void *userdata) {
        return ((AsyncCall *) userdata)->done;
}

int bus_call_dispatching(sd_bus *bus, sd_bus_message *call, uint64_t usec, const ClientOptions *agent_for,
                         sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        AsyncCall c = {};
        uint64_t timeout;
        pid_t agent;
        int r;

        agent = agent_for ? agent_start(agent_for) : 0;
        timeout = call_timeout(bus, usec, agent);
        r = sd_bus_call_async(bus, &slot, call, on_async_reply, &c, timeout);
        if (r >= 0)
                r = process_until(bus, call_done, &c, timeout);
        agent_stop(agent);
        if (r < 0) {
                sd_bus_message_unref(c.reply);
                if (r == -ETIMEDOUT)
                        return bus_log_error(NULL, r);
                return client_error_errno(r, "Failed to call %s: %m", sd_bus_message_get_member(call));
        }
        if (sd_bus_message_is_method_error(c.reply, NULL)) {
                r = bus_log_error(sd_bus_message_get_error(c.reply),
                                  sd_bus_message_get_errno(c.reply) ? -sd_bus_message_get_errno(c.reply)
                                                                    : -EIO);
                sd_bus_message_unref(c.reply);
                return r;
        }
        *ret_reply = c.reply;
        return 0;
}

int bus_call_manager(sd_bus *bus, const char *member, sd_bus_message **ret_reply, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        va_list ap;
        int r;

        r = bus_new_manager_call(bus, member, &call);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(call, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return client_error_errno(r, "Failed to build the %s call: %m", member);
        return bus_call(bus, call, 0, NULL, ret_reply);
}

int bus_get_all_properties(sd_bus *bus, const char *path, const char *interface,
                           sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, PASSTHRU_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &reply, "s", interface);
        if (r < 0)
                return bus_log_error(&error, r);
        *ret_reply = TAKE_PTR(reply);
        return 0;
}
