/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "log.h"
#include "manager.h"
#include "operations.h"
#include "passthru-dbus.h"
#include "persist.h"
#include "reset-method.h"
#include "sriov-numvfs.h"
#include "safety.h"
#include "transaction.h"
#include "vm-claim.h"

struct Operations {
        Manager *manager;
        Transactions *transactions;
        Persist *persist;
        VmClaims *claims; /* which VM each device was bound for */
        SriovJobs *sriov; /* PFs' VF counts being written */
};

/* A Bind or Unbind whose transaction runs. */
typedef struct Operation {
        Operations *ops;
        BindOperation op;
        bool persist;
        char *vm;              /* Bind: the VM the moved devices are claimed for */
        PciAddress *addresses; /* what persist remembers or forgets once the devices moved */
        size_t n_addresses;
        operation_done_t done;
        void *userdata;
} Operation;

/* ---- what persistence re-applies, through these ---- */

static int apply_numvfs(const ConfigEntry *e, Refusal *refusal, void *userdata) {
        Operations *o = userdata;

        return sriov_numvfs_apply(o->sriov, e, refusal);
}

static void apply_reset_method(const ConfigEntry *e, void *userdata) {
        Operations *o = userdata;
        Device *d = manager_find_device(o->manager, &e->address);

        if (d)
                reset_method_reapply(o->manager, d, e->reset_method);
}

static int apply_driver(const Config *c, const ConfigEntry *e, Refusal *refusal, void *userdata) {
        return operation_reapply(userdata, c, e, refusal);
}

static const PersistApplier applier = {
        .numvfs = apply_numvfs,
        .reset_method = apply_reset_method,
        .driver = apply_driver,
};

int operations_new(Manager *m, Transactions *t, Persist *p, Operations **ret) {
        Operations *o;

        assert(m);
        assert(t);
        assert(ret);
        o = calloc(1, sizeof(Operations));
        if (!o)
                return -ENOMEM;
        *o = (Operations){ .manager = m, .transactions = t, .persist = p };
        if (vm_claims_new(m->options.runtime_dir, &o->claims) < 0 || sriov_jobs_new(m, p, &o->sriov) < 0) {
                operations_free(o);
                return -ENOMEM;
        }
        if (p)
                persist_set_applier(p, &applier, o);
        *ret = o;
        return 0;
}

Operations *operations_free(Operations *o) {
        if (!o)
                return NULL;
        if (o->persist)
                persist_set_applier(o->persist, NULL, NULL);
        vm_claims_free(o->claims);
        sriov_jobs_free(o->sriov);
        free(o);
        return NULL;
}

static bool entry_allows_protected(Operations *o, const PciAddress *a) {
        const Config *c = o->persist ? persist_config(o->persist) : NULL;
        const ConfigEntry *e = c ? config_find(c, a) : NULL;

        return e && e->allow_protected;
}

/* The keep gate for every address: what Bind refuses for the device itself, unless its own
 * entry says allow-protected. */
static int check_keep(Operations *o, const PciAddress *addresses, size_t n, Refusal *refusal) {
        for (size_t i = 0; i < n; i++) {
                Device *d = manager_find_device(o->manager, &addresses[i]);
                int r;

                if (!d)
                        return refusal_no_such_device(refusal, &addresses[i]);
                r = safety_refuse_keep(o->manager->sources.host, d, entry_allows_protected(o, &addresses[i]),
                                       refusal);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Appends a unless the list already names it: each address once, in the order first named. */
static void append_unseen(PciAddress *list, size_t *n, const PciAddress *a) {
        for (size_t i = 0; i < *n; i++)
                if (pci_address_equal(&list[i], a))
                        return;
        list[(*n)++] = *a;
}

/* What Bind or Unbind with persist remembers or forgets: the address asked for, every device
 * the plan moves, and with the group option every endpoint of the group it covers. */
static int persist_addresses(Operations *o, const OperationRequest *req, const Plan *plan, PciAddress **ret,
                             size_t *ret_n) {
        Device *d = manager_find_device(o->manager, &req->address);
        Group *g = req->group && d && d->iommu_group >= 0 ? manager_find_group(o->manager, d->iommu_group)
                                                          : NULL;
        size_t max = 1 + plan->n_moves + (g ? g->n_devices : 0), n = 0;
        PciAddress *list = calloc(max, sizeof(PciAddress));

        if (!list)
                return -ENOMEM;
        append_unseen(list, &n, &req->address);
        for (size_t i = 0; i < plan->n_moves; i++)
                append_unseen(list, &n, &plan->moves[i].address);
        for (size_t i = 0; g && i < g->n_devices; i++)
                if (!g->devices[i]->is_bridge)
                        append_unseen(list, &n, &g->devices[i]->address);
        *ret = list;
        *ret_n = n;
        return 0;
}

static int remember_or_forget(Operations *o, BindOperation op, const PciAddress *addresses, size_t n,
                              Refusal *refusal) {
        return op == BIND_OPERATION_BIND ? persist_remember(o->persist, addresses, n, refusal)
                                         : persist_forget(o->persist, addresses, n, refusal);
}

static Operation *operation_free(Operation *op) {
        if (!op)
                return NULL;
        free(op->addresses);
        free(op->vm);
        free(op);
        return NULL;
}

static void on_transaction_done(const Plan *plan, const Refusal *failure, void *userdata) {
        _cleanup_(refusal_done) Refusal refusal = {};
        Operation *op = userdata;

        if (!failure)
                vm_claims_note(op->ops->claims, plan, op->op == BIND_OPERATION_BIND ? op->vm : NULL);
        if (!failure && op->persist &&
            remember_or_forget(op->ops, op->op, op->addresses, op->n_addresses, &refusal) < 0)
                failure = &refusal;
        op->done(plan, failure, op->userdata);
        operation_free(op);
}

/* Plans req on the kernel's state of its devices now; a real change looks at what the host
 * uses now too, a dry run at what the daemon saw last (it costs no more than a read). */
static int plan_request(Operations *o, const OperationRequest *req, Plan *ret, Refusal *refusal) {
        BindRequest bind = {
                .op = req->op,
                .address = req->address,
                .group = req->group,
                .force = req->force,
                .driver = req->driver,
                .driver_loaded = req->driver && manager_driver_loaded(o->manager, req->driver),
        };
        int r;

        r = manager_sync_group(o->manager, &req->address);
        if (r < 0)
                return refusal_set(
                        refusal, PASSTHRU_ERROR_FAILED,
                        "Could not read the devices' drivers from sysfs (%s); nothing was changed.",
                        strerror(-r));
        if (!req->dry_run)
                manager_refresh_blockers(o->manager);
        return plan_make(&o->manager->table, o->manager->sources.host, &bind, ret, refusal);
}

int operation_run(Operations *o, const OperationRequest *req, Plan *ret_plan, operation_done_t done,
                  void *userdata, Refusal *refusal) {
        _cleanup_(plan_done) Plan plan = {};
        _cleanup_free_ PciAddress *addresses = NULL;
        Operation *op;
        size_t n = 0;
        int r;

        assert(o);
        assert(req);
        assert(ret_plan);
        assert(done);
        r = plan_request(o, req, &plan, refusal);
        if (r < 0)
                return r;
        /* libvirt's hook at a VM's release: only what was bound for that VM goes back. */
        if (req->vm && req->op == BIND_OPERATION_UNBIND) {
                r = vm_claims_filter(o->claims, &o->manager->table, req->vm, &plan);
                if (r < 0)
                        return r;
        }
        /* Whatever persist asks is checked before any driver moves. */
        if (req->persist && !req->dry_run) {
                r = persist_addresses(o, req, &plan, &addresses, &n);
                if (r >= 0)
                        r = persist_check_editable(o->persist, refusal);
                if (r >= 0 && req->op == BIND_OPERATION_BIND)
                        r = check_keep(o, addresses, n, refusal);
                if (r >= 0 && plan.n_moves == 0)
                        r = remember_or_forget(o, req->op, addresses, n, refusal);
                if (r < 0)
                        return r;
        }
        if (req->dry_run || plan.n_moves == 0) {
                *ret_plan = plan;
                plan = (Plan){};
                return 0;
        }
        op = calloc(1, sizeof(Operation));
        if (!op)
                return -ENOMEM;
        *op = (Operation){ .ops = o,
                           .op = req->op,
                           .persist = req->persist,
                           .vm = req->vm ? strdup(req->vm) : NULL,
                           .addresses = TAKE_PTR(addresses),
                           .n_addresses = n,
                           .done = done,
                           .userdata = userdata };
        if (req->vm && !op->vm) {
                operation_free(op);
                return -ENOMEM;
        }
        r = transaction_start(o->transactions, &plan, on_transaction_done, op, refusal);
        if (r < 0) {
                operation_free(op);
                return r;
        }
        return 1;
}

int operation_remember(Operations *o, const PciAddress *a, bool enabled, Refusal *refusal) {
        int r;

        assert(o);
        assert(a);
        if (!enabled)
                return persist_forget(o->persist, a, 1, refusal);
        r = manager_sync_group(o->manager, a);
        if (r < 0)
                return refusal_set(refusal, PASSTHRU_ERROR_FAILED,
                                   "Could not read the device's driver (%s).", strerror(-r));
        manager_refresh_blockers(o->manager);
        r = check_keep(o, a, 1, refusal);
        if (r < 0)
                return r;
        return persist_remember(o->persist, a, 1, refusal);
}

int operation_check_entry(Operations *o, const ConfigEntry *e, Refusal *refusal) {
        Device *d;

        assert(o);
        assert(e);
        d = manager_find_device(o->manager, &e->address);
        if (!d || !e->vfio)
                return 0;
        return safety_refuse_keep(o->manager->sources.host, d, e->allow_protected, refusal);
}

/* ---- re-applying what is remembered ---- */

typedef struct ForceScope {
        Operations *ops;
        const Config *config;
} ForceScope;

/* allow-protected applies to the function whose section holds it, not to its group mates. */
static bool entry_may_force(const Device *d, void *userdata) {
        ForceScope *scope = userdata;
        const ConfigEntry *e = config_find(scope->config, &d->address);

        return e && e->allow_protected && config_entry_state(e, d) != CONFIG_STATE_MISMATCH;
}

static void on_reapplied(const Plan *plan, const Refusal *failure, void *userdata) {
        Operations *o = userdata;

        for (size_t i = 0; i < plan->n_moves; i++) {
                const Move *mv = &plan->moves[i];

                persist_note_outcome(o->persist, &mv->address, failure ? failure->message : NULL);
                if (failure)
                        log_warning("%s: re-applying the configuration failed: %s", mv->address_str,
                                    failure->message);
                else
                        log_info("%s: on vfio-pci, as the configuration asks.", mv->address_str);
        }
}

static int reapply_plan(Operations *o, const Config *c, const ConfigEntry *e, const Device *d, Plan *ret,
                        Refusal *ret_refusal) {
        _cleanup_(refusal_done) Refusal refusal = {};
        Group *g = d->iommu_group >= 0 ? manager_find_group(o->manager, d->iommu_group) : NULL;
        ForceScope scope = { .ops = o, .config = c };
        BindRequest req = {
                .op = BIND_OPERATION_BIND,
                .address = e->address,
                .group = persist_group_complete(c, g, &e->address),
                .may_force = entry_may_force,
                .may_force_data = &scope,
        };
        int r;

        r = plan_make(&o->manager->table, o->manager->sources.host, &req, ret, &refusal);
        if (r >= 0 || !streq_ptr(refusal.name, PASSTHRU_ERROR_PROTECTED_DEVICE)) {
                if (r < 0) {
                        *ret_refusal = refusal;
                        refusal = (Refusal){};
                }
                return r;
        }
        /* Entries with allow-protected = yes override what --force would, each for its own
         * function, and the log says what was overridden. What force cannot override (the
         * disk under /, a bridge) stays refused, with that refusal. */
        plan_done(ret);
        req.force = true;
        r = plan_make(&o->manager->table, o->manager->sources.host, &req, ret, ret_refusal);
        if (r >= 0)
                log_warning("%s: taking it although it is protected (%s), because its entry says "
                            "allow-protected = yes.",
                            d->address_str, refusal.message);
        return r;
}

int operation_reapply(Operations *o, const Config *c, const ConfigEntry *e, Refusal *refusal) {
        _cleanup_(plan_done) Plan plan = {};
        Device *d;
        int r;

        assert(o);
        assert(c);
        assert(e);
        r = manager_sync_group(o->manager, &e->address);
        if (r < 0)
                return refusal_set(refusal, PASSTHRU_ERROR_FAILED,
                                   "Could not read the device's driver (%s).", strerror(-r));
        d = manager_find_device(o->manager, &e->address);
        /* Already on vfio-pci (never touched: a guest may use it), moving now, or another
         * card in the slot than the one remembered (never taken, whoever calls). */
        if (!d || streq_ptr(d->driver, VFIO_PCI) || d->busy || d->stuck ||
            config_entry_state(e, d) == CONFIG_STATE_MISMATCH)
                return 0;
        r = reapply_plan(o, c, e, d, &plan, refusal);
        if (r < 0 || plan.n_moves == 0)
                return r < 0 ? r : 0;
        r = transaction_start(o->transactions, &plan, on_reapplied, o, refusal);
        return r < 0 ? r : 1;
}
