/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passthructl: parses the command line, finds the verb in verbs.c's table, checks the
 * command line against it, connects to the bus and runs it. */
#include <getopt.h>
#include <locale.h>

#include "bus.h"
#include "check.h"
#include "config.h" /* the build's: PROJECT_VERSION */
#include "passthructl.h"
#include "verbs.h"

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
        ARG_TIMEOUT,
        ARG_LIBVIRT,
        ARG_QEMU,
        ARG_PROXMOX,
};

static int parse_seconds(const char *s, uint64_t *ret_usec) {
        unsigned long long v;
        char *end;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || *s == '-' || v == 0 || v > UINT32_MAX)
                return -EINVAL;
        *ret_usec = v * USEC_PER_SEC;
        return 0;
}

/* The long option of a getopt value, for messages. */
static const char *option_name(const struct option *options, int val) {
        for (const struct option *opt = options; opt->name; opt++)
                if (opt->val == val)
                        return opt->name;
        return NULL;
}

/* Returns 0 to run a verb, 1 to exit successfully (version), <0 on a bad argument; *given
 * collects the VerbOption bits of the verb options on the command line. */
static int parse_argv(int argc, char *argv[], ClientOptions *o, unsigned *given, bool *help) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, ARG_JSON },
                { "host", required_argument, NULL, 'H' },
                { "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
                { "group", no_argument, NULL, ARG_GROUP },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                { "force", no_argument, NULL, ARG_FORCE },
                { "driver", required_argument, NULL, ARG_DRIVER },
                { "persist", no_argument, NULL, ARG_PERSIST },
                { "no-initramfs", no_argument, NULL, ARG_NO_INITRAMFS },
                { "no-cmdline", no_argument, NULL, ARG_NO_CMDLINE },
                { "remove", no_argument, NULL, ARG_REMOVE },
                { "iommu-pt", no_argument, NULL, ARG_IOMMU_PT },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
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
                        *help = true;
                        break;
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
                        *given |= OPTION_GROUP;
                        break;
                case ARG_DRY_RUN:
                        o->dry_run = true;
                        *given |= OPTION_DRY_RUN;
                        break;
                case ARG_FORCE:
                        o->force = true;
                        *given |= OPTION_FORCE;
                        break;
                case ARG_DRIVER:
                        o->driver = optarg;
                        *given |= OPTION_DRIVER;
                        break;
                case ARG_PERSIST:
                        o->persist = true;
                        *given |= OPTION_PERSIST;
                        break;
                case ARG_NO_INITRAMFS:
                        o->no_initramfs = true;
                        *given |= OPTION_NO_INITRAMFS;
                        break;
                case ARG_NO_CMDLINE:
                        o->no_cmdline = true;
                        *given |= OPTION_NO_CMDLINE;
                        break;
                case ARG_REMOVE:
                        o->remove = true;
                        *given |= OPTION_REMOVE;
                        break;
                case ARG_IOMMU_PT:
                        o->iommu_pt = true;
                        *given |= OPTION_IOMMU_PT;
                        break;
                case ARG_TIMEOUT:
                        if (parse_seconds(optarg, &o->timeout_usec) < 0)
                                return client_error_errno(
                                        EINVAL, "--timeout takes whole seconds (1 or more), not '%s'.",
                                        optarg);
                        break;
                case ARG_LIBVIRT:
                case ARG_QEMU:
                case ARG_PROXMOX:
                        o->vm_format = c == ARG_LIBVIRT ? "libvirt" : c == ARG_QEMU ? "qemu" : "proxmox";
                        *given |= OPTION_VM_FORMAT;
                        break;
                case ':':
                        return client_error_errno(EINVAL, "Option '%s' needs an argument.",
                                                  argv[optind - 1]);
                default:
                        /* getopt says '?' too for a value given to an option that takes none. */
                        if (optopt >= ARG_VERSION && option_name(options, optopt) &&
                            strchr(argv[optind - 1], '='))
                                return client_error_errno(
                                        EINVAL, "Option '--%s' takes no value; see '%s --help'.",
                                        option_name(options, optopt), program_invocation_short_name);
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

/* "help" and "help VERB" answer without a bus. */
static int run_help(int argc, char *argv[]) {
        const Verb *verb;

        if (argc == 1) {
                verbs_help();
                return EXIT_SUCCESS;
        }
        if (argc > 2) {
                client_error_errno(EINVAL, "Too many arguments; usage: help [COMMAND]");
                return EXIT_USAGE;
        }
        verb = verb_find(argv[1]);
        if (!verb) {
                client_error_errno(EINVAL, "Unknown command '%s'; see '%s --help'.", argv[1],
                                   program_invocation_short_name);
                return EXIT_USAGE;
        }
        verb_help(verb);
        return EXIT_SUCCESS;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        static char *default_verb[] = { (char *) "list", NULL };
        ClientOptions options = { .timeout_usec = CLIENT_TIMEOUT_USEC_DEFAULT };
        unsigned given = 0;
        bool help = false;
        const Verb *verb;
        int r;

        /* Names from pci.ids may need the locale's encoding to be measured for the tables
         * (mbrtowc, wcwidth): that is LC_CTYPE. Only it: without a locale archive (C.UTF-8
         * in containers and minimal hosts) each category is a file of its own to load, and
         * the messages are English anyway. */
        setlocale(LC_CTYPE, "");
        r = parse_argv(argc, argv, &options, &given, &help);
        if (r != 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
        if (help && optind == argc) {
                verbs_help();
                return EXIT_SUCCESS;
        }
        if (optind < argc && streq(argv[optind], "help"))
                return run_help(argc - optind, argv + optind);
        if (optind == argc) {
                argv = default_verb;
                argc = 1;
                optind = 0;
        }
        verb = verb_find(argv[optind]);
        if (!verb) {
                client_error_errno(EINVAL, "Unknown command '%s'; see '%s --help'.", argv[optind],
                                   program_invocation_short_name);
                return EXIT_USAGE;
        }
        if (help) {
                verb_help(verb);
                return EXIT_SUCCESS;
        }
        if (verb_check_command_line(verb, argc - optind, argv + optind, given) < 0)
                return EXIT_USAGE;

        r = verb->connects_itself ? 0 : bus_connect(&options, &bus);
        if (r >= 0)
                r = verb->run(bus, argc - optind, argv + optind, &options);
        /* A verb may answer with its own exit status ("check": 1 degraded, 2 not-ready). */
        if (r < 0)
                return verb->run == verb_check ? EXIT_CHECK_FAILED : EXIT_FAILURE;
        return r;
}
