/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "device-table.h"
#include "memstream.h"
#include "passthru-dbus.h"
#include "plan.h"
#include "refusal.h"
#include "strv.h"
#include "vm-config.h"

static const char *const format_names[_VM_FORMAT_MAX] = {
        [VM_FORMAT_LIBVIRT] = "libvirt",
        [VM_FORMAT_QEMU] = "qemu",
        [VM_FORMAT_PROXMOX] = "proxmox",
};

const char *vm_format_to_string(VmFormat f) {
        return f >= 0 && f < _VM_FORMAT_MAX ? format_names[f] : NULL;
}

VmFormat vm_format_from_string(const char *s) {
        for (VmFormat f = 0; f < _VM_FORMAT_MAX; f++)
                if (streq_ptr(s, format_names[f]))
                        return f;
        return _VM_FORMAT_INVALID;
}

void vm_config_done(VmConfig *c) {
        free(c->text);
        strv_free(c->devices);
        strv_free(c->pending);
        free(c->bind_command);
        strv_free(c->notes);
        *c = (VmConfig){};
}

/* The functions of one host device that travel, and where the guest sees them. */
typedef struct Slot {
        const Device *functions[8]; /* sorted by function number */
        size_t n;
        bool whole;          /* every function the host has in that slot travels */
        unsigned guest_slot; /* 0: one function, the VMM chooses */
} Slot;

static bool same_slot(const PciAddress *a, const PciAddress *b) {
        return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot;
}

/* A guest's function 0 must exist for it to look at the others: the host's numbers are
 * kept when the host's function 0 travels, else the functions are numbered from 0. */
static unsigned guest_function(const Slot *s, size_t i) {
        return s->functions[0]->address.function == 0 ? s->functions[i]->address.function : (unsigned) i;
}

static size_t functions_in_host_slot(const DeviceTable *t, const PciAddress *a) {
        size_t n = 0;

        for (size_t i = 0; i < t->n_devices; i++)
                if (same_slot(&t->devices[i]->address, a))
                        n++;
        return n;
}

/* The device and, with an IOMMU, every endpoint of its group, sorted by address, into
 * slots (one per host device). */
static int travellers_to_slots(const DeviceTable *t, const Device *d, Slot **ret, size_t *ret_n) {
        const Group *g = device_table_group_of(t, d);
        const Device *const *devices = g ? (const Device *const *) g->devices : &d;
        size_t n_devices = g ? g->n_devices : 1;
        _cleanup_free_ Slot *slots = calloc(n_devices, sizeof(Slot));
        unsigned next_guest_slot = VM_CONFIG_FIRST_GUEST_SLOT;
        size_t n = 0;

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < n_devices; i++) {
                const Device *e = devices[i];

                if (e->is_bridge)
                        continue;
                if (n == 0 || !same_slot(&slots[n - 1].functions[0]->address, &e->address))
                        n++;
                slots[n - 1].functions[slots[n - 1].n++] = e;
        }
        for (size_t i = 0; i < n; i++) {
                slots[i].whole = functions_in_host_slot(t, &slots[i].functions[0]->address) == slots[i].n;
                if (slots[i].n > 1)
                        slots[i].guest_slot = next_guest_slot++;
        }
        *ret = TAKE_PTR(slots);
        *ret_n = n;
        return 0;
}

static void write_libvirt(FILE *f, const Slot *s) {
        for (size_t i = 0; i < s->n; i++) {
                const PciAddress *a = &s->functions[i]->address;

                fprintf(f,
                        "<hostdev mode='subsystem' type='pci' managed='no'>\n"
                        "  <source>\n"
                        "    <address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n"
                        "  </source>\n",
                        a->domain, a->bus, a->slot, a->function);
                if (s->guest_slot)
                        fprintf(f,
                                "  <address type='pci' domain='0x0000' bus='0x00' slot='0x%02x' "
                                "function='0x%x'%s/>\n",
                                s->guest_slot, guest_function(s, i), i == 0 ? " multifunction='on'" : "");
                fputs("</hostdev>\n", f);
        }
}

static void write_qemu(FILE *f, const Slot *s, unsigned *id) {
        for (size_t i = 0; i < s->n; i++) {
                fprintf(f, "-device vfio-pci,host=%s,id=hostdev%u", s->functions[i]->address_str, (*id)++);
                if (s->guest_slot)
                        fprintf(f, ",addr=0x%x.%u%s", s->guest_slot, guest_function(s, i),
                                i == 0 ? ",multifunction=on" : "");
                fputc('\n', f);
        }
}

/* Proxmox gives a whole host device as its address without a function; a part of one as
 * its functions joined by ';'. Either way one entry, one guest slot. */
static void write_proxmox(FILE *f, const Slot *s, unsigned *index) {
        const PciAddress *a = &s->functions[0]->address;

        fprintf(f, "qm set VMID -hostpci%u ", (*index)++);
        if (s->whole && s->n > 1)
                fprintf(f, "%04x:%02x:%02x", a->domain, a->bus, a->slot);
        else
                for (size_t i = 0; i < s->n; i++)
                        fprintf(f, "%s%s", i > 0 ? ";" : "", s->functions[i]->address_str);
        fputs(",pcie=1\n", f);
}

static int write_text(VmFormat format, const Slot *slots, size_t n, char **ret) {
        _cleanup_(memstream_done) MemStream out = {};
        FILE *f = memstream_init(&out);
        unsigned counter = 0;

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                switch (format) {
                case VM_FORMAT_LIBVIRT:
                        write_libvirt(f, &slots[i]);
                        break;
                case VM_FORMAT_QEMU:
                        write_qemu(f, &slots[i], &counter);
                        break;
                default:
                        write_proxmox(f, &slots[i], &counter);
                        break;
                }
        return memstream_finalize(&out, ret);
}

static bool has_multifunction_slot(const Slot *slots, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (slots[i].guest_slot)
                        return true;
        return false;
}

static int add_format_notes(VmFormat format, const Slot *slots, size_t n, char ***notes) {
        int r = 0;

        if (format == VM_FORMAT_PROXMOX) {
                r = strv_extend(notes, "Replace VMID with the VM's number.");
                if (r >= 0)
                        r = strv_extend(notes, "pcie=1 needs the q35 machine type (qm set VMID -machine "
                                               "q35); leave it out on i440fx.");
                return r;
        }
        if (has_multifunction_slot(slots, n))
                r = strv_extendf(notes,
                                 "The functions of one device share a guest slot on bus 0 (pcie.0 on "
                                 "q35, pci.0 on i440fx) from 0x%x on; choose another slot if the VM "
                                 "already uses it.",
                                 VM_CONFIG_FIRST_GUEST_SLOT);
        if (r >= 0 && format == VM_FORMAT_LIBVIRT)
                r = strv_extend(notes,
                                "managed='no': libvirt leaves binding to passthru; its qemu.d/passthru "
                                "hook binds them when the VM starts and gives them back when it stops.");
        return r;
}

/* Which travellers still need vfio-pci, how to get them there, and what would stop it. */
static int add_readiness(const DeviceTable *t, const Device *d, const Slot *slots, size_t n, VmConfig *c) {
        size_t n_devices = 0;
        int r;

        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < slots[i].n; j++) {
                        const Device *e = slots[i].functions[j];

                        n_devices++;
                        r = strv_extend(&c->devices, e->address_str);
                        if (r >= 0 && !streq_ptr(e->driver, VFIO_PCI))
                                r = strv_extend(&c->pending, e->address_str);
                        for (char **b = e->blockers; r >= 0 && b && *b && !streq_ptr(e->driver, VFIO_PCI);
                             b++)
                                r = strv_extendf(&c->notes, "%s: %s", e->address_str, *b);
                        if (r < 0)
                                return r;
                }
        if (!c->pending)
                return 0;
        if (asprintf(&c->bind_command, "passthructl bind %s%s", n_devices > 1 ? "--group " : "",
                     d->address_str) < 0) {
                c->bind_command = NULL;
                return -ENOMEM;
        }
        if (!device_table_group_of(t, d))
                return strv_extend(&c->notes, "The function has no IOMMU group: the IOMMU is off, and "
                                              "passthrough needs it ('passthructl check' says how).");
        return 0;
}

int vm_config_make(const DeviceTable *t, const PciAddress *a, VmFormat format, VmConfig *ret,
                   Refusal *refusal) {
        _cleanup_(vm_config_done) VmConfig c = {};
        _cleanup_free_ Slot *slots = NULL;
        const Device *d;
        size_t n;
        int r;

        assert(t);
        assert(a);
        assert(ret);
        assert(format >= 0 && format < _VM_FORMAT_MAX);

        d = device_table_find(t, a);
        if (!d)
                return refusal_no_such_device(refusal, a);
        if (d->is_bridge)
                return refusal_set(refusal, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                   "%s is a bridge: bridges stay with the host; give a VM the devices "
                                   "behind it.",
                                   d->address_str);
        r = travellers_to_slots(t, d, &slots, &n);
        if (r < 0)
                return r;
        r = write_text(format, slots, n, &c.text);
        if (r >= 0)
                r = add_readiness(t, d, slots, n, &c);
        if (r >= 0)
                r = add_format_notes(format, slots, n, &c.notes);
        if (r < 0)
                return r;
        *ret = c;
        c = (VmConfig){};
        return 0;
}
