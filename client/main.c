/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passthructl: parses the command line, connects to the bus and runs one verb from the
 * table below. A new verb is one row here and its own file. */
#include <getopt.h>
#include <locale.h>

#include "bind.h"
#include "bootcfg.h"
#include "bus.h"
#include "check.h"
#include "client-options.h"
#include "config.h" /* the build's: PROJECT_VERSION */
#include "config-verbs.h"
#include "libvirt-hook.h"
#include "list.h"
#include "monitor.h"
#include "passthructl.h"
#include "reset-method.h"
#include "show.h"
#include "vm-config.h"

typedef struct Verb {
        const char *name;
        unsigned min_args, max_args; /* not counting the verb itself */
        VerbFunction run;
        const char *synopsis; /* arguments, for --help */
        const char *summary;
        bool connects_itself; /* the verb connects when it needs the bus (bus is NULL) */
} Verb;

static const Verb verbs[] = {
        { "list", 0, 0, verb_list, "", "List PCI functions with driver, IOMMU group and state" },
        { "show", 1, 1, verb_show, "ADDRESS", "Show everything about one function and its group mates" },
        { "groups", 0, 0, verb_groups, "", "List IOMMU groups, their viability and members" },
        { "monitor", 0, 0, verb_monitor, "", "Print device and driver events as they happen" },
        { "check", 0, 0, verb_check, "", "Check the host: IOMMU, interrupt remapping, vfio, boot config" },
        { "bind", 1, 1, verb_bind, "ADDRESS", "Give a function (--group: its IOMMU group) to vfio-pci" },
        { "unbind", 1, 1, verb_unbind, "ADDRESS",
          "Give a function (--group: its group) back to its driver" },
        { "persist", 2, 2, verb_persist, "ADDRESS on|off",
          "Remember (on) or forget (off) a function, without moving it now" },
        { "config", 0, 0, verb_config, "", "List remembered functions, their identity and state" },
        { "reset-method", 2, 2, verb_reset_method, "ADDRESS METHODS",
          "Set how a function is reset (flr,bus... or default); --persist remembers it" },
        { "boot-config", 0, 0, verb_boot_config, "",
          "Write (--dry-run: show) the boot configuration that binds early" },
        { "vm-config", 1, 1, verb_vm_config, "ADDRESS",
          "Print what gives a function and its group to a VM (libvirt, QEMU, Proxmox)" },
        { "libvirt-hook", 3, 4, verb_libvirt_hook, "GUEST OP SUBOP [EXTRA]",
          "libvirt's qemu.d/passthru hook: bind a domain's hostdevs at start, give back at stop", true },
};

static void help(void) {
        printf("%s [OPTIONS...] COMMAND ...\n\n"
               "Inspect PCI passthrough through passthrud (org.passthru.Manager).\n\n"
               "Commands:\n",
               program_invocation_short_name);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-11s %-15s %s\n", verbs[i].name, verbs[i].synopsis, verbs[i].summary);
        printf("\nOptions:\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --json               Print JSON instead of text\n"
               "  -H --host=[USER@]HOST   Use the system bus of HOST, over ssh\n"
               "     --bus-address=ADDR   Use the bus at ADDR instead of the system bus\n"
               "\nOptions of bind and unbind:\n"
               "     --group              Move every endpoint of the IOMMU group together\n"
               "     --dry-run            Print the plan, change nothing\n"
               "     --force              bind: also a device the host uses, where that is survivable\n"
               "     --driver=NAME        unbind: give the function to this driver\n"
               "     --persist            bind: also remember it; unbind: also forget it;\n"
               "                          reset-method: also remember it (default: forget)\n"
               "\nOptions of boot-config:\n"
               "     --dry-run            Print the diffs and commands, change nothing\n"
               "     --no-initramfs       Leave early binding and the initramfs alone\n"
               "     --no-cmdline         Leave the kernel command line alone\n"
               "     --remove             Take out what passthru wrote\n"
               "     --iommu-pt           Also add iommu=pt to the command line\n"
               "\nOptions of vm-config:\n"
               "     --libvirt            libvirt <hostdev> elements (the default)\n"
               "     --qemu               QEMU -device lines\n"
               "     --proxmox            Proxmox qm set lines\n"
               "\nWithout a command, 'list' is run. See passthructl(1).\n");
}

/* Returns 0 to run a verb, 1 to exit successfully (help, version), <0 on a bad argument. */
static int parse_argv(int argc, char *argv[], ClientOptions *o) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, ARG_JSON },
                { "host", required_argument, NULL, 'H' },
                CLIENT_BIND_OPTIONS,
                { "no-initramfs", no_argument, NULL, ARG_NO_INITRAMFS },
                { "no-cmdline", no_argument, NULL, ARG_NO_CMDLINE },
                { "remove", no_argument, NULL, ARG_REMOVE },
                { "iommu-pt", no_argument, NULL, ARG_IOMMU_PT },
                { "libvirt", no_argument, NULL, ARG_LIBVIRT },
                { "qemu", no_argument, NULL, ARG_QEMU },
                { "proxmox", no_argument, NULL, ARG_PROXMOX },
                {},
        };
        int c;

        /* getopt's own messages name argv[0] as typed; ours keep the one-line format. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":hH:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 1;
                case ARG_VERSION:
                        printf("passthructl %s\n", PROJECT_VERSION);
                        return 1;
                case ARG_JSON:
                        o->json = true;
                        break;
                case 'H':
                        o->host = optarg;
                        break;
                case ARG_BUS_ADDRESS:
                        o->bus_address = optarg;
                        break;
                case ARG_GROUP:
                        o->group = true;
                        break;
                case ARG_DRY_RUN:
                        o->dry_run = true;
                        break;
                case ARG_FORCE:
                        o->force = true;
                        break;
                case ARG_DRIVER:
                        o->driver = optarg;
                        break;
                case ARG_PERSIST:
                        o->persist = true;
                        break;
                case ARG_NO_INITRAMFS:
                        o->no_initramfs = true;
                        break;
                case ARG_NO_CMDLINE:
                        o->no_cmdline = true;
                        break;
                case ARG_REMOVE:
                        o->remove = true;
                        break;
                case ARG_IOMMU_PT:
                        o->iommu_pt = true;
                        break;
                case ARG_LIBVIRT:
                        o->vm_format = "libvirt";
                        break;
                case ARG_QEMU:
                        o->vm_format = "qemu";
                        break;
                case ARG_PROXMOX:
                        o->vm_format = "proxmox";
                        break;
                case ':':
                        return client_error_errno(EINVAL, "Option '%s' needs an argument.",
                                                  argv[optind - 1]);
                default:
                        if (optopt > 0 && optopt < ARG_VERSION) /* a short option */
                                return client_error_errno(EINVAL, "Unknown option '-%c'; see '%s --help'.",
                                                          optopt, program_invocation_short_name);
                        return client_error_errno(EINVAL, "Unknown option '%s'; see '%s --help'.",
                                                  argv[optind - 1], program_invocation_short_name);
                }
        if (o->host && o->bus_address)
                return client_error_errno(EINVAL, "--host and --bus-address cannot be used together.");
        return 0;
}

static const Verb *find_verb(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

static int check_arguments(const Verb *verb, unsigned n_args) {
        if (n_args < verb->min_args)
                return client_error_errno(EINVAL, "'%s' needs %s%s.", verb->name,
                                          verb->max_args > verb->min_args ? "at least " : "",
                                          verb->synopsis);
        if (n_args > verb->max_args && verb->max_args == 0)
                return client_error_errno(EINVAL, "'%s' takes no arguments.", verb->name);
        if (n_args > verb->max_args)
                return client_error_errno(EINVAL, "Too many arguments; usage: %s %s", verb->name,
                                          verb->synopsis);
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        static char *default_verb[] = { (char *) "list", NULL };
        ClientOptions options = {};
        const Verb *verb;
        int r;

        /* Names from pci.ids may need the locale's encoding to be measured for the tables
         * (mbrtowc, wcwidth): that is LC_CTYPE. Only it: without a locale archive (C.UTF-8
         * in containers and minimal hosts) each category is a file of its own, and loading all
         * twelve was a quarter of a bind's system calls. The messages are English anyway. */
        setlocale(LC_CTYPE, "");
        r = parse_argv(argc, argv, &options);
        if (r != 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
        if (optind == argc) {
                argv = default_verb;
                argc = 1;
                optind = 0;
        }
        verb = find_verb(argv[optind]);
        if (!verb) {
                client_error_errno(EINVAL, "Unknown command '%s'; see '%s --help'.", argv[optind],
                                   program_invocation_short_name);
                return EXIT_USAGE;
        }
        if (check_arguments(verb, (unsigned) (argc - optind - 1)) < 0)
                return EXIT_USAGE;
        if ((options.group || options.force || options.driver ||
             (options.persist && verb->run != verb_reset_method) ||
             (options.dry_run && verb->run != verb_boot_config)) &&
            verb->run != verb_bind && verb->run != verb_unbind) {
                client_error_errno(EINVAL,
                                   "--group, --dry-run, --force, --driver and --persist go with bind and "
                                   "unbind (--dry-run also with boot-config, --persist with reset-method).");
                return EXIT_USAGE;
        }
        if ((options.no_initramfs || options.no_cmdline || options.remove || options.iommu_pt) &&
            verb->run != verb_boot_config) {
                client_error_errno(EINVAL, "--no-initramfs, --no-cmdline, --remove and --iommu-pt go with "
                                           "boot-config.");
                return EXIT_USAGE;
        }

        if (options.vm_format && verb->run != verb_vm_config) {
                client_error_errno(EINVAL, "--libvirt, --qemu and --proxmox go with vm-config.");
                return EXIT_USAGE;
        }

        r = verb->connects_itself ? 0 : bus_connect(&options, &bus);
        if (r >= 0)
                r = verb->run(bus, argc - optind, argv + optind, &options);
        /* A verb may answer with its own exit status ("check": 1 degraded, 2 not-ready). */
        if (r < 0)
                return verb->run == verb_check ? EXIT_CHECK_FAILED : EXIT_FAILURE;
        return r;
}
