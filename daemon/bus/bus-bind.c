/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-bind.h"
#include "bus-common.h"
#include "log.h"
#include "manager.h"
#include "passthru-dbus.h"
#include "persist.h"
#include "polkit.h"
#include "refusal.h"
#include "transaction.h"

typedef struct BindOptions {
        bool group, dry_run, force;
        bool persist;       /* remember (Bind) or forget (Unbind) the devices moved */
        const char *driver; /* Unbind: give the device to this driver */
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
        else
                return sd_bus_error_setf(error, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                         "%s does not know the option '%s'; it takes %s.",
                                         bind_operation_to_string(op), key,
                                         op == BIND_OPERATION_BIND ? "group, dry-run, force and persist"
                                                                   : "group, dry-run, persist and driver");
        if (r < 0)
                return sd_bus_error_setf(error, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                         "Option '%s' has the wrong type: group, dry-run, force and persist "
                                         "are booleans, driver is a string.",
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

/* A client may wait for this many transactions at once, all clients together for the total
 * (each runs a worker child, so this also bounds the daemon's children). */
#define BIND_CALLS_PER_CLIENT 8
#define BIND_CALLS_TOTAL 64

struct BindCall {
        Bus *bus;
        sd_bus_message *msg;
        BindCall *next;
        bool persist; /* remember (Bind) or forget (Unbind) once the devices moved */
        BindOperation op;
        PciAddress address;
};

static size_t count_calls(Bus *b, const char *sender) {
        size_t n = 0;

        for (BindCall *c = b->bind_calls; c; c = c->next)
                if (!sender || streq_ptr(sd_bus_message_get_sender(c->msg), sender))
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

/* The address asked for and every device the plan moved. */
static int remember_or_forget(Persist *persist, BindOperation op, const PciAddress *a, const Plan *plan,
                              Refusal *refusal) {
        _cleanup_free_ PciAddress *addresses = calloc(plan->n_moves + 1, sizeof(PciAddress));
        size_t n = 0;

        if (!addresses)
                return -ENOMEM;
        addresses[n++] = *a;
        for (size_t i = 0; i < plan->n_moves; i++)
                if (!pci_address_equal(&plan->moves[i].address, a))
                        addresses[n++] = plan->moves[i].address;
        return op == BIND_OPERATION_BIND ? persist_remember(persist, addresses, n, refusal)
                                         : persist_forget(persist, addresses, n, refusal);
}

/* The caller may have left meanwhile: the transaction finished all the same (a sysfs
 * sequence is never abandoned half-way), and the reply goes nowhere. */
static void on_transaction_done(const Plan *plan, const Refusal *failure, void *userdata) {
        _cleanup_(refusal_done) Refusal refusal = {};
        BindCall *c = userdata;
        int r;

        if (!failure && c->persist &&
            remember_or_forget(c->bus->persist, c->op, &c->address, plan, &refusal) < 0)
                failure = &refusal;
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

static int start(Bus *b, sd_bus_message *msg, const BindRequest *req, bool persist, Plan *plan,
                 sd_bus_error *error) {
        _cleanup_(refusal_done) Refusal refusal = {};
        BindCall *c;
        int r;

        if (count_calls(b, sd_bus_message_get_sender(msg)) >= BIND_CALLS_PER_CLIENT ||
            count_calls(b, NULL) >= BIND_CALLS_TOTAL)
                return sd_bus_error_setf(
                        error, PASSTHRU_ERROR_LIMIT_EXCEEDED,
                        "Too many driver changes are under way (at most %d per client, %d in "
                        "all); try again when they have finished.",
                        BIND_CALLS_PER_CLIENT, BIND_CALLS_TOTAL);
        c = calloc(1, sizeof(BindCall));
        if (!c)
                return -ENOMEM;
        c->bus = b;
        c->msg = sd_bus_message_ref(msg);
        c->persist = persist;
        c->op = req->op;
        c->address = req->address;
        c->next = b->bind_calls;
        b->bind_calls = c;
        r = transaction_start(b->transactions, plan, on_transaction_done, c, &refusal);
        if (r < 0) {
                call_free(c);
                return bus_error_from_refusal(error, &refusal, r);
        }
        return 1;
}

int bus_bind_method(Bus *b, sd_bus_message *msg, const PciAddress *a, BindOperation op,
                    sd_bus_error *error) {
        _cleanup_(refusal_done) Refusal refusal = {};
        _cleanup_(plan_done) Plan plan = {};
        BindOptions o = {};
        BindRequest req;
        int r;

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
                /* A real change looks at what the host uses right now; a plan uses what the
                 * daemon saw last, so unauthenticated callers cost no more than a read. */
                manager_refresh_blockers(b->manager);
        }
        req = (BindRequest){ .op = op,
                             .address = *a,
                             .group = o.group,
                             .force = o.force,
                             .driver = o.driver,
                             .driver_loaded = o.driver && manager_driver_loaded(b->manager, o.driver) };
        r = plan_make(&b->manager->table, b->manager->sources.host, &req, &plan, &refusal);
        if (r < 0)
                return bus_error_from_refusal(error, &refusal, r);
        /* A file that cannot be edited fails the call before any driver moved. */
        if (o.persist && !o.dry_run) {
                r = persist_check_editable(b->persist, &refusal);
                if (r >= 0 && plan.n_moves == 0)
                        r = remember_or_forget(b->persist, op, a, &plan, &refusal);
                if (r < 0)
                        return bus_error_from_refusal(error, &refusal, r);
        }
        if (o.dry_run || plan.n_moves == 0)
                return reply_moves(b->manager, msg, &plan, false);
        return start(b, msg, &req, o.persist, &plan, error);
}
