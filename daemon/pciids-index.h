/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pci.ids format, read in place: one pass over the text notes where each top-level
 * block (vendor, class, generic subsystems) starts and ends, and a look-up reads only the
 * one block it needs. The answers are libpci 3.9's for PCI_LOOKUP_NO_NUMBERS |
 * PCI_LOOKUP_NO_HWDB, formatted as pci_lookup_name() formats them into 256 bytes; where
 * libpci gives up on a malformed line (and its error callback must not return), the line
 * is left out and the rest is read. Pure: no files, no logging (pciids.c does both). */

#include <stddef.h>
#include <stdint.h>

#include "macros.h"

/* libpci's answer buffer as we size it: a longer name ends in "..." at 255 bytes. */
#define PCIIDS_NAME_SIZE 256

typedef struct PciIdsIndex PciIdsIndex;

/* data must stay unchanged until the index is freed; it need not end in a NUL. -EFBIG for
 * text past 4 GiB. */
int pciids_index_new(const char *data, size_t size, PciIdsIndex **ret);
PciIdsIndex *pciids_index_free(PciIdsIndex *x);
DEFINE_TRIVIAL_CLEANUP_FUNC(PciIdsIndex *, pciids_index_free);

/* How many lines libpci would have refused (malformed, too long, a duplicate vendor or class,
 * an S block of an unknown vendor), and the number (from 1) of the first; 0 when none. */
size_t pciids_index_malformed(const PciIdsIndex *x, size_t *ret_first_line);

/* Each writes the name into buf and returns buf, or returns NULL when the ID is unknown. */
const char *pciids_index_vendor(const PciIdsIndex *x, uint16_t vendor, char buf[static PCIIDS_NAME_SIZE]);
const char *pciids_index_device(const PciIdsIndex *x, uint16_t vendor, uint16_t device,
                                char buf[static PCIIDS_NAME_SIZE]);
/* The device's own entry for the subsystem, else the generic (S) one, else the device's name
 * when the subsystem IDs are the device's. */
const char *pciids_index_subsystem(const PciIdsIndex *x, uint16_t vendor, uint16_t device,
                                   uint16_t subvendor, uint16_t subdevice,
                                   char buf[static PCIIDS_NAME_SIZE]);
/* class_id is base class << 8 | subclass: the subclass name, else "BASE NAME [ccss]". */
const char *pciids_index_class(const PciIdsIndex *x, uint16_t class_id, char buf[static PCIIDS_NAME_SIZE]);
