/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bootcfg-host.h"
#include "devices-conf.h"
#include "log.h"

/* A remembered entry as the initramfs checks it. The initramfs compares all of the identity,
 * so an entry that names no subsystem takes the one of the card there now (it matched). */
static bool early_entry(Manager *m, const ConfigEntry *e, EarlyBindEntry *ret) {
        const ConfigIdentity *id = &e->identity;
        uint16_t sv = id->subsystem_vendor_id, sd = id->subsystem_device_id;

        if (!e->vfio)
                return false;
        if (!id->has_subsystem) {
                Device *d = manager_find_device(m, &e->address);

                if (!d || d->vendor_id != id->vendor_id || d->device_id != id->device_id)
                        return false;
                sv = d->subsystem_vendor_id;
                sd = d->subsystem_device_id;
        }
        *ret = (EarlyBindEntry){ .address = e->address,
                                 .vendor = id->vendor_id,
                                 .device = id->device_id,
                                 .subsystem_vendor = sv,
                                 .subsystem_device = sd,
                                 .class = id->class_code };
        return true;
}

int manager_boot_input(Manager *m, const char *config_dir, const BootOptions *o, BootPlanInput *ret,
                       EarlyBindEntry **ret_entries, char **ret_error) {
        _cleanup_(config_error_done) ConfigError error = {};
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ EarlyBindEntry *entries = NULL;
        const HostFacts *f = &m->host.facts;
        size_t n = 0;
        int r;

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
        for (size_t i = 0; i < config_n_entries(c); i++)
                if (early_entry(m, config_entry(c, i), &entries[n]))
                        n++;
        *ret = (BootPlanInput){ .entries = entries,
                                .n_entries = n,
                                .intel_dmar = f->dmar_table,
                                .want_iommu_pt = o->iommu_pt,
                                .running_cmdline = f->cmdline,
                                .initramfs = o->initramfs,
                                .cmdline = o->cmdline,
                                .remove = o->remove };
        *ret_entries = TAKE_PTR(entries);
        return 0;
}
