/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-common.h"
#include "log.h"
#include "passthru-dbus.h"
#include "polkit.h"

/* Interface members and the action that guards them. */
static const struct {
        const char *interface;
        const char *member;
        const char *action;
} method_actions[] = {
        { PASSTHRU_MANAGER_INTERFACE, "Bind", POLKIT_ACTION_MANAGE_DEVICES },
        { PASSTHRU_MANAGER_INTERFACE, "Unbind", POLKIT_ACTION_MANAGE_DEVICES },
        { PASSTHRU_DEVICE_INTERFACE, "Bind", POLKIT_ACTION_MANAGE_DEVICES },
        { PASSTHRU_DEVICE_INTERFACE, "Unbind", POLKIT_ACTION_MANAGE_DEVICES },
        /* Bind and Unbind with the persist option ask for configure-host instead
         * (polkit_check_action()). */
        { PASSTHRU_MANAGER_INTERFACE, "Persist", POLKIT_ACTION_CONFIGURE_HOST },
        /* With persist: configure-host, as Bind. */
        { PASSTHRU_MANAGER_INTERFACE, "SetResetMethod", POLKIT_ACTION_MANAGE_DEVICES },
        { PASSTHRU_MANAGER_INTERFACE, "ApplyBootConfig", POLKIT_ACTION_CONFIGURE_HOST },
};

/* CheckAuthorization flag AllowUserInteraction. */
#define POLKIT_ALLOW_USER_INTERACTION 1u

/* A user cannot hold more questions than this at once, however many connections it opens,
 * nor all users together more than the total: each question is a reply passthrud awaits from
 * polkitd, and dbus-daemon lets one connection await at most max_replies_per_connection (128
 * on the system bus) before it refuses the next call, whoever it is for. */
#define POLKIT_QUERIES_PER_USER 8
#define POLKIT_QUERIES_TOTAL 32
#define BUS_MAX_REPLIES_PER_CONNECTION 128
_Static_assert(POLKIT_QUERIES_TOTAL * 2 <= BUS_MAX_REPLIES_PER_CONNECTION,
               "questions to polkitd stay well below the bus's limit of pending replies");

typedef struct Query Query;
struct Query {
        Polkit *polkit;
        sd_bus_message *call; /* the method call waiting for the answer */
        sd_bus_slot *slot;
        sd_bus_track *caller; /* the query goes when its caller leaves the bus */
        const char *action;
        uid_t uid; /* the caller's, UID_INVALID when the bus did not say */
        bool answered;
        int result; /* 1 authorized, <0 denied */
        char *reason;
        Query *next;
};

struct Polkit {
        Query *queries;
        bool ask_root; /* ask polkitd even for root callers (--polkit-for-root=yes) */
};

int polkit_new(bool ask_root, Polkit **ret) {
        Polkit *p = calloc(1, sizeof(Polkit));

        assert(ret);
        if (!p)
                return -ENOMEM;
        p->ask_root = ask_root;
        *ret = p;
        return 0;
}

static Query *query_free(Query *q) {
        if (!q)
                return NULL;
        sd_bus_slot_unref(q->slot);
        sd_bus_track_unref(q->caller);
        sd_bus_message_unref(q->call);
        free(q->reason);
        free(q);
        return NULL;
}

static void query_unlink(Query *q) {
        for (Query **i = &q->polkit->queries; *i; i = &(*i)->next)
                if (*i == q) {
                        *i = q->next;
                        return;
                }
}

Polkit *polkit_free(Polkit *p) {
        if (!p)
                return NULL;
        while (p->queries) {
                Query *q = p->queries;

                p->queries = q->next;
                query_free(q);
        }
        free(p);
        return NULL;
}

static const char *action_for(sd_bus_message *call) {
        const char *interface = sd_bus_message_get_interface(call);
        const char *member = sd_bus_message_get_member(call);

        if (!interface || !member)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(method_actions); i++)
                if (streq(method_actions[i].interface, interface) && streq(method_actions[i].member, member))
                        return method_actions[i].action;
        return NULL;
}

static int read_answer(sd_bus_message *reply, Query *q) {
        int authorized, challenge, r;

        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0)
                return r;
        if (authorized)
                return 1;
        q->reason = strdup(challenge ? "authentication is required; run the command in a terminal "
                                       "so the polkit agent can ask for it"
                                     : "polkit denied it");
        return -EACCES;
}

static int on_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        Query *q = userdata;
        int r;

        q->slot = sd_bus_slot_unref(q->slot);
        q->answered = true;
        if (e) {
                log_warning("polkit could not answer for %s (%s: %s), denying.", q->action, e->name,
                            strna(e->message));
                q->result = -EACCES;
                q->reason = strdup("authorization could not be checked (is polkit running?)");
        } else {
                q->result = read_answer(reply, q);
                if (q->result < 0 && !q->reason)
                        q->reason = strdup("polkit sent an unexpected answer");
        }
        /* Dispatch the original call again; its handler will find this answer. */
        r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->call), q->call);
        if (r < 0) {
                log_error_errno(r, "Failed to requeue a call after polkit answered: %m");
                query_unlink(q);
                query_free(q);
        }
        return 0;
}

/* The questions waiting for polkitd: of one user, or of everyone (uid NULL). */
static size_t count_queries(Polkit *p, const uid_t *uid) {
        size_t n = 0;

        for (Query *q = p->queries; q; q = q->next)
                if (!uid || q->uid == *uid)
                        n++;
        return n;
}

/* The caller left the bus: nobody is left to answer, drop the question. */
static int on_caller_gone(sd_bus_track *track, void *userdata) {
        Query *q = userdata;

        log_debug("%s left before polkit answered; dropping its question.",
                  strna(sd_bus_message_get_sender(q->call)));
        query_unlink(q);
        query_free(q);
        return 0;
}

static int ask(Polkit *p, sd_bus_message *call, const char *action, uid_t uid) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        sd_bus *bus = sd_bus_message_get_bus(call);
        const char *sender = sd_bus_message_get_sender(call);
        unsigned flags = 0;
        Query *q;
        int r;

        if (!sender)
                return -EACCES;
        if (sd_bus_message_get_allow_interactive_authorization(call))
                flags |= POLKIT_ALLOW_USER_INTERACTION;
        r = sd_bus_message_new_method_call(bus, &msg, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender,
                                          action, 0, flags, "");
        if (r < 0)
                return r;
        q = calloc(1, sizeof(Query));
        if (!q)
                return -ENOMEM;
        q->polkit = p;
        q->action = action;
        q->uid = uid;
        q->call = sd_bus_message_ref(call);
        r = sd_bus_track_new(bus, &q->caller, on_caller_gone, q);
        if (r >= 0)
                r = sd_bus_track_add_sender(q->caller, call);
        /* An agent may take a person's time to answer; without one, polkit answers at once. */
        if (r >= 0)
                r = sd_bus_call_async(bus, &q->slot, msg, on_answer, q, flags ? 5 * 60 * 1000000ULL : 0);
        if (r < 0) {
                query_free(q);
                return r;
        }
        q->next = p->queries;
        p->queries = q;
        return 0;
}

static Query *find_query(Polkit *p, sd_bus_message *call) {
        for (Query *q = p->queries; q; q = q->next)
                if (q->call == call)
                        return q;
        return NULL;
}

static int deny(sd_bus_error *error, const char *action, const char *reason) {
        return sd_bus_error_setf(
                error, PASSTHRU_ERROR_NOT_AUTHORIZED, "Not authorized to %s (polkit action %s): %s.",
                streq_ptr(action, POLKIT_ACTION_CONFIGURE_HOST) ? "change the host's configuration"
                                                                : "change device drivers",
                action ?: "none", reason);
}

int polkit_check(Polkit *p, sd_bus_message *call, sd_bus_error *error) {
        assert(p);
        assert(call);
        return polkit_check_action(p, call, action_for(call), error);
}

int polkit_check_action(Polkit *p, sd_bus_message *call, const char *action, sd_bus_error *error) {
        Query *q;
        uid_t uid;
        int r;

        assert(p);
        assert(call);
        if (!action)
                return deny(error, NULL, "this method has no polkit action");
        q = find_query(p, call);
        if (q) {
                _cleanup_free_ char *reason = NULL;

                if (!q->answered)
                        return 0;
                r = q->result;
                reason = TAKE_PTR(q->reason);
                query_unlink(q);
                query_free(q);
                if (r < 0)
                        return deny(error, action, strempty(reason));
                return 1;
        }
        /* The one rule before polkit: a caller whose effective UID is 0 is authorized without
         * a question. polkitd itself authorizes root for every action without looking at its
         * rules, so asking would only cost a round trip; every other caller is asked.
         * systemd's bus_verify_polkit_async() lets privileged callers through the same way. */
        uid = bus_caller_uid(call);
        if (!p->ask_root && uid == 0) {
                log_debug("%s runs as root: authorized for %s without asking polkit.",
                          strna(sd_bus_message_get_sender(call)), action);
                return 1;
        }
        if (count_queries(p, &uid) >= POLKIT_QUERIES_PER_USER ||
            count_queries(p, NULL) >= POLKIT_QUERIES_TOTAL)
                return sd_bus_error_setf(error, PASSTHRU_ERROR_LIMIT_EXCEEDED,
                                         "Too many requests are waiting for authorization (at most %d per "
                                         "user, %d in all); try again when they are answered.",
                                         POLKIT_QUERIES_PER_USER, POLKIT_QUERIES_TOTAL);
        r = ask(p, call, action, uid);
        if (r < 0) {
                log_warning_errno(r, "Failed to ask polkit about %s, denying: %m", action);
                return deny(error, action, "authorization could not be checked");
        }
        return 0;
}
