/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asking polkit before anything changes. One table maps each method to its action; a method
 * not in it is denied. The question goes out asynchronously (CheckAuthorization with the
 * caller's unique bus name as a system-bus-name subject); when the answer arrives the call
 * is put back in the bus queue with sd_bus_enqueue_for_read(), so the method handler runs
 * again from the start, re-checks the device, and this time gets the answer. Any error,
 * including polkit being absent, denies. A caller running as root is not asked: polkitd
 * would authorize it anyway (polkit_check_action(); ask_root turns that off). */

#include <systemd/sd-bus.h>

#include "macros.h"

#define POLKIT_ACTION_MANAGE_DEVICES "org.passthru.manage-devices"
#define POLKIT_ACTION_CONFIGURE_HOST "org.passthru.configure-host"

typedef struct Polkit Polkit;

int polkit_new(bool ask_root, Polkit **ret);
Polkit *polkit_free(Polkit *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Polkit *, polkit_free);

/* 1: authorized, go ahead. 0: asked; return 1 from the handler without replying, it runs
 * again. <0: denied or failed, error set to org.passthru.Error.NotAuthorized. */
int polkit_check(Polkit *p, sd_bus_message *call, sd_bus_error *error);
/* The same for a given action (NULL: denied): a call whose options change what it needs,
 * such as Bind with persist. The handler must ask for the same action when it runs again. */
int polkit_check_action(Polkit *p, sd_bus_message *call, const char *action, sd_bus_error *error);
