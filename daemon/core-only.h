/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Force-included into every file of the daemon's core library (daemon/meson.build): the
 * model never holds a bus connection, builds a message or sets a bus error. Naming any of
 * these types, or including <systemd/sd-bus.h>, is a compile error there; changes go up
 * through the Manager's listener instead. */
#pragma GCC poison sd_bus sd_bus_message sd_bus_error sd_bus_slot sd_bus_vtable
