/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passthrud: parses the command line, builds the layers — the Manager (the model), the
 * transaction engine on it, the bus on top — tells systemd it is ready, and runs until
 * SIGTERM or until the bus goes away (then it exits non-zero, for Restart=). */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include "bus.h"
#include "config.h"
#include "log.h"
#include "manager.h"
#include "operations.h"
#include "persist.h"
#include "transaction.h"

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "Privileged PCI passthrough service on the system bus (org.passthru.Manager).\n\n"
               "  -h --help                 Show this help\n"
               "     --version              Show the version\n"
               "     --bus-address=ADDRESS  Serve on this bus instead of the system bus\n"
               "     --sysfs-root=DIR       Read devices from DIR instead of /sys\n"
               "     --pci-ids=FILE         Device names from FILE instead of pci.ids\n"
               "     --modules-dir=DIR      Kernel modules from DIR instead of /lib/modules/`uname -r`\n"
               "     --modprobe-config=FILE modprobe configuration FILE instead of modprobe.d\n"
               "     --runtime-dir=DIR      Keep original-driver records in DIR instead of /run/passthru\n"
               "     --config-dir=DIR       Remembered devices in DIR/devices.conf instead of /etc/passthru\n"
               "     --proc-root=DIR        Read processes, mounts and routes from DIR instead of /proc\n"
               "     --boot-root=DIR        Plan, check and write boot configuration under DIR instead of /\n"
               "     --boot-helper=PATH     Write boot configuration with PATH as a child, not the socket's helper\n"
               "     --operation-timeout=SEC  Mark a device stuck when a driver change takes longer\n"
               "     --polkit-for-root=yes  Ask polkit for root callers too (it always says yes)\n"
               "     --log-level=LEVEL      debug, info, notice, warning or err\n",
               program_invocation_short_name);
}

enum {
        ARG_VERSION = 0x100,
        ARG_BUS_ADDRESS,
        ARG_SYSFS_ROOT,
        ARG_PCI_IDS,
        ARG_MODULES_DIR,
        ARG_MODPROBE_CONFIG,
        ARG_LOG_LEVEL,
        ARG_RUNTIME_DIR,
        ARG_PROC_ROOT,
        ARG_OPERATION_TIMEOUT,
        ARG_CONFIG_DIR,
        ARG_POLKIT_FOR_ROOT,
        ARG_BOOT_ROOT,
        ARG_BOOT_HELPER,
};

/* Returns 0 to run, 1 to exit successfully (help, version), <0 on a bad argument. */
static int parse_argv(int argc, char *argv[], ManagerOptions *o, const char **bus_address,
                      const char **config_dir, const char **boot_helper, bool *polkit_for_root) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
                { "sysfs-root", required_argument, NULL, ARG_SYSFS_ROOT },
                { "pci-ids", required_argument, NULL, ARG_PCI_IDS },
                { "modules-dir", required_argument, NULL, ARG_MODULES_DIR },
                { "modprobe-config", required_argument, NULL, ARG_MODPROBE_CONFIG },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                { "proc-root", required_argument, NULL, ARG_PROC_ROOT },
                { "operation-timeout", required_argument, NULL, ARG_OPERATION_TIMEOUT },
                { "config-dir", required_argument, NULL, ARG_CONFIG_DIR },
                { "polkit-for-root", required_argument, NULL, ARG_POLKIT_FOR_ROOT },
                { "boot-root", required_argument, NULL, ARG_BOOT_ROOT },
                { "boot-helper", required_argument, NULL, ARG_BOOT_HELPER },
                {},
        };
        int c, level;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 1;
                case ARG_VERSION:
                        /* Test builds say so: the VM suite runs its fault scenarios only then. */
                        printf("passthrud %s%s\n", PROJECT_VERSION,
                               PASSTHRU_FAULT_POINTS ? " (test build: PASSTHRU_FAULT_WRITE)" : "");
                        return 1;
                case ARG_BUS_ADDRESS:
                        *bus_address = optarg;
                        break;
                case ARG_SYSFS_ROOT:
                        o->sysfs_root = optarg;
                        break;
                case ARG_PCI_IDS:
                        o->pci_ids = optarg;
                        break;
                case ARG_MODULES_DIR:
                        o->modules_dir = optarg;
                        break;
                case ARG_MODPROBE_CONFIG:
                        o->modprobe_config = optarg;
                        break;
                case ARG_RUNTIME_DIR:
                        o->runtime_dir = optarg;
                        break;
                case ARG_PROC_ROOT:
                        o->proc_root = optarg;
                        break;
                case ARG_CONFIG_DIR:
                        *config_dir = o->config_dir = optarg;
                        break;
                case ARG_BOOT_ROOT:
                        o->boot_root = optarg;
                        break;
                case ARG_BOOT_HELPER:
                        *boot_helper = optarg;
                        break;
                case ARG_POLKIT_FOR_ROOT:
                        if (!streq(optarg, "yes") && !streq(optarg, "no"))
                                return log_error_errno(
                                        EINVAL, "--polkit-for-root takes yes or no, not '%s'.", optarg);
                        *polkit_for_root = streq(optarg, "yes");
                        break;
                case ARG_OPERATION_TIMEOUT: {
                        char *end;
                        double sec = strtod(optarg, &end);

                        if (*end != '\0' || end == optarg || !(sec > 0 && sec < 3600))
                                return log_error_errno(EINVAL, "Invalid --operation-timeout '%s'.", optarg);
                        o->operation_timeout_usec = (uint64_t) (sec * 1000000);
                        break;
                }
                case ARG_LOG_LEVEL:
                        level = log_level_from_string(optarg);
                        if (level < 0)
                                return log_error_errno(level, "Unknown log level '%s'.", optarg);
                        log_set_max_level(level);
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(EINVAL, "%s takes no positional arguments.",
                                       program_invocation_short_name);
        return 0;
}

/* SIGHUP (systemd's ExecReload=) reads devices.conf again. */
static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        log_info("SIGHUP: reading the configuration again.");
        (void) persist_reload(userdata);
        return 0;
}

static int block_signals(sd_event *event) {
        sigset_t mask;
        int r;

        /* Signals arrive through the event loop; without a handler, sd-event exits the loop. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");
        r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");
        return 0;
}

static int run(int argc, char *argv[]) {
        /* Freed in reverse: the transactions tell their callers over the bus, on the model. */
        _cleanup_(manager_freep) Manager *m = NULL;
        /* After the engine too: transactions still under way report to it when stopped. */
        _cleanup_(persist_freep) Persist *persist = NULL;
        _cleanup_(bus_freep) Bus *bus = NULL;
        /* After the engine: a transaction stopped under way reports to its operation. */
        _cleanup_(operations_freep) Operations *operations = NULL;
        _cleanup_(transactions_freep) Transactions *transactions = NULL;
        const char *bus_address = NULL, *config_dir = NULL, *boot_helper = NULL;
        bool polkit_for_root = false;
        ManagerOptions options = {};
        int r;

        /* Under systemd stderr is the journal: keep the priority of each line. */
        log_set_prefix_priority(getenv("JOURNAL_STREAM") != NULL);
        /* A fixed threshold: a big reply's buffer is mapped and given back when freed. glibc
         * raises a dynamic one past each freed buffer, which then stays in the heap. */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        r = parse_argv(argc, argv, &options, &bus_address, &config_dir, &boot_helper, &polkit_for_root);
        if (r != 0)
                return r;

        r = manager_new(&options, &m);
        if (r >= 0)
                r = block_signals(m->event);
        if (r >= 0)
                r = manager_start(m);
        if (r >= 0)
                r = transactions_new(m, &transactions);
        if (r >= 0)
                r = persist_new(m, config_dir, &persist);
        if (r >= 0)
                r = operations_new(m, transactions, persist, &operations);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, persist);
        /* Before the bus: the entries are read (and Persistent set) before anyone can ask;
         * their re-application runs from the event loop. */
        if (r >= 0)
                r = persist_start(persist);
        if (r >= 0)
                r = bus_new(m, operations, persist, bus_address, polkit_for_root, &bus);
        if (r < 0)
                return r;
        bus->helper = boot_helper;
        log_info("passthrud %s running.", PROJECT_VERSION);
        (void) sd_notify(0, "READY=1\nSTATUS=Serving org.passthru.Manager");
        r = sd_event_loop(m->event);
        (void) sd_notify(0, "STOPPING=1");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        if (r > 0)
                return log_error_errno(ECONNRESET, "Lost the bus connection, exiting.");
        log_info("passthrud stopped.");
        return 0;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);

        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
