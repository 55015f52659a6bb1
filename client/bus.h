/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* passthructl's side of D-Bus: which bus to connect to (system, remote over ssh, or a given
 * address), how a failed call is reported, the few calls every verb makes, and the polkit agent
 * that runs while a changing call waits. */

#include <systemd/sd-bus.h>

#include "passthructl.h"

int bus_connect(const ClientOptions *o, sd_bus **ret);

/* Prints the D-Bus error's own message (or strerror(r) when there is none) as the one error
 * line and returns r. */
int bus_log_error(const sd_bus_error *error, int r);

/* A call of an org.passthru.Manager method, for the caller to append the arguments to. */
int bus_new_manager_call(sd_bus *bus, const char *member, sd_bus_message **ret);
/* Sends call and waits up to usec (0: sd-bus's default); failures are reported with
 * bus_log_error(). With agent_for set, a polkit agent (pkttyagent) runs meanwhile, so polkit
 * can ask the person at the terminal for a password. */
int bus_call(sd_bus *bus, sd_bus_message *call, uint64_t usec, const ClientOptions *agent_for,
             sd_bus_message **ret_reply);

/* As bus_call(), but signals that arrive meanwhile are dispatched to the matches installed
 * on bus (progress of a long call). */
int bus_call_dispatching(sd_bus *bus, sd_bus_message *call, uint64_t usec, const ClientOptions *agent_for,
                         sd_bus_message **ret_reply);

/* Calls a method of org.passthru.Manager; failures are reported with bus_log_error(). */
int bus_call_manager(sd_bus *bus, const char *member, sd_bus_message **ret_reply, const char *types, ...);

/* Properties.GetAll of one object; the reply is positioned at its a{sv}. */
int bus_get_all_properties(sd_bus *bus, const char *path, const char *interface, sd_bus_message **ret_reply);
