/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>

#include "kmod.h"
#include "log.h"
#include "manager.h"
#include "memstream.h"
#include "passthru-dbus.h"
#include "strv.h"
#include "sysfs.h"
#include "transaction.h"
#include "worker.h"

typedef enum TransactionState {
        TRANSACTION_APPLYING,     /* the plan's steps run */
        TRANSACTION_ROLLING_BACK, /* a step failed: the devices touched go back, one at a time */
} TransactionState;

struct Transaction {
        Transactions *engine;
        TransactionState state;
        Plan plan;
        bool *recorded; /* per move: this transaction wrote its record */
        WorkerStep *steps;
        size_t n_steps;
        Worker *worker;
        /* Rolling back: the move whose steps run now; every move before it follows. */
        size_t rollback;
        /* The move that failed before its device left its driver: only its override goes back. */
        size_t unmoved;
        char *failure;           /* the first failure, as a sentence */
        char *rollback_errors;   /* one sentence per device whose rollback failed */
        transaction_done_t done; /* swapped for done_nothing once the caller is told */
        void *userdata;
        Transaction *next;
};

struct Transactions {
        Manager *manager;
        Transaction *list;
};

static void done_nothing(const Plan *plan, const Refusal *failure, void *userdata) {
}

int transactions_new(Manager *m, Transactions **ret) {
        Transactions *e = calloc(1, sizeof(Transactions));

        assert(m);
        assert(ret);
        if (!e)
                return -ENOMEM;
        e->manager = m;
        *ret = e;
        return 0;
}

static Transaction *transaction_free(Transaction *t) {
        if (!t)
                return NULL;
        worker_free(t->worker);
        worker_steps_free(t->steps, t->n_steps);
        plan_done(&t->plan);
        free(t->recorded);
        free(t->failure);
        free(t->rollback_errors);
        free(t);
        return NULL;
}

/* Tells the caller, once. */
static void tell(Transaction *t, const char *error_name, const char *message) {
        Refusal failure = { .name = error_name, .message = (char *) message };
        transaction_done_t done = t->done;

        t->done = done_nothing;
        done(&t->plan, error_name ? &failure : NULL, t->userdata);
}

Transactions *transactions_free(Transactions *e) {
        if (!e)
                return NULL;
        while (e->list) {
                Transaction *t = e->list;

                e->list = t->next;
                tell(t, PASSTHRU_ERROR_FAILED, "passthrud stopped before the operation finished.");
                transaction_free(t);
        }
        free(e);
        return NULL;
}

size_t transactions_count(const Transactions *e) {
        size_t n = 0;

        assert(e);
        for (const Transaction *t = e->list; t; t = t->next)
                n++;
        return n;
}

static void transaction_unlink(Transaction *t) {
        for (Transaction **i = &t->engine->list; *i; i = &(*i)->next)
                if (*i == t) {
                        *i = t->next;
                        return;
                }
}

static Device *move_device(Transaction *t, size_t i) {
        return manager_find_device(t->engine->manager, &t->plan.moves[i].address);
}

/* Every device of the group (or of the plan, without IOMMU) is busy while it runs. */
static void set_busy(Transaction *t, bool busy) {
        Manager *m = t->engine->manager;
        Group *g = t->plan.group >= 0 ? manager_find_group(m, t->plan.group) : NULL;
        size_t n = g ? g->n_devices : t->plan.n_moves;

        for (size_t i = 0; i < n; i++) {
                Device *d = g ? g->devices[i] : move_device(t, i);

                if (d)
                        manager_device_set_busy(m, d, busy);
        }
}

static int ensure_module(Manager *m, const char *name, const char *driver, Refusal *refusal) {
        int r;

        if (sysfs_module_present(m->sources.sysfs, name, driver))
                return 0;
        r = m->sources.kmod ? kmod_load(m->sources.kmod, name) : -ENOENT;
        if (r == -ENOENT)
                return refusal_set(refusal, PASSTHRU_ERROR_FAILED,
                                   "The kernel module %s is not installed for the running kernel; install "
                                   "the kernel's modules package.",
                                   name);
        if (r == -EPERM)
                return refusal_set(refusal, PASSTHRU_ERROR_FAILED,
                                   "The kernel module %s is blacklisted or prohibited by modprobe.d; remove "
                                   "that line to use it.",
                                   name);
        if (r < 0)
                return refusal_set(refusal, PASSTHRU_ERROR_FAILED,
                                   "Loading the kernel module %s failed: %s. 'dmesg' may say why.", name,
                                   strerror(-r));
        return 0;
}

/* vfio-pci for a Bind; for an Unbind, the host modules the plan names (only ever modules
 * the kernel offers for the device). A host module that fails to load is not fatal: the
 * check after probing tells the caller. */
static int load_modules(Transaction *t, Refusal *refusal) {
        Manager *m = t->engine->manager;
        int r;

        if (t->plan.op == BIND_OPERATION_BIND) {
                r = ensure_module(m, "vfio_pci", VFIO_PCI, refusal);
                return r < 0 ? r : ensure_module(m, "vfio_iommu_type1", NULL, refusal);
        }
        for (size_t i = 0; i < t->plan.n_moves; i++)
                for (char **module = t->plan.moves[i].load_modules; module && *module; module++)
                        if (m->sources.kmod && !sysfs_module_present(m->sources.sysfs, *module, NULL))
                                (void) kmod_load(m->sources.kmod, *module);
        return 0;
}

/* Written before the first sysfs write, for every device leaving the host or vfio-pci's
 * absence: a restarted daemon still knows where devices belong. */
static int save_records(Transaction *t, Refusal *refusal) {
        Manager *m = t->engine->manager;
        int r;

        for (size_t i = 0; i < t->plan.n_moves; i++) {
                Move *mv = &t->plan.moves[i];
                Device *d = move_device(t, i);

                if (!d || d->original_driver || streq_ptr(mv->from_driver, VFIO_PCI))
                        continue;
                r = manager_record_original(m, d);
                if (r < 0)
                        return refusal_set(refusal, PASSTHRU_ERROR_FAILED,
                                           "Could not record the original driver of %s (%s), so nothing was "
                                           "changed; check the runtime directory.",
                                           mv->address_str, strerror(-r));
                t->recorded[i] = true;
        }
        return 0;
}

static int override_path(const Move *mv, char **ret) {
        return asprintf(ret, "%s/driver_override", mv->devpath + (mv->devpath[0] == '/')) < 0 ? -ENOMEM : 0;
}

/* The kernel's order: override first (no re-probe can pick the old driver), unbind, probe,
 * then check the link, since drivers_probe succeeds even when nothing bound. */
static int add_move_steps(WorkerStep **steps, size_t *n, const Move *mv, const char *to_driver,
                          const char *to_override, size_t index) {
        _cleanup_free_ char *path = NULL;
        bool named = to_driver && !streq(to_driver, PLAN_HOST_DRIVER);
        const char *override = named ? to_driver : "\n";
        int r;

        r = override_path(mv, &path);
        if (r >= 0 && move_is_override_only(mv)) {
                r = worker_steps_add(steps, n, WORKER_STEP_WRITE, path, to_override ?: "\n", index);
                return r < 0 ? r
                             : worker_steps_add(steps, n, WORKER_STEP_CHECK, mv->devpath, VFIO_PCI, index);
        }
        if (r >= 0)
                r = worker_steps_add(steps, n, WORKER_STEP_WRITE, path, override, index);
        if (r >= 0)
                r = worker_steps_add(steps, n, WORKER_STEP_UNBIND, mv->devpath, mv->address_str, index);
        if (r >= 0 && to_driver)
                r = worker_steps_add(steps, n, WORKER_STEP_PROBE, mv->devpath, mv->address_str, index);
        if (r >= 0)
                r = worker_steps_add(steps, n, WORKER_STEP_CHECK, mv->devpath,
                                     named || !to_driver ? to_driver : WORKER_CHECK_HOST_DRIVER, index);
        /* An override left set keeps every other driver away: leave the one wanted, or none. */
        if (r >= 0 && !streq(override, to_override ?: "\n"))
                r = worker_steps_add(steps, n, WORKER_STEP_WRITE, path, to_override ?: "\n", index);
        return r;
}

/* A device that never left its driver: its driver_override goes back (NULL: none), and a
 * probe binds it again should a failed unbind have let it go after all (the kernel ignores
 * drivers_probe for a bound device). */
static int add_unmoved_steps(WorkerStep **steps, size_t *n, const Move *mv, size_t index) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = override_path(mv, &path);
        if (r >= 0)
                r = worker_steps_add(steps, n, WORKER_STEP_WRITE, path, mv->from_override ?: "\n", index);
        if (r >= 0 && mv->from_driver)
                r = worker_steps_add(steps, n, WORKER_STEP_PROBE, mv->devpath, mv->address_str, index);
        if (r >= 0)
                r = worker_steps_add(steps, n, WORKER_STEP_CHECK, mv->devpath, mv->from_driver, index);
        return r;
}

static void on_worker_done(Worker *w, int error, size_t n_done, void *userdata);
static void on_worker_late_exit(Worker *w, int error, size_t n_done, void *userdata);

/* Runs steps (taken over) in a new worker. */
static int run_steps(Transaction *t, WorkerStep *steps, size_t n_steps) {
        Manager *m = t->engine->manager;
        WorkerParams p = {
                .event = m->event,
                .sysfs = m->sources.sysfs,
                .timeout_usec = manager_operation_timeout(m),
                .write_count = &m->sysfs_writes,
                .on_done = on_worker_done,
                .on_late_exit = on_worker_late_exit,
                .userdata = t,
        };

        t->worker = worker_free(t->worker);
        worker_steps_free(t->steps, t->n_steps);
        t->steps = steps;
        t->n_steps = n_steps;
        return worker_start(&p, t->steps, t->n_steps, &t->worker);
}

static void refresh_moves(Transaction *t) {
        for (size_t i = 0; i < t->plan.n_moves; i++) {
                _cleanup_free_ char *devpath = strdup(t->plan.moves[i].devpath);

                if (devpath)
                        (void) manager_device_refresh(t->engine->manager, devpath);
        }
}

/* After the caller heard the outcome; the moves were read again before that. */
static void transaction_end(Transaction *t) {
        set_busy(t, false);
        transaction_unlink(t);
        transaction_free(t);
}

static const char *failure_reason(const WorkerStep *s, int error) {
        if (s->type == WORKER_STEP_CHECK && error == -ENODEV)
                return "after probing, no driver had taken it";
        if (s->type == WORKER_STEP_CHECK && error == -EBUSY)
                return "after probing, a different driver had taken it";
        return strerror(-error);
}

static char *describe_failure(Transaction *t, const WorkerStep *s, int error) {
        char *text;

        if (asprintf(&text, "%s of %s failed while %s (%s): %s.", bind_operation_to_string(t->plan.op),
                     t->plan.moves[s->device].address_str, worker_step_describe(s), s->path,
                     failure_reason(s, error)) < 0)
                return NULL;
        return text;
}

/* "0000:01:00.0 on e1000e, 0000:01:00.1 unbound": where every device of the plan is now. */
static char *describe_places(Transaction *t) {
        _cleanup_(memstream_done) MemStream out = {};
        FILE *f = memstream_init(&out);
        char *text = NULL;

        if (!f)
                return NULL;
        for (size_t i = 0; i < t->plan.n_moves; i++) {
                Device *d = move_device(t, i);

                fprintf(f, "%s%s %s%s", i > 0 ? ", " : "", t->plan.moves[i].address_str,
                        d && d->driver ? "on " : "", !d ? "gone" : d->driver ?: "unbound");
        }
        (void) memstream_finalize(&out, &text);
        return text;
}

static void finish_rollback(Transaction *t) {
        _cleanup_free_ char *places = NULL, *message = NULL;
        int r;

        refresh_moves(t);
        for (size_t i = 0; i < t->plan.n_moves; i++) {
                Device *d = move_device(t, i);

                /* A record this transaction wrote goes when its device is back where it was. */
                if (t->recorded[i] && d && streq_ptr(d->driver, t->plan.moves[i].from_driver))
                        manager_forget_original(t->engine->manager, d);
        }
        places = describe_places(t);
        if (!t->rollback_errors)
                r = asprintf(&message, "%s Every device was given back to the driver it had (%s).",
                             t->failure, strempty(places));
        else
                r = asprintf(&message, "%s Rolling back failed too: %s Where the devices are now: %s.",
                             t->failure, t->rollback_errors, strempty(places));
        log_error("%s", r >= 0 ? message : t->failure);
        tell(t, PASSTHRU_ERROR_FAILED, r >= 0 ? message : t->failure);
        transaction_end(t);
}

static void add_rollback_error(Transaction *t, const char *sentence) {
        char *joined;

        if (asprintf(&joined, "%s%s%s", strempty(t->rollback_errors), t->rollback_errors ? " " : "",
                     sentence) < 0)
                return;
        free(t->rollback_errors);
        t->rollback_errors = joined;
}

/* Starts the rollback of the next move, from the last one touched back to the first. */
static void rollback_next(Transaction *t) {
        WorkerStep *steps = NULL;
        size_t n = 0;
        int r;

        if (t->rollback == 0)
                return finish_rollback(t);
        const Move *mv = &t->plan.moves[--t->rollback];

        if (t->rollback == t->unmoved)
                r = add_unmoved_steps(&steps, &n, mv, t->rollback);
        else
                r = add_move_steps(&steps, &n, mv, mv->from_driver, mv->from_override, t->rollback);
        if (r >= 0)
                r = run_steps(t, steps, n);
        else
                worker_steps_free(steps, n);
        if (r < 0) {
                _cleanup_free_ char *what = NULL;

                if (asprintf(&what, "%s could not be rolled back (%s).", mv->address_str, strerror(-r)) < 0)
                        what = NULL;
                add_rollback_error(t, what ?: "A device could not be rolled back.");
                rollback_next(t);
        }
}

static void rollback_step_failed(Transaction *t, size_t n_done, int error) {
        _cleanup_free_ char *what = describe_failure(t, &t->steps[n_done], error);

        add_rollback_error(t, what ?: "A rollback step failed.");
}

static void start_rollback(Transaction *t, size_t n_done, int error) {
        t->failure = describe_failure(t, &t->steps[n_done], error);
        if (!t->failure)
                t->failure = strdup("The operation failed.");
        t->state = TRANSACTION_ROLLING_BACK;
        t->rollback = t->steps[n_done].device + 1;
        /* Failing at its override or its unbind, the device never left its driver: unbinding
         * and probing it again would only disturb it. */
        t->unmoved =
                t->steps[n_done].type == WORKER_STEP_WRITE || t->steps[n_done].type == WORKER_STEP_UNBIND
                        ? t->steps[n_done].device
                        : SIZE_MAX;
        rollback_next(t);
}

static void on_timeout(Transaction *t, size_t n_done) {
        const WorkerStep *s = &t->steps[n_done];
        _cleanup_free_ char *message = NULL;
        Device *d = move_device(t, s->device);

        if (d)
                manager_device_set_stuck(t->engine->manager, d, true);
        if (asprintf(&message,
                     "%s of %s did not finish: %s (%s) has not returned from the kernel after %llu s. "
                     "Something still uses the device (a display server, a VM?); it is marked stuck until "
                     "the kernel returns.",
                     bind_operation_to_string(t->plan.op), t->plan.moves[s->device].address_str,
                     worker_step_describe(s), s->path,
                     (unsigned long long) (manager_operation_timeout(t->engine->manager) / 1000000)) < 0)
                message = NULL;
        log_error("%s", strna(message));
        tell(t, PASSTHRU_ERROR_TIMEOUT, message ?: "The operation timed out.");
        /* The transaction stays until the child returns; the group stays busy meanwhile. */
}

/* The worker checked each link right after its probe; the answer is what the kernel shows
 * now, after every step, since another tool may have moved a device meanwhile. */
static bool all_reached(Transaction *t) {
        for (size_t i = 0; i < t->plan.n_moves; i++) {
                Device *d = move_device(t, i);

                if (!d || !move_reached(&t->plan.moves[i], d->driver))
                        return false;
        }
        return true;
}

static void finish_elsewhere(Transaction *t) {
        _cleanup_free_ char *places = describe_places(t), *message = NULL;

        if (asprintf(
                    &message,
                    "%s of %s finished, but the kernel shows the devices elsewhere afterwards: %s. "
                    "Another program changed a driver meanwhile; look with 'passthructl show' and try again.",
                    bind_operation_to_string(t->plan.op), t->plan.moves[0].address_str,
                    strempty(places)) < 0)
                message = NULL;
        log_error("%s", strna(message));
        tell(t, PASSTHRU_ERROR_FAILED, message ?: "The devices are not where the operation sent them.");
        transaction_end(t);
}

static void finish_applied(Transaction *t) {
        refresh_moves(t);
        if (!all_reached(t))
                return finish_elsewhere(t);
        /* Given back from vfio-pci: the record has served. A device moved between host
         * drivers keeps its record, so a plain Unbind still knows where it came from. */
        for (size_t i = 0; i < t->plan.n_moves && t->plan.op == BIND_OPERATION_UNBIND; i++) {
                Device *d = move_device(t, i);

                if (d && streq_ptr(t->plan.moves[i].from_driver, VFIO_PCI))
                        manager_forget_original(t->engine->manager, d);
        }
        tell(t, NULL, NULL);
        transaction_end(t);
}

static void on_worker_done(Worker *w, int error, size_t n_done, void *userdata) {
        Transaction *t = userdata;

        if (error == -ETIMEDOUT)
                return on_timeout(t, n_done);
        switch (t->state) {
        case TRANSACTION_APPLYING:
                if (error == 0)
                        return finish_applied(t);
                return start_rollback(t, n_done, error);
        case TRANSACTION_ROLLING_BACK:
                /* One device's rollback failing does not stop the others'. */
                if (error < 0)
                        rollback_step_failed(t, n_done, error);
                return rollback_next(t);
        }
}

static void on_worker_late_exit(Worker *w, int error, size_t n_done, void *userdata) {
        Transaction *t = userdata;

        log_notice("The hanging sysfs worker returned after all (%s).",
                   error < 0 ? strerror(-error) : "success");
        for (size_t i = 0; i < t->plan.n_moves; i++) {
                Device *d = move_device(t, i);

                if (d)
                        manager_device_set_stuck(t->engine->manager, d, false);
        }
        /* Finish as if in time: success stands, a failure rolls back. The caller heard Timeout. */
        on_worker_done(w, error, n_done, userdata);
}

static int execute(Transaction *t, Refusal *refusal) {
        WorkerStep *steps = NULL;
        size_t n = 0;
        int r;

        r = load_modules(t, refusal);
        if (r < 0)
                return r;
        r = save_records(t, refusal);
        if (r < 0)
                return r;
        for (size_t i = 0; i < t->plan.n_moves && r >= 0; i++) {
                const Move *mv = &t->plan.moves[i];

                r = add_move_steps(&steps, &n, mv, mv->to_driver, mv->to_override, i);
        }
        if (r >= 0)
                r = run_steps(t, steps, n);
        else
                worker_steps_free(steps, n);
        if (r < 0)
                return refusal_set(refusal, PASSTHRU_ERROR_FAILED,
                                   "Could not start the sysfs worker (%s); nothing was changed.",
                                   strerror(-r));
        log_info("%s of %s: %zu device(s), %zu step(s) started.", bind_operation_to_string(t->plan.op),
                 t->plan.moves[0].address_str, t->plan.n_moves, t->n_steps);
        return 0;
}

/* A failure before the worker ran: forget the records this transaction wrote. */
static void undo_records(Transaction *t) {
        for (size_t i = 0; i < t->plan.n_moves; i++) {
                Device *d = move_device(t, i);

                if (t->recorded[i] && d)
                        manager_forget_original(t->engine->manager, d);
        }
}

int transaction_start(Transactions *e, Plan *plan, transaction_done_t done, void *userdata,
                      Refusal *refusal) {
        Transaction *t;
        int r;

        assert(e);
        assert(plan->n_moves > 0);
        t = calloc(1, sizeof(Transaction));
        if (!t)
                return -ENOMEM;
        t->recorded = calloc(plan->n_moves, sizeof(bool));
        if (!t->recorded) {
                free(t);
                return -ENOMEM;
        }
        t->engine = e;
        t->state = TRANSACTION_APPLYING;
        t->plan = *plan;
        *plan = (Plan){};
        t->done = done;
        t->userdata = userdata;
        r = execute(t, refusal);
        if (r < 0) {
                undo_records(t);
                *plan = t->plan;
                t->plan = (Plan){};
                transaction_free(t);
                return r;
        }
        set_busy(t, true);
        t->next = e->list;
        e->list = t;
        return 0;
}
