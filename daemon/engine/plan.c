/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "device-table.h"
#include "kmod.h"
#include "memstream.h"
#include "passthru-dbus.h"
#include "plan.h"
#include "refusal.h"
#include "safety.h"
#include "strv.h"

const char *bind_operation_to_string(BindOperation op) {
        return op == BIND_OPERATION_BIND ? "Bind" : "Unbind";
}

bool driver_name_is_valid(const char *name) {
        static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";

        return name && *name && strlen(name) <= 64 && name[strspn(name, allowed)] == '\0';
}

static void move_done(Move *mv) {
        free(mv->devpath);
        free(mv->from_driver);
        free(mv->from_override);
        free(mv->to_driver);
        free(mv->to_override);
        strv_free(mv->load_modules);
}

void plan_done(Plan *p) {
        for (size_t i = 0; i < p->n_moves; i++)
                move_done(&p->moves[i]);
        free(p->moves);
        *p = (Plan){};
}

bool move_is_override_only(const Move *mv) {
        return streq_ptr(mv->from_driver, VFIO_PCI) && streq_ptr(mv->to_driver, VFIO_PCI);
}

bool move_reached(const Move *mv, const char *driver) {
        if (!mv->to_driver)
                return !driver;
        if (streq(mv->to_driver, PLAN_HOST_DRIVER))
                return driver && !streq(driver, VFIO_PCI);
        return streq_ptr(driver, mv->to_driver);
}

void plan_keep_moves(Plan *p, bool (*keep)(const Move *mv, void *userdata), void *userdata) {
        size_t n = 0;

        assert(p);
        assert(keep);
        for (size_t i = 0; i < p->n_moves; i++)
                if (keep(&p->moves[i], userdata))
                        p->moves[n++] = p->moves[i];
                else
                        move_done(&p->moves[i]);
        p->n_moves = n;
}

const char *move_target_label(const Move *mv) {
        assert(mv);
        if (!mv->to_driver)
                return "";
        if (!streq(mv->to_driver, PLAN_HOST_DRIVER))
                return mv->to_driver;
        /* One host module for the device's modalias: that is the driver the kernel probes. */
        return strv_length(mv->load_modules) == 1 ? mv->load_modules[0] : PLAN_HOST_DRIVER_LABEL;
}

/* One operation per group at a time; a group with a hanging device waits for the kernel. */
static int check_idle(const DeviceTable *t, const Device *d, Refusal *refusal) {
        const Group *g = device_table_group_of(t, d);
        size_t n = g ? g->n_devices : 1;

        for (size_t i = 0; i < n; i++) {
                const Device *x = g ? g->devices[i] : d;

                if (x->stuck)
                        return refusal_set(refusal, PASSTHRU_ERROR_STUCK,
                                           "%s is stuck: an earlier driver change has not returned from the "
                                           "kernel. It is released when the kernel returns; close what uses "
                                           "the device, or reboot.",
                                           x->address_str);
        }
        for (size_t i = 0; i < n; i++) {
                const Device *x = g ? g->devices[i] : d;

                if (x->busy)
                        return refusal_set(
                                refusal, PASSTHRU_ERROR_BUSY,
                                "Another operation on IOMMU group %d (%s) is under way; try again "
                                "when it has finished.",
                                x->iommu_group, x->address_str);
        }
        return 0;
}

/* Bind without the group option: the mates must already be off the host. */
static int check_group_viable(const DeviceTable *t, const Device *d, Refusal *refusal) {
        _cleanup_(memstream_done) MemStream out = {};
        _cleanup_free_ char *names = NULL;
        const Group *g = device_table_group_of(t, d);
        bool any = false;
        FILE *f;

        if (!g)
                return 0;
        f = memstream_init(&out);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < g->n_devices; i++) {
                const Device *x = g->devices[i];

                if (x == d || x->is_bridge || group_driver_is_viable(x->driver))
                        continue;
                fprintf(f, "%s%s (%s)", any ? ", " : "", x->address_str, x->driver);
                any = true;
        }
        if (memstream_finalize(&out, &names) < 0)
                return -ENOMEM;
        if (!any)
                return 0;
        return refusal_set(
                refusal, PASSTHRU_ERROR_GROUP_NOT_VIABLE,
                "IOMMU group %d of %s also holds %s, still on host drivers; a VM can use the group "
                "only when all of them are off the host. Bind with the group option to move them "
                "together.",
                g->number, d->address_str, names);
}

/* The devices an operation acts on: the device itself, or every endpoint of its group. */
static int collect_members(const DeviceTable *t, Device *d, bool group, Device ***ret, size_t *ret_n) {
        const Group *g = group ? device_table_group_of(t, d) : NULL;
        Device **list = malloc(sizeof(Device *) * (g ? g->n_devices : 1));
        size_t n = 0;

        if (!list)
                return -ENOMEM;
        if (!g)
                list[n++] = d;
        for (size_t i = 0; g && i < g->n_devices; i++)
                if (!g->devices[i]->is_bridge)
                        list[n++] = g->devices[i];
        *ret = list;
        *ret_n = n;
        return 0;
}

/* The host modules the kernel offers for d (by its modalias) that match driver, or all of
 * them but vfio-pci for PLAN_HOST_DRIVER. Nothing else is ever loaded. */
static int offered_modules(const Device *d, const char *driver, char ***ret) {
        _cleanup_strv_free_ char **list = calloc(1, sizeof(char *));
        int r = 0;

        if (!list)
                return -ENOMEM;
        for (char **m = d->kernel_modules; m && *m && r >= 0; m++) {
                if (kmod_name_equal(*m, VFIO_PCI))
                        continue;
                if (streq(driver, PLAN_HOST_DRIVER) || kmod_name_equal(*m, driver))
                        r = strv_extend(&list, *m);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(list);
        return 0;
}

/* Unbind's driver option names a driver the kernel offers for the device (its modalias), a
 * PCI driver already loaded (driver_override binds it; nothing is loaded for it), or the one
 * recorded for it; never vfio-pci (that is Bind, with its checks). */
static int check_driver_option(const Device *d, const char *driver, bool loaded, Refusal *refusal) {
        _cleanup_strv_free_ char **offered = NULL;
        _cleanup_free_ char *list = NULL;
        int r;

        if (kmod_name_equal(driver, VFIO_PCI))
                return refusal_set(refusal, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                   "Unbind gives devices back to the host; use Bind to move %s to vfio-pci.",
                                   d->address_str);
        r = offered_modules(d, driver, &offered);
        if (r < 0)
                return r;
        if (offered[0] || loaded || streq_ptr(d->original_driver, driver))
                return 0;
        offered = strv_free(offered);
        r = offered_modules(d, PLAN_HOST_DRIVER, &offered);
        if (r < 0)
                return r;
        list = offered[0] ? strv_join(offered, ", ") : strdup("none");
        if (!list)
                return -ENOMEM;
        return refusal_set(refusal, PASSTHRU_ERROR_INVALID_ARGUMENT,
                           "%s is neither loaded nor a driver the kernel offers for %s (it offers: %s).",
                           driver, d->address_str, list);
}

/* Where Unbind sends a device: the driver option, else the recorded driver (none if it had
 * none), else whichever host driver probes it. */
static int unbind_target(const Device *d, const char *driver, Move *mv) {
        const char *target;
        int r;

        if (driver)
                target = driver;
        else if (d->original_driver && !streq(d->original_driver, VFIO_PCI))
                target = *d->original_driver ? d->original_driver : NULL;
        else
                target = PLAN_HOST_DRIVER;
        if (free_and_strdup(&mv->to_driver, target) < 0)
                return -ENOMEM;
        if (d->original_driver && !streq_ptr(d->original_override, VFIO_PCI) &&
            free_and_strdup(&mv->to_override, d->original_override) < 0)
                return -ENOMEM;
        if (!target)
                return 0;
        r = offered_modules(d, target, &mv->load_modules);
        return r < 0 ? r : 0;
}

static bool needs_move(const Device *d, const BindRequest *req) {
        if (req->op == BIND_OPERATION_BIND)
                return !streq_ptr(d->driver, VFIO_PCI) || !streq_ptr(d->driver_override, VFIO_PCI);
        if (req->driver)
                return !streq_ptr(d->driver, req->driver);
        /* Back to the host: off vfio-pci, or to the recorded driver it was moved away from. */
        if (d->original_driver && !streq(d->original_driver, VFIO_PCI) &&
            !streq(d->original_driver, strempty(d->driver)))
                return true;
        return streq_ptr(d->driver, VFIO_PCI) || streq_ptr(d->driver_override, VFIO_PCI);
}

/* The one gate: every move passes Bind's protections (console, root disk, network,
 * bridges, SR-IOV PFs, open handles), except giving a device back from vfio-pci or
 * pci-stub to the host, which must only not pull it from under a VM. */
static int gate(SafetyHost *host, const Device *x, const Move *mv, bool force, Refusal *refusal) {
        bool to_vfio = streq_ptr(mv->to_driver, VFIO_PCI);
        bool from_vfio = streq_ptr(x->driver, VFIO_PCI);
        bool giving_back = !to_vfio && (from_vfio || streq_ptr(x->driver, "pci-stub"));
        int r;

        if (!giving_back) {
                r = safety_refuse_bind(host, x, force, refusal);
                if (r < 0)
                        return r;
        }
        if (from_vfio && !to_vfio)
                return safety_refuse_unbind(host, x, refusal);
        return 0;
}

static int move_init(Move *mv, const Device *d) {
        mv->address = d->address;
        memcpy(mv->address_str, d->address_str, sizeof(mv->address_str));
        if (free_and_strdup(&mv->devpath, d->devpath) < 0 ||
            free_and_strdup(&mv->from_driver, d->driver) < 0 ||
            free_and_strdup(&mv->from_override, d->driver_override) < 0)
                return -ENOMEM;
        return 0;
}

static int move_target(const Device *x, const BindRequest *req, Move *mv, Refusal *refusal) {
        int r;

        if (req->op == BIND_OPERATION_BIND)
                return free_and_strdup(&mv->to_driver, VFIO_PCI) < 0 ||
                                       free_and_strdup(&mv->to_override, VFIO_PCI) < 0
                               ? -ENOMEM
                               : 0;
        if (req->driver) {
                r = check_driver_option(x, req->driver, req->driver_loaded, refusal);
                if (r < 0)
                        return r;
        }
        return unbind_target(x, req->driver, mv);
}

static bool may_force(const BindRequest *req, const Device *d) {
        if (!req->force || req->op != BIND_OPERATION_BIND)
                return false;
        return !req->may_force || req->may_force(d, req->may_force_data);
}

static int plan_members(const DeviceTable *t, SafetyHost *host, const BindRequest *req, Device **members,
                        size_t n, Plan *p, Refusal *refusal) {
        int r;

        p->moves = calloc(n, sizeof(Move));
        if (!p->moves)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                Move *mv = &p->moves[p->n_moves];

                if (!needs_move(members[i], req))
                        continue;
                p->n_moves++;
                r = move_init(mv, members[i]);
                if (r >= 0)
                        r = move_target(members[i], req, mv, refusal);
                /* Setting the override of a device on vfio-pci moves nothing, so a VM may hold
                 * it; what keeping it there needs still holds (keep gate). */
                if (r >= 0)
                        r = move_is_override_only(mv)
                                    ? safety_refuse_keep(host, members[i], may_force(req, members[i]),
                                                         refusal)
                                    : gate(host, members[i], mv, may_force(req, members[i]), refusal);
                if (r < 0)
                        return r;
        }
        return 0;
}

int plan_make(const DeviceTable *t, SafetyHost *host, const BindRequest *req, Plan *ret, Refusal *refusal) {
        _cleanup_free_ Device **members = NULL;
        Plan p = { .op = req->op, .group = -1 };
        Device *d;
        size_t n;
        int r;

        assert(t);
        assert(req);
        assert(ret);
        d = device_table_find(t, &req->address);
        if (!d)
                return refusal_no_such_device(refusal, &req->address);
        if (req->driver && !driver_name_is_valid(req->driver))
                return refusal_set(refusal, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                   "The driver option must be a kernel driver name such as e1000e.");
        r = check_idle(t, d, refusal);
        if (r < 0)
                return r;
        /* The group option takes endpoints only: a bridge named itself is refused here. */
        if (req->op == BIND_OPERATION_BIND && d->is_bridge)
                return safety_refuse_bind(host, d, false, refusal);
        if (req->op == BIND_OPERATION_BIND && !req->group) {
                r = check_group_viable(t, d, refusal);
                if (r < 0)
                        return r;
        }
        r = collect_members(t, d, req->group, &members, &n);
        if (r >= 0)
                r = plan_members(t, host, req, members, n, &p, refusal);
        if (r < 0) {
                plan_done(&p);
                return r;
        }
        p.group = d->iommu_group;
        *ret = p;
        return 0;
}
