/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* passthructl vm-config ADDRESS [--libvirt|--qemu|--proxmox] [--json]: the daemon's
 * GetVmConfig, the snippet on stdout and what to do first on stderr. */

#include "passthructl.h"

int verb_vm_config(sd_bus *bus, int argc, char *argv[], const ClientOptions *o);
