/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The long options of passthructl, for getopt_long(), in one place for both programs: the
 * full client (main.c) takes all of them, the front (front/main.c) only those of bind and
 * unbind and hands any other to the full client. */

#include <getopt.h>

enum {
        ARG_VERSION = 0x100,
        ARG_JSON,
        ARG_BUS_ADDRESS,
        ARG_GROUP,
        ARG_DRY_RUN,
        ARG_FORCE,
        ARG_DRIVER,
        ARG_PERSIST,
        ARG_NO_INITRAMFS,
        ARG_NO_CMDLINE,
        ARG_REMOVE,
        ARG_IOMMU_PT,
        ARG_LIBVIRT,
        ARG_QEMU,
        ARG_PROXMOX,
};

/* What bind and unbind take, and where the bus is. */
/* clang-format off */
#define CLIENT_BIND_OPTIONS                                                \
        { "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },       \
        { "group", no_argument, NULL, ARG_GROUP },                         \
        { "dry-run", no_argument, NULL, ARG_DRY_RUN },                     \
        { "force", no_argument, NULL, ARG_FORCE },                         \
        { "driver", required_argument, NULL, ARG_DRIVER },                 \
        { "persist", no_argument, NULL, ARG_PERSIST }
/* clang-format on */
