/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libkmod.h>

#include "kmod.h"
#include "log.h"
#include "strv.h"

struct Kmod {
        struct kmod_ctx *ctx;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct kmod_list *, kmod_module_unref_list);

int kmod_open(const char *modules_dir, const char *const *config_paths, Kmod **ret) {
        _cleanup_free_ Kmod *k = calloc(1, sizeof(Kmod));

        if (!k)
                return -ENOMEM;
        k->ctx = kmod_new(modules_dir, config_paths);
        if (!k->ctx)
                return log_error_errno(ENOMEM, "Failed to create libkmod context.");
        /* Load the indexes once: every hotplug event looks aliases up again. */
        if (kmod_load_resources(k->ctx) < 0)
                log_debug("Module indexes not loadable (no /lib/modules for this kernel?), "
                          "looking up from config only.");
        *ret = TAKE_PTR(k);
        return 0;
}

Kmod *kmod_close(Kmod *k) {
        if (!k)
                return NULL;
        kmod_unref(k->ctx);
        free(k);
        return NULL;
}

int kmod_modules_for_alias(Kmod *k, const char *modalias, char ***ret) {
        _cleanup_(kmod_module_unref_listp) struct kmod_list *list = NULL;
        _cleanup_strv_free_ char **names = calloc(1, sizeof(char *));
        struct kmod_list *i;
        int r;

        if (!names)
                return -ENOMEM;
        r = kmod_module_new_from_lookup(k->ctx, modalias, &list);
        if (r < 0)
                return log_debug_errno(r, "Failed to look up modalias %s: %m", modalias);
        kmod_list_foreach(i, list) {
                struct kmod_module *m = kmod_module_get_module(i);
                const char *name = kmod_module_get_name(m);

                if (name && !strv_contains(names, name))
                        r = strv_extend(&names, name);
                kmod_module_unref(m);
                if (r < 0)
                        return r;
        }
        strv_sort(names);
        *ret = TAKE_PTR(names);
        return 0;
}
