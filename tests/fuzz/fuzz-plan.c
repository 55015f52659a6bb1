/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The planner — the one gate — on device tables and requests made of arbitrary bytes. Every
 * plan it makes must keep the promises: no bridge, no SR-IOV PF with VFs enabled, no boot
 * VGA without force ever leaves its driver; Unbind never sends a device to vfio-pci; a
 * busy or stuck group is never touched; every move leaves the host only for vfio-pci or a
 * driver the kernel offers, a loaded one, or the recorded one. */
#include "device-table.h"
#include "fuzz.h"
#include "plan.h"
#include "refusal.h"
#include "strv.h"

static const char *const drivers[] = { NULL,       "vfio-pci", "e1000e",   "nvme",
                                       "pci-stub", "pcieport", "bochs-drm" };

/* Six bytes a device: bus, devfn, group, flags, driver, original driver. */
static Device *device_from(const uint8_t *b) {
        Device *d = calloc(1, sizeof(Device));

        if (!d)
                return NULL;
        d->address = (PciAddress){ .bus = b[0], .slot = (b[1] >> 3) & 0x1f, .function = b[1] & 7 };
        pci_address_format(&d->address, d->address_str);
        pci_address_to_object_path(&d->address, d->object_path);
        d->iommu_group = b[2] % 9 == 8 ? -1 : b[2] % 9;
        d->is_bridge = b[3] & 1;
        d->boot_vga = b[3] & 2;
        d->busy = (b[3] & 0x1c) == 0x04;
        d->stuck = (b[3] & 0x1c) == 0x08;
        d->sriov_numvfs = (b[3] & 0x20) ? 2 : 0;
        if (asprintf(&d->devpath, "/devices/pci0000:00/%s", d->address_str) < 0 ||
            free_and_strdup(&d->driver, drivers[b[4] % ELEMENTSOF(drivers)]) < 0 ||
            free_and_strdup(&d->driver_override, (b[3] & 0x40) ? "vfio-pci" : NULL) < 0 ||
            (b[5] % 4 == 1 && free_and_strdup(&d->original_driver, "e1000e") < 0) ||
            (b[5] % 4 == 2 && free_and_strdup(&d->original_driver, "") < 0) ||
            strv_split((b[3] & 0x80) ? "e1000e vfio_pci" : "nvme", " ", &d->kernel_modules) < 0)
                return device_free(d);
        return d;
}

static bool allowed_target(const Device *d, const Move *mv, const BindRequest *req) {
        if (!mv->to_driver || streq(mv->to_driver, PLAN_HOST_DRIVER))
                return true;
        if (streq(mv->to_driver, VFIO_PCI))
                return req->op == BIND_OPERATION_BIND;
        return strv_contains(d->kernel_modules, mv->to_driver) ||
               streq_ptr(d->original_driver, mv->to_driver) ||
               (req->driver_loaded && streq_ptr(req->driver, mv->to_driver));
}

static void check_plan(const DeviceTable *t, const BindRequest *req, const Plan *p) {
        for (size_t i = 0; i < p->n_moves; i++) {
                const Move *mv = &p->moves[i];
                const Device *d = device_table_find(t, &mv->address);
                bool giving_back;

                if (!d || d->busy || d->stuck || !allowed_target(d, mv, req))
                        abort();
                giving_back = streq_ptr(d->driver, VFIO_PCI) || streq_ptr(d->driver, "pci-stub");
                if (!giving_back || streq_ptr(mv->to_driver, VFIO_PCI)) {
                        if (d->is_bridge || d->sriov_numvfs > 0 || d->iommu_group < 0)
                                abort();
                        if (d->boot_vga && !(req->force && req->op == BIND_OPERATION_BIND))
                                abort();
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const options[] = { NULL,       "e1000e", "vfio-pci", "vfio_pci",
                                               "pci-stub", "nvme",   "../x" };
        _cleanup_(refusal_done) Refusal refusal = {};
        _cleanup_(plan_done) Plan plan = {};
        DeviceTable t = {};
        BindRequest req;
        Group **old;
        size_t n_old;

        fuzz_quiet();
        if (size < 4)
                return 0;
        /* The request: op, group, force, driver option, the device it names. */
        req = (BindRequest){
                .op = data[0] & 1 ? BIND_OPERATION_UNBIND : BIND_OPERATION_BIND,
                .group = data[0] & 2,
                .force = data[0] & 4,
                .driver_loaded = data[0] & 8,
                .driver = options[data[1] % ELEMENTSOF(options)],
                .address = { .bus = data[2], .slot = (data[3] >> 3) & 0x1f, .function = data[3] & 7 }
        };
        for (size_t i = 4; i + 6 <= size && t.n_devices < 64; i += 6) {
                Device *d = device_from(data + i);

                if (!d)
                        break;
                if (device_table_insert(&t, d) < 0)
                        device_free(d);
        }
        if (device_table_rebuild_groups(&t, &old, &n_old) >= 0) {
                groups_free(old, n_old);
                if (plan_make(&t, NULL, &req, &plan, &refusal) >= 0)
                        check_plan(&t, &req, &plan);
                else if (refusal.name && (!refusal.message || !utf8_is_valid(refusal.message)))
                        abort();
        }
        device_table_done(&t);
        return 0;
}
