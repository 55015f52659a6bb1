/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The "show ADDRESS" verb: every org.passthru.Device property of one function, as
 * "Key: value" lines or one JSON object, plus its IOMMU group mates. */

#include "passthructl.h"

int verb_show(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
