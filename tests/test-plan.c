/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The planner (daemon/engine/plan.c) as a pure function: device tables built in memory, one row
 * per case, no daemon, no bus, no sysfs. Each case names the request and either the moves
 * it must plan or the refusal it must give. */
#include <glib.h>

#include "device-table.h"
#include "passthru-dbus.h"
#include "plan.h"
#include "refusal.h"
#include "strv.h"

/* One PCI function of a table. */
typedef struct FakeDevice {
        const char *address;
        uint16_t vendor, device;
        uint32_t class_code;
        const char *driver;  /* NULL: unbound */
        int group;           /* -1: no IOMMU */
        const char *modules; /* space-separated KernelModules */
        bool bridge, boot_vga, busy, stuck;
        unsigned numvfs;
        const char *original; /* recorded original driver ("" = was unbound) */
        const char *override; /* driver_override */
} FakeDevice;

static Device *fake_device(const FakeDevice *f) {
        Device *d = g_new0(Device, 1);

        g_assert_cmpint(pci_address_parse(f->address, &d->address), ==, 0);
        pci_address_format(&d->address, d->address_str);
        pci_address_to_object_path(&d->address, d->object_path);
        d->devpath = g_strdup_printf("/devices/pci0000:00/%s", d->address_str);
        d->vendor_id = f->vendor;
        d->device_id = f->device;
        d->class_code = f->class_code;
        d->is_bridge = f->bridge;
        d->driver = g_strdup(f->driver);
        d->iommu_group = f->group;
        d->boot_vga = f->boot_vga;
        d->busy = f->busy;
        d->stuck = f->stuck;
        d->sriov_numvfs = f->numvfs;
        d->original_driver = g_strdup(f->original);
        d->driver_override = g_strdup(f->override);
        g_assert_cmpint(strv_split(f->modules ?: "", " ", &d->kernel_modules), ==, 0);
        return d;
}

static void table_build(DeviceTable *t, const FakeDevice *devices) {
        Group **old;
        size_t n_old;

        for (const FakeDevice *f = devices; f->address; f++)
                g_assert_cmpint(device_table_insert(t, fake_device(f)), ==, 0);
        g_assert_cmpint(device_table_rebuild_groups(t, &old, &n_old), ==, 0);
        groups_free(old, n_old);
}

#define GPU(addr, drv, grp) \
        { addr, 0x10de, 0x1b80, 0x030000, drv, grp, "nouveau" }
#define AUDIO(addr, drv, grp) \
        { addr, 0x10de, 0x10f0, 0x040300, drv, grp, "snd_hda_intel" }
#define NIC(addr, drv, grp) \
        { addr, 0x8086, 0x10d3, 0x020000, drv, grp, "e1000e" }

/* A host with every shape the cases need. */
static const FakeDevice host[] = {
        { "0000:00:01.0", 0x8086, 0x1901, 0x060400, "pcieport", 1, "", .bridge = true },
        GPU("0000:01:00.0", "nouveau", 2),
        AUDIO("0000:01:00.1", "snd_hda_intel", 2),
        /* A conventional PCI bridge and the two devices behind it share group 3. */
        { "0000:02:00.0", 0x104c, 0x8240, 0x060400, NULL, 3, "", .bridge = true },
        NIC("0000:03:00.0", "e1000e", 3),
        { "0000:03:01.0", 0x1234, 0x11e8, 0x00ff00, NULL, 3, "" },
        /* The boot VGA with the console (no host view: assumed on it). */
        { "0000:00:02.0", 0x1234, 0x1111, 0x030000, "bochs-drm", 4, "bochs_drm", .boot_vga = true },
        /* An SR-IOV PF with VFs enabled, and one of its VFs. */
        { "0000:04:00.0", 0x8086, 0x10c9, 0x020000, "igb", 5, "igb", .numvfs = 2 },
        { "0000:04:10.0", 0x8086, 0x10ca, 0x020000, "igbvf", 6, "igbvf vfio_pci" },
        /* Identical twins, each in its own group. */
        NIC("0000:05:00.0", "e1000e", 7),
        NIC("0000:06:00.0", "e1000e", 8),
        /* On vfio-pci, with the driver it had recorded. */
        { "0000:07:00.0", 0x8086, 0x10d3, 0x020000, "vfio-pci", 9, "e1000e", .original = "e1000e",
          .override = "vfio-pci" },
        /* On vfio-pci, nothing recorded. */
        { "0000:08:00.0", 0x8086, 0x10d3, 0x020000, "vfio-pci", 10, "e1000e" },
        /* On vfio-pci, nothing recorded, and no host module for its modalias. */
        { "0000:0d:00.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 15, "" },
        /* Moved to pci-stub by Unbind's driver option; the record says where it came from. */
        { "0000:0c:00.0", 0x8086, 0x10d3, 0x020000, "pci-stub", 14, "e1000e", .original = "e1000e" },
        /* Busy and stuck groups. */
        NIC("0000:09:00.0", "e1000e", 11),
        { "0000:0a:00.0", 0x8086, 0x10d3, 0x020000, "e1000e", 12, "e1000e", .busy = true },
        { "0000:0b:00.0", 0x8086, 0x10d3, 0x020000, "e1000e", 13, "e1000e", .stuck = true },
        {},
};

/* Without an IOMMU: no groups at all. */
static const FakeDevice no_iommu[] = {
        NIC("0000:05:00.0", "e1000e", -1),
        {},
};

typedef struct PlanCase {
        const char *name;
        const FakeDevice *table;
        BindOperation op;
        const char *address;
        bool group, force, driver_loaded;
        const char *driver;
        /* Either the refusal's error name and a piece of its sentence... */
        const char *error, *says;
        /* ...or the moves: "ADDRESS:FROM>TO" each, space-separated, TO as the plan shows it. */
        const char *moves;
        const char *load; /* Unbind: the modules of the first move, space-separated */
} PlanCase;

static const PlanCase cases[] = {
        { "gpu-alone-half-group", host, BIND_OPERATION_BIND, "01:00.0",
          .error = PASSTHRU_ERROR_GROUP_NOT_VIABLE, .says = "0000:01:00.1 (snd_hda_intel)" },
        { "gpu-with-audio", host, BIND_OPERATION_BIND, "01:00.0", .group = true,
          .moves = "0000:01:00.0:nouveau>vfio-pci 0000:01:00.1:snd_hda_intel>vfio-pci" },
        { "bridge-group-endpoints", host, BIND_OPERATION_BIND, "03:00.0", .group = true,
          .moves = "0000:03:00.0:e1000e>vfio-pci 0000:03:01.0:>vfio-pci" },
        { "bridge-itself", host, BIND_OPERATION_BIND, "02:00.0", .group = true,
          .error = PASSTHRU_ERROR_PROTECTED_DEVICE, .says = "bridge" },
        { "root-port", host, BIND_OPERATION_BIND, "00:01.0", .error = PASSTHRU_ERROR_PROTECTED_DEVICE },
        { "boot-vga", host, BIND_OPERATION_BIND, "00:02.0", .error = PASSTHRU_ERROR_PROTECTED_DEVICE,
          .says = "force" },
        { "boot-vga-forced", host, BIND_OPERATION_BIND, "00:02.0", .force = true,
          .moves = "0000:00:02.0:bochs-drm>vfio-pci" },
        { "pf-with-vfs", host, BIND_OPERATION_BIND, "04:00.0", .error = PASSTHRU_ERROR_PROTECTED_DEVICE,
          .says = "virtual functions" },
        { "pf-with-vfs-forced", host, BIND_OPERATION_BIND, "04:00.0", .force = true,
          .error = PASSTHRU_ERROR_PROTECTED_DEVICE },
        { "vf", host, BIND_OPERATION_BIND, "04:10.0", .moves = "0000:04:10.0:igbvf>vfio-pci" },
        { "no-iommu", no_iommu, BIND_OPERATION_BIND, "05:00.0", .error = PASSTHRU_ERROR_NO_IOMMU },
        { "twin-stays", host, BIND_OPERATION_BIND, "05:00.0", .group = true,
          .moves = "0000:05:00.0:e1000e>vfio-pci" },
        { "already-bound", host, BIND_OPERATION_BIND, "07:00.0", .moves = "" },
        { "busy", host, BIND_OPERATION_BIND, "0a:00.0", .error = PASSTHRU_ERROR_BUSY },
        { "stuck", host, BIND_OPERATION_UNBIND, "0b:00.0", .error = PASSTHRU_ERROR_STUCK },
        { "no-such-device", host, BIND_OPERATION_BIND, "0f:00.0", .error = PASSTHRU_ERROR_NO_SUCH_DEVICE },
        { "unbind-recorded", host, BIND_OPERATION_UNBIND, "07:00.0", .moves = "0000:07:00.0:vfio-pci>e1000e",
          .load = "e1000e" },
        { "unbind-native", host, BIND_OPERATION_UNBIND, "08:00.0", .moves = "0000:08:00.0:vfio-pci>e1000e",
          .load = "e1000e" },
        { "unbind-no-host-module", host, BIND_OPERATION_UNBIND, "0d:00.0",
          .moves = "0000:0d:00.0:vfio-pci>whichever host driver claims it" },
        { "unbind-on-host-driver", host, BIND_OPERATION_UNBIND, "05:00.0", .moves = "" },
        { "unbind-back-from-stub", host, BIND_OPERATION_UNBIND, "0c:00.0",
          .moves = "0000:0c:00.0:pci-stub>e1000e" },
        { "unbind-driver-offered", host, BIND_OPERATION_UNBIND, "08:00.0", .driver = "e1000e",
          .moves = "0000:08:00.0:vfio-pci>e1000e", .load = "e1000e" },
        { "unbind-driver-loaded", host, BIND_OPERATION_UNBIND, "08:00.0", .driver = "pci-stub",
          .driver_loaded = true, .moves = "0000:08:00.0:vfio-pci>pci-stub", .load = "" },
        { "unbind-driver-unknown", host, BIND_OPERATION_UNBIND, "08:00.0", .driver = "evil",
          .error = PASSTHRU_ERROR_INVALID_ARGUMENT, .says = "it offers: e1000e" },
        { "unbind-driver-vfio", host, BIND_OPERATION_UNBIND, "05:00.0", .driver = "vfio-pci",
          .driver_loaded = true, .error = PASSTHRU_ERROR_INVALID_ARGUMENT, .says = "use Bind" },
        { "unbind-driver-vfio-underscore", host, BIND_OPERATION_UNBIND, "05:00.0", .driver = "vfio_pci",
          .driver_loaded = true, .error = PASSTHRU_ERROR_INVALID_ARGUMENT },
        { "unbind-driver-bad-name", host, BIND_OPERATION_UNBIND, "08:00.0", .driver = "../x",
          .error = PASSTHRU_ERROR_INVALID_ARGUMENT, .says = "driver name" },
        /* Taking a device from its host driver to another passes every protection. */
        { "unbind-driver-boot-vga", host, BIND_OPERATION_UNBIND, "00:02.0", .driver = "pci-stub",
          .driver_loaded = true, .error = PASSTHRU_ERROR_PROTECTED_DEVICE },
        { "unbind-driver-pf", host, BIND_OPERATION_UNBIND, "04:00.0", .driver = "pci-stub",
          .driver_loaded = true, .error = PASSTHRU_ERROR_PROTECTED_DEVICE },
        { "unbind-driver-bridge", host, BIND_OPERATION_UNBIND, "02:00.0", .driver = "pci-stub",
          .driver_loaded = true, .error = PASSTHRU_ERROR_PROTECTED_DEVICE, .says = "bridge" },
        { "unbind-driver-host-to-host", host, BIND_OPERATION_UNBIND, "05:00.0", .driver = "pci-stub",
          .driver_loaded = true, .moves = "0000:05:00.0:e1000e>pci-stub" },
};

static char *describe_moves(const Plan *p) {
        GString *s = g_string_new(NULL);

        for (size_t i = 0; i < p->n_moves; i++)
                g_string_append_printf(s, "%s%s:%s>%s", i ? " " : "", p->moves[i].address_str,
                                       strempty(p->moves[i].from_driver), move_target_label(&p->moves[i]));
        return g_string_free(s, FALSE);
}

static void test_case(gconstpointer data) {
        const PlanCase *c = data;
        _cleanup_(refusal_done) Refusal refusal = {};
        _cleanup_(plan_done) Plan plan = {};
        DeviceTable t = {};
        BindRequest req = { .op = c->op,
                            .group = c->group,
                            .force = c->force,
                            .driver = c->driver,
                            .driver_loaded = c->driver_loaded };
        int r;

        table_build(&t, c->table);
        g_assert_cmpint(pci_address_parse(c->address, &req.address), ==, 0);
        r = plan_make(&t, NULL, &req, &plan, &refusal);
        if (c->error) {
                g_assert_cmpint(r, <, 0);
                g_assert_cmpstr(refusal.name, ==, c->error);
                g_assert_nonnull(refusal.message);
                if (c->says && !strstr(refusal.message, c->says))
                        g_error("refusal '%s' does not say '%s'", refusal.message, c->says);
                g_assert_cmpuint(plan.n_moves, ==, 0);
        } else {
                g_autofree char *moves = NULL;

                if (r < 0)
                        g_error("refused: %s: %s", refusal.name, refusal.message);
                moves = describe_moves(&plan);
                g_assert_cmpstr(moves, ==, c->moves);
                if (c->load) {
                        g_autofree char *load =
                                g_strjoinv(" ", plan.moves[0].load_modules ?: (char *[]){ NULL });

                        g_assert_cmpstr(load, ==, c->load);
                }
        }
        device_table_done(&t);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *path = g_strdup_printf("/plan/%s", cases[i].name);

                g_test_add_data_func(path, &cases[i], test_case);
        }
        return g_test_run();
}
