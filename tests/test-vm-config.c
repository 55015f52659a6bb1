/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM configuration generator (daemon/engine/vm-config.c) as a pure function: one device table
 * built in memory, one row per case with the exact snippet it must give. Every libvirt
 * snippet is also wrapped in a minimal domain and checked against libvirt's own schema with
 * virt-xml-validate (libvirt-clients). */
#include <glib.h>
#include <glib/gstdio.h>

#include "device-table.h"
#include "passthru-dbus.h"
#include "refusal.h"
#include "strv.h"
#include "vm-config.h"

/* Only what the generator looks at: where a function is, its driver, its group. */
typedef struct Function {
        const char *address;
        const char *driver; /* NULL: unbound */
        int group;          /* -1: no IOMMU */
        bool bridge;
        const char *blocker; /* one of its Blockers, or NULL */
} Function;

static const Function host[] = {
        { "0000:00:01.0", "pcieport", 1, .bridge = true },
        /* A GPU and its audio function, on their host drivers. */
        { "0000:01:00.0", "nouveau", 2 },
        { "0000:01:00.1", "snd_hda_intel", 2 },
        /* A conventional bridge and two devices behind it, one group. */
        { "0000:02:00.0", NULL, 3, .bridge = true },
        { "0000:03:00.0", "e1000e", 3 },
        { "0000:03:01.0", NULL, 3 },
        /* A two-function NIC, already on vfio-pci. */
        { "0000:04:00.0", "vfio-pci", 4 },
        { "0000:04:00.1", "vfio-pci", 4 },
        /* Function 0 in a group of its own, functions 1 and 2 in another. */
        { "0000:07:00.0", "igb", 8 },
        { "0000:07:00.1", "igb", 9 },
        { "0000:07:00.2", "igb", 9 },
        /* An SR-IOV VF on vfio-pci. */
        { "0000:08:10.0", "vfio-pci", 10 },
        /* The boot VGA, with the reason passthru will not take it. */
        { "0000:00:02.0", "bochs-drm", 11,
          .blocker = "It is the boot VGA device and the host console is on it." },
        {},
};

static const Function no_iommu[] = {
        { "0000:05:00.0", "e1000e", -1 },
        {},
};

static void table_build(DeviceTable *t, const Function *functions) {
        Group **old;
        size_t n_old;

        for (const Function *f = functions; f->address; f++) {
                Device *d = g_new0(Device, 1);

                g_assert_cmpint(pci_address_parse(f->address, &d->address), ==, 0);
                pci_address_format(&d->address, d->address_str);
                d->driver = g_strdup(f->driver);
                d->iommu_group = f->group;
                d->is_bridge = f->bridge;
                if (f->blocker)
                        g_assert_cmpint(strv_extend(&d->blockers, f->blocker), ==, 0);
                g_assert_cmpint(device_table_insert(t, d), ==, 0);
        }
        g_assert_cmpint(device_table_rebuild_groups(t, &old, &n_old), ==, 0);
        groups_free(old, n_old);
}

typedef struct VmCase {
        const char *name;
        const Function *table;
        const char *address;
        VmFormat format;
        /* Either the refusal's error name... */
        const char *error;
        /* ...or the snippet, the functions it gives and those not on vfio-pci (space-separated),
         * the command that binds them (NULL: ready) and a piece of one note (NULL: any). */
        const char *text, *devices, *pending, *bind, *note;
} VmCase;

#define HOSTDEV(source, guest)                                 \
        "<hostdev mode='subsystem' type='pci' managed='no'>\n" \
        "  <source>\n"                                         \
        "    <address domain='0x0000' " source "/>\n"          \
        "  </source>\n" guest "</hostdev>\n"
#define GUEST(slot_function) "  <address type='pci' domain='0x0000' bus='0x00' " slot_function "/>\n"

static const VmCase cases[] = {
        { "gpu-libvirt", host, "01:00.0", VM_FORMAT_LIBVIRT,
          .text = HOSTDEV("bus='0x01' slot='0x00' function='0x0'",
                          GUEST("slot='0x10' function='0x0' multifunction='on'"))
                  HOSTDEV("bus='0x01' slot='0x00' function='0x1'", GUEST("slot='0x10' function='0x1'")),
          .devices = "0000:01:00.0 0000:01:00.1", .pending = "0000:01:00.0 0000:01:00.1",
          .bind = "passthructl bind --group 0000:01:00.0", .note = "guest slot on bus 0" },
        { "gpu-qemu", host, "01:00.0", VM_FORMAT_QEMU,
          .text = "-device vfio-pci,host=0000:01:00.0,id=hostdev0,addr=0x10.0,multifunction=on\n"
                  "-device vfio-pci,host=0000:01:00.1,id=hostdev1,addr=0x10.1\n",
          .devices = "0000:01:00.0 0000:01:00.1", .pending = "0000:01:00.0 0000:01:00.1",
          .bind = "passthructl bind --group 0000:01:00.0" },
        /* Asked for the audio function, the GPU comes along, in the same order. */
        { "audio-brings-gpu", host, "01:00.1", VM_FORMAT_QEMU,
          .text = "-device vfio-pci,host=0000:01:00.0,id=hostdev0,addr=0x10.0,multifunction=on\n"
                  "-device vfio-pci,host=0000:01:00.1,id=hostdev1,addr=0x10.1\n",
          .devices = "0000:01:00.0 0000:01:00.1", .pending = "0000:01:00.0 0000:01:00.1",
          .bind = "passthructl bind --group 0000:01:00.1" },
        { "gpu-proxmox", host, "01:00.0", VM_FORMAT_PROXMOX,
          .text = "qm set VMID -hostpci0 0000:01:00,pcie=1\n", .devices = "0000:01:00.0 0000:01:00.1",
          .pending = "0000:01:00.0 0000:01:00.1", .bind = "passthructl bind --group 0000:01:00.0",
          .note = "q35" },
        /* Behind a conventional bridge: the endpoints travel, the bridge stays; two devices,
         * each a slot of its own, placed by the VMM. */
        { "behind-bridge-libvirt", host, "03:00.0", VM_FORMAT_LIBVIRT,
          .text = HOSTDEV("bus='0x03' slot='0x00' function='0x0'", "")
                  HOSTDEV("bus='0x03' slot='0x01' function='0x0'", ""),
          .devices = "0000:03:00.0 0000:03:01.0", .pending = "0000:03:00.0 0000:03:01.0",
          .bind = "passthructl bind --group 0000:03:00.0", .note = "hook" },
        { "behind-bridge-proxmox", host, "03:01.0", VM_FORMAT_PROXMOX,
          .text = "qm set VMID -hostpci0 0000:03:00.0,pcie=1\nqm set VMID -hostpci1 0000:03:01.0,pcie=1\n",
          .devices = "0000:03:00.0 0000:03:01.0", .pending = "0000:03:00.0 0000:03:01.0",
          .bind = "passthructl bind --group 0000:03:01.0" },
        { "bridge-itself", host, "02:00.0", VM_FORMAT_LIBVIRT, .error = PASSTHRU_ERROR_INVALID_ARGUMENT },
        { "no-such-device", host, "0f:00.0", VM_FORMAT_QEMU, .error = PASSTHRU_ERROR_NO_SUCH_DEVICE },
        { "ready-nic-qemu", host, "04:00.1", VM_FORMAT_QEMU,
          .text = "-device vfio-pci,host=0000:04:00.0,id=hostdev0,addr=0x10.0,multifunction=on\n"
                  "-device vfio-pci,host=0000:04:00.1,id=hostdev1,addr=0x10.1\n",
          .devices = "0000:04:00.0 0000:04:00.1", .pending = "", .bind = NULL },
        { "ready-nic-libvirt", host, "04:00.0", VM_FORMAT_LIBVIRT,
          .text = HOSTDEV("bus='0x04' slot='0x00' function='0x0'",
                          GUEST("slot='0x10' function='0x0' multifunction='on'"))
                  HOSTDEV("bus='0x04' slot='0x00' function='0x1'", GUEST("slot='0x10' function='0x1'")),
          .devices = "0000:04:00.0 0000:04:00.1", .pending = "", .bind = NULL },
        /* Functions 1 and 2 without function 0: the guest sees them as 0 and 1. */
        { "part-of-device-qemu", host, "07:00.2", VM_FORMAT_QEMU,
          .text = "-device vfio-pci,host=0000:07:00.1,id=hostdev0,addr=0x10.0,multifunction=on\n"
                  "-device vfio-pci,host=0000:07:00.2,id=hostdev1,addr=0x10.1\n",
          .devices = "0000:07:00.1 0000:07:00.2", .pending = "0000:07:00.1 0000:07:00.2",
          .bind = "passthructl bind --group 0000:07:00.2" },
        { "part-of-device-proxmox", host, "07:00.1", VM_FORMAT_PROXMOX,
          .text = "qm set VMID -hostpci0 0000:07:00.1;0000:07:00.2,pcie=1\n",
          .devices = "0000:07:00.1 0000:07:00.2", .pending = "0000:07:00.1 0000:07:00.2",
          .bind = "passthructl bind --group 0000:07:00.1" },
        { "function-0-alone-proxmox", host, "07:00.0", VM_FORMAT_PROXMOX,
          .text = "qm set VMID -hostpci0 0000:07:00.0,pcie=1\n", .devices = "0000:07:00.0",
          .pending = "0000:07:00.0", .bind = "passthructl bind 0000:07:00.0" },
        { "vf-qemu", host, "08:10.0", VM_FORMAT_QEMU,
          .text = "-device vfio-pci,host=0000:08:10.0,id=hostdev0\n", .devices = "0000:08:10.0",
          .pending = "", .bind = NULL },
        { "vf-libvirt", host, "08:10.0", VM_FORMAT_LIBVIRT,
          .text = HOSTDEV("bus='0x08' slot='0x10' function='0x0'", ""), .devices = "0000:08:10.0",
          .pending = "", .bind = NULL },
        { "protected-says-why", host, "00:02.0", VM_FORMAT_LIBVIRT,
          .text = HOSTDEV("bus='0x00' slot='0x02' function='0x0'", ""), .devices = "0000:00:02.0",
          .pending = "0000:00:02.0", .bind = "passthructl bind 0000:00:02.0", .note = "boot VGA" },
        { "no-iommu", no_iommu, "05:00.0", VM_FORMAT_QEMU,
          .text = "-device vfio-pci,host=0000:05:00.0,id=hostdev0\n", .devices = "0000:05:00.0",
          .pending = "0000:05:00.0", .bind = "passthructl bind 0000:05:00.0", .note = "IOMMU is off" },
};

/* libvirt's schema on the snippet, inside the smallest domain it accepts. */
static void validate_libvirt(const char *snippet) {
        g_autofree char *validator = g_find_program_in_path("virt-xml-validate");
        g_autofree char *dir = NULL, *path = NULL, *domain = NULL, *out = NULL, *err = NULL;
        g_autoptr(GError) error = NULL;
        int status;

        if (!validator) {
                g_test_skip("virt-xml-validate not installed (libvirt-clients): the schema is not checked");
                return;
        }
        dir = g_dir_make_tmp("vm-config-XXXXXX", &error);
        g_assert_no_error(error);
        path = g_build_filename(dir, "domain.xml", NULL);
        domain = g_strdup_printf("<domain type='kvm'>\n<name>t</name>\n<memory>65536</memory>\n"
                                 "<os><type arch='x86_64' machine='q35'>hvm</type></os>\n"
                                 "<devices>\n%s</devices>\n</domain>\n",
                                 snippet);
        g_assert_true(g_file_set_contents(path, domain, -1, &error));
        g_assert_true(g_spawn_sync(NULL, (char *[]){ validator, path, (char *) "domain", NULL }, NULL,
                                   G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
        if (!g_spawn_check_wait_status(status, NULL))
                g_error("virt-xml-validate refused:\n%s\n%s%s", domain, out, err);
        g_unlink(path);
        g_rmdir(dir);
}

static char *joined(char **l) {
        return g_strjoinv(" ", l ?: (char *[]){ NULL });
}

static bool notes_say(char **notes, const char *what) {
        for (char **n = notes; n && *n; n++)
                if (strstr(*n, what))
                        return true;
        return false;
}

static void test_case(gconstpointer data) {
        const VmCase *c = data;
        _cleanup_(refusal_done) Refusal refusal = {};
        _cleanup_(vm_config_done) VmConfig config = {};
        g_autofree char *devices = NULL, *pending = NULL;
        DeviceTable t = {};
        PciAddress a;
        int r;

        table_build(&t, c->table);
        g_assert_cmpint(pci_address_parse(c->address, &a), ==, 0);
        r = vm_config_make(&t, &a, c->format, &config, &refusal);
        device_table_done(&t);
        if (c->error) {
                g_assert_cmpint(r, <, 0);
                g_assert_cmpstr(refusal.name, ==, c->error);
                g_assert_nonnull(refusal.message);
                g_assert_null(config.text);
                return;
        }
        if (r < 0)
                g_error("refused: %s: %s", refusal.name, refusal.message);
        g_assert_cmpstr(config.text, ==, c->text);
        devices = joined(config.devices);
        pending = joined(config.pending);
        g_assert_cmpstr(devices, ==, c->devices);
        g_assert_cmpstr(pending, ==, c->pending);
        g_assert_cmpstr(config.bind_command, ==, c->bind);
        if (c->note && !notes_say(config.notes, c->note))
                g_error("no note says '%s'", c->note);
        if (c->format == VM_FORMAT_LIBVIRT)
                validate_libvirt(config.text);
}

static void test_format_names(void) {
        for (VmFormat f = 0; f < _VM_FORMAT_MAX; f++)
                g_assert_cmpint(vm_format_from_string(vm_format_to_string(f)), ==, f);
        g_assert_cmpint(vm_format_from_string("xen"), ==, _VM_FORMAT_INVALID);
        g_assert_cmpint(vm_format_from_string(NULL), ==, _VM_FORMAT_INVALID);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *path = g_strdup_printf("/vm-config/%s", cases[i].name);

                g_test_add_data_func(path, &cases[i], test_case);
        }
        g_test_add_func("/vm-config/format-names", test_format_names);
        return g_test_run();
}
