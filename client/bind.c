/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "bind.h"
#include "bus.h"
#include "output.h"
#include "passthru-dbus.h"

#define PKTTYAGENT "/usr/bin/pkttyagent"
/* A person may take a while to type a password; the daemon itself answers within 20 s. */
#define BIND_CALL_TIMEOUT_USEC (10ULL * 60 * 1000 * 1000)

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

static int append_options(sd_bus_message *call, const ClientOptions *o) {
        int r;

        r = sd_bus_message_open_container(call, 'a', "{sv}");
        if (r >= 0 && o->group)
                r = sd_bus_message_append(call, "{sv}", "group", "b", 1);
        if (r >= 0 && o->dry_run)
                r = sd_bus_message_append(call, "{sv}", "dry-run", "b", 1);
        if (r >= 0 && o->force)
                r = sd_bus_message_append(call, "{sv}", "force", "b", 1);
        if (r >= 0 && o->driver)
                r = sd_bus_message_append(call, "{sv}", "driver", "s", o->driver);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        return r;
}

static int call(sd_bus *bus, const char *member, const char *address, const ClientOptions *o,
                sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        pid_t agent;
        int r;

        r = sd_bus_message_new_method_call(bus, &msg, PASSTHRU_BUS_NAME, PASSTHRU_MANAGER_PATH,
                                           PASSTHRU_MANAGER_INTERFACE, member);
        if (r >= 0)
                r = sd_bus_message_append(msg, "s", address);
        if (r >= 0)
                r = append_options(msg, o);
        if (r < 0)
                return client_error_errno(r, "Failed to build the %s call: %m", member);
        agent = o->dry_run ? 0 : agent_start(o);
        r = sd_bus_call(bus, msg, BIND_CALL_TIMEOUT_USEC, &error, &reply);
        agent_stop(agent);
        if (r < 0)
                return bus_log_error(&error, r);
        *ret_reply = TAKE_PTR(reply);
        return 0;
}

static int print_changes_json(sd_bus_message *reply) {
        _cleanup_json_ json_object *array = json_object_new_array();
        const char *address, *from, *to;
        int r;

        if (!array)
                return client_oom();
        while ((r = sd_bus_message_read(reply, "(sss)", &address, &from, &to)) > 0) {
                json_object *row = json_object_new_object();

                r = json_append(array, row);
                if (r >= 0)
                        r = json_set(row, "address", json_object_new_string(address));
                if (r >= 0)
                        r = json_set(row, "from", json_object_new_string(from));
                if (r >= 0)
                        r = json_set(row, "to", json_object_new_string(to));
                if (r < 0)
                        return client_oom();
        }
        if (r < 0)
                return client_error_errno(r, "Failed to read the reply: %m");
        return json_print(array, true);
}

/* "0000:01:00.0: nouveau -> vfio-pci", one line a device; "-" for no driver. */
static int print_changes_text(sd_bus_message *reply, const char *address, const ClientOptions *o) {
        const char *a, *from, *to;
        unsigned n = 0;
        int r;

        while ((r = sd_bus_message_read(reply, "(sss)", &a, &from, &to)) > 0) {
                r = print_line("%s%s: %s -> %s", o->dry_run ? "would move " : "", a, *from ? from : "-",
                               *to ? to : "-");
                if (r < 0)
                        return r;
                n++;
        }
        if (r < 0)
                return client_error_errno(r, "Failed to read the reply: %m");
        if (n == 0)
                return print_line("Nothing to change for %s.", address);
        return 0;
}

static int run(sd_bus *bus, const char *member, const char *address, const ClientOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = call(bus, member, address, o, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        if (r < 0)
                return client_error_errno(r, "Failed to read the reply: %m");
        return o->json ? print_changes_json(reply) : print_changes_text(reply, address, o);
}

int verb_bind(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        if (o->driver)
                return client_error_errno(EINVAL, "--driver is an option of unbind, not of bind.");
        return run(bus, "Bind", argv[1], o);
}

int verb_unbind(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        if (o->force)
                return client_error_errno(EINVAL, "--force is an option of bind, not of unbind.");
        return run(bus, "Unbind", argv[1], o);
}
