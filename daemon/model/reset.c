/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "device.h"
#include "passthru-dbus.h"
#include "refusal.h"
#include "reset.h"
#include "strv.h"
#include "sysfs.h"

/* AMD GPUs whose FLR and bus reset leave them unusable; vendor-reset's device table
 * (github.com/gnif/vendor-reset, src/device-db.h) lists them. */
static const struct {
        const char *generation;
        uint16_t ids[16];
} vendor_reset_table[] = {
        { "AMD Polaris 10",
          { 0x67c0, 0x67c1, 0x67c2, 0x67c4, 0x67c7, 0x67d0, 0x67df, 0x67c8, 0x67c9, 0x67ca, 0x67cc, 0x67cf,
            0x6fdf } },
        { "AMD Polaris 11", { 0x67e0, 0x67e3, 0x67e8, 0x67eb, 0x67ef, 0x67ff, 0x67e1, 0x67e7, 0x67e9 } },
        { "AMD Polaris 12", { 0x6980, 0x6981, 0x6985, 0x6986, 0x6987, 0x6995, 0x6997, 0x699f } },
        { "AMD Vega 10",
          { 0x6860, 0x6861, 0x6862, 0x6863, 0x6864, 0x6867, 0x6868, 0x6869, 0x686a, 0x686b, 0x686c, 0x686d,
            0x686e, 0x686f, 0x687f } },
        { "AMD Vega 20", { 0x66a0, 0x66a1, 0x66a2, 0x66a3, 0x66a4, 0x66a7, 0x66af } },
        { "AMD Navi 10", { 0x7310, 0x7312, 0x7318, 0x7319, 0x731a, 0x731b, 0x731e, 0x731f } },
        { "AMD Navi 12", { 0x7360, 0x7362 } },
        { "AMD Navi 14", { 0x7340, 0x7341, 0x7347, 0x734f } },
};

#define VENDOR_ATI 0x1002

/* The kernel's names (drivers/pci/pci.c, pci_reset_fn_methods) and how a person says them. */
static const struct {
        const char *name, *shown;
} methods_known[] = {
        { "device_specific", "device-specific reset" },
        { "acpi", "ACPI reset" },
        { "flr", "FLR" },
        { "af_flr", "FLR" },
        { "pm", "PM reset" },
        { "bus", "bus reset" },
        { "cxl_bus", "CXL bus reset" },
};

const char *reset_vendor_reset_generation(uint16_t vendor_id, uint16_t device_id) {
        if (vendor_id != VENDOR_ATI)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(vendor_reset_table); i++)
                for (size_t j = 0; j < ELEMENTSOF(vendor_reset_table[i].ids) && vendor_reset_table[i].ids[j];
                     j++)
                        if (vendor_reset_table[i].ids[j] == device_id)
                                return vendor_reset_table[i].generation;
        return NULL;
}

static const char *shown(const char *method) {
        for (size_t i = 0; i < ELEMENTSOF(methods_known); i++)
                if (streq(methods_known[i].name, method))
                        return methods_known[i].shown;
        return method;
}

int reset_verdict(const char *address, uint16_t vendor_id, uint16_t device_id, char *const *methods,
                  bool vendor_reset_loaded, char **ret) {
        const char *generation = reset_vendor_reset_generation(vendor_id, device_id);
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *list = NULL;
        int r;

        assert(address);
        assert(ret);
        if (generation && !vendor_reset_loaded)
                r = asprintf(ret,
                             "%s: needs the vendor-reset module, which is not loaded: the device may not "
                             "work after the VM restarts",
                             generation);
        else if (generation && methods && methods[0] && !streq(methods[0], "device_specific"))
                r = asprintf(ret,
                             "%s: vendor-reset is loaded; make it the reset used: passthructl reset-method "
                             "%s device_specific --persist",
                             generation, address);
        else if (generation)
                r = asprintf(ret, "%s: reset by the vendor-reset module (loaded)", generation);
        else if (!methods || !methods[0])
                r = asprintf(ret, "no reset: the device may not work after the VM restarts");
        else {
                for (char *const *m = methods; *m; m++)
                        if (!strv_contains(names, shown(*m)) && strv_extend(&names, shown(*m)) < 0)
                                return -ENOMEM;
                list = strv_join(names, ", ");
                if (!list)
                        return -ENOMEM;
                r = asprintf(ret, "%s available", list);
        }
        return r < 0 ? -ENOMEM : 0;
}

static bool method_known(const char *m) {
        for (size_t i = 0; i < ELEMENTSOF(methods_known); i++)
                if (streq(methods_known[i].name, m))
                        return true;
        return false;
}

int reset_methods_normalize(const char *text, size_t n, char ret[static RESET_METHODS_TEXT_MAX]) {
        _cleanup_strv_free_ char **methods = NULL;
        _cleanup_free_ char *copy = strndup(text, n), *joined = NULL;
        int r;

        assert(text);
        if (!copy)
                return -ENOMEM;
        r = strv_split(copy, " \t", &methods);
        if (r < 0)
                return r;
        if (!methods[0] || streq(methods[0], "default"))
                return -EINVAL;
        if (reset_methods_check(methods, NULL) < 0)
                return -EINVAL;
        joined = strv_join(methods, " ");
        if (!joined)
                return -ENOMEM;
        if (strlen(joined) >= RESET_METHODS_TEXT_MAX)
                return -EINVAL;
        strcpy(ret, joined);
        return 0;
}

bool reset_methods_match(const char *remembered, char *const *current) {
        _cleanup_free_ char *joined = NULL;

        if (!remembered || !*remembered)
                return true;
        joined = strv_join((char **) current, " ");
        return joined && streq(joined, remembered);
}

int reset_methods_check(char *const *methods, Refusal *refusal) {
        if (!methods || !methods[0])
                return refusal_set(refusal, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                   "No reset method given; name one or more, or \"default\".");
        if (streq(methods[0], "default") && !methods[1])
                return 0;
        for (char *const *m = methods; *m; m++) {
                if (!method_known(*m))
                        return refusal_set(refusal, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                           "'%.32s' is not a reset method of the kernel; they are "
                                           "device_specific, acpi, flr, af_flr, pm, bus and cxl_bus, or "
                                           "\"default\" alone.",
                                           *m);
                for (char *const *n = methods; n < m; n++)
                        if (streq(*n, *m))
                                return refusal_set(refusal, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                                   "The reset method %s is named twice.", *m);
        }
        return 0;
}

static int write_list(Sysfs *sysfs, const Device *d, char *const *methods, Refusal *refusal) {
        _cleanup_free_ char *value = strv_join((char **) methods, " ");
        int r;

        if (!value)
                return -ENOMEM;
        r = sysfs_write_attr(sysfs, d->devpath, "reset_method", value);
        if (r < 0)
                return refusal_set(refusal, PASSTHRU_ERROR_FAILED,
                                   "The kernel refused the reset methods \"%s\" for %s: %s.", value,
                                   d->address_str, strerror(-r));
        return 0;
}

static bool all_listed(char *const *methods, char *const *list) {
        for (char *const *m = methods; *m; m++)
                if (!strv_contains((char **) list, *m))
                        return false;
        return true;
}

int reset_methods_write(Sysfs *sysfs, const Device *d, char *const *methods, Refusal *refusal) {
        _cleanup_free_ char *full_text = NULL, *restore = NULL;
        _cleanup_strv_free_ char **full = NULL;
        char *const default_list[] = { (char *) "default", NULL };
        int r;

        assert(sysfs);
        assert(d);

        r = reset_methods_check(methods, refusal);
        if (r < 0)
                return r;
        if (!d->reset_methods || !d->reset_methods[0])
                return refusal_set(refusal, PASSTHRU_ERROR_INVALID_ARGUMENT,
                                   "%s has no reset methods the kernel could choose from (or the kernel, "
                                   "older than 5.15, has no reset_method).",
                                   d->address_str);
        if (streq(methods[0], "default") || all_listed(methods, d->reset_methods))
                return write_list(sysfs, d, methods, refusal);

        /* The list shown may have been narrowed before: "default" brings the kernel's own back. */
        r = write_list(sysfs, d, default_list, refusal);
        if (r < 0)
                return r;
        r = sysfs_read_attr(sysfs, d->devpath, "reset_method", &full_text);
        if (r >= 0)
                r = strv_split(full_text, " \n", &full);
        if (r >= 0 && all_listed(methods, full))
                return write_list(sysfs, d, methods, refusal);
        /* Put back what was there; the refusal says what the kernel offers. */
        restore = strv_join(d->reset_methods, " ");
        if (restore)
                (void) sysfs_write_attr(sysfs, d->devpath, "reset_method", restore);
        if (r < 0)
                return refusal_set(refusal, PASSTHRU_ERROR_FAILED,
                                   "Could not read the reset methods of %s: %s.", d->address_str,
                                   strerror(-r));
        return refusal_set(refusal, PASSTHRU_ERROR_INVALID_ARGUMENT,
                           "The kernel does not offer that reset method for %s; it offers: %s.",
                           d->address_str, strempty(full_text));
}
