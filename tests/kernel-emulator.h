/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The kernel's driver core, emulated on a testbed. umockdev attribute files are plain
 * files: a daemon's write to drivers/X/unbind, drivers/X/bind or bus/pci/drivers_probe just
 * lands there. The emulator watches those files with inotify (in the test's main context)
 * and does what the kernel would: move the driver link, honour driver_override, probe the
 * native driver, send the "unbind"/"bind" uevents. It can also refuse a probe (a driver
 * whose probe() fails) and make a driver's unbind block forever (a FIFO nobody reads, like
 * a remove() waiting for a compositor to let go). */

#include "testbed.h"

typedef struct KernelEmulator KernelEmulator;

KernelEmulator *kernel_emulator_new(Testbed *tb);
/* Releases any blocked writer first. */
void kernel_emulator_free(KernelEmulator *k);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KernelEmulator, kernel_emulator_free)

/* A driver directory with bind and unbind files (a module being loaded). */
void kernel_emulator_add_driver(KernelEmulator *k, const char *driver);
/* driver's probe() fails for address: probing leaves the device unbound. */
void kernel_emulator_refuse(KernelEmulator *k, const char *driver, const char *address);
/* Writers of driver's unbind block until kernel_emulator_release() (or free). */
void kernel_emulator_block_unbind(KernelEmulator *k, const char *driver);
/* Lets a blocked unbind through and performs it. */
void kernel_emulator_release(KernelEmulator *k);
/* The name of the driver bound to address, NULL when unbound. */
char *kernel_emulator_driver(KernelEmulator *k, const char *address);
/* driver_override as the kernel shows it, NULL for "(null)". */
char *kernel_emulator_override(KernelEmulator *k, const char *address);
/* Fails the test unless address is on driver (NULL: none) with that override (NULL: none). */
void kernel_emulator_assert(KernelEmulator *k, const char *address, const char *driver,
                            const char *override);
/* How many writes to a driver's bind or unbind or to drivers_probe named address. */
unsigned kernel_emulator_writes(KernelEmulator *k, const char *address);
/* Runs the main context until pending inotify events are handled. */
void kernel_emulator_settle(KernelEmulator *k);
