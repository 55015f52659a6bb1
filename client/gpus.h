/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The GPUs of the host for "check": each display controller and the other functions of its
 * slot (its HDMI audio), with what holds them (Holders: what, remedy) and how they are reset
 * (ResetVerdict). Only those few objects are read, never every device's. */

#include <json-c/json.h>

#include "passthructl.h"

/* An array of {address, driver, holders: [[what, remedy]...], reset_verdict}. */
int gpus_collect(sd_bus *bus, json_object **ret);
int gpus_print_text(json_object *gpus);
