/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The org.passthru.Error.* names with their errno equivalents, registered with sd-bus so
 * both ends map them; the sentence a person reads is set where the error is decided. */

#include <systemd/sd-bus.h>

extern const sd_bus_error_map passthru_error_map[];
