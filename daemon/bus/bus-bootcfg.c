/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootcfg-apply.h"
#include "bootcfg-helper.h"
#include "bootcfg-host.h"
#include "bus-bootcfg.h"
#include "bus-common.h"
#include "log.h"
#include "manager.h"
#include "passthru-dbus.h"
#include "persist.h"
#include "polkit.h"
#include "strv.h"
#include "utf8.h"
#include "config.h"

static const char *const option_names[] = { "dry-run", "initramfs", "cmdline", "remove", "iommu-pt" };

/* userdata: the flags of option_names, in that order. */
static int read_option(sd_bus_message *msg, const char *key, void *userdata, sd_bus_error *error) {
        bool **flags = userdata;
        size_t i;
        int b, r;

        for (i = 0; i < ELEMENTSOF(option_names); i++)
                if (streq(key, option_names[i]))
                        break;
        if (i == ELEMENTSOF(option_names))
                return sd_bus_error_setf(error, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                         "ApplyBootConfig does not know the option '%s'; it takes "
                                         "dry-run, initramfs, cmdline, remove and iommu-pt.",
                                         key);
        r = sd_bus_message_read(msg, "v", "b", &b);
        if (r < 0)
                return sd_bus_error_setf(error, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                         "Option '%s' has the wrong type: every option of "
                                         "ApplyBootConfig is a boolean.",
                                         key);
        *flags[i] = b;
        return 0;
}

static int parse_options(sd_bus_message *msg, BootOptions *o, bool *ret_dry_run, sd_bus_error *error) {
        bool *flags[] = { ret_dry_run, &o->initramfs, &o->cmdline, &o->remove, &o->iommu_pt };

        _Static_assert(ELEMENTSOF(flags) == ELEMENTSOF(option_names), "a flag for each option name");
        return bus_read_options(msg, read_option, flags, error);
}

static const char *file_action(const BootFileChange *f) {
        return !f->old_text ? "create" : !f->new_text ? "remove" : "change";
}

/* Boot files are the administrator's text in whatever encoding it was written (a Latin-1
 * comment in /etc/default/grub), and so are a command's output lines; a D-Bus string must be
 * UTF-8, or sd-bus refuses the whole message: each invalid byte goes out as "\xNN". */
static int append_text(sd_bus_message *m, const char *s) {
        _cleanup_free_ char *valid = NULL;
        int r;

        r = utf8_escape_invalid(strempty(s), &valid);
        if (r < 0)
                return r;
        return sd_bus_message_append_basic(m, 's', valid);
}

static int append_texts(sd_bus_message *m, char *const *l) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "s");
        for (char *const *s = l; r >= 0 && s && *s; s++)
                r = append_text(m, *s);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int reply_plan(sd_bus_message *call, const BootPlan *p) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (size_t i = 0; i < p->n_files && r >= 0; i++) {
                r = sd_bus_message_open_container(reply, 'r', "sss");
                if (r >= 0)
                        r = append_text(reply, p->files[i].path);
                if (r >= 0)
                        r = append_text(reply, file_action(&p->files[i]));
                if (r >= 0)
                        r = append_text(reply, p->files[i].diff);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = append_texts(reply, p->commands);
        if (r >= 0)
                r = append_texts(reply, p->warnings);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* passthru-boot-config.socket is there (passthrud.service wants it). */
static bool helper_socket_listens(void) {
        struct stat st;

        return stat(BOOT_HELPER_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* The helper as the daemon's child; a daemon on another root (--boot-root, tests) tells it
 * where, and where its /proc is, so it plans again on the same inputs. */
static int helper_command(Bus *b, const BootPlanInput *in, uint64_t digest, char ***ret) {
        const ManagerOptions *o = &b->manager->options;
        _cleanup_strv_free_ char **argv = NULL, **args = NULL;
        int r;

        r = strv_extend(&argv, b->helper ?: LIBEXECDIR "/passthru-boot-config");
        if (r >= 0 && o->boot_root)
                r = strv_extendf(&argv, "--root=%s", o->boot_root);
        if (r >= 0 && o->boot_root && o->proc_root)
                r = strv_extendf(&argv, "--proc-root=%s", o->proc_root);
        if (r >= 0)
                r = boot_helper_args(in, digest, &args);
        for (char **a = args; r >= 0 && a && *a; a++)
                r = strv_extend(&argv, *a);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

/* A sentence of the plan as the method's error: it may quote a path with any bytes. */
static int bus_error_valid_text(sd_bus_error *error, const char *text) {
        _cleanup_free_ char *valid = NULL;

        if (utf8_escape_invalid(text, &valid) < 0)
                return -ENOMEM;
        return sd_bus_error_setf(error, PASSTHRU_ERROR_FAILED, "%s", valid);
}

struct BootCall {
        Bus *bus;
        sd_bus_message *msg;
        BootPlan plan;
        BootApply *apply;
};

static void boot_call_free(BootCall *c) {
        if (!c)
                return;
        boot_apply_free(c->apply);
        sd_bus_message_unref(c->msg);
        boot_plan_done(&c->plan);
        free(c);
}

static void on_progress(const char *stage, const char *line, void *userdata) {
        BootCall *c = userdata;
        _cleanup_free_ char *valid_stage = NULL, *valid_line = NULL;
        int r;

        r = utf8_escape_invalid(stage, &valid_stage);
        if (r >= 0)
                r = utf8_escape_invalid(line, &valid_line);
        if (r >= 0)
                r = sd_bus_emit_signal(c->bus->bus, PASSTHRU_MANAGER_PATH, PASSTHRU_MANAGER_INTERFACE,
                                       "BootConfigProgress", "ss", valid_stage, valid_line);
        if (r < 0)
                log_debug_errno(r, "Could not send BootConfigProgress, ignoring: %m");
        log_info("boot-config: %s: %s", stage, line);
}

static void on_done(int error, const char *message, void *userdata) {
        _cleanup_free_ char *valid = NULL;
        BootCall *c = userdata;
        int r;

        if (utf8_escape_invalid(strempty(message), &valid) < 0)
                valid = NULL;
        if (error < 0) {
                log_error("Boot configuration failed: %s", strna(valid));
                r = sd_bus_reply_method_errorf(
                        c->msg, error == -ETIMEDOUT ? PASSTHRU_ERROR_TIMEOUT : PASSTHRU_ERROR_FAILED, "%s",
                        valid ?: "The boot configuration failed; the daemon's log says how.");
        } else {
                log_info("Boot configuration applied: %s", strna(valid));
                r = reply_plan(c->msg, &c->plan);
                /* the files are written: the caller hears that much even when the plan cannot go out */
                if (r < 0)
                        r = sd_bus_reply_method_errorf(
                                c->msg, PASSTHRU_ERROR_FAILED,
                                "The boot configuration was applied, but its report could not be "
                                "sent; the daemon's log lists the files.");
        }
        if (r < 0)
                log_debug_errno(r, "Could not reply to ApplyBootConfig, ignoring: %m");
        c->bus->boot_call = NULL;
        /* the apply calls this last and touches nothing of its own after it */
        boot_call_free(c);
}

int bus_bootcfg_method(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *config_error = NULL, *plan_error = NULL;
        _cleanup_close_ int rootfd = -EBADF;
        BootOptions o = { .initramfs = true, .cmdline = true };
        _cleanup_free_ EarlyBindEntry *entries = NULL;
        _cleanup_strv_free_ char **left_out = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *request = NULL;
        BootPlanInput in;
        Bus *b = userdata;
        bool dry_run = false;
        BootCall *c;
        int r;

        r = sd_bus_message_rewind(msg, true);
        if (r >= 0)
                r = parse_options(msg, &o, &dry_run, error);
        if (r < 0)
                return r;
        if (!dry_run) {
                r = polkit_check(b->polkit, msg, error);
                if (r <= 0)
                        return r < 0 ? r : 1;
        }
        if (b->boot_call)
                return sd_bus_error_set(error, PASSTHRU_ERROR_BUSY,
                                        "The boot configuration is being applied already; wait for it to "
                                        "finish.");
        rootfd = open(b->manager->options.boot_root ?: "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return -errno;
        c = calloc(1, sizeof(BootCall));
        if (!c)
                return -ENOMEM;
        /* A real change looks at what the host uses right now, as a Bind does. */
        if (!dry_run)
                manager_refresh_blockers(b->manager);
        r = manager_boot_input(b->manager, persist_dir(b->persist), &o, &in, &entries, &left_out,
                               &config_error);
        if (r >= 0)
                r = boot_plan_make(rootfd, &in, &c->plan, &plan_error);
        if (r < 0) {
                boot_call_free(c);
                if (r == -EBADMSG && config_error)
                        return sd_bus_error_setf(error, PASSTHRU_ERROR_FAILED,
                                                 "%s; fix the file, then try again.", config_error);
                if (r == -EBADMSG && plan_error)
                        return bus_error_valid_text(error, plan_error);
                log_error_errno(r, "Failed to plan the boot configuration: %m");
                return sd_bus_error_set(error, PASSTHRU_ERROR_FAILED,
                                        "The boot configuration could not be planned; the daemon's log "
                                        "says why.");
        }
        if (dry_run || (c->plan.n_files == 0 && !c->plan.commands)) {
                r = reply_plan(msg, &c->plan);
                boot_call_free(c);
                return r < 0 ? r : 1;
        }
        /* The daemon's sandbox keeps /etc and /boot read-only: the helper writes them, as root
         * behind its socket where systemd listens on it, else as our child (bootcfg-helper.h). */
        if (!b->helper && !b->manager->options.boot_root && helper_socket_listens())
                r = boot_helper_request(&in, boot_plan_digest(&c->plan), &request);
        else
                r = helper_command(b, &in, boot_plan_digest(&c->plan), &argv);
        if (r < 0) {
                boot_call_free(c);
                return r;
        }
        c->bus = b;
        c->msg = sd_bus_message_ref(msg);
        r = boot_apply_start(&(BootApplyParams){ .event = b->manager->event,
                                                 .rootfd = rootfd,
                                                 .argv = argv,
                                                 .socket_path = request ? BOOT_HELPER_SOCKET : NULL,
                                                 .request = request,
                                                 .run_commands = true,
                                                 .on_progress = on_progress,
                                                 .on_done = on_done,
                                                 .userdata = c },
                             &c->plan, &c->apply);
        if (r < 0) {
                boot_call_free(c);
                return sd_bus_error_set(error, PASSTHRU_ERROR_FAILED,
                                        "The boot configuration could not be started; the daemon's log "
                                        "says why.");
        }
        b->boot_call = c;
        return 1;
}

void bus_bootcfg_done(Bus *b) {
        boot_call_free(b->boot_call);
        b->boot_call = NULL;
}
