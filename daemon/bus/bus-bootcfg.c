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
#include "thread-job.h"
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

/* Previews waiting to be planned at most: each is a call a client awaits. */
#define BOOT_PLANS_QUEUED_MAX 64

/* An ApplyBootConfig call: planned off the loop (one plan at a time, in call order), then
 * answered (a dry run) or applied. */
struct BootCall {
        Bus *bus;
        sd_bus_message *msg;
        bool dry_run;
        /* the plan's inputs, the call's own: the thread reads them */
        int rootfd;
        BootPlanInput in;
        EarlyBindEntry *entries;
        char **left_out; /* remembered entries the gate left out (in.left_out) */
        char *running_cmdline;
        /* the thread's result */
        int plan_result;
        BootPlan plan;
        char *plan_error;
        BootApply *apply;
        BootCall *next; /* in Bus.boot_queue */
};

static void boot_call_free(BootCall *c) {
        if (!c)
                return;
        boot_apply_free(c->apply);
        sd_bus_message_unref(c->msg);
        if (c->rootfd >= 0)
                close(c->rootfd);
        free(c->entries);
        strv_free(c->left_out);
        free(c->running_cmdline);
        boot_plan_done(&c->plan);
        free(c->plan_error);
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

/* Starts writing the plan c previewed: the helper writes it (bootcfg-helper.h). */
static int start_apply(Bus *b, BootCall *c) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *request = NULL;
        int r;

        /* The daemon's sandbox keeps /etc and /boot read-only: the helper writes them, as root
         * behind its socket where systemd listens on it, else as our child. */
        if (!b->helper && !b->manager->options.boot_root && helper_socket_listens())
                r = boot_helper_request(&c->in, boot_plan_digest(&c->plan), &request);
        else
                r = helper_command(b, &c->in, boot_plan_digest(&c->plan), &argv);
        if (r < 0)
                return r;
        return boot_apply_start(&(BootApplyParams){ .event = b->manager->event,
                                                    .rootfd = c->rootfd,
                                                    .argv = argv,
                                                    .socket_path = request ? BOOT_HELPER_SOCKET : NULL,
                                                    .request = request,
                                                    .run_commands = true,
                                                    .on_progress = on_progress,
                                                    .on_done = on_done,
                                                    .userdata = c },
                                &c->plan, &c->apply);
}

/* The plan of c is made: answer a dry run (or a plan with nothing to do), else apply it. */
static void planned(Bus *b, BootCall *c) {
        int r = c->plan_result;

        if (r == -EBADMSG && c->plan_error) {
                _cleanup_free_ char *valid = NULL;

                r = utf8_escape_invalid(c->plan_error, &valid);
                if (r >= 0)
                        r = sd_bus_reply_method_errorf(c->msg, PASSTHRU_ERROR_FAILED, "%s", valid);
        } else if (r < 0) {
                log_error_errno(r, "Failed to plan the boot configuration: %m");
                r = sd_bus_reply_method_errorf(c->msg, PASSTHRU_ERROR_FAILED,
                                               "The boot configuration could not be planned; the daemon's "
                                               "log says why.");
        } else if (c->dry_run || (c->plan.n_files == 0 && !c->plan.commands))
                r = reply_plan(c->msg, &c->plan);
        else {
                r = start_apply(b, c);
                if (r >= 0)
                        return; /* on_done answers, and frees c */
                log_error_errno(r, "Failed to start the boot configuration: %m");
                r = sd_bus_reply_method_errorf(c->msg, PASSTHRU_ERROR_FAILED,
                                               "The boot configuration could not be started; the daemon's "
                                               "log says why.");
        }
        if (r < 0)
                log_debug_errno(r, "Could not reply to ApplyBootConfig, ignoring: %m");
        if (b->boot_call == c)
                b->boot_call = NULL;
        boot_call_free(c);
}

static void *run_plan(void *input) {
        BootCall *c = input;

        c->plan_result = boot_plan_make(c->rootfd, &c->in, &c->plan, &c->plan_error);
        return c;
}

static void plan_next(Bus *b);

static void on_planned(ThreadJob *job, void *result, void *userdata) {
        Bus *b = userdata;
        BootCall *c = result;

        (void) thread_job_free(TAKE_PTR(b->boot_plan_job));
        b->boot_queue = c->next;
        c->next = NULL;
        planned(b, c);
        plan_next(b);
}

/* Plans the first call of the queue in a thread, unless one is being planned. */
static void plan_next(Bus *b) {
        BootCall *c = b->boot_queue;
        int r;

        if (!c || b->boot_plan_job)
                return;
        r = thread_job_start(b->manager->event, run_plan, c, on_planned, b, &b->boot_plan_job);
        if (r < 0) {
                b->boot_queue = c->next;
                c->plan_result = r;
                planned(b, c);
                plan_next(b);
        }
}

static size_t queued_calls(Bus *b) {
        size_t n = 0;

        for (BootCall *c = b->boot_queue; c; c = c->next)
                n++;
        return n;
}

static void queue_call(Bus *b, BootCall *c) {
        BootCall **tail = &b->boot_queue;

        while (*tail)
                tail = &(*tail)->next;
        *tail = c;
        plan_next(b);
}

int bus_bootcfg_method(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *config_error = NULL;
        BootOptions o = { .initramfs = true, .cmdline = true };
        Bus *b = userdata;
        bool dry_run = false;
        BootCall *c;
        int r;

        assert(msg);
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
        if (!dry_run && b->boot_call)
                return sd_bus_error_set(error, PASSTHRU_ERROR_BUSY,
                                        "The boot configuration is being applied already; wait for it to "
                                        "finish.");
        if (queued_calls(b) >= BOOT_PLANS_QUEUED_MAX)
                return sd_bus_error_setf(
                        error, PASSTHRU_ERROR_LIMIT_EXCEEDED,
                        "%d boot configurations are waiting to be planned already; try again "
                        "when they are answered.",
                        BOOT_PLANS_QUEUED_MAX);
        c = calloc(1, sizeof(BootCall));
        if (!c)
                return -ENOMEM;
        *c = (BootCall){ .bus = b, .dry_run = dry_run, .rootfd = -EBADF };
        c->rootfd = open(b->manager->options.boot_root ?: "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c->rootfd < 0) {
                r = -errno;
                boot_call_free(c);
                return r;
        }
        /* A real change looks at what the host uses right now, as a Bind does. */
        if (!dry_run)
                manager_refresh_blockers(b->manager);
        r = manager_boot_input(b->manager, persist_dir(b->persist), &o, &c->in, &c->entries, &c->left_out,
                               &config_error);
        if (r == -EBADMSG && config_error) {
                boot_call_free(c);
                return sd_bus_error_setf(error, PASSTHRU_ERROR_FAILED, "%s; fix the file, then try again.",
                                         config_error);
        }
        if (r >= 0 && c->in.running_cmdline) {
                c->running_cmdline = strdup(c->in.running_cmdline);
                c->in.running_cmdline = c->running_cmdline;
                r = c->running_cmdline ? 0 : -ENOMEM;
        }
        if (r < 0) {
                boot_call_free(c);
                return r;
        }
        c->msg = sd_bus_message_ref(msg);
        if (!dry_run)
                b->boot_call = c;
        queue_call(b, c);
        return 1;
}

void bus_bootcfg_done(Bus *b) {
        /* the call being planned is the queue's first: the thread is waited for, then freed */
        (void) thread_job_free(TAKE_PTR(b->boot_plan_job));
        while (b->boot_queue) {
                BootCall *next = b->boot_queue->next;

                if (b->boot_call == b->boot_queue)
                        b->boot_call = NULL;
                boot_call_free(b->boot_queue);
                b->boot_queue = next;
        }
        boot_call_free(b->boot_call);
        b->boot_call = NULL;
}
