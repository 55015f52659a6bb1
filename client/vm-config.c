/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus.h"
#include "objects.h"
#include "output.h"
#include "vm-config.h"

/* Only the snippet goes to stdout, so that `$(passthructl vm-config --qemu ADDR)` is the
 * VMM's arguments; what is still to be done and the notes go to stderr. */
static int print_text(const char *text, json_object *details) {
        json_object *notes;
        int r;

        r = fputs(text, stdout) < 0 ? -EIO : flush_stdout();
        if (r < 0)
                return r;
        if (!properties_get_bool(details, "ready"))
                fprintf(stderr, "Not on vfio-pci yet; first run: %s\n",
                        properties_get_string(details, "bind-command"));
        if (json_object_object_get_ex(details, "notes", &notes))
                for (size_t i = 0; i < json_object_array_length(notes); i++)
                        fprintf(stderr, "Note: %s\n",
                                json_object_get_string(json_object_array_get_idx(notes, i)));
        return 0;
}

/* {"version": 1, "text": ..., and each detail}, like every document the client prints. */
static int print_json(const char *text, json_object *details) {
        _cleanup_json_ json_object *out = NULL;
        int r;

        r = json_document_new(&out);
        if (r >= 0)
                r = json_set(out, "text", json_object_new_string(text));
        json_object_object_foreach(details, key, value) {
                if (r >= 0)
                        r = json_set(out, key, json_object_get(value));
        }
        if (r < 0)
                return client_oom();
        return json_print(out, true);
}

int verb_vm_config(sd_bus *bus, int argc, char *argv[], const ClientOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_json_ json_object *details = NULL;
        const char *text;
        int r;

        r = bus_call_manager(bus, "GetVmConfig", &reply, "ss", argv[1], o->vm_format ?: "libvirt");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "s", &text);
        if (r >= 0)
                r = properties_read(reply, &details);
        if (r < 0)
                return client_error_errno(r, "Failed to read the daemon's answer: %m");
        return o->json ? print_json(text, details) : print_text(text, details);
}
