/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The PCIe Device Serial Number (extended capability 0x0003) of a function, read from its
 * config space. It tells two cards with the same IDs apart, so a remembered binding is not
 * applied to a different card put in the same slot. Extended config space (past byte 256)
 * is readable only by root and only on PCIe; anything else simply has no serial here. */

#include <stddef.h>
#include <stdint.h>

/* "00-11-22-33-44-55-66-77" and its NUL: the spelling lspci uses, most significant byte first. */
#define PCI_DSN_STRING_MAX 24

/* Reads the little-endian dword at offset; -ENXIO (or any error) ends the walk. */
typedef int (*PciConfigRead32)(void *userdata, unsigned offset, uint32_t *ret);

/* Walks the extended capability list; -ENOENT when the function has no readable DSN. */
int pci_dsn_find(PciConfigRead32 read32, void *userdata, char **ret);
/* The same over a copy of config space (size may be short: 64 or 256 bytes). */
int pci_dsn_from_buffer(const uint8_t *config, size_t size, char **ret);
/* The same over an open sysfs "config" file: a few small reads, not all 4 KiB. */
int pci_dsn_from_fd(int config_fd, char **ret);
