/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "bootcfg.h"
#include "bus.h"
#include "output.h"
#include "passthru-dbus.h"

/* The daemon stops a rebuild after 30 minutes; a person may also take a while to
 * authenticate. */
#define BOOT_CONFIG_CALL_TIMEOUT_USEC (35ULL * 60 * 1000 * 1000)

#define RECOVERY_HINT                                                                             \
        "If the host does not come up as expected after the reboot, add passthru.early=0 to the " \
        "kernel command line (in GRUB: press e on the entry) to skip early binding once; "        \
        "'passthructl boot-config --remove' undoes this configuration."

static int on_progress(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const ClientOptions *o = userdata;
        const char *stage, *line;

        if (sd_bus_message_read(m, "ss", &stage, &line) < 0)
                return 0;
        /* with --json, stdout carries only the JSON */
        (void) (o->json ? print_line_to_stderr : print_line)("  [%s] %s", stage, line);
        return 0;
}

static int append_options(sd_bus_message *call, const ClientOptions *o) {
        int r;

        r = sd_bus_message_open_container(call, 'a', "{sv}");
        if (r >= 0 && o->dry_run)
                r = sd_bus_message_append(call, "{sv}", "dry-run", "b", 1);
        if (r >= 0 && o->no_initramfs)
                r = sd_bus_message_append(call, "{sv}", "initramfs", "b", 0);
        if (r >= 0 && o->no_cmdline)
                r = sd_bus_message_append(call, "{sv}", "cmdline", "b", 0);
        if (r >= 0 && o->remove)
                r = sd_bus_message_append(call, "{sv}", "remove", "b", 1);
        if (r >= 0 && o->iommu_pt)
                r = sd_bus_message_append(call, "{sv}", "iommu-pt", "b", 1);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        return r;
}

static int print_json(sd_bus_message *reply) {
        _cleanup_json_ json_object *root = NULL;
        json_object *files = json_object_new_array(), *commands = json_object_new_array(),
                    *warnings = json_object_new_array();
        const char *path, *action, *diff, *s;
        int r;

        r = json_document_new(&root);
        if (r >= 0)
                r = json_set(root, "files", files);
        if (r >= 0)
                r = json_set(root, "commands", commands);
        if (r >= 0)
                r = json_set(root, "warnings", warnings);
        if (r < 0)
                return client_oom();
        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sss)", &path, &action, &diff)) > 0) {
                json_object *row = json_object_new_object();

                r = json_append(files, row);
                if (r >= 0)
                        r = json_set(row, "path", json_object_new_string(path));
                if (r >= 0)
                        r = json_set(row, "action", json_object_new_string(action));
                if (r >= 0)
                        r = json_set(row, "diff", json_object_new_string(diff));
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        for (json_object *a = commands; r >= 0 && a; a = a == commands ? warnings : NULL) {
                r = sd_bus_message_enter_container(reply, 'a', "s");
                while (r >= 0 && (r = sd_bus_message_read(reply, "s", &s)) > 0)
                        r = json_append(a, json_object_new_string(s));
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0)
                return client_error_errno(r, "Failed to read the reply: %m");
        return json_print(root, true);
}

static int print_strings(sd_bus_message *reply, const char *title) {
        const char *s;
        unsigned n = 0;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "s");
        while (r >= 0 && (r = sd_bus_message_read(reply, "s", &s)) > 0) {
                r = n++ == 0 ? print_line("%s", title) : 0;
                if (r >= 0)
                        r = print_line("  %s", s);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        return r;
}

static int print_text(sd_bus_message *reply, const ClientOptions *o) {
        const char *path, *action, *diff;
        unsigned n = 0;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sss)", &path, &action, &diff)) > 0) {
                size_t len = strlen(diff);

                r = print_line("%s %s %s", o->dry_run ? "Would" : "Did", action, path);
                /* The diff's lines as they are, but one newline at its end. */
                if (r >= 0 && len > 0)
                        r = print_lines("%.*s", (int) (diff[len - 1] == '\n' ? len - 1 : len), diff);
                n++;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0 && n == 0)
                r = print_line("Every file is as it should be already.");
        if (r >= 0)
                r = print_strings(reply, o->dry_run ? "Would run:" : "Ran:");
        if (r >= 0)
                r = print_strings(reply, "Warnings:");
        if (r < 0)
                return client_error_errno(r, "Failed to read the reply: %m");
        /* Only when the next boot changes: there is nothing to recover from otherwise. */
        if (!o->remove && n > 0)
                printf("\n%s\n", RECOVERY_HINT);
        return 0;
}

int verb_boot_config(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *match = NULL;
        int r;

        r = sd_bus_match_signal(bus, &match, PASSTHRU_BUS_NAME, PASSTHRU_MANAGER_PATH,
                                PASSTHRU_MANAGER_INTERFACE, "BootConfigProgress", on_progress, (void *) o);
        if (r < 0)
                return client_error_errno(r, "Failed to listen for progress: %m");
        r = bus_new_manager_call(bus, "ApplyBootConfig", &call);
        if (r >= 0)
                r = append_options(call, o);
        if (r < 0)
                return client_error_errno(r, "Failed to build the ApplyBootConfig call: %m");
        if (!o->dry_run && !o->json)
                printf("Applying the boot configuration; rebuilding an initramfs takes minutes.\n");
        fflush(stdout);
        r = bus_call_dispatching(bus, call, o->dry_run ? 0 : BOOT_CONFIG_CALL_TIMEOUT_USEC,
                                 o->dry_run ? NULL : o, &reply);
        if (r < 0)
                return r;
        return o->json ? print_json(reply) : print_text(reply, o);
}
