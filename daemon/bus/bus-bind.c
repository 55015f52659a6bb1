/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-bind.h"
#include "bus-common.h"
#include "log.h"
#include "manager.h"
#include "passthru-dbus.h"
#include "operations.h"
#include "polkit.h"
#include "refusal.h"
#include "vm-claim.h"

typedef struct BindOptions {
        bool group, dry_run, force;
        bool persist;       /* remember (Bind) or forget (Unbind) the devices moved */
        const char *driver; /* Unbind: give the device to this driver */
        const char *vm;     /* Bind: for this VM; Unbind: only what was bound for it */
} BindOptions;

typedef struct {
        BindOperation op;
        BindOptions options;
} OptionsRead;

static int read_option(sd_bus_message *msg, const char *key, void *userdata, sd_bus_error *error) {
        OptionsRead *read = userdata;
        BindOperation op = read->op;
        BindOptions *o = &read->options;
        bool *flag = NULL;
        int b, r;

        if (streq(key, "group"))
                flag = &o->group;
        else if (streq(key, "dry-run"))
                flag = &o->dry_run;
        else if (streq(key, "persist"))
                flag = &o->persist;
        else if (streq(key, "force") && op == BIND_OPERATION_BIND)
                flag = &o->force;
        if (flag) {
                r = sd_bus_message_read(msg, "v", "b", &b);
                *flag = b;
        } else if (streq(key, "driver") && op == BIND_OPERATION_UNBIND)
                r = sd_bus_message_read(msg, "v", "s", &o->driver);
        else if (streq(key, "vm")) {
                r = sd_bus_message_read(msg, "v", "s", &o->vm);
                if (r >= 0 && !vm_name_is_valid(o->vm))
                        return sd_bus_error_set(
                                error, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                "The vm option must be a VM's name: 1 to 255 bytes of UTF-8, "
                                "no control characters.");
        } else
                return sd_bus_error_setf(
                        error, PASSTHRU_ERROR_INVALID_ARGUMENT,
                        "%s does not know the option '%s'; it takes %s.", bind_operation_to_string(op), key,
                        op == BIND_OPERATION_BIND ? "group, dry-run, force, persist and vm"
                                                  : "group, dry-run, persist, driver and vm");
        if (r < 0)
                return sd_bus_error_setf(error, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                         "Option '%s' has the wrong type: group, dry-run, force and persist "
                                         "are booleans, driver and vm are strings.",
                                         key);
        return 0;
}

static int parse_options(sd_bus_message *msg, BindOperation op, BindOptions *ret, sd_bus_error *error) {
        OptionsRead read = { .op = op };
        int r;

        r = bus_read_options(msg, read_option, &read, error);
        if (r < 0)
                return r;
        *ret = read.options;
        return 0;
}

/* The a(sss) answer: each device, the driver it had, the driver it has (done) or will have. */
static int reply_moves(Manager *m, sd_bus_message *call, const Plan *plan, bool done) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (size_t i = 0; i < plan->n_moves && r >= 0; i++) {
                const Move *mv = &plan->moves[i];
                const Device *d = done ? manager_find_device(m, &mv->address) : NULL;
                const char *to = d ? strempty(d->driver) : move_target_label(mv);

                r = sd_bus_message_append(reply, "(sss)", mv->address_str, strempty(mv->from_driver), to);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        return r;
}

/* A user may wait for this many transactions at once, however many connections it opens
 * (counted as polkit.c counts its questions), all users together for the total (each runs a
 * worker child, so this also bounds the daemon's children). */
#define BIND_CALLS_PER_USER 8
#define BIND_CALLS_TOTAL 64

struct BindCall {
        Bus *bus;
        sd_bus_message *msg;
        uid_t uid; /* the caller's, UID_INVALID when the bus did not say */
        BindCall *next;
};

/* The calls waiting for their transaction: of one user, or of everyone (uid NULL). */
static size_t count_calls(Bus *b, const uid_t *uid) {
        size_t n = 0;

        for (BindCall *c = b->bind_calls; c; c = c->next)
                if (!uid || c->uid == *uid)
                        n++;
        return n;
}

static void call_free(BindCall *c) {
        for (BindCall **i = &c->bus->bind_calls; *i; i = &(*i)->next)
                if (*i == c) {
                        *i = c->next;
                        break;
                }
        sd_bus_message_unref(c->msg);
        free(c);
}

/* The caller may have left meanwhile: the transaction finished all the same (a sysfs
 * sequence is never abandoned half-way), and the reply goes nowhere. */
static void on_operation_done(const Plan *plan, const Refusal *failure, void *userdata) {
        BindCall *c = userdata;
        int r;

        if (failure)
                r = sd_bus_reply_method_errorf(c->msg, failure->name ?: PASSTHRU_ERROR_FAILED, "%s",
                                               strna(failure->message));
        else
                r = reply_moves(c->bus->manager, c->msg, plan, true);
        if (r < 0)
                log_debug_errno(r, "Could not reply to %s, ignoring: %m",
                                sd_bus_message_get_sender(c->msg) ?: "?");
        call_free(c);
}

/* A user may not hold more than its share of transactions (each runs a worker child). */
static int check_limits(Bus *b, uid_t uid, sd_bus_error *error) {
        if (count_calls(b, &uid) < BIND_CALLS_PER_USER && count_calls(b, NULL) < BIND_CALLS_TOTAL)
                return 0;
        return sd_bus_error_setf(error, PASSTHRU_ERROR_LIMIT_EXCEEDED,
                                 "Too many driver changes are under way (at most %d per user, %d in "
                                 "all); try again when they have finished.",
                                 BIND_CALLS_PER_USER, BIND_CALLS_TOTAL);
}

static BindCall *call_new(Bus *b, sd_bus_message *msg, uid_t uid) {
        BindCall *c = calloc(1, sizeof(BindCall));

        if (!c)
                return NULL;
        c->bus = b;
        c->msg = sd_bus_message_ref(msg);
        c->uid = uid;
        c->next = b->bind_calls;
        b->bind_calls = c;
        return c;
}

int bus_bind_method(Bus *b, sd_bus_message *msg, const PciAddress *a, BindOperation op,
                    sd_bus_error *error) {
        _cleanup_(refusal_done) Refusal refusal = {};
        _cleanup_(plan_done) Plan plan = {};
        BindOptions o = {};
        uid_t uid = UID_INVALID;
        BindCall *c;
        int r;

        assert(b);
        assert(msg);
        assert(a);
        r = parse_options(msg, op, &o, error);
        if (r < 0)
                return r;
        /* Authorization first, before anything is looked up: the answer is consumed on every
         * path, whatever happened to the device meanwhile. */
        if (!o.dry_run) {
                /* Changing what is remembered is host configuration, not a runtime move. */
                r = o.persist ? polkit_check_action(b->polkit, msg, POLKIT_ACTION_CONFIGURE_HOST, error)
                              : polkit_check(b->polkit, msg, error);
                if (r <= 0)
                        return r < 0 ? r : 1;
                uid = bus_caller_uid(msg);
                r = check_limits(b, uid, error);
                if (r < 0)
                        return r;
        }
        c = call_new(b, msg, uid);
        if (!c)
                return -ENOMEM;
        r = operation_run(b->operations,
                          &(OperationRequest){ .op = op,
                                               .address = *a,
                                               .group = o.group,
                                               .force = o.force,
                                               .dry_run = o.dry_run,
                                               .persist = o.persist,
                                               .driver = o.driver,
                                               .vm = o.vm },
                          &plan, on_operation_done, c, &refusal);
        if (r > 0)
                return 1; /* started: on_operation_done answers */
        call_free(c);
        if (r < 0)
                return bus_error_from_refusal(error, &refusal, r);
        return reply_moves(b->manager, msg, &plan, false);
}
