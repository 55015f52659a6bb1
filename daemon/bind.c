/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>

#include "bind.h"
#include "bus-device.h"
#include "bus-manager.h"
#include "group.h"
#include "kmod.h"
#include "log.h"
#include "manager.h"
#include "passthru-dbus.h"
#include "polkit.h"
#include "record.h"
#include "safety.h"
#include "strv.h"
#include "sysfs.h"
#include "worker.h"

#define VFIO_PCI "vfio-pci"
/* How a plan names "whichever host driver probes it" (no record, no driver option). */
#define NATIVE_DRIVER_LABEL "(native)"

typedef struct BindOptions {
        bool group, dry_run, force;
        const char *driver; /* Unbind: give the device to this driver */
} BindOptions;

/* One device of a transaction: where it is and where it goes. */
typedef struct Move {
        PciAddress address;
        char address_str[PCI_ADDRESS_STRING_MAX];
        char *devpath;
        char *from_driver, *from_override;
        char *to_driver; /* NULL: unbound; WORKER_CHECK_HOST_DRIVER: whichever host driver probes */
        char *to_override;
        bool recorded; /* this transaction wrote its record */
} Move;

struct Transaction {
        Manager *manager;
        BindOperation op;
        sd_bus_message *call; /* NULL once answered */
        int group;            /* -1: the devices have no IOMMU group */
        Move *moves;
        size_t n_moves;
        WorkerStep *steps;
        size_t n_steps;
        Worker *worker;
        bool rolling_back;
        char *failure; /* the sentence describing the first failure */
        Transaction *next;
};

static void moves_free(Move *moves, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(moves[i].devpath);
                free(moves[i].from_driver);
                free(moves[i].from_override);
                free(moves[i].to_driver);
                free(moves[i].to_override);
        }
        free(moves);
}

static Transaction *transaction_free(Transaction *t) {
        if (!t)
                return NULL;
        worker_free(t->worker);
        sd_bus_message_unref(t->call);
        moves_free(t->moves, t->n_moves);
        worker_steps_free(t->steps, t->n_steps);
        free(t->failure);
        free(t);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Transaction *, transaction_free);

static void transaction_unlink(Transaction *t) {
        for (Transaction **i = &t->manager->transactions; *i; i = &(*i)->next)
                if (*i == t) {
                        *i = t->next;
                        return;
                }
}

void bind_transactions_free(Manager *m) {
        while (m->transactions) {
                Transaction *t = m->transactions;

                m->transactions = t->next;
                transaction_free(t);
        }
}

static const char *operation_name(BindOperation op) {
        return op == BIND_OPERATION_BIND ? "Bind" : "Unbind";
}

static int parse_options(sd_bus_message *msg, BindOperation op, BindOptions *ret, sd_bus_error *error) {
        BindOptions o = {};
        const char *key;
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                bool *flag = NULL;
                int b;

                r = sd_bus_message_read(msg, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, "group"))
                        flag = &o.group;
                else if (streq(key, "dry-run"))
                        flag = &o.dry_run;
                else if (streq(key, "force") && op == BIND_OPERATION_BIND)
                        flag = &o.force;
                if (flag) {
                        r = sd_bus_message_read(msg, "v", "b", &b);
                        *flag = b;
                } else if (streq(key, "driver") && op == BIND_OPERATION_UNBIND)
                        r = sd_bus_message_read(msg, "v", "s", &o.driver);
                else
                        return sd_bus_error_setf(error, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                                 "%s does not know the option '%s'; it takes %s.",
                                                 operation_name(op), key,
                                                 op == BIND_OPERATION_BIND ? "group, dry-run and force"
                                                                           : "group, dry-run and driver");
                if (r < 0)
                        return sd_bus_error_setf(error, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                                 "Option '%s' has the wrong type: group, dry-run and "
                                                 "force are booleans, driver is a string.",
                                                 key);
                r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
                return r;
        /* A driver name goes into a sysfs file: only what a kernel module name can be. */
        if (o.driver && (!*o.driver || strlen(o.driver) > 64 ||
                         o.driver[strspn(o.driver, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                   "0123456789_-")] != '\0'))
                return sd_bus_error_set(error, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                        "The driver option must be a kernel driver name such as e1000e.");
        *ret = o;
        return 0;
}

static Group *device_group(Manager *m, Device *d) {
        return d->iommu_group >= 0 ? manager_find_group(m, d->iommu_group) : NULL;
}

/* The devices an operation acts on: the device itself, or every endpoint of its group. */
static int collect_members(Manager *m, Device *d, bool group, Device ***ret, size_t *ret_n) {
        Group *g = group ? device_group(m, d) : NULL;
        Device **list = NULL;
        size_t n = 0;

        if (!g) {
                list = malloc(sizeof(Device *));
                if (!list)
                        return -ENOMEM;
                list[n++] = d;
        } else {
                list = malloc(sizeof(Device *) * g->n_devices);
                if (!list)
                        return -ENOMEM;
                for (size_t i = 0; i < g->n_devices; i++)
                        if (!g->devices[i]->is_bridge)
                                list[n++] = g->devices[i];
        }
        *ret = list;
        *ret_n = n;
        return 0;
}

static int check_idle(Manager *m, Device *d, sd_bus_error *error) {
        Group *g = device_group(m, d);
        size_t n = g ? g->n_devices : 1;

        /* Stuck first: a group with a hanging device stays busy until the kernel returns. */
        for (size_t i = 0; i < n; i++) {
                Device *x = g ? g->devices[i] : d;

                if (x->stuck)
                        return sd_bus_error_setf(error, PASSTHRU_ERROR_STUCK,
                                                 "%s is stuck: an earlier driver change never returned from "
                                                 "the kernel. Close what uses it, or reboot.",
                                                 x->address_str);
        }
        for (size_t i = 0; i < n; i++) {
                Device *x = g ? g->devices[i] : d;

                if (x->busy)
                        return sd_bus_error_setf(error, PASSTHRU_ERROR_BUSY,
                                                 "Another operation on IOMMU group %d (%s) is under way; "
                                                 "try again when it has finished.",
                                                 x->iommu_group, x->address_str);
        }
        return 0;
}

static void set_busy(Transaction *t, bool busy) {
        Manager *m = t->manager;
        Group *g = t->group >= 0 ? manager_find_group(m, t->group) : NULL;
        size_t n = g ? g->n_devices : t->n_moves;

        for (size_t i = 0; i < n; i++) {
                Device *d = g ? g->devices[i] : manager_find_device(m, &t->moves[i].address);

                if (!d || d->busy == busy)
                        continue;
                d->busy = busy;
                if (m->bus)
                        bus_device_emit_changes(m, d, DEVICE_CHANGE_STATE);
        }
}

/* Bind without the group option: the mates must already be safe for the group. */
static int check_group_viable(Manager *m, Device *d, sd_bus_error *error) {
        _cleanup_free_ char *names = NULL;
        Group *g = device_group(m, d);
        size_t len = 0;
        bool any = false;
        FILE *f;

        if (!g)
                return 0;
        f = open_memstream(&names, &len);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < g->n_devices; i++) {
                Device *x = g->devices[i];

                if (x == d || x->is_bridge || group_driver_is_viable(x->driver))
                        continue;
                fprintf(f, "%s%s (%s)", any ? ", " : "", x->address_str, x->driver);
                any = true;
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        if (!any)
                return 0;
        return sd_bus_error_setf(error, PASSTHRU_ERROR_GROUP_NOT_VIABLE,
                                 "IOMMU group %d of %s also holds %s, still on host drivers; a VM can use "
                                 "the group only when all of them are off the host. Bind with the group "
                                 "option to move them together.",
                                 g->number, d->address_str, names);
}

static int check_safe(Manager *m, Device *d, Device **members, size_t n, bool force, sd_bus_error *error) {
        int r;

        if (d->iommu_group < 0)
                return sd_bus_error_setf(error, PASSTHRU_ERROR_NO_IOMMU,
                                         "%s has no IOMMU group, so vfio-pci cannot take it: enable the "
                                         "IOMMU (VT-d or AMD-Vi) in the firmware and on the kernel "
                                         "command line; 'passthructl check' shows how.",
                                         d->address_str);
        for (size_t i = 0; i < n; i++) {
                r = safety_refuse_bind(m->sources.host, members[i], force, error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int move_init(Move *mv, const Device *d) {
        mv->address = d->address;
        memcpy(mv->address_str, d->address_str, sizeof(mv->address_str));
        mv->devpath = strdup(d->devpath);
        if (!mv->devpath)
                return -ENOMEM;
        if (free_and_strdup(&mv->from_driver, d->driver) < 0 ||
            free_and_strdup(&mv->from_override, d->driver_override) < 0)
                return -ENOMEM;
        return 0;
}

/* Where Unbind sends a device: the driver option, else the recorded driver (none if it had
 * none), else whichever host driver probes it. */
static int unbind_target(Manager *m, const Device *d, const BindOptions *o, Move *mv) {
        _cleanup_free_ char *driver = NULL, *override = NULL;
        const char *target;
        int r;

        r = m->records ? record_load(m->records, d->address_str, &driver, &override) : -ENOENT;
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Failed to read the record of %s: %m", d->address_str);
        if (o->driver)
                target = o->driver;
        else if (r >= 0 && !streq_ptr(driver, VFIO_PCI))
                target = driver;
        else
                target = WORKER_CHECK_HOST_DRIVER;
        if (free_and_strdup(&mv->to_driver, target) < 0)
                return -ENOMEM;
        if (!streq_ptr(override, VFIO_PCI))
                mv->to_override = TAKE_PTR(override);
        return 0;
}

static bool needs_move(const Device *d, BindOperation op, const BindOptions *o) {
        if (op == BIND_OPERATION_BIND)
                return !streq_ptr(d->driver, VFIO_PCI) || !streq_ptr(d->driver_override, VFIO_PCI);
        if (o->driver)
                return !streq_ptr(d->driver, o->driver);
        return streq_ptr(d->driver, VFIO_PCI) || streq_ptr(d->driver_override, VFIO_PCI);
}

static int plan_moves(Manager *m, Transaction *t, Device **members, size_t n, const BindOptions *o) {
        int r;

        t->moves = calloc(n ?: 1, sizeof(Move));
        if (!t->moves)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                Move *mv = &t->moves[t->n_moves];

                if (!needs_move(members[i], t->op, o))
                        continue;
                t->n_moves++;
                r = move_init(mv, members[i]);
                if (r < 0)
                        return r;
                if (t->op == BIND_OPERATION_BIND) {
                        mv->to_driver = strdup(VFIO_PCI);
                        mv->to_override = strdup(VFIO_PCI);
                        if (!mv->to_driver || !mv->to_override)
                                return -ENOMEM;
                } else {
                        r = unbind_target(m, members[i], o, mv);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static const char *driver_label(const char *driver) {
        if (!driver)
                return "";
        return streq(driver, WORKER_CHECK_HOST_DRIVER) ? NATIVE_DRIVER_LABEL : driver;
}

/* The a(sss) answer: each device, the driver it had, the driver it has (or will have). */
static int reply_moves(Transaction *t, bool planned) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        if (!t->call)
                return 0;
        r = sd_bus_message_new_method_return(t->call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (size_t i = 0; i < t->n_moves && r >= 0; i++) {
                const Move *mv = &t->moves[i];
                const Device *d = planned ? NULL : manager_find_device(t->manager, &mv->address);
                const char *to = planned || !d ? driver_label(mv->to_driver) : strempty(d->driver);

                r = sd_bus_message_append(reply, "(sss)", mv->address_str, strempty(mv->from_driver), to);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        t->call = sd_bus_message_unref(t->call);
        return r;
}

/* A missing module is loaded as modprobe would; present means its sysfs entry exists. */
/* Loaded (or built in with parameters) shows as module/NAME; a driver as its directory. */
static bool module_present(Manager *m, const char *module, const char *driver) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "module/%s", module);
        if (sysfs_path_exists(m->sources.sysfs, path))
                return true;
        snprintf(path, sizeof(path), "bus/pci/drivers/%s", strempty(driver));
        return driver && sysfs_path_exists(m->sources.sysfs, path);
}

static int ensure_module(Manager *m, const char *name, const char *driver, sd_bus_error *error) {
        int r;

        if (module_present(m, name, driver))
                return 0;
        r = m->sources.kmod ? kmod_load(m->sources.kmod, name) : -ENOENT;
        if (r == -ENOENT)
                return sd_bus_error_setf(error, PASSTHRU_ERROR_FAILED,
                                         "The kernel module %s is not installed for the running kernel; "
                                         "install the kernel's modules package.",
                                         name);
        if (r == -EPERM)
                return sd_bus_error_setf(error, PASSTHRU_ERROR_FAILED,
                                         "The kernel module %s is blacklisted or prohibited by modprobe.d; "
                                         "remove that line to use it.",
                                         name);
        if (r < 0)
                return sd_bus_error_setf(error, PASSTHRU_ERROR_FAILED,
                                         "Loading the kernel module %s failed: %s. 'dmesg' may say why.",
                                         name, strerror(-r));
        return 0;
}

static int ensure_modules(Manager *m, sd_bus_error *error) {
        int r;

        r = ensure_module(m, "vfio_pci", VFIO_PCI, error);
        if (r < 0)
                return r;
        return ensure_module(m, "vfio_iommu_type1", NULL, error);
}

/* Written before the first sysfs write: a restarted daemon still knows where devices belong.
 * A device already recorded keeps its first record. */
static int save_records(Manager *m, Transaction *t, sd_bus_error *error) {
        int r;

        if (t->op != BIND_OPERATION_BIND)
                return 0;
        if (!m->records) {
                r = records_open(m->options.runtime_dir, true, &m->records);
                if (r < 0)
                        return sd_bus_error_setf(error, PASSTHRU_ERROR_FAILED,
                                                 "Could not create the runtime directory for the original "
                                                 "drivers (%s), so nothing was changed.",
                                                 strerror(-r));
        }
        for (size_t i = 0; i < t->n_moves; i++) {
                Move *mv = &t->moves[i];
                _cleanup_free_ char *driver = NULL;
                Device *d;

                r = record_load(m->records, mv->address_str, &driver, NULL);
                if (r >= 0)
                        continue;
                r = record_save(m->records, mv->address_str, mv->from_driver, mv->from_override);
                mv->recorded = r >= 0;
                if (r < 0)
                        return sd_bus_error_setf(error, PASSTHRU_ERROR_FAILED,
                                                 "Could not record the original driver of %s (%s), so "
                                                 "nothing was changed; check the runtime directory.",
                                                 mv->address_str, strerror(-r));
                d = manager_find_device(m, &mv->address);
                if (d && free_and_strdup(&d->original_driver, strempty(mv->from_driver)) >= 0 && m->bus)
                        (void) sd_bus_emit_properties_changed(
                                m->bus, d->object_path, PASSTHRU_DEVICE_INTERFACE, "OriginalDriver", NULL);
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
        bool named = to_driver && !streq(to_driver, WORKER_CHECK_HOST_DRIVER);
        const char *override = named ? to_driver : "\n";
        int r;

        r = override_path(mv, &path);
        if (r >= 0)
                r = worker_steps_add(steps, n, WORKER_STEP_WRITE, path, override, index);
        if (r >= 0)
                r = worker_steps_add(steps, n, WORKER_STEP_UNBIND, mv->devpath, mv->address_str, index);
        if (r >= 0 && to_driver)
                r = worker_steps_add(steps, n, WORKER_STEP_PROBE, mv->devpath, mv->address_str, index);
        if (r >= 0)
                r = worker_steps_add(steps, n, WORKER_STEP_CHECK, mv->devpath, to_driver, index);
        /* An override left set keeps every other driver away: leave the one wanted, or none. */
        if (r >= 0 && !streq(override, to_override ?: "\n"))
                r = worker_steps_add(steps, n, WORKER_STEP_WRITE, path, to_override ?: "\n", index);
        return r;
}

static void on_worker_done(Worker *w, int error, size_t n_done, void *userdata);
static void on_worker_late_exit(Worker *w, int error, size_t n_done, void *userdata);

static int start_worker(Transaction *t, WorkerStep *steps, size_t n_steps) {
        Manager *m = t->manager;
        WorkerParams p = {
                .event = m->event,
                .sysfs = m->sources.sysfs,
                .timeout_usec = m->options.operation_timeout_usec ?: MANAGER_OPERATION_TIMEOUT_USEC,
                .write_count = &m->sysfs_writes,
                .on_done = on_worker_done,
                .on_late_exit = on_worker_late_exit,
                .userdata = t,
        };

        t->worker = worker_free(t->worker);
        return worker_start(&p, steps, n_steps, &t->worker);
}

static void refresh_moves(Transaction *t) {
        for (size_t i = 0; i < t->n_moves; i++) {
                _cleanup_free_ char *devpath = strdup(t->moves[i].devpath);

                if (devpath)
                        (void) manager_device_refresh(t->manager, devpath);
        }
}

/* Records go when a device is back where it was: given back, or rolled back after this
 * transaction recorded it. */
static void forget_records(Transaction *t, bool only_recorded_here) {
        if (!t->manager->records)
                return;
        for (size_t i = 0; i < t->n_moves; i++) {
                Device *d = manager_find_device(t->manager, &t->moves[i].address);

                if (only_recorded_here && !t->moves[i].recorded)
                        continue;
                (void) record_remove(t->manager->records, t->moves[i].address_str);
                if (d && d->original_driver) {
                        d->original_driver = (free(d->original_driver), NULL);
                        if (t->manager->bus)
                                (void) sd_bus_emit_properties_changed(t->manager->bus, d->object_path,
                                                                      PASSTHRU_DEVICE_INTERFACE,
                                                                      "OriginalDriver", NULL);
                }
        }
}

static void transaction_end(Transaction *t) {
        refresh_moves(t);
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

static int describe_failure(Transaction *t, const WorkerStep *s, int error, char **ret) {
        const Move *mv = &t->moves[s->device];

        return asprintf(ret, "%s of %s failed while %s (%s): %s.", operation_name(t->op), mv->address_str,
                        worker_step_describe(s), s->path, failure_reason(s, error)) < 0
                       ? -ENOMEM
                       : 0;
}

static void reply_error(Transaction *t, const char *name, const char *message) {
        if (!t->call)
                return;
        (void) sd_bus_reply_method_errorf(t->call, name, "%s", message);
        t->call = sd_bus_message_unref(t->call);
}

static void reply_failure(Transaction *t, const char *rollback) {
        _cleanup_free_ char *message = NULL;

        if (asprintf(&message, "%s %s", t->failure, rollback) < 0)
                message = NULL;
        log_error("%s", message ?: t->failure);
        reply_error(t, PASSTHRU_ERROR_FAILED, message ?: t->failure);
}

/* Every device touched so far goes back where it was, the last one first. */
static int start_rollback(Transaction *t, size_t n_done) {
        WorkerStep *steps = NULL;
        size_t n = 0, last = t->steps[n_done].device;
        int r = 0;

        for (size_t i = last + 1; i > 0 && r >= 0; i--) {
                const Move *mv = &t->moves[i - 1];

                r = add_move_steps(&steps, &n, mv, mv->from_driver, mv->from_override, i - 1);
        }
        if (r >= 0) {
                worker_steps_free(t->steps, t->n_steps);
                t->steps = steps;
                t->n_steps = n;
                t->rolling_back = true;
                r = start_worker(t, t->steps, t->n_steps);
        } else
                worker_steps_free(steps, n);
        return r;
}

static void mark_stuck(Transaction *t, size_t n_done) {
        Device *d = manager_find_device(t->manager, &t->moves[t->steps[n_done].device].address);

        if (!d)
                return;
        d->stuck = true;
        if (t->manager->bus)
                bus_device_emit_changes(t->manager, d, DEVICE_CHANGE_STATE);
}

static void on_timeout(Transaction *t, size_t n_done) {
        const WorkerStep *s = &t->steps[n_done];
        _cleanup_free_ char *message = NULL;
        uint64_t sec =
                (t->manager->options.operation_timeout_usec ?: MANAGER_OPERATION_TIMEOUT_USEC) / 1000000;

        mark_stuck(t, n_done);
        if (asprintf(&message,
                     "%s of %s did not finish: %s (%s) has not returned from the kernel after %llu s. "
                     "Something still uses the device (a display server, a VM?); it is marked stuck "
                     "until the kernel returns.",
                     operation_name(t->op), t->moves[s->device].address_str, worker_step_describe(s),
                     s->path, (unsigned long long) sec) < 0)
                message = NULL;
        log_error("%s", strna(message));
        reply_error(t, PASSTHRU_ERROR_TIMEOUT, message ?: "The operation timed out.");
        /* The transaction stays until the child returns; the group stays busy meanwhile. */
}

static void on_worker_done(Worker *w, int error, size_t n_done, void *userdata) {
        Transaction *t = userdata;
        int r;

        if (error == -ETIMEDOUT)
                return on_timeout(t, n_done);
        if (t->rolling_back) {
                _cleanup_free_ char *rollback = NULL;

                if (error == 0) {
                        forget_records(t, true);
                        reply_failure(t, "Every device was given back to the driver it had.");
                } else if (describe_failure(t, &t->steps[n_done], error, &rollback) >= 0)
                        reply_failure(t, rollback);
                else
                        reply_failure(t, "Rolling back failed too.");
                return transaction_end(t);
        }
        if (error == 0) {
                refresh_moves(t);
                if (t->op == BIND_OPERATION_UNBIND)
                        forget_records(t, false);
                (void) reply_moves(t, false);
                return transaction_end(t);
        }
        r = describe_failure(t, &t->steps[n_done], error, &t->failure);
        if (r >= 0)
                r = start_rollback(t, n_done);
        if (r < 0) {
                reply_error(t, PASSTHRU_ERROR_FAILED,
                            t->failure ?: "The operation failed and could not be rolled back.");
                transaction_end(t);
        }
}

static void on_worker_late_exit(Worker *w, int error, size_t n_done, void *userdata) {
        Transaction *t = userdata;

        log_notice("The hanging sysfs worker returned after all (%s).",
                   error < 0 ? strerror(-error) : "success");
        for (size_t i = 0; i < t->n_moves; i++) {
                Device *d = manager_find_device(t->manager, &t->moves[i].address);

                if (d)
                        d->stuck = false;
        }
        /* Finish as if in time: success stands, a failure rolls back. The caller heard Timeout. */
        on_worker_done(w, error, n_done, userdata);
}

static int transaction_new(Manager *m, sd_bus_message *call, Device *d, BindOperation op,
                           Transaction **ret) {
        Transaction *t = calloc(1, sizeof(Transaction));

        if (!t)
                return -ENOMEM;
        t->manager = m;
        t->op = op;
        t->call = sd_bus_message_ref(call);
        t->group = d->iommu_group;
        *ret = t;
        return 0;
}

static int plan(Manager *m, Transaction *t, Device *d, const BindOptions *o, sd_bus_error *error) {
        _cleanup_free_ Device **members = NULL;
        size_t n;
        int r;

        /* The group option takes endpoints only: a bridge named itself is refused here. */
        if (t->op == BIND_OPERATION_BIND && d->is_bridge)
                return safety_refuse_bind(m->sources.host, d, false, error);
        r = collect_members(m, d, o->group, &members, &n);
        if (r < 0)
                return r;
        if (t->op == BIND_OPERATION_BIND) {
                if (!o->group) {
                        r = check_group_viable(m, d, error);
                        if (r < 0)
                                return r;
                }
                r = check_safe(m, d, members, n, o->force, error);
                if (r < 0)
                        return r;
        } else
                for (size_t i = 0; i < n; i++) {
                        r = safety_refuse_unbind(m->sources.host, members[i], error);
                        if (r < 0)
                                return r;
                }
        return plan_moves(m, t, members, n, o);
}

/* Giving back needs the host driver loaded: by its name, or by the device's modalias as udev
 * does at boot. A failure is not fatal here: the check after probing tells the caller. */
static void load_host_modules(Manager *m, const Move *mv) {
        Device *d = manager_find_device(m, &mv->address);

        if (!m->sources.kmod || !mv->to_driver || !d)
                return;
        if (!streq(mv->to_driver, WORKER_CHECK_HOST_DRIVER)) {
                if (!module_present(m, mv->to_driver, mv->to_driver))
                        (void) kmod_load(m->sources.kmod, mv->to_driver);
                return;
        }
        for (char **module = d->kernel_modules; module && *module; module++)
                if (!streq(*module, "vfio_pci") && !module_present(m, *module, NULL))
                        (void) kmod_load(m->sources.kmod, *module);
}

static int execute(Manager *m, Transaction *t, sd_bus_error *error) {
        int r;

        if (t->op == BIND_OPERATION_BIND) {
                r = ensure_modules(m, error);
                if (r < 0)
                        return r;
        } else
                for (size_t i = 0; i < t->n_moves; i++)
                        load_host_modules(m, &t->moves[i]);
        r = save_records(m, t, error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < t->n_moves; i++) {
                const Move *mv = &t->moves[i];

                r = add_move_steps(&t->steps, &t->n_steps, mv, mv->to_driver, mv->to_override, i);
                if (r < 0)
                        return r;
        }
        r = start_worker(t, t->steps, t->n_steps);
        if (r < 0)
                return sd_bus_error_setf(error, PASSTHRU_ERROR_FAILED,
                                         "Could not start the sysfs worker (%s); nothing was changed.",
                                         strerror(-r));
        log_info("%s of %s: %zu device(s), %zu step(s) started.", operation_name(t->op),
                 t->moves[0].address_str, t->n_moves, t->n_steps);
        return 0;
}

int bind_method(Manager *m, sd_bus_message *msg, const PciAddress *a, BindOperation op,
                sd_bus_error *error) {
        _cleanup_(transaction_freep) Transaction *t = NULL;
        BindOptions o = {};
        Device *d;
        int r;

        r = parse_options(msg, op, &o, error);
        if (r < 0)
                return r;
        d = manager_find_device(m, a);
        if (!d)
                return bus_error_no_such_device(error, a);
        /* A plan changes nothing and shows nothing secret: no authorization needed. */
        if (!o.dry_run) {
                r = polkit_check(m->polkit, msg, error);
                if (r <= 0)
                        return r < 0 ? r : 1;
        }
        /* From here on, this runs again after polkit answered: everything is checked anew. */
        r = check_idle(m, d, error);
        if (r < 0)
                return r;
        manager_refresh_blockers(m);
        r = transaction_new(m, msg, d, op, &t);
        if (r < 0)
                return r;
        r = plan(m, t, d, &o, error);
        if (r < 0)
                return r;
        if (o.dry_run || t->n_moves == 0)
                return reply_moves(t, true);
        r = execute(m, t, error);
        if (r < 0)
                return r;
        set_busy(t, true);
        t->next = m->transactions;
        m->transactions = TAKE_PTR(t);
        return 1;
}
