/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bind.h"
#include "bootcfg.h"
#include "check.h"
#include "config-verbs.h"
#include "list.h"
#include "monitor.h"
#include "libvirt-hook.h"
#include "reset-method.h"
#include "vm-config.h"
#include "show.h"
#include "verbs.h"

#define GLOBAL_OPTIONS_HELP                                                         \
        "  -h --help               Show this help\n"                                \
        "     --version            Show the version\n"                              \
        "     --json               Print JSON instead of text\n"                    \
        "  -H --host=[USER@]HOST   Use the system bus of HOST, over ssh\n"          \
        "     --bus-address=ADDR   Use the bus at ADDR instead of the system bus\n" \
        "     --timeout=SECONDS    Give up on the bus or an answer after this long (25)\n"

static int check_on_off(char *argv[]) {
        if (streq(argv[2], "on") || streq(argv[2], "off"))
                return 0;
        return client_error_errno(EINVAL, "'persist' takes on or off, not '%s'.", argv[2]);
}

static const Verb verbs[] = {
        {
                .name = "list",
                .run = verb_list,
                .synopsis = "",
                .summary = "List PCI functions with driver, IOMMU group and state",
                .example = "passthructl list",
        },
        {
                .name = "show",
                .min_args = 1,
                .max_args = 1,
                .run = verb_show,
                .synopsis = "ADDRESS",
                .summary = "Show everything about one function and its group mates",
                .example = "passthructl show 01:00.0",
        },
        {
                .name = "groups",
                .run = verb_groups,
                .synopsis = "",
                .summary = "List IOMMU groups, their viability and members",
                .example = "passthructl groups",
        },
        {
                .name = "monitor",
                .run = verb_monitor,
                .synopsis = "",
                .summary = "Print device and driver events as they happen",
                .example = "passthructl --json monitor",
        },
        {
                .name = "check",
                .run = verb_check,
                .synopsis = "",
                .summary = "Check the host: IOMMU, interrupt remapping, vfio, boot config",
                .example = "passthructl check",
        },
        {
                .name = "bind",
                .min_args = 1,
                .max_args = 1,
                .run = verb_bind,
                .synopsis = "ADDRESS",
                .summary = "Give a function (--group: its IOMMU group) to vfio-pci",
                .options = OPTION_GROUP | OPTION_DRY_RUN | OPTION_FORCE | OPTION_PERSIST,
                .options_help =
                        "     --group              Move every endpoint of the IOMMU group together\n"
                        "     --dry-run            Print the plan, change nothing\n"
                        "     --force              Also a device the host uses, where that is survivable\n"
                        "     --persist            Also remember it, to bind it at every start-up\n",
                .example = "passthructl bind --group 01:00.0",
        },
        {
                .name = "unbind",
                .min_args = 1,
                .max_args = 1,
                .run = verb_unbind,
                .synopsis = "ADDRESS",
                .summary = "Give a function (--group: its group) back to its driver",
                .options = OPTION_GROUP | OPTION_DRY_RUN | OPTION_DRIVER | OPTION_PERSIST,
                .options_help = "     --group              Move every endpoint of the IOMMU group together\n"
                                "     --dry-run            Print the plan, change nothing\n"
                                "     --driver=NAME        Give the function to this driver\n"
                                "     --persist            Also forget it, so it stays on the host\n",
                .example = "passthructl unbind --group 01:00.0",
        },
        {
                .name = "persist",
                .min_args = 2,
                .max_args = 2,
                .run = verb_persist,
                .synopsis = "ADDRESS on|off",
                .summary = "Remember (on) or forget (off) a function, without moving it now",
                .example = "passthructl persist 01:00.0 on",
                .check_arguments = check_on_off,
        },
        {
                .name = "config",
                .run = verb_config,
                .synopsis = "",
                .summary = "List remembered functions, their identity and state",
                .example = "passthructl config",
        },
        {
                .name = "reset-method",
                .min_args = 2,
                .max_args = 2,
                .run = verb_reset_method,
                .synopsis = "ADDRESS METHODS",
                .summary = "Set how a function is reset (flr,bus... or default); --persist remembers it",
                .options = OPTION_PERSIST,
                .options_help = "     --persist            Also remember it (with default: forget it)\n",
                .example = "passthructl reset-method 01:00.0 bus --persist",
        },
        {
                .name = "vm-config",
                .min_args = 1,
                .max_args = 1,
                .run = verb_vm_config,
                .synopsis = "ADDRESS",
                .summary = "Print what gives a function and its group to a VM (libvirt, QEMU, Proxmox)",
                .options = OPTION_VM_FORMAT,
                .options_help = "     --libvirt            libvirt <hostdev> elements (the default)\n"
                                "     --qemu               QEMU -device lines\n"
                                "     --proxmox            Proxmox qm set lines\n",
                .example = "passthructl vm-config 01:00.0 --qemu",
        },
        {
                .name = "libvirt-hook",
                .min_args = 3,
                .max_args = 4,
                .run = verb_libvirt_hook,
                .synopsis = "GUEST OP SUBOP [EXTRA]",
                .summary =
                        "libvirt's qemu.d/passthru hook: bind a domain's hostdevs at start, give back at stop",
                .example = "passthructl libvirt-hook win10 prepare begin - <domain.xml",
                .connects_itself = true,
        },
        {
                .name = "boot-config",
                .run = verb_boot_config,
                .synopsis = "",
                .summary = "Write (--dry-run: show) the boot configuration that binds early",
                .options = OPTION_DRY_RUN | OPTION_NO_INITRAMFS | OPTION_NO_CMDLINE | OPTION_REMOVE |
                           OPTION_IOMMU_PT,
                .options_help = "     --dry-run            Print the diffs and commands, change nothing\n"
                                "     --no-initramfs       Leave early binding and the initramfs alone\n"
                                "     --no-cmdline         Leave the kernel command line alone\n"
                                "     --remove             Take out what passthru wrote\n"
                                "     --iommu-pt           Also add iommu=pt to the command line\n",
                .example = "passthructl boot-config --dry-run",
        },
};

/* The names of VerbOption's bits, in their order. */
static const char *const option_names[] = {
        "--group",        "--dry-run",    "--force",  "--driver",   "--persist",
        "--no-initramfs", "--no-cmdline", "--remove", "--iommu-pt", "--libvirt/--qemu/--proxmox",
};

const Verb *verb_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

int verb_check_command_line(const Verb *verb, int argc, char *argv[], unsigned given) {
        unsigned n_args = (unsigned) argc - 1;

        if (n_args < verb->min_args)
                return client_error_errno(EINVAL, "'%s' needs %s%s; see '%s help %s'.", verb->name,
                                          verb->max_args > verb->min_args ? "at least " : "", verb->synopsis,
                                          program_invocation_short_name, verb->name);
        if (n_args > verb->max_args && verb->max_args == 0)
                return client_error_errno(EINVAL, "'%s' takes no arguments.", verb->name);
        if (n_args > verb->max_args)
                return client_error_errno(EINVAL, "Too many arguments; usage: %s %s", verb->name,
                                          verb->synopsis);
        for (size_t i = 0; i < ELEMENTSOF(option_names); i++)
                if ((given & ~verb->options) & (1u << i))
                        return client_error_errno(EINVAL, "'%s' is not an option of %s; see '%s help %s'.",
                                                  option_names[i], verb->name, program_invocation_short_name,
                                                  verb->name);
        return verb->check_arguments ? verb->check_arguments(argv) : 0;
}

void verbs_help(void) {
        printf("%s [OPTIONS...] COMMAND ...\n\n"
               "Inspect PCI passthrough through passthrud (org.passthru.Manager).\n\n"
               "Commands:\n",
               program_invocation_short_name);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-11s %-15s %s\n", verbs[i].name, verbs[i].synopsis, verbs[i].summary);
        printf("  %-11s %-15s %s\n", "help", "[COMMAND]", "Show this help, or a command's");
        printf("\nOptions:\n" GLOBAL_OPTIONS_HELP
               "\nWithout a command, 'list' is run. '%s help COMMAND' shows a command's options\n"
               "and an example. See passthructl(1).\n",
               program_invocation_short_name);
}

void verb_help(const Verb *verb) {
        printf("Usage: %s [OPTIONS...] %s%s%s\n\n%s.\n", program_invocation_short_name, verb->name,
               *verb->synopsis ? " " : "", verb->synopsis, verb->summary);
        if (verb->options_help)
                printf("\nOptions of %s:\n%s", verb->name, verb->options_help);
        printf("\nOptions of every command:\n" GLOBAL_OPTIONS_HELP
               "\nExample:\n  %s\n\nSee passthructl(1).\n",
               verb->example);
}
