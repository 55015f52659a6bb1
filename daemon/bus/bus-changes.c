/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-changes.h"
#include "log.h"
#include "strv.h"

#define OBJECT_PATH_MAX 64

typedef struct Pending {
        BusObjectKind kind;
        char path[OBJECT_PATH_MAX];
        unsigned bits;
} Pending;

struct BusChanges {
        sd_bus *bus;
        const BusObjectProperties *kinds;
        sd_event_source *flush;
        Pending *pending;
        size_t n_pending, allocated;
};

static void emit(BusChanges *c, const Pending *p) {
        _cleanup_strv_free_ char **names = calloc(1, sizeof(char *));
        int r;

        r = names ? c->kinds[p->kind].names(p->bits, &names) : -ENOMEM;
        if (r >= 0 && names[0])
                r = sd_bus_emit_properties_changed_strv(c->bus, p->path, c->kinds[p->kind].interface, names);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged for %s, ignoring: %m", p->path);
}

void bus_changes_flush(BusChanges *c) {
        /* Emitting may dispatch nothing, but take the list first all the same. */
        Pending *pending = TAKE_PTR(c->pending);
        size_t n = c->n_pending;

        assert(c);
        c->n_pending = c->allocated = 0;
        for (size_t i = 0; i < n; i++)
                emit(c, &pending[i]);
        free(pending);
}

static int on_flush(sd_event_source *s, void *userdata) {
        bus_changes_flush(userdata);
        return 0;
}

static Pending *find_pending(BusChanges *c, const char *path) {
        for (size_t i = 0; i < c->n_pending; i++)
                if (streq(c->pending[i].path, path))
                        return &c->pending[i];
        return NULL;
}

static Pending *add_pending(BusChanges *c, BusObjectKind kind, const char *path) {
        Pending *p;

        if (strlen(path) >= OBJECT_PATH_MAX)
                return NULL;
        if (c->n_pending == c->allocated) {
                size_t n = c->allocated ? c->allocated * 2 : 16;
                Pending *grown = realloc(c->pending, sizeof(Pending) * n);

                if (!grown)
                        return NULL;
                c->pending = grown;
                c->allocated = n;
        }
        p = &c->pending[c->n_pending++];
        *p = (Pending){ .kind = kind };
        strcpy(p->path, path);
        return p;
}

void bus_changes_queue(BusChanges *c, BusObjectKind kind, const char *path, unsigned bits) {
        Pending *p;
        int r;

        assert(c);
        assert(path);
        if (bits == 0)
                return;
        p = find_pending(c, path) ?: add_pending(c, kind, path);
        if (!p) {
                log_oom();
                return;
        }
        p->bits |= bits;
        r = sd_event_source_set_enabled(c->flush, SD_EVENT_ONESHOT);
        if (r < 0) {
                log_warning_errno(r, "Failed to schedule PropertiesChanged, sending now: %m");
                bus_changes_flush(c);
        }
}

void bus_changes_drop(BusChanges *c, const char *path) {
        Pending *p = find_pending(c, path);

        assert(c);
        assert(path);
        if (p)
                *p = c->pending[--c->n_pending];
}

int bus_changes_new(sd_event *event, sd_bus *bus,
                    const BusObjectProperties kinds[static _BUS_OBJECT_KIND_MAX], BusChanges **ret) {
        _cleanup_(bus_changes_freep) BusChanges *c = calloc(1, sizeof(BusChanges));
        int r;

        assert(event);
        assert(bus);
        assert(ret);
        if (!c)
                return -ENOMEM;
        c->bus = bus;
        c->kinds = kinds;
        r = sd_event_add_defer(event, &c->flush, on_flush, c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->flush, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Failed to set up PropertiesChanged batching: %m");
        *ret = TAKE_PTR(c);
        return 0;
}

BusChanges *bus_changes_free(BusChanges *c) {
        if (!c)
                return NULL;
        sd_event_source_disable_unref(c->flush);
        free(c->pending);
        free(c);
        return NULL;
}
