/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine through its use-case API (daemon/engine/operations.h): the Manager, the transaction
 * engine, the sysfs worker and persistence, linked from the daemon's core without the bus,
 * on the realistic testbed host with the kernel emulator answering the worker's writes.
 * Every directory the engine reads or writes is under a temporary directory or the
 * testbed: sysfs is the testbed's own directory, never /sys.
 *
 * The engine runs on its sd-event loop as in the daemon; the emulator runs on GLib's main
 * context in this process. run_until() turns both, so the worker child's writes are
 * answered while the engine waits for it. */
#include <glib/gstdio.h>

#include "config.h"
#include "devices-conf.h"
#include "kernel-emulator.h"
#include "manager.h"
#include "operations.h"
#include "passthru-dbus.h"
#include "persist.h"
#include "testbed.h"
#include "transaction.h"

#define GPU "0000:01:00.0"
#define GPU_AUDIO "0000:01:00.1"
#define ROOT_PORT "0000:00:01.0"
#define NVME "0000:06:00.0"
#define PCI_BRIDGE "0000:00:1e.0"
#define NIC "0000:00:05.0" /* testbed_hotplug_nic: alone in its group, on e1000e */

/* How long an awaited change may take: a worker's check alone may wait 2 s, and under
 * memcheck (the valgrind setup sets PASSTHRU_TEST_WRAPPER) every step is far slower. */
static gint64 wait_usec(void) {
        return (g_getenv("PASSTHRU_TEST_WRAPPER") ? 600 : 60) * G_USEC_PER_SEC;
}

/* What a test needs from the host before the engine starts. */
typedef struct {
        bool console;             /* a framebuffer console on the boot VGA */
        bool root_on_nvme;        /* / is mounted from the NVMe */
        bool nic_unbound;         /* the NIC has no driver when the engine reads the host */
        const char *devices_conf; /* devices.conf as the admin left it; NULL: none */
} HostSetup;

typedef struct {
        const HostSetup *config;
        Testbed *tb;
        KernelEmulator *kernel;
        char *dir; /* holds the directories below */
        char *run, *conf, *proc, *modules, *boot;
        Manager *m;
        Transactions *t;
        Persist *p;
        Operations *o;
} Fixture;

/* How an operation ended: the plan's moves ("ADDRESS FROM -> TO; ..."), or its refusal. */
typedef struct {
        bool done;
        char *moves;
        char *error_name;
        char *error_message;
} Outcome;

static void outcome_clear(Outcome *out) {
        g_free(out->moves);
        g_free(out->error_name);
        g_free(out->error_message);
        *out = (Outcome){};
}

/* ---- the engine on its loop ---- */

static void start_engine(Fixture *f) {
        ManagerOptions options = {
                .sysfs_root = testbed_sys_dir(f->tb),
                .pci_ids = g_test_get_filename(G_TEST_DIST, "data", "pci.ids", NULL),
                .modules_dir = f->modules,
                .modprobe_config = g_test_get_filename(G_TEST_DIST, "data", "modprobe.conf", NULL),
                .runtime_dir = f->run,
                .proc_root = f->proc,
                .config_dir = f->conf,
                .boot_root = f->boot,
                .operation_timeout_usec = 60 * G_USEC_PER_SEC,
        };

        g_assert_cmpint(manager_new(&options, &f->m), ==, 0);
        g_assert_cmpint(manager_start(f->m), ==, 0);
        g_assert_cmpint(transactions_new(f->m, &f->t), ==, 0);
        g_assert_cmpint(persist_new(f->m, f->conf, &f->p), ==, 0);
        g_assert_cmpint(operations_new(f->m, f->t, f->p, &f->o), ==, 0);
        g_assert_cmpint(persist_start(f->p), ==, 0);
}

static void stop_engine(Fixture *f) {
        /* As passthrud frees them: the engine first, then who hears from it, the model last. */
        f->t = transactions_free(f->t);
        f->o = operations_free(f->o);
        f->p = persist_free(f->p);
        f->m = manager_free(f->m);
}

/* One turn of both loops: the emulator's inotify events, then what is due on sd-event. */
static void turn(Fixture *f) {
        while (g_main_context_iteration(NULL, FALSE))
                ;
        g_assert_cmpint(sd_event_run(f->m->event, 5000), >=, 0);
}

static void run_until(Fixture *f, bool (*cond)(Fixture *f, void *data), void *data, const char *what) {
        gint64 deadline = g_get_monotonic_time() + wait_usec();

        while (!cond(f, data)) {
                if (g_get_monotonic_time() > deadline)
                        g_error("timed out waiting for %s", what);
                turn(f);
        }
}

/* Lets the uevents of what just happened arrive and be read. */
static void settle(Fixture *f) {
        gint64 end = g_get_monotonic_time() + G_USEC_PER_SEC / 5;

        while (g_get_monotonic_time() < end)
                turn(f);
}

static bool outcome_done(Fixture *f, void *data) {
        return ((Outcome *) data)->done;
}

static bool engine_idle(Fixture *f, void *data) {
        return transactions_count(f->t) == 0;
}

/* ---- fixture ---- */

static void fixture_setup(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *module = NULL;

        f->config = data;
        f->tb = testbed_new();
        testbed_add_all(f->tb, testbed_host, testbed_host_len);
        testbed_add(f->tb, &testbed_hotplug_nic);
        if (f->config->nic_unbound)
                testbed_set_driver(f->tb, NIC, NULL);
        f->kernel = kernel_emulator_new(f->tb);
        kernel_emulator_add_driver(f->kernel, "vfio-pci");
        module = g_build_filename(testbed_sys_dir(f->tb), "module", "vfio_iommu_type1", NULL);
        g_assert_no_errno(g_mkdir_with_parents(module, 0755));
        testbed_set_console(f->tb, f->config->console);

        f->dir = g_dir_make_tmp("passthru-operations-XXXXXX", &error);
        g_assert_no_error(error);
        f->run = g_build_filename(f->dir, "run", NULL);
        f->conf = g_build_filename(f->dir, "etc-passthru", NULL);
        f->proc = g_build_filename(f->dir, "proc", NULL);
        /* Empty: the host's module index never answers. */
        f->modules = g_build_filename(f->dir, "modules", NULL);
        /* Empty: no boot configuration of this machine is read. */
        f->boot = g_build_filename(f->dir, "boot-root", NULL);
        g_assert_no_errno(g_mkdir(f->modules, 0755));
        g_assert_no_errno(g_mkdir(f->boot, 0755));
        test_write_idle_proc(f->proc);
        if (f->config->root_on_nvme) {
                test_write_file(f->proc, "self/mountinfo",
                                "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n");
                testbed_device_link(f->tb, "dev/block/259:2", NVME, "nvme/nvme0/nvme0n1/nvme0n1p2");
        }
        if (f->config->devices_conf)
                test_write_file(f->conf, "devices.conf", f->config->devices_conf);
        testbed_assert_contained(f->tb);
        start_engine(f);
        settle(f);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        g_unsetenv("PASSTHRU_FAULT_WRITE");
        stop_engine(f);
        kernel_emulator_free(f->kernel);
        testbed_free(f->tb);
        test_remove_tree(f->dir);
        g_free(f->dir);
        g_free(f->run);
        g_free(f->conf);
        g_free(f->proc);
        g_free(f->modules);
        g_free(f->boot);
}

/* ---- calls and checks ---- */

static char *describe_plan(const Plan *plan) {
        GString *s = g_string_new(NULL);

        for (size_t i = 0; i < plan->n_moves; i++) {
                const Move *mv = &plan->moves[i];

                g_string_append_printf(s, "%s%s %s -> %s", i > 0 ? "; " : "", mv->address_str,
                                       mv->from_driver ?: "", mv->to_driver ?: "");
        }
        return g_string_free(s, FALSE);
}

static void on_done(const Plan *plan, const Refusal *failure, void *userdata) {
        Outcome *out = userdata;

        g_assert_false(out->done);
        out->moves = describe_plan(plan);
        if (failure) {
                out->error_name = g_strdup(failure->name);
                out->error_message = g_strdup(failure->message);
        }
        out->done = true;
}

/* A call answered at once: its refusal, if r says refused. */
static void outcome_refused(Outcome *out, int r, const Refusal *refusal) {
        if (r < 0) {
                g_assert_nonnull(refusal->name);
                out->error_name = g_strdup(refusal->name);
                out->error_message = g_strdup(refusal->message);
        } else
                g_assert_null(refusal->name);
        out->done = true;
}

/* Runs an operation to its end, as a bus call waits for its reply. Returns operation_run()'s
 * answer: 0 answered at once, 1 a transaction ran, <0 refused. */
static int run_request(Fixture *f, const OperationRequest *req, Outcome *out) {
        _cleanup_(plan_done) Plan plan = {};
        _cleanup_(refusal_done) Refusal refusal = {};
        int r;

        outcome_clear(out);
        r = operation_run(f->o, req, &plan, on_done, out, &refusal);
        if (r < 0)
                outcome_refused(out, r, &refusal);
        else if (r == 0) {
                out->moves = describe_plan(&plan);
                out->done = true;
        } else
                run_until(f, outcome_done, out, "the operation to end");
        /* The kernel's uevents of the moves reach the model too. */
        settle(f);
        return r;
}

static int run_op(Fixture *f, BindOperation op, const char *address, bool group, bool force, bool persist,
                  Outcome *out) {
        OperationRequest req = { .op = op, .group = group, .force = force, .persist = persist };

        g_assert_cmpint(pci_address_parse(address, &req.address), ==, 0);
        return run_request(f, &req, out);
}

static int bind_op(Fixture *f, const char *address, bool group, Outcome *out) {
        return run_op(f, BIND_OPERATION_BIND, address, group, false, false, out);
}

static int unbind_op(Fixture *f, const char *address, bool group, Outcome *out) {
        return run_op(f, BIND_OPERATION_UNBIND, address, group, false, false, out);
}

static Device *device(Fixture *f, const char *address) {
        PciAddress a;
        Device *d;

        g_assert_cmpint(pci_address_parse(address, &a), ==, 0);
        d = manager_find_device(f->m, &a);
        g_assert_nonnull(d);
        return d;
}

/* Persist(address, true). */
static int remember(Fixture *f, const char *address, Outcome *out) {
        _cleanup_(refusal_done) Refusal refusal = {};
        PciAddress a;
        int r;

        outcome_clear(out);
        g_assert_cmpint(pci_address_parse(address, &a), ==, 0);
        r = operation_remember(f->o, &a, true, &refusal);
        outcome_refused(out, r, &refusal);
        return r;
}

/* What GetConfig says of an entry remembering the device at address as it is now. */
static int check_entry(Fixture *f, const char *address, Outcome *out) {
        _cleanup_(refusal_done) Refusal refusal = {};
        ConfigEntry e = {};
        int r;

        outcome_clear(out);
        g_assert_cmpint(config_entry_from_device(device(f, address), &e), ==, 0);
        r = operation_check_entry(f->o, &e, &refusal);
        config_entry_done(&e);
        outcome_refused(out, r, &refusal);
        return r;
}

static void assert_succeeded(const Outcome *out, const char *moves) {
        g_assert_true(out->done);
        g_assert_cmpstr(out->error_name, ==, NULL);
        g_assert_cmpstr(out->error_message, ==, NULL);
        g_assert_cmpstr(out->moves, ==, moves);
}

static void assert_refused(const Outcome *out, const char *name, const char *words) {
        g_assert_true(out->done);
        g_assert_cmpstr(out->error_name, ==, name);
        g_assert_nonnull(out->error_message);
        if (!strstr(out->error_message, words))
                g_error("expected \"%s\" in the refusal: %s", words, out->error_message);
}

static void assert_kernel(Fixture *f, const char *address, const char *driver, const char *override) {
        kernel_emulator_assert(f->kernel, address, driver, override);
}

/* The original-driver record under the runtime directory; NULL when there is none. */
static char *record(Fixture *f, const char *address) {
        g_autofree char *rel = g_build_filename("devices", address, NULL);

        return test_read_file(f->run, rel);
}

static char *devices_conf(Fixture *f) {
        return test_read_file(f->conf, "devices.conf");
}

static void assert_record(Fixture *f, const char *address, const char *expected) {
        g_autofree char *rec = record(f, address);

        g_assert_cmpstr(rec, ==, expected);
}

/* A configuration remembering the devices at these addresses (NULL-terminated) as they are
 * now; with device_id not 0, the first one as another card (a different device ID). */
static Config *remembering(Fixture *f, uint16_t device_id, const char *address, ...) {
        Config *c = NULL;
        va_list ap;

        g_assert_cmpint(config_new(&c), ==, 0);
        va_start(ap, address);
        for (const char *a = address; a; a = va_arg(ap, const char *)) {
                ConfigEntry e = {};

                g_assert_cmpint(config_entry_from_device(device(f, a), &e), ==, 0);
                if (a == address && device_id != 0)
                        e.identity.device_id = device_id;
                g_assert_cmpint(config_set_entry(c, &e), ==, 0);
                config_entry_done(&e);
        }
        va_end(ap);
        return c;
}

static const ConfigEntry *entry_of(const Config *c, Fixture *f, const char *address) {
        const ConfigEntry *e = config_find(c, &device(f, address)->address);

        g_assert_nonnull(e);
        return e;
}

/* operation_reapply() of c's entry for address: 1 when a transaction started. */
static int reapply(Fixture *f, const Config *c, const char *address, Outcome *out) {
        _cleanup_(refusal_done) Refusal refusal = {};
        int r;

        outcome_clear(out);
        r = operation_reapply(f->o, c, entry_of(c, f, address), &refusal);
        outcome_refused(out, r, &refusal);
        return r;
}

/* ---- tests ---- */

/* A lone NIC to vfio-pci and back: the original driver is recorded before the first write,
 * and Unbind sends it to that record (with no record the target would be "*", whichever
 * host driver probes it). */
static void test_bind_unbind(Fixture *f, gconstpointer data) {
        Outcome out = {};
        Device *d;

        g_assert_cmpint(bind_op(f, NIC, false, &out), ==, 1);
        assert_succeeded(&out, NIC " e1000e -> vfio-pci");
        assert_kernel(f, NIC, "vfio-pci", "vfio-pci");
        assert_record(f, NIC, "driver=e1000e\noverride=\n");
        d = device(f, NIC);
        g_assert_cmpstr(d->driver, ==, "vfio-pci");
        g_assert_cmpstr(d->original_driver, ==, "e1000e");
        g_assert_false(d->busy);

        /* Bound already: answered at once, nothing to move. */
        g_assert_cmpint(bind_op(f, NIC, false, &out), ==, 0);
        assert_succeeded(&out, "");
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, NIC), ==, 2);

        g_assert_cmpint(unbind_op(f, NIC, false, &out), ==, 1);
        assert_succeeded(&out, NIC " vfio-pci -> e1000e");
        assert_kernel(f, NIC, "e1000e", NULL);
        assert_record(f, NIC, NULL);
        d = device(f, NIC);
        g_assert_cmpstr(d->driver, ==, "e1000e");
        g_assert_null(d->original_driver);
        outcome_clear(&out);
}

/* The record outlives the engine: a new Manager on the same runtime directory still sends
 * the device back to the driver it had. */
static void test_record_across_restart(Fixture *f, gconstpointer data) {
        Outcome out = {};

        g_assert_cmpint(bind_op(f, NIC, false, &out), ==, 1);
        assert_succeeded(&out, NIC " e1000e -> vfio-pci");
        stop_engine(f);
        start_engine(f);
        settle(f);
        g_assert_cmpstr(device(f, NIC)->original_driver, ==, "e1000e");
        g_assert_cmpint(unbind_op(f, NIC, false, &out), ==, 1);
        assert_succeeded(&out, NIC " vfio-pci -> e1000e");
        assert_kernel(f, NIC, "e1000e", NULL);
        assert_record(f, NIC, NULL);
        outcome_clear(&out);
}

/* The audio function's group mate, the GPU, is on a host driver: alone it is refused and
 * nothing is written; with the group option both move, the root port of the group stays. */
static void test_group(Fixture *f, gconstpointer data) {
        Outcome out = {};

        g_assert_cmpint(bind_op(f, GPU_AUDIO, false, &out), <, 0);
        assert_refused(&out, PASSTHRU_ERROR_GROUP_NOT_VIABLE, "0000:01:00.0 (nouveau)");
        g_assert_nonnull(strstr(out.error_message, "group"));
        assert_kernel(f, GPU, "nouveau", NULL);
        assert_kernel(f, GPU_AUDIO, "snd_hda_intel", NULL);
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, GPU), ==, 0);
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, GPU_AUDIO), ==, 0);
        assert_record(f, GPU_AUDIO, NULL);
        assert_record(f, GPU, NULL);

        g_assert_cmpint(bind_op(f, GPU_AUDIO, true, &out), ==, 1);
        assert_succeeded(&out, GPU " nouveau -> vfio-pci; " GPU_AUDIO " snd_hda_intel -> vfio-pci");
        assert_kernel(f, GPU, "vfio-pci", "vfio-pci");
        assert_kernel(f, GPU_AUDIO, "vfio-pci", "vfio-pci");
        assert_kernel(f, ROOT_PORT, "pcieport", NULL);
        assert_record(f, GPU, "driver=nouveau\noverride=\n");
        assert_record(f, GPU_AUDIO, "driver=snd_hda_intel\noverride=\n");

        g_assert_cmpint(unbind_op(f, GPU, true, &out), ==, 1);
        assert_succeeded(&out, GPU " vfio-pci -> nouveau; " GPU_AUDIO " vfio-pci -> snd_hda_intel");
        assert_kernel(f, GPU, "nouveau", NULL);
        assert_kernel(f, GPU_AUDIO, "snd_hda_intel", NULL);
        outcome_clear(&out);
}

/* Issue 21: the model says the NIC has no driver, the kernel has it on e1000e (another tool
 * bound it; no uevent was read). Bind reads the kernel first, records e1000e, and Unbind
 * gives it back there instead of leaving it driverless. */
static void test_stale_view(Fixture *f, gconstpointer data) {
        Outcome out = {};

        g_assert_null(device(f, NIC)->driver);
        testbed_set_driver(f->tb, NIC, "e1000e");
        settle(f);
        g_assert_null(device(f, NIC)->driver);

        g_assert_cmpint(bind_op(f, NIC, false, &out), ==, 1);
        assert_succeeded(&out, NIC " e1000e -> vfio-pci");
        assert_kernel(f, NIC, "vfio-pci", "vfio-pci");
        assert_record(f, NIC, "driver=e1000e\noverride=\n");

        g_assert_cmpint(unbind_op(f, NIC, false, &out), ==, 1);
        assert_succeeded(&out, NIC " vfio-pci -> e1000e");
        assert_kernel(f, NIC, "e1000e", NULL);
        outcome_clear(&out);
}

/* What the gate protects: refused by Bind, and by the keep gate when remembering it, with
 * the same sentence; nothing is written to sysfs or to devices.conf. */
static void test_protected(Fixture *f, gconstpointer data) {
        static const struct {
                const char *address;
                bool force; /* a forced Bind is refused all the same */
                const char *words;
        } cases[] = {
                { GPU, false, "boot VGA" },
                { PCI_BRIDGE, true, "bridge" },
                { NVME, true, "root filesystem" },
        };
        _cleanup_(config_freep) Config *remembered_gpu = NULL;
        g_autofree char *conf = NULL;
        Outcome out = {};

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                const char *address = cases[i].address;

                g_test_message("%s", address);
                g_assert_cmpint(run_op(f, BIND_OPERATION_BIND, address, true, cases[i].force, false, &out),
                                <, 0);
                assert_refused(&out, PASSTHRU_ERROR_PROTECTED_DEVICE, cases[i].words);
                g_assert_cmpuint(kernel_emulator_writes(f->kernel, address), ==, 0);
                g_assert_cmpint(remember(f, address, &out), <, 0);
                assert_refused(&out, PASSTHRU_ERROR_PROTECTED_DEVICE, cases[i].words);
        }
        assert_kernel(f, GPU, "nouveau", NULL);
        assert_kernel(f, NVME, "nvme", NULL);

        /* Forced, the boot VGA may go now, but not be kept: persist is checked before any
         * driver moves. */
        g_assert_cmpint(run_op(f, BIND_OPERATION_BIND, GPU, true, true, true, &out), <, 0);
        assert_refused(&out, PASSTHRU_ERROR_PROTECTED_DEVICE, "boot VGA");
        assert_kernel(f, GPU, "nouveau", NULL);
        assert_kernel(f, GPU_AUDIO, "snd_hda_intel", NULL);
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, GPU), ==, 0);
        g_assert_null(devices_conf(f));

        /* GetConfig's view of an entry for it: refused, with that reason. */
        g_assert_cmpint(check_entry(f, GPU, &out), <, 0);
        assert_refused(&out, PASSTHRU_ERROR_PROTECTED_DEVICE, "boot VGA");

        /* Re-applying a remembered choice passes the same gate (the group is remembered
         * whole: it would go together). */
        remembered_gpu = remembering(f, 0, GPU, GPU_AUDIO, NULL);
        g_assert_cmpint(reapply(f, remembered_gpu, GPU, &out), <, 0);
        assert_refused(&out, PASSTHRU_ERROR_PROTECTED_DEVICE, "boot VGA");
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, GPU), ==, 0);

        /* The gate is about those devices: the NIC is remembered. */
        g_assert_cmpint(check_entry(f, NIC, &out), ==, 0);
        g_assert_cmpint(remember(f, NIC, &out), ==, 0);
        conf = devices_conf(f);
        g_assert_nonnull(conf);
        g_assert_nonnull(strstr(conf, "[" NIC "]"));
        g_assert_null(strstr(conf, "[" GPU "]"));
        outcome_clear(&out);
}

/* A sysfs write fails half-way through a group's Bind (the build's fault point): every
 * device goes back where it was, and the failure says where each one is. */
static void test_rollback(Fixture *f, gconstpointer data) {
        /* Writes: GPU override, unbind, probe; audio override (4), unbind (5), probe (6). */
        static const struct {
                const char *write;
                const char *words;
        } cases[] = {
                { "6", GPU_AUDIO " failed while probing drivers" },
                { "5", GPU_AUDIO " failed while unbinding from its driver" },
        };
        Outcome out = {};

        if (!PASSTHRU_FAULT_POINTS) {
                g_test_skip("built without -Dtest_fault_points=true");
                return;
        }
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_test_message("failing write %s", cases[i].write);
                /* The count is the Manager's: a fresh one counts from the first write. The
                 * worker's child reads the variable; set before the engine's threads start. */
                stop_engine(f);
                g_setenv("PASSTHRU_FAULT_WRITE", cases[i].write, TRUE);
                start_engine(f);
                settle(f);
                g_assert_cmpint(bind_op(f, GPU_AUDIO, true, &out), ==, 1);
                assert_refused(&out, PASSTHRU_ERROR_FAILED, cases[i].words);
                g_assert_nonnull(strstr(out.error_message, "Input/output error"));
                g_assert_nonnull(strstr(out.error_message,
                                        "Every device was given back to the driver it "
                                        "had (" GPU " on nouveau, " GPU_AUDIO " on snd_hda_intel)"));
                assert_kernel(f, GPU, "nouveau", NULL);
                assert_kernel(f, GPU_AUDIO, "snd_hda_intel", NULL);
                assert_record(f, GPU, NULL);
                assert_record(f, GPU_AUDIO, NULL);
                g_assert_cmpstr(device(f, GPU)->driver, ==, "nouveau");
                g_assert_cmpstr(device(f, GPU_AUDIO)->driver, ==, "snd_hda_intel");
                g_assert_false(device(f, GPU)->busy);
                g_assert_false(device(f, GPU_AUDIO)->busy);
                g_assert_null(device(f, GPU)->original_driver);
        }
        outcome_clear(&out);
}

static bool nic_on_vfio(Fixture *f, void *data) {
        g_autofree char *driver = kernel_emulator_driver(f->kernel, NIC);

        return engine_idle(f, NULL) && g_strcmp0(driver, "vfio-pci") == 0;
}

/* operation_reapply() of a remembered entry: its device goes to vfio-pci through the gate;
 * an entry whose card is not the one in the slot now is left alone. */
static void test_reapply(Fixture *f, gconstpointer data) {
        _cleanup_(config_freep) Config *swapped = remembering(f, 0x10d4, NIC, NULL);
        _cleanup_(config_freep) Config *same = remembering(f, 0, NIC, NULL);
        Outcome out = {};

        /* The slot holds another card than the one remembered (as if the NIC was swapped). */
        g_assert_cmpint(config_entry_state(entry_of(swapped, f, NIC), device(f, NIC)), ==,
                        CONFIG_STATE_MISMATCH);
        g_assert_cmpint(reapply(f, swapped, NIC, &out), ==, 0);
        settle(f);
        g_assert_cmpuint(transactions_count(f->t), ==, 0);
        assert_kernel(f, NIC, "e1000e", NULL);
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, NIC), ==, 0);

        /* The card remembered: bound. */
        g_assert_cmpint(config_entry_state(entry_of(same, f, NIC), device(f, NIC)), ==,
                        CONFIG_STATE_PENDING);
        g_assert_cmpint(reapply(f, same, NIC, &out), ==, 1);
        run_until(f, nic_on_vfio, NULL, "the NIC on vfio-pci");
        settle(f);
        assert_kernel(f, NIC, "vfio-pci", "vfio-pci");
        assert_record(f, NIC, "driver=e1000e\noverride=\n");
        g_assert_cmpint(config_entry_state(entry_of(same, f, NIC), device(f, NIC)), ==,
                        CONFIG_STATE_APPLIED);

        /* On vfio-pci already (a guest may use it): not touched again. */
        g_assert_cmpint(reapply(f, same, NIC, &out), ==, 0);
        g_assert_cmpuint(transactions_count(f->t), ==, 0);
        outcome_clear(&out);
}

static const ConfigEntry *persisted_entry(Fixture *f, const char *address) {
        PciAddress a;

        g_assert_cmpint(pci_address_parse(address, &a), ==, 0);
        g_assert_nonnull(persist_config(f->p));
        return config_find(persist_config(f->p), &a);
}

/* At start-up persistence re-applies devices.conf through the same use case: the NIC's
 * entry is applied, the entry for the NVMe's slot names another card and is not. */
static void test_reapply_at_start(Fixture *f, gconstpointer data) {
        const char *reason = NULL;

        run_until(f, nic_on_vfio, NULL, "the NIC on vfio-pci");
        settle(f);
        assert_kernel(f, NIC, "vfio-pci", "vfio-pci");
        assert_record(f, NIC, "driver=e1000e\noverride=\n");
        g_assert_cmpint(persist_entry_state(f->p, persisted_entry(f, NIC), &reason), ==,
                        CONFIG_STATE_APPLIED);

        assert_kernel(f, NVME, "nvme", NULL);
        g_assert_cmpuint(kernel_emulator_writes(f->kernel, NVME), ==, 0);
        g_assert_cmpint(persist_entry_state(f->p, persisted_entry(f, NVME), &reason), ==,
                        CONFIG_STATE_MISMATCH);
        g_assert_false(device(f, NVME)->persistent);
        g_assert_true(device(f, NIC)->persistent);
}

static const HostSetup plain = {};
static const HostSetup protected_host = { .console = true, .root_on_nvme = true };
static const HostSetup stale_nic = { .nic_unbound = true };
static const HostSetup remembered = {
        .devices_conf = "[" NIC "]\nid = 8086:10d3\nsubsystem = 8086:a01f\nclass = 0x020000\n\n"
                        "[" NVME "]\nid = 144d:a809\nclass = 0x010802\n",
};

#define ADD(path, config, fn) g_test_add(path, Fixture, &(config), fixture_setup, fn, fixture_teardown)

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        if (testbed_skip_all("/operations"))
                return g_test_run();
        ADD("/operations/bind-unbind", plain, test_bind_unbind);
        ADD("/operations/record-across-restart", plain, test_record_across_restart);
        ADD("/operations/group", plain, test_group);
        ADD("/operations/stale-view", stale_nic, test_stale_view);
        ADD("/operations/protected", protected_host, test_protected);
        ADD("/operations/rollback", plain, test_rollback);
        ADD("/operations/reapply", plain, test_reapply);
        ADD("/operations/reapply-at-start", remembered, test_reapply_at_start);
        return g_test_run();
}
