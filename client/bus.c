/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "bus-errors.h"
#include "bus.h"
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

int bus_connect(const ClientOptions *o, sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        /* sd_bus_open_system() honours $DBUS_SYSTEM_BUS_ADDRESS, which the tests set. */
        if (o->bus_address) {
                r = open_address(o->bus_address, &bus);
                if (r < 0)
                        return client_error_errno(r, "Failed to connect to the bus at %s: %m",
                                                  o->bus_address);
        } else if (o->host) {
                r = sd_bus_open_system_remote(&bus, o->host);
                if (r < 0)
                        return client_error_errno(r, "Failed to connect to the system bus of %s: %m",
                                                  o->host);
        } else {
                r = sd_bus_open_system(&bus);
                if (r < 0)
                        return client_error_errno(r, "Failed to connect to the system bus: %m");
        }

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
        if (sd_bus_error_is_set(error))
                return client_error_errno(r, "%s", error->message ?: error->name);
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

int bus_call(sd_bus *bus, sd_bus_message *call, uint64_t usec, const ClientOptions *agent_for,
             sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        pid_t agent;
        int r;

        agent = agent_for ? agent_start(agent_for) : 0;
        r = sd_bus_call(bus, call, usec, &error, &reply);
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

int bus_call_dispatching(sd_bus *bus, sd_bus_message *call, uint64_t usec, const ClientOptions *agent_for,
                         sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        AsyncCall c = {};
        pid_t agent;
        int r;

        agent = agent_for ? agent_start(agent_for) : 0;
        r = sd_bus_call_async(bus, &slot, call, on_async_reply, &c, usec);
        while (r >= 0 && !c.done) {
                r = sd_bus_process(bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
        }
        agent_stop(agent);
        if (r < 0) {
                sd_bus_message_unref(c.reply);
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
