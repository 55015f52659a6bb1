/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bootcfg-host.h"
#include "devices-conf.h"
#include "log.h"
#include "refusal.h"
#include "safety.h"
#include "strv.h"

/* A remembered entry as the initramfs checks it, once the gate let it through: the device
 * must be there now, be the card remembered, and be one that may be kept on vfio-pci (the
 * same check as remembering it). The initramfs compares all of the identity, so an entry that
 * names no subsystem takes the one of the card there now. Returns 0 and a sentence in
 * *ret_why when the entry is left out. */
static int early_entry(Manager *m, const ConfigEntry *e, EarlyBindEntry *ret, char **ret_why) {
        _cleanup_(refusal_done) Refusal refusal = {};
        char address[PCI_ADDRESS_STRING_MAX];
        Device *d = manager_find_device(m, &e->address);
        int r;

        pci_address_format(&e->address, address);
        if (!d)
                return asprintf(ret_why,
                                "%s is left out of early binding: no device is there now, so it cannot be "
                                "checked. Run boot-config again once it is.",
                                address) < 0
                               ? -ENOMEM
                               : 0;
        if (config_entry_state(e, d) == CONFIG_STATE_MISMATCH)
                return asprintf(ret_why,
                                "%s is left out of early binding: the card there now is not the one "
                                "remembered.",
                                address) < 0
                               ? -ENOMEM
                               : 0;
        r = safety_refuse_keep(m->sources.host, d, e->allow_protected, &refusal);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return asprintf(ret_why, "%s is left out of early binding: %s", address,
                                strna(refusal.message)) < 0
                               ? -ENOMEM
                               : 0;
        *ret = (EarlyBindEntry){ .address = e->address,
                                 .vendor = d->vendor_id,
                                 .device = d->device_id,
                                 .subsystem_vendor = d->subsystem_vendor_id,
                                 .subsystem_device = d->subsystem_device_id,
                                 .class = d->class_code };
        return 1;
}

int manager_boot_input(Manager *m, const char *config_dir, const BootOptions *o, BootPlanInput *ret,
                       EarlyBindEntry **ret_entries, char ***ret_left_out, char **ret_error) {
        _cleanup_(config_error_done) ConfigError error = {};
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ EarlyBindEntry *entries = NULL;
        _cleanup_strv_free_ char **left_out = NULL;
        const HostFacts *f = &m->host.facts;
        size_t n = 0;
        int r;

        assert(m);
        assert(o);
        assert(ret);
        assert(ret_entries);
        assert(ret_left_out);
        assert(ret_error);
        r = config_load(config_dir, &c, &error);
        if (r < 0) {
                char *s = NULL;

                if (config_error_to_string(&error, &s) < 0 || !s)
                        return -ENOMEM;
                *ret_error = s;
                return -EBADMSG;
        }
        entries = calloc(config_n_entries(c) + 1, sizeof(EarlyBindEntry));
        if (!entries)
                return -ENOMEM;
        for (size_t i = 0; i < config_n_entries(c); i++) {
                _cleanup_free_ char *why = NULL;

                if (!config_entry(c, i)->vfio)
                        continue;
                r = early_entry(m, config_entry(c, i), &entries[n], &why);
                if (r < 0)
                        return r;
                if (r > 0)
                        n++;
                else {
                        log_warning("%s", why);
                        r = strv_push(&left_out, TAKE_PTR(why));
                        if (r < 0)
                                return r;
                }
        }
        *ret = (BootPlanInput){ .entries = entries,
                                .n_entries = n,
                                .intel_dmar = f->dmar_table,
                                .want_iommu_pt = o->iommu_pt,
                                .running_cmdline = f->cmdline,
                                .initramfs = o->initramfs,
                                .cmdline = o->cmdline,
                                .remove = o->remove,
                                .left_out = left_out };
        *ret_entries = TAKE_PTR(entries);
        *ret_left_out = TAKE_PTR(left_out);
        return 0;
}
