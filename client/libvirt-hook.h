/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* passthructl libvirt-hook GUEST OPERATION SUB-OPERATION [EXTRA]: what libvirt's
 * hooks/qemu.d/passthru runs, with the domain XML on stdin. At "prepare begin" every PCI
 * hostdev with managed='no' is bound through passthrud for that domain; at "release end"
 * what was bound for it is given back. A domain without such hostdevs costs no D-Bus call. */

#include "passthructl.h"

int verb_libvirt_hook(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
