/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A polkit authority in the test process: it owns org.freedesktop.PolicyKit1 on the
 * harness's private bus and answers CheckAuthorization as its mode says, remembering the
 * last question (subject, action, flags) and counting them. The daemon asks it exactly as it
 * asks polkitd. */

#include <gio/gio.h>
#include <stdbool.h>

typedef enum {
        POLKIT_ALLOW,
        POLKIT_DENY,
        POLKIT_CHALLENGE, /* not authorized, but an agent could ask */
        POLKIT_ERROR,
        POLKIT_ABSENT,   /* nobody owns the name */
        POLKIT_HOLD,     /* keep the question until mock_polkit_answer() */
        POLKIT_HOLD_ALL, /* keep every question until mock_polkit_answer_all() */
} PolkitMode;

typedef struct {
        PolkitMode mode; /* may be changed between questions */
        guint registration, owner;
        bool owned;
        unsigned calls;
        char *subject_kind, *subject_name, *action; /* of the last question */
        guint32 flags;
        GDBusMethodInvocation *held;
        GPtrArray *held_all; /* POLKIT_HOLD_ALL's questions, oldest first */
} MockPolkit;

/* Registers and owns the name (waiting until it is owned), unless mode is POLKIT_ABSENT. */
void mock_polkit_start(MockPolkit *p, GDBusConnection *connection, PolkitMode mode);
/* Answers a held question with mode. */
void mock_polkit_answer(MockPolkit *p, PolkitMode mode);
/* Answers every question POLKIT_HOLD_ALL holds with mode. */
void mock_polkit_answer_all(MockPolkit *p, PolkitMode mode);
/* Denies a question still held, gives the name up and clears p. */
void mock_polkit_stop(MockPolkit *p, GDBusConnection *connection);
