/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <libkmod.h>

#include "kmod.h"
#include "log.h"
#include "strv.h"

/* What a modalias resolved to: a host of thousands of functions has a few dozen distinct
 * modaliases (every VF of a card has its PF's twin's), so each is looked up in libkmod once.
 * Emptied when the context is made anew. */
#define ALIAS_CACHE_MAX 256

typedef struct AliasEntry {
        char *modalias;
        char **modules;
} AliasEntry;

struct Kmod {
        struct kmod_ctx *ctx;
        bool indexes_loaded;
        AliasEntry aliases[ALIAS_CACHE_MAX];
        size_t n_aliases, last_alias;
        /* Kept to make the context anew when modprobe.d or the indexes change on disk. */
        char *modules_dir;
        char **config_paths;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct kmod_list *, kmod_module_unref_list);

static void alias_cache_clear(Kmod *k) {
        for (size_t i = 0; i < k->n_aliases; i++) {
                free(k->aliases[i].modalias);
                strv_free(k->aliases[i].modules);
        }
        k->n_aliases = k->last_alias = 0;
}

static int new_context(Kmod *k) {
        struct kmod_ctx *ctx = kmod_new(k->modules_dir, (const char *const *) k->config_paths);

        if (!ctx)
                return log_error_errno(ENOMEM, "Failed to create libkmod context.");
        kmod_unref(k->ctx);
        k->ctx = ctx;
        alias_cache_clear(k);
        /* Load the indexes once: every hotplug event looks aliases up again. */
        k->indexes_loaded = kmod_load_resources(k->ctx) >= 0;
        if (!k->indexes_loaded)
                log_debug("Module indexes not loadable (no /lib/modules for this kernel?), "
                          "looking up from config only.");
        return 0;
}

int kmod_open(const char *modules_dir, const char *const *config_paths, Kmod **ret) {
        _cleanup_(kmod_closep) Kmod *k = calloc(1, sizeof(Kmod));
        int r;

        assert(ret);
        if (!k)
                return -ENOMEM;
        if (modules_dir && !(k->modules_dir = strdup(modules_dir)))
                return -ENOMEM;
        if (config_paths && strv_copy((char *const *) config_paths, &k->config_paths) < 0)
                return -ENOMEM;
        r = new_context(k);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(k);
        return 0;
}

/* An administrator may blacklist a module in modprobe.d, or a kernel's modules may be
 * installed, while the daemon runs: before a decision, a stale context is made anew. */
static int refresh(Kmod *k) {
        if (kmod_validate_resources(k->ctx) == KMOD_RESOURCES_OK)
                return 0;
        log_debug("Module configuration or indexes changed on disk, reloading.");
        return new_context(k);
}

Kmod *kmod_close(Kmod *k) {
        if (!k)
                return NULL;
        alias_cache_clear(k);
        kmod_unref(k->ctx);
        free(k->modules_dir);
        strv_free(k->config_paths);
        free(k);
        return NULL;
}

static int lookup_alias(Kmod *k, const char *modalias, char ***ret) {
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

/* The entry for modalias, looked up and remembered when new; NULL on failure (r set). */
static const AliasEntry *alias_entry(Kmod *k, const char *modalias, int *ret_error) {
        _cleanup_strv_free_ char **modules = NULL;
        _cleanup_free_ char *copy = NULL;
        AliasEntry *e;
        int r;

        /* Functions come sorted by address: the VFs of one card follow each other. */
        if (k->n_aliases > 0 && streq(k->aliases[k->last_alias].modalias, modalias))
                return &k->aliases[k->last_alias];
        for (size_t i = 0; i < k->n_aliases; i++)
                if (streq(k->aliases[i].modalias, modalias)) {
                        k->last_alias = i;
                        return &k->aliases[i];
                }
        r = lookup_alias(k, modalias, &modules);
        if (r >= 0 && !(copy = strdup(modalias)))
                r = -ENOMEM;
        if (r < 0) {
                *ret_error = r;
                return NULL;
        }
        /* Hotplug brings new modaliases for as long as the daemon runs: start over when full. */
        if (k->n_aliases == ALIAS_CACHE_MAX)
                alias_cache_clear(k);
        e = &k->aliases[k->n_aliases];
        *e = (AliasEntry){ TAKE_PTR(copy), TAKE_PTR(modules) };
        k->last_alias = k->n_aliases++;
        return e;
}

int kmod_modules_for_alias(Kmod *k, const char *modalias, char ***ret) {
        const AliasEntry *e;
        int r = 0;

        assert(k);
        assert(modalias);
        e = alias_entry(k, modalias, &r);
        if (!e)
                return r;
        return strv_copy(e->modules, ret);
}

int kmod_module_availability(Kmod *k, const char *name) {
        _cleanup_(kmod_module_unref_listp) struct kmod_list *list = NULL;
        struct kmod_list *i;
        int r, found = KMOD_MISSING;

        assert(k);
        assert(name);
        r = refresh(k);
        if (r < 0)
                return r;
        /* Without indexes every look-up finds nothing: say "unknown" rather than "missing". */
        if (!k->indexes_loaded)
                return -ENODATA;
        r = kmod_module_new_from_lookup(k->ctx, name, &list);
        if (r < 0)
                return log_debug_errno(r, "Failed to look up module %s: %m", name);
        kmod_list_foreach(i, list) {
                struct kmod_module *m = kmod_module_get_module(i);

                /* Built-in modules come from modules.builtin and have no file. */
                if (found == KMOD_MISSING)
                        found = kmod_module_get_path(m) ? KMOD_MODULE : KMOD_BUILTIN;
                kmod_module_unref(m);
        }
        return found;
}

int kmod_load(Kmod *k, const char *name) {
        _cleanup_(kmod_module_unref_listp) struct kmod_list *list = NULL;
        struct kmod_module *mod;
        int r;

        assert(k);
        assert(name);
        r = refresh(k);
        if (r < 0)
                return r;
        r = kmod_module_new_from_lookup(k->ctx, name, &list);
        if (r < 0)
                return log_error_errno(r, "Failed to look up module %s: %m", name);
        if (!list)
                return log_error_errno(ENOENT, "Module %s does not exist for this kernel.", name);
        mod = kmod_module_get_module(list);
        r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL, NULL, NULL);
        kmod_module_unref(mod);
        if (r > 0)
                /* KMOD_PROBE_APPLY_BLACKLIST: modprobe.d says "blacklist" for it. */
                return log_error_errno(EPERM, "Module %s is blacklisted.", name);
        if (r < 0)
                return log_error_errno(r, "Failed to load module %s: %m", name);
        log_info("Loaded module %s.", name);
        return 0;
}

static const struct {
        const char *keyword;
        struct kmod_config_iter *(*get)(const struct kmod_ctx *ctx);
} config_kinds[] = {
        { "options", kmod_config_get_options },
        { "softdep", kmod_config_get_softdeps },
        { "blacklist", kmod_config_get_blacklists },
        { "install", kmod_config_get_install_commands },
};

int kmod_config_for_each(Kmod *k, KmodConfigLine f, void *userdata) {
        int r;

        assert(k);
        assert(f);
        /* A hand edit of modprobe.d since the last look makes the context anew. */
        r = refresh(k);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(config_kinds); i++) {
                struct kmod_config_iter *it = config_kinds[i].get(k->ctx);

                if (!it)
                        return log_error_errno(ENOMEM, "Failed to read the modprobe configuration.");
                r = 0;
                while (r >= 0 && kmod_config_iter_next(it))
                        r = f(config_kinds[i].keyword, kmod_config_iter_get_key(it),
                              kmod_config_iter_get_value(it), userdata);
                kmod_config_iter_free_iter(it);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool kmod_name_equal(const char *a, const char *b) {
        for (; *a && *b; a++, b++)
                if (*a != *b && !(strchr("-_", *a) && strchr("-_", *b)))
                        return false;
        return *a == *b;
}
