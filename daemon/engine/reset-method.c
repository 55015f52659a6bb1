/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "device.h"
#include "log.h"
#include "manager.h"
#include "persist.h"
#include "refusal.h"
#include "reset-method.h"
#include "reset.h"
#include "strv.h"

/* The model reads the list again: no uevent says it changed. */
static void reread(Manager *m, Device *d) {
        _cleanup_free_ char *devpath = strdup(d->devpath);

        if (devpath)
                (void) manager_device_refresh(m, devpath);
}

int reset_method_set(Manager *m, Persist *p, const PciAddress *a, char *const *methods, bool persist,
                     Refusal *refusal) {
        _cleanup_free_ char *remembered = NULL;
        Device *d;
        int r;

        assert(m);
        assert(p);
        assert(a);
        r = reset_methods_check(methods, refusal);
        if (r < 0)
                return r;
        d = manager_find_device(m, a);
        if (!d)
                return refusal_no_such_device(refusal, a);
        /* A file that cannot be edited refuses the call before the kernel is touched. */
        if (persist) {
                r = persist_check_editable(p, refusal);
                if (r < 0)
                        return r;
        }
        r = reset_methods_write(m->sources.sysfs, d, methods, refusal);
        if (r < 0)
                return r;
        log_info("%s: reset methods set to %s.", d->address_str, methods[0]);
        reread(m, d);
        if (!persist)
                return 0;
        remembered = streq(methods[0], "default") ? strdup("") : strv_join((char **) methods, " ");
        if (!remembered)
                return -ENOMEM;
        return persist_remember_reset_method(p, a, remembered, refusal);
}

void reset_method_reapply(Manager *m, Device *d, const char *remembered) {
        _cleanup_(refusal_done) Refusal refusal = {};
        _cleanup_strv_free_ char **methods = NULL;

        assert(m);
        assert(d);
        if (reset_methods_match(remembered, d->reset_methods))
                return;
        if (strv_split(remembered, " ", &methods) < 0) {
                log_oom();
                return;
        }
        if (reset_methods_write(m->sources.sysfs, d, methods, &refusal) < 0) {
                log_warning("%s: reset-method not applied: %s", d->address_str, strna(refusal.message));
                return;
        }
        log_info("%s: reset methods set to \"%s\", as the configuration asks.", d->address_str, remembered);
        reread(m, d);
}
