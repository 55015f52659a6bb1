/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus.h"
#include "check.h"
#include "gpus.h"
#include "objects.h"
#include "output.h"
#include "passthru-dbus.h"

typedef struct CheckRow {
        const char *id, *status, *summary, *remedy;
} CheckRow;

/* The exit status for each HostStatus; anything else is an error. */
static int exit_status(const char *host_status) {
        if (streq(host_status, "ready"))
                return 0;
        if (streq(host_status, "degraded"))
                return 1;
        if (streq(host_status, "not-ready"))
                return 2;
        return client_error_errno(EPROTO, "The daemon reported an unknown host status '%s'.", host_status);
}

/* Colour only for a person at a terminal that can show it (https://no-color.org). */
static bool use_colour(void) {
        const char *term = getenv("TERM");

        return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && term && !streq(term, "dumb");
}

#define COLOUR_RESET "\033[0m"

static const char *status_colour(const char *status) {
        if (streq(status, "pass"))
                return "\033[32m";
        if (streq(status, "warn"))
                return "\033[33m";
        if (streq(status, "fail"))
                return "\033[1;31m";
        return "\033[2m";
}

static const char *host_status_colour(const char *host_status) {
        if (streq(host_status, "ready"))
                return "\033[32m";
        if (streq(host_status, "degraded"))
                return "\033[33m";
        return "\033[1;31m";
}

/* Status words are four letters wide, so colour codes around them keep the columns. The
 * reply's text is escaped here: the line holds our own colour codes. */
static int print_row(const CheckRow *row, int width, bool colour) {
        _cleanup_free_ char *status = text_escape_controls(row->status, false),
                            *id = text_escape_controls(row->id, false),
                            *summary = text_escape_controls(row->summary, false),
                            *remedy = text_escape_controls(row->remedy, false);
        int r;

        if (!status || !id || !summary || !remedy)
                return client_oom();
        r = print_line_unescaped("%s%-4s%s  %-*s  %s", colour ? status_colour(row->status) : "", status,
                                 colour ? COLOUR_RESET : "", width, id, summary);
        if (r >= 0 && *remedy)
                r = print_line_unescaped("%*s-> %s", 4 + 2 + width + 2, "", remedy);
        return r;
}

static int print_text(const CheckRow *rows, size_t n, json_object *gpus, const char *host_status) {
        bool colour = use_colour();
        int width = 0, r = 0;

        for (size_t i = 0; i < n; i++)
                if ((int) strlen(rows[i].id) > width)
                        width = (int) strlen(rows[i].id);
        for (size_t i = 0; i < n && r >= 0; i++)
                r = print_row(&rows[i], width, colour);
        /* host_status is one of three words: exit_status() refused anything else. */
        if (r >= 0)
                r = gpus_print_text(gpus);
        if (r >= 0)
                r = print_line_unescaped("\nHost status: %s%s%s",
                                         colour ? host_status_colour(host_status) : "", host_status,
                                         colour ? COLOUR_RESET : "");
        return r;
}

static int row_to_json(const CheckRow *row, json_object **ret) {
        _cleanup_json_ json_object *o = json_object_new_object();
        int r = o ? 0 : -ENOMEM;

        if (r >= 0)
                r = json_set(o, "id", json_object_new_string(row->id));
        if (r >= 0)
                r = json_set(o, "status", json_object_new_string(row->status));
        if (r >= 0)
                r = json_set(o, "summary", json_object_new_string(row->summary));
        if (r >= 0)
                r = json_set(o, "remedy", json_object_new_string(row->remedy));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int print_json(const CheckRow *rows, size_t n, json_object *gpus, const char *host_status) {
        _cleanup_json_ json_object *root = NULL, *checks = json_object_new_array();
        int r = checks ? json_document_new(&root) : -ENOMEM;

        for (size_t i = 0; i < n && r >= 0; i++) {
                json_object *row;

                r = row_to_json(&rows[i], &row);
                if (r >= 0)
                        r = json_append(checks, row);
        }
        if (r >= 0)
                r = json_set(root, "host_status", json_object_new_string(host_status));
        if (r >= 0)
                r = json_set(root, "checks", TAKE_PTR(checks));
        if (r >= 0)
                r = json_set(root, "gpus", json_object_get(gpus));
        if (r < 0)
                return client_oom();
        return json_print(root, true);
}

/* Reads the a(ssss) rows; the strings point into reply. */
static int read_rows(sd_bus_message *reply, CheckRow **ret, size_t *ret_n) {
        _cleanup_free_ CheckRow *rows = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', PASSTHRU_HOST_CHECK_ROW_SIGNATURE);
        while (r >= 0) {
                CheckRow row, *grown;

                r = sd_bus_message_read(reply, PASSTHRU_HOST_CHECK_ROW_SIGNATURE, &row.id, &row.status,
                                        &row.summary, &row.remedy);
                if (r <= 0)
                        break;
                grown = realloc(rows, sizeof(CheckRow) * (n + 1));
                if (!grown)
                        return client_oom();
                rows = grown;
                rows[n++] = row;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return client_error_errno(r, "Failed to read the CheckHost reply: %m");
        *ret = TAKE_PTR(rows);
        *ret_n = n;
        return 0;
}

int verb_check(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *host_status = NULL;
        _cleanup_free_ CheckRow *rows = NULL;
        _cleanup_json_ json_object *gpus = NULL;
        size_t n = 0;
        int r, status;

        r = bus_call_manager(bus, "CheckHost", &reply, NULL);
        if (r < 0)
                return r;
        r = read_rows(reply, &rows, &n);
        if (r < 0)
                return r;
        /* CheckHost has just brought HostStatus up to date: the daemon's rule decides, not ours. */
        r = sd_bus_get_property_string(bus, PASSTHRU_BUS_NAME, PASSTHRU_MANAGER_PATH,
                                       PASSTHRU_MANAGER_INTERFACE, "HostStatus", &error, &host_status);
        if (r < 0)
                return bus_log_error(&error, r);
        status = exit_status(host_status);
        if (status < 0)
                return status;
        r = gpus_collect(bus, &gpus);
        if (r < 0)
                return r;
        r = o->json ? print_json(rows, n, gpus, host_status) : print_text(rows, n, gpus, host_status);
        return r < 0 ? r : status;
}
