/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The verbs of passthructl: one row each with its arguments, the options it takes, its help
 * (usage, options, an example) and the function that runs it. main.c finds the row, checks
 * the command line against it before anything is sent, and runs it. A new verb is one row
 * in verbs.c and a file of its own. */

#include "passthructl.h"

/* The options a verb may take beyond the global ones (--json, -H, --bus-address,
 * --timeout); ClientOptions.given says which were on the command line. */
typedef enum VerbOption {
        OPTION_GROUP = 1 << 0,
        OPTION_DRY_RUN = 1 << 1,
        OPTION_FORCE = 1 << 2,
        OPTION_DRIVER = 1 << 3,
        OPTION_PERSIST = 1 << 4,
        OPTION_NO_INITRAMFS = 1 << 5,
        OPTION_NO_CMDLINE = 1 << 6,
        OPTION_REMOVE = 1 << 7,
        OPTION_IOMMU_PT = 1 << 8,
        OPTION_VM_FORMAT = 1 << 9, /* --libvirt, --qemu, --proxmox */
} VerbOption;

typedef struct Verb {
        const char *name;
        unsigned min_args, max_args; /* not counting the verb itself */
        VerbFunction run;
        const char *synopsis; /* its arguments */
        const char *summary;
        unsigned options;         /* VerbOption */
        const char *options_help; /* one line per option, as --help prints it */
        const char *example;
        /* The verb's own check of its arguments (argv[0] is the verb), before connecting. */
        int (*check_arguments)(char *argv[]);
        bool connects_itself; /* the verb connects when it needs the bus (bus is NULL) */
} Verb;

const Verb *verb_find(const char *name);

/* The command line's verb arguments and options against the verb's row: <0 after saying
 * what is wrong (a usage error). */
int verb_check_command_line(const Verb *verb, int argc, char *argv[], unsigned given);

/* passthructl --help: every verb and the global options. */
void verbs_help(void);
/* passthructl VERB --help, passthructl help VERB: usage, options, an example. */
void verb_help(const Verb *verb);
