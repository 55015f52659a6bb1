/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/inotify.h>

#include "group.h"
#include "log.h"
#include "manager.h"
#include "passthru-dbus.h"
#include "persist.h"
#include "plan.h"
#include "refusal.h"

/* An edit retried this often when the admin keeps editing the file under us. */
#define EDIT_ATTEMPTS 5

/* What persist.c knows about an address besides the file: whether it waits to be applied,
 * and why it was refused. Kept apart from the Config, whose entries move on every edit. */
typedef struct Status {
        PciAddress address;
        bool want;            /* apply at the next pass */
        bool mismatch_logged; /* said once per appearance */
        char *reason;         /* the last refusal; NULL when none */
} Status;

struct Persist {
        Manager *manager;
        const PersistApplier *applier; /* puts an entry into effect (operations.c) */
        void *applier_data;
        char *dir;

        Config *config;   /* in force; NULL when no good file was ever read */
        char *load_error; /* the file on disk did not load; NULL when it did */

        Status *status;
        size_t n_status;

        sd_event_source *apply_source;  /* one pass over the wanted entries, when idle */
        sd_event_source *reload_source; /* one reload after a burst of inotify events */
        sd_event_source *inotify_source;

        persist_changed_t changed;
        void *changed_data;
        bool listening;
};

/* ---- pure decisions ---- */

bool persist_entry_equal(const ConfigEntry *a, const ConfigEntry *b) {
        const ConfigIdentity *x = &a->identity, *y = &b->identity;

        assert(a);
        assert(b);
        return pci_address_equal(&a->address, &b->address) && x->vendor_id == y->vendor_id &&
               x->device_id == y->device_id && x->has_subsystem == y->has_subsystem &&
               (!x->has_subsystem || (x->subsystem_vendor_id == y->subsystem_vendor_id &&
                                      x->subsystem_device_id == y->subsystem_device_id)) &&
               x->class_code == y->class_code && streq_ptr(x->serial, y->serial) && a->vfio == b->vfio &&
               a->sriov_numvfs == b->sriov_numvfs && a->allow_protected == b->allow_protected &&
               streq(a->reset_method, b->reset_method);
}

bool persist_group_complete(const Config *c, const Group *g, const PciAddress *address) {
        bool mates = false;

        assert(address);
        if (!c || !g)
                return false;
        for (size_t i = 0; i < g->n_devices; i++) {
                const Device *d = g->devices[i];
                const ConfigEntry *e;

                if (d->is_bridge || pci_address_equal(&d->address, address))
                        continue;
                e = config_find(c, &d->address);
                if (!e || !e->vfio || config_entry_state(e, d) == CONFIG_STATE_MISMATCH)
                        return false;
                mates = true;
        }
        return mates;
}

/* ---- per-address status ---- */

static Status *status_find(Persist *p, const PciAddress *a) {
        for (size_t i = 0; i < p->n_status; i++)
                if (pci_address_equal(&p->status[i].address, a))
                        return &p->status[i];
        return NULL;
}

static Status *status_get(Persist *p, const PciAddress *a) {
        Status *s = status_find(p, a), *grown;

        if (s)
                return s;
        grown = realloc(p->status, sizeof(Status) * (p->n_status + 1));
        if (!grown)
                return NULL;
        p->status = grown;
        s = &p->status[p->n_status++];
        *s = (Status){ .address = *a };
        return s;
}

static void status_set_reason(Persist *p, const PciAddress *a, const char *reason) {
        Status *s = reason ? status_get(p, a) : status_find(p, a);

        if (s)
                (void) free_and_strdup(&s->reason, reason);
}

/* ---- Persistent flags ---- */

static bool device_is_remembered(Persist *p, const Device *d) {
        const ConfigEntry *e = p->config ? config_find(p->config, &d->address) : NULL;

        return e && config_entry_state(e, d) != CONFIG_STATE_MISMATCH;
}

static void update_persistent(Persist *p) {
        const DeviceTable *t = &p->manager->table;

        for (size_t i = 0; i < t->n_devices; i++)
                manager_device_set_persistent(p->manager, t->devices[i],
                                              device_is_remembered(p, t->devices[i]));
}

/* ---- re-application ---- */

static void schedule_apply(Persist *p) {
        int r = sd_event_source_set_enabled(p->apply_source, SD_EVENT_ONESHOT);

        if (r < 0)
                log_warning_errno(r, "Failed to schedule re-applying the configuration, ignoring: %m");
}

static void want(Persist *p, const PciAddress *a) {
        Status *s = status_get(p, a);

        if (!s) {
                log_oom();
                return;
        }
        s->want = true;
        schedule_apply(p);
}

static void apply_entry(Persist *p, const ConfigEntry *e) {
        _cleanup_(refusal_done) Refusal refusal = {};
        Device *d = manager_find_device(p->manager, &e->address);
        Status *s = status_get(p, &e->address);
        ConfigState state = config_entry_state(e, d);
        int r;

        if (state == CONFIG_STATE_MISSING || state == CONFIG_STATE_APPLIED) {
                status_set_reason(p, &e->address, NULL);
                return;
        }
        if (state == CONFIG_STATE_MISMATCH) {
                if (s && !s->mismatch_logged)
                        log_warning("%s: %04x:%04x (class 0x%06x) is not the card remembered "
                                    "(%04x:%04x, class 0x%06x); leaving it on %s.",
                                    d->address_str, d->vendor_id, d->device_id, d->class_code,
                                    e->identity.vendor_id, e->identity.device_id, e->identity.class_code,
                                    d->driver ?: "no driver");
                if (s)
                        s->mismatch_logged = true;
                return;
        }
        if (!p->applier)
                return;
        /* The VF count first: a PF with VFs cannot go to vfio-pci, and its VFs' entries apply
         * when they appear. */
        r = p->applier->numvfs(e, &refusal, p->applier_data);
        if (r > 0)
                return;
        if (r == 0) {
                p->applier->reset_method(e, p->applier_data);
                r = e->vfio ? p->applier->driver(p->config, e, &refusal, p->applier_data) : 0;
        }
        if (r < 0) {
                log_warning("%s: not re-applied: %s", d->address_str, strna(refusal.message));
                status_set_reason(p, &e->address, refusal.message ?: "the daemon could not plan it");
                return;
        }
        status_set_reason(p, &e->address, NULL);
}

static int on_apply(sd_event_source *source, void *userdata) {
        Persist *p = userdata;

        update_persistent(p);
        if (!p->config)
                return 0;
        for (size_t i = 0; i < config_n_entries(p->config); i++) {
                const ConfigEntry *e = config_entry(p->config, i);
                Status *s = status_find(p, &e->address);

                if (!s || !s->want)
                        continue;
                s->want = false;
                apply_entry(p, e);
        }
        return 0;
}

/* ---- listening to the model ---- */

static void on_device_added(Device *d, void *userdata) {
        Persist *p = userdata;
        Status *s = status_find(p, &d->address);

        if (s)
                s->mismatch_logged = false;
        if (p->config && config_find(p->config, &d->address)) {
                log_info("%s: appeared, and the configuration remembers its slot.", d->address_str);
                /* Applied once the group table includes it: the add is reported before. */
                want(p, &d->address);
        }
}

static void on_device_removed(Device *d, void *userdata) {
        Persist *p = userdata;

        status_set_reason(p, &d->address, NULL);
}

static void on_device_changed(Device *d, unsigned changes, const char *old_driver, void *userdata) {
        Persist *p = userdata;

        if (changes & DEVICE_CHANGE_IDENTITY)
                manager_device_set_persistent(p->manager, d, device_is_remembered(p, d));
        if ((changes & DEVICE_CHANGE_DRIVER) && streq_ptr(d->driver, VFIO_PCI))
                status_set_reason(p, &d->address, NULL);
}

static const ManagerListener listener = {
        .device_added = on_device_added,
        .device_removed = on_device_removed,
        .device_changed = on_device_changed,
};

/* ---- loading ---- */

static void notify_changed(Persist *p) {
        if (p->changed)
                p->changed(p->changed_data);
}

static void set_load_error(Persist *p, const ConfigError *err) {
        _cleanup_free_ char *s = NULL;

        if (!err) {
                p->load_error = mfree(p->load_error);
                return;
        }
        if (config_error_to_string(err, &s) < 0)
                return;
        if (!streq_ptr(s, p->load_error))
                log_error("%s — keeping the %s; fix the file, the daemon will not write over it.", s,
                          p->config ? "configuration read before" : "devices as they are");
        free(p->load_error);
        p->load_error = TAKE_PTR(s);
}

static int load(Persist *p, Config **ret) {
        _cleanup_(config_error_done) ConfigError err = {};
        int r;

        r = config_load(p->dir, ret, &err);
        set_load_error(p, r < 0 ? &err : NULL);
        return r;
}

/* Puts c in force. apply_changes: entries new or changed since the config in force are
 * applied (a hand edit); otherwise only the flags follow (the daemon's own edit). */
static void adopt(Persist *p, Config *c, bool apply_changes) {
        _cleanup_(config_freep) Config *old = p->config;
        size_t old_size = 0, new_size = 0;
        const char *old_text = old ? config_text(old, &old_size) : NULL;
        const char *new_text = config_text(c, &new_size);
        bool same = old && old_size == new_size && memcmp(old_text, new_text, new_size) == 0;

        p->config = c;
        if (same)
                return;
        for (size_t i = 0; apply_changes && i < config_n_entries(c); i++) {
                const ConfigEntry *e = config_entry(c, i);
                const ConfigEntry *before = old ? config_find(old, &e->address) : NULL;

                if (!before || !persist_entry_equal(before, e))
                        want(p, &e->address);
        }
        update_persistent(p);
        notify_changed(p);
}

int persist_reload(Persist *p) {
        Config *c = NULL;
        int r;

        assert(p);
        r = load(p, &c);
        if (r < 0)
                return r;
        log_debug("Read %s/%s: %zu entries.", p->dir, CONFIG_FILE, config_n_entries(c));
        adopt(p, c, true);
        return 0;
}

static int on_reload(sd_event_source *source, void *userdata) {
        (void) persist_reload(userdata);
        return 0;
}

static int on_inotify(sd_event_source *source, const struct inotify_event *event, void *userdata) {
        Persist *p = userdata;
        int r;

        /* Our own temporary files come and go too: only the file itself matters. */
        if (event->len == 0 || !streq(event->name, CONFIG_FILE))
                return 0;
        r = sd_event_source_set_enabled(p->reload_source, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule reading %s again, ignoring: %m", CONFIG_FILE);
        return 0;
}

/* Hand edits are seen through the directory: the file itself is replaced by rename. */
static void watch_dir(Persist *p) {
        int r;

        if (p->inotify_source)
                return;
        r = sd_event_add_inotify(p->manager->event, &p->inotify_source, p->dir,
                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE |
                                         IN_ONLYDIR,
                                 on_inotify, p);
        if (r < 0)
                log_full_errno(r == -ENOENT ? LOG_DEBUG : LOG_NOTICE, r,
                               "Not watching %s for hand edits (%m); SIGHUP reads the file again.", p->dir);
}

/* ---- editing ---- */

static int refuse_invalid(Persist *p, Refusal *refusal) {
        return refusal_set(refusal, PASSTHRU_ERROR_CONFIG_INVALID,
                           "%s Fix the file first: the daemon does not write over a file it could not read.",
                           p->load_error ?: "The configuration file could not be read.");
}

int persist_check_editable(Persist *p, Refusal *refusal) {
        _cleanup_(config_freep) Config *c = NULL;

        assert(p);
        if (load(p, &c) < 0)
                return refuse_invalid(p, refusal);
        return 0;
}

/* One change of the file, for one address; data is the edit's own. */
typedef int (*change_t)(Persist *p, Config *c, const PciAddress *a, const void *data, Refusal *refusal);

static int change_remember(Persist *p, Config *c, const PciAddress *a, const void *data, Refusal *refusal) {
        _cleanup_(config_entry_done) ConfigEntry e = {};
        Device *d = manager_find_device(p->manager, a);
        const ConfigEntry *old = config_find(c, a);
        int r;

        if (!d)
                return refusal_no_such_device(refusal, a);
        r = config_entry_from_device(d, &e);
        if (r < 0)
                return r;
        /* Keep what the admin wrote besides the identity. */
        if (old) {
                e.sriov_numvfs = old->sriov_numvfs;
                e.allow_protected = old->allow_protected;
                memcpy(e.reset_method, old->reset_method, sizeof(e.reset_method));
        }
        return config_set_entry(c, &e);
}

static int change_forget(Persist *p, Config *c, const PciAddress *a, const void *data, Refusal *refusal) {
        int r = config_remove_entry(c, a);

        return r == -ENOENT ? 0 : r;
}

/* data: the list to remember, "" to forget it. A device without an entry gets one that
 * leaves it with the host (vfio = no); an entry that then says nothing more goes. */
static int change_reset_method(Persist *p, Config *c, const PciAddress *a, const void *data,
                               Refusal *refusal) {
        _cleanup_(config_entry_done) ConfigEntry fresh = {};
        const ConfigEntry *old = config_find(c, a);
        Device *d = manager_find_device(p->manager, a);
        const char *methods = data;
        ConfigEntry e;
        int r;

        if (!old && !*methods)
                return 0;
        if (old && !*methods && !old->vfio && old->sriov_numvfs < 0)
                return config_remove_entry(c, a);
        if (old)
                e = *old; /* shares old's strings: config_set_entry() copies what it keeps */
        else {
                if (!d)
                        return refusal_no_such_device(refusal, a);
                r = config_entry_from_device(d, &fresh);
                if (r < 0)
                        return r;
                fresh.vfio = false;
                e = fresh;
        }
        snprintf(e.reset_method, sizeof(e.reset_method), "%s", methods);
        return config_set_entry(c, &e);
}

/* Loads the file afresh (a hand edit seen first, as a reload), makes the edit, saves, and
 * puts the result in force; a concurrent hand edit (-ESTALE) makes it start again. */
static int edit(Persist *p, const PciAddress *addresses, size_t n, change_t change, const void *data,
                const char *done, Refusal *refusal) {
        int r = 0;

        for (unsigned attempt = 0; attempt < EDIT_ATTEMPTS; attempt++) {
                _cleanup_(config_freep) Config *c = NULL, *saved = NULL;

                if (load(p, &c) < 0)
                        return refuse_invalid(p, refusal);
                adopt(p, TAKE_PTR(c), true);
                r = config_load(p->dir, &c, NULL);
                if (r < 0)
                        return refuse_invalid(p, refusal);
                for (size_t i = 0; i < n && r >= 0; i++)
                        r = change(p, c, &addresses[i], data, refusal);
                if (refusal->name)
                        return r;
                if (r >= 0)
                        r = config_save(c, p->dir);
                if (r == -ESTALE)
                        continue;
                if (r < 0) {
                        log_error_errno(r, "Failed to write %s/%s: %m", p->dir, CONFIG_FILE);
                        return refusal_set(refusal, PASSTHRU_ERROR_FAILED, "Could not write %s/%s: %s.",
                                           p->dir, CONFIG_FILE, strerror(-r));
                }
                /* The first save may have made the directory: watch it from now on. */
                watch_dir(p);
                /* Read back what is on disk now: its stat is what the next save compares. */
                if (load(p, &saved) < 0)
                        return refuse_invalid(p, refusal);
                for (size_t i = 0; i < n; i++) {
                        Status *s = status_find(p, &addresses[i]);

                        if (s)
                                s->want = false;
                }
                adopt(p, TAKE_PTR(saved), false);
                for (size_t i = 0; i < n; i++) {
                        char buf[PCI_ADDRESS_STRING_MAX];

                        log_info("%s: %s.", pci_address_format(&addresses[i], buf), done);
                }
                return 0;
        }
        return refusal_set(refusal, PASSTHRU_ERROR_BUSY,
                           "%s/%s keeps changing on disk; try again when nobody is editing it.", p->dir,
                           CONFIG_FILE);
}

int persist_remember(Persist *p, const PciAddress *addresses, size_t n, Refusal *refusal) {
        assert(p);
        return edit(p, addresses, n, change_remember, NULL, "remembered", refusal);
}

int persist_forget(Persist *p, const PciAddress *addresses, size_t n, Refusal *refusal) {
        assert(p);
        return edit(p, addresses, n, change_forget, NULL, "forgotten", refusal);
}

int persist_remember_reset_method(Persist *p, const PciAddress *a, const char *methods, Refusal *refusal) {
        assert(p);
        assert(a);
        return edit(p, a, 1, change_reset_method, methods,
                    *methods ? "reset methods remembered" : "reset methods forgotten", refusal);
}

/* ---- queries ---- */

const Config *persist_config(Persist *p) {
        assert(p);
        return p->config;
}

const char *persist_dir(Persist *p) {
        assert(p);
        return p->dir;
}

const char *persist_load_error(Persist *p) {
        assert(p);
        return p->load_error;
}

ConfigState persist_entry_state(Persist *p, const ConfigEntry *e, const char **ret_reason) {
        const Device *d = manager_find_device(p->manager, &e->address);
        ConfigState state = config_entry_state(e, d);
        Status *s = status_find(p, &e->address);

        assert(p);
        assert(e);
        assert(ret_reason);
        *ret_reason = "";
        if (state == CONFIG_STATE_PENDING && s && s->reason) {
                *ret_reason = s->reason;
                return CONFIG_STATE_REFUSED;
        }
        return state;
}

/* ---- life ---- */

int persist_new(Manager *m, const char *config_dir, Persist **ret) {
        _cleanup_(persist_freep) Persist *p = calloc(1, sizeof(Persist));
        int r;

        assert(m);
        assert(ret);
        if (!p)
                return -ENOMEM;
        p->manager = m;
        p->dir = strdup(config_dir ?: CONFIG_DIR);
        if (!p->dir)
                return -ENOMEM;
        r = sd_event_add_defer(m->event, &p->apply_source, on_apply, p);
        if (r >= 0)
                r = sd_event_source_set_enabled(p->apply_source, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_defer(m->event, &p->reload_source, on_reload, p);
        if (r >= 0)
                r = sd_event_source_set_enabled(p->reload_source, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Failed to set up re-applying the configuration: %m");
        *ret = TAKE_PTR(p);
        return 0;
}

Persist *persist_free(Persist *p) {
        if (!p)
                return NULL;
        if (p->listening)
                manager_remove_listener(p->manager, &listener, p);
        sd_event_source_disable_unref(p->apply_source);
        sd_event_source_disable_unref(p->reload_source);
        sd_event_source_disable_unref(p->inotify_source);
        for (size_t i = 0; i < p->n_status; i++) {
                free(p->status[i].reason);
        }
        free(p->status);
        config_free(p->config);
        free(p->load_error);
        free(p->dir);
        free(p);
        return NULL;
}

void persist_set_applier(Persist *p, const PersistApplier *applier, void *userdata) {
        assert(p);
        p->applier = applier;
        p->applier_data = userdata;
}

void persist_note_outcome(Persist *p, const PciAddress *a, const char *reason) {
        assert(p);
        status_set_reason(p, a, reason);
}

void persist_set_listener(Persist *p, persist_changed_t changed, void *userdata) {
        assert(p);
        p->changed = changed;
        p->changed_data = userdata;
}

int persist_start(Persist *p) {
        Config *c = NULL;
        int r;

        assert(p);
        r = manager_add_listener(p->manager, &listener, p);
        if (r < 0)
                return log_error_errno(r, "Failed to listen to the device model: %m");
        p->listening = true;
        watch_dir(p);
        (void) config_clean_temporaries(p->dir);
        if (load(p, &c) < 0)
                return 0;
        log_info("Read %s/%s: %zu entries.", p->dir, CONFIG_FILE, config_n_entries(c));
        p->config = c;
        /* Start-up applies every entry; a device already on vfio-pci is skipped unplanned. */
        for (size_t i = 0; i < config_n_entries(c); i++)
                want(p, &config_entry(c, i)->address);
        update_persistent(p);
        return 0;
}
