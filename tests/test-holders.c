/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who holds a device (daemon/model/holders.c) and how it is reset (daemon/model/reset.c): the naming of
 * processes and the verdicts as tables of cases, and the holders of the testbed's GPU read
 * from a fixture sysfs tree and a fixture /proc: a display manager with its DRM node open,
 * an audio server of a user with the audio function's node, nvidia-persistenced with
 * /dev/nvidia0, fbcon on the GPU's framebuffer and the firmware framebuffer. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <pwd.h>
#include <unistd.h>

#include "device-read.h"
#include "holders.h"
#include "refusal.h"
#include "reset.h"
#include "safety.h"
#include "strv.h"
#include "sysfs.h"
#include "testbed.h"

#define GPU "0000:01:00.0"
#define GPU_AUDIO "0000:01:00.1"

/* ---- naming a process ---- */

static void test_describe(void) {
        static const struct {
                const char *cgroup, *program, *user;
                int pid;
                const char *who, *remedy;
        } cases[] = {
                { "0::/system.slice/gdm.service\n", "/usr/sbin/gdm3", "root", 812,
                  "gdm.service (pid 812, /usr/sbin/gdm3)", "systemctl stop gdm.service" },
                { "0::/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service\n",
                  "/usr/bin/pipewire", "alice", 1402, "pipewire of user alice (pid 1402)",
                  "systemctl --user -M alice@ stop pipewire.service" },
                { "0::/user.slice/user-1000.slice/session-3.scope\n", "/usr/lib/xorg/Xorg", "alice", 900,
                  "/usr/lib/xorg/Xorg in session 3 of user alice (pid 900)", "kill 900" },
                /* cgroup v1: systemd's own hierarchy names the unit. */
                { "12:cpu:/\n1:name=systemd:/system.slice/nvidia-persistenced.service\n",
                  "/usr/bin/nvidia-persistenced", "nvidia-persistenced", 77,
                  "nvidia-persistenced.service (pid 77, /usr/bin/nvidia-persistenced)",
                  "systemctl stop nvidia-persistenced.service" },
                /* No systemd (the init of a VM test): the process itself. */
                { "0::/\n", "/bin/busybox", "root", 5, "/bin/busybox (pid 5)", "kill 5" },
                { "", "glxgears", "bob", 6, "glxgears of user bob (pid 6)", "kill 6" },
                /* A unit name that a shell would read otherwise is never pasted into a command. */
                { "0::/system.slice/x;rm -rf.service\n", "/x", "root", 7, "/x (pid 7)", "kill 7" },
                /* A user service of a user with no name: no -M to give. */
                { "0::/user.slice/user-1001.slice/user@1001.service/app.slice/foo.service\n", "/foo", NULL,
                  8, "/foo (pid 8)", "kill 8" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                _cleanup_free_ char *who = NULL, *remedy = NULL;

                g_assert_cmpint(holder_describe_process(cases[i].cgroup, cases[i].program, cases[i].user,
                                                        cases[i].pid, &who, &remedy),
                                ==, 0);
                g_assert_cmpstr(who, ==, cases[i].who);
                g_assert_cmpstr(remedy, ==, cases[i].remedy);
        }
}

static void test_kernel_evicts(void) {
        g_assert_true(holder_kernel_evicts_firmware_fb("6.1.0-18-amd64"));
        g_assert_true(holder_kernel_evicts_firmware_fb("6.0.0"));
        g_assert_true(holder_kernel_evicts_firmware_fb("10.2"));
        g_assert_false(holder_kernel_evicts_firmware_fb("5.15.0-91-generic"));
        g_assert_false(holder_kernel_evicts_firmware_fb("4.19.0"));
        g_assert_false(holder_kernel_evicts_firmware_fb(""));
        g_assert_false(holder_kernel_evicts_firmware_fb(NULL));
}

/* ---- reset ---- */

static void test_reset_verdict(void) {
        static const struct {
                uint16_t vendor, device;
                const char *methods;
                bool loaded;
                const char *verdict;
        } cases[] = {
                { 0x8086, 0x10d3, "flr pm bus", false, "FLR, PM reset, bus reset available" },
                { 0x10de, 0x1b80, "bus", false, "bus reset available" },
                { 0x8086, 0x10d3, "af_flr flr", false, "FLR available" },
                { 0x1234, 0x1111, "", false, "no reset: the device may not work after the VM restarts" },
                { 0x1002, 0x731f, "bus", false,
                  "AMD Navi 10: needs the vendor-reset module, which is not loaded: the device may not work "
                  "after the VM restarts" },
                { 0x1002, 0x67df, "bus", true,
                  "AMD Polaris 10: vendor-reset is loaded; make it the reset used: passthructl reset-method "
                  "0000:01:00.0 device_specific --persist" },
                { 0x1002, 0x687f, "device_specific bus", true,
                  "AMD Vega 10: reset by the vendor-reset module (loaded)" },
                /* Another AMD GPU (Navi 21) resets well: not in the table. */
                { 0x1002, 0x73bf, "flr bus", false, "FLR, bus reset available" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                _cleanup_strv_free_ char **methods = NULL;
                _cleanup_free_ char *verdict = NULL;

                g_assert_cmpint(strv_split(cases[i].methods, " ", &methods), ==, 0);
                g_assert_cmpint(reset_verdict(GPU, cases[i].vendor, cases[i].device, methods,
                                              cases[i].loaded, &verdict),
                                ==, 0);
                g_assert_cmpstr(verdict, ==, cases[i].verdict);
        }
        g_assert_cmpstr(reset_vendor_reset_generation(0x1002, 0x7340), ==, "AMD Navi 14");
        g_assert_null(reset_vendor_reset_generation(0x10de, 0x731f));
}

static void test_reset_check(void) {
        static const struct {
                const char *methods;
                bool ok;
        } cases[] = {
                { "bus", true },      { "flr bus", true },
                { "default", true },  { "device_specific", true },
                { "", false },        { "default bus", false },
                { "bus bus", false }, { "reset", false },
                { "FLR", false },     { "flr,bus", false },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                _cleanup_(refusal_done) Refusal refusal = {};
                _cleanup_strv_free_ char **methods = NULL;

                g_assert_cmpint(strv_split(cases[i].methods, " ", &methods), ==, 0);
                if (cases[i].ok)
                        g_assert_cmpint(reset_methods_check(methods, &refusal), ==, 0);
                else {
                        g_assert_cmpint(reset_methods_check(methods, &refusal), <, 0);
                        g_assert_cmpstr(refusal.name, ==, "org.passthru.Error.InvalidArgument");
                }
        }
}

static void test_reset_normalize(void) {
        char out[RESET_METHODS_TEXT_MAX];
        char *const bus_only[] = { (char *) "bus", NULL }, *const both[] = { (char *) "flr", (char *) "bus",
                                                                             NULL };

        g_assert_cmpint(reset_methods_normalize("  flr   bus ", 12, out), ==, 0);
        g_assert_cmpstr(out, ==, "flr bus");
        g_assert_cmpint(reset_methods_normalize("default", 7, out), ==, -EINVAL);
        g_assert_cmpint(reset_methods_normalize("flr flr", 7, out), ==, -EINVAL);
        g_assert_cmpint(reset_methods_normalize("", 0, out), ==, -EINVAL);
        g_assert_true(reset_methods_match("", both));
        g_assert_true(reset_methods_match("flr bus", both));
        g_assert_false(reset_methods_match("bus", both));
        g_assert_true(reset_methods_match("bus", bus_only));
}

/* ---- the GPU of the testbed ---- */

typedef struct {
        Testbed *tb;
        char *proc;
        Sysfs *sysfs;
        SafetyHost *host;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        const char *sys;

        f->tb = testbed_new();
        testbed_add_all(f->tb, testbed_host, testbed_host_len);
        sys = testbed_sys_dir(f->tb);
        f->proc = g_dir_make_tmp("passthru-holders-XXXXXX", &error);
        g_assert_no_error(error);
        test_write_idle_proc(f->proc);

        /* gdm has the GPU's DRM node open. */
        testbed_device_link(f->tb, "class/drm/card0", GPU, "drm/card0");
        test_symlink_in(f->proc, "812/fd/3", "/dev/dri/card0");
        test_symlink_in(f->proc, "812/fd/4", "/dev/dri/card0");
        test_symlink_in(f->proc, "812/exe", "/usr/sbin/gdm3");
        test_write_file(f->proc, "812/cgroup", "0::/system.slice/gdm.service\n");
        /* A user's pipewire has the audio function's PCM node open. */
        testbed_device_link(f->tb, "class/sound/pcmC0D0p", GPU_AUDIO, "sound/pcmC0D0p");
        test_symlink_in(f->proc, "1402/fd/20", "/dev/snd/pcmC0D0p");
        test_symlink_in(f->proc, "1402/exe", "/usr/bin/pipewire");
        test_write_file(f->proc, "1402/cgroup",
                        "0::/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service\n");
        /* nvidia-persistenced has /dev/nvidia0 open, which /proc/driver/nvidia maps to the GPU
         * (and /dev/nvidiactl, which names no device). */
        test_write_file(f->proc, "driver/nvidia/gpus/0000:01:00.0/information",
                        "Model: \t\t GeForce GTX 1080\nIRQ:   \t\t 130\nDevice Minor: \t 0\n");
        test_write_file(f->proc, "driver/nvidia/gpus/0000:02:00.0/information", "Device Minor: \t 1\n");
        test_symlink_in(f->proc, "77/fd/3", "/dev/nvidiactl");
        test_symlink_in(f->proc, "77/fd/4", "/dev/nvidia0");
        test_symlink_in(f->proc, "77/exe", "/usr/bin/nvidia-persistenced");
        test_write_file(f->proc, "77/cgroup", "0::/system.slice/nvidia-persistenced.service\n");
        /* fbcon on the GPU's framebuffer; the firmware's framebuffer is there too. */
        testbed_device_link(f->tb, "class/graphics/fb0", GPU, "graphics/fb0");
        testbed_set_console(f->tb, true);
        test_write_file(sys, "bus/platform/drivers/efi-framebuffer/bind", "");
        test_write_file(sys, "bus/platform/devices/efi-framebuffer.0/uevent", "");
        testbed_symlink(f->tb, "sys/bus/platform/devices/efi-framebuffer.0/driver",
                        "sys/bus/platform/drivers/efi-framebuffer");

        g_assert_cmpint(sysfs_open(sys, &f->sysfs), ==, 0);
        g_assert_cmpint(safety_host_new(f->proc, f->sysfs, &f->host), ==, 0);
        g_assert_cmpint(safety_host_refresh(f->host), ==, 0);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        safety_host_free(f->host);
        sysfs_free(f->sysfs);
        test_remove_tree(f->proc);
        g_free(f->proc);
        testbed_free(f->tb);
}

static Device *read_device(Fixture *f, const char *address) {
        DeviceSources src = { .sysfs = f->sysfs, .host = f->host };
        Device *d = NULL;

        g_assert_cmpint(device_new_from_sysfs(&src, testbed_devpath(f->tb, address), &d), ==, 0);
        return d;
}

static bool list_mentions(char **l, const char *text) {
        for (; l && *l; l++)
                if (strstr(*l, text))
                        return true;
        return false;
}

/* The user that owns the fixture's /proc/PID directories: this test's. */
static const char *me(void) {
        struct passwd *pw = getpwuid(geteuid());

        g_assert_nonnull(pw);
        return pw->pw_name;
}

static void test_gpu_holders(Fixture *f, gconstpointer data) {
        _cleanup_(device_freep) Device *gpu = read_device(f, GPU), *audio = read_device(f, GPU_AUDIO);
        g_autofree char *pipewire = g_strdup_printf("pipewire of user %s (pid 1402)", me());
        g_autofree char *stop_pipewire =
                g_strdup_printf("systemctl --user -M %s@ stop pipewire.service", me());

        /* Holders: what, remedy, in pairs; gdm once though it has the node open twice. */
        g_assert_cmpuint(strv_length(gpu->holders), ==, 8);
        g_assert_true(strv_contains(
                gpu->holders, "gdm.service (pid 812, /usr/sbin/gdm3) has the DRM node /dev/dri/card0 open"));
        g_assert_true(strv_contains(gpu->holders, "systemctl stop gdm.service"));
        g_assert_true(list_mentions(gpu->holders,
                                    "the text console (fbcon, vtcon1) is drawn on its framebuffer fb0"));
        g_assert_true(strv_contains(gpu->holders, "echo 0 > /sys/class/vtconsole/vtcon1/bind"));
        g_assert_true(list_mentions(gpu->holders,
                                    "the firmware framebuffer (efi-framebuffer.0, driver efi-framebuffer)"));
        g_assert_true(strv_contains(gpu->holders,
                                    "nvidia-persistenced.service (pid 77, /usr/bin/nvidia-persistenced) "
                                    "has the node /dev/nvidia0 open"));
        g_assert_true(strv_contains(gpu->holders, "systemctl stop nvidia-persistenced.service"));
        g_assert_false(list_mentions(gpu->blockers, "nvidia"));
        /* The console and the DRM client are Blockers, with their remedies; firmware is not. */
        g_assert_true(list_mentions(gpu->blockers,
                                    "gdm.service (pid 812, /usr/sbin/gdm3) has the DRM node "
                                    "/dev/dri/card0 open; to end it: systemctl stop gdm.service."));
        g_assert_true(list_mentions(gpu->blockers, "to end it: echo 0 > /sys/class/vtconsole/vtcon1/bind."));
        g_assert_false(list_mentions(gpu->blockers, "firmware"));

        /* The audio server is named, but it is a warning: not a Blocker. */
        g_assert_cmpuint(strv_length(audio->holders), ==, 2);
        g_assert_true(list_mentions(audio->holders, pipewire));
        g_assert_true(list_mentions(audio->holders, "has the sound node /dev/snd/pcmC0D0p open"));
        g_assert_cmpstr(audio->holders[1], ==, stop_pipewire);
        g_assert_false(list_mentions(audio->blockers, "pipewire"));

        /* gdm stops and the console is unbound: at the next look, gone from both lists. */
        g_autofree char *fd3 = g_build_filename(f->proc, "812/fd/3", NULL);
        g_autofree char *fd4 = g_build_filename(f->proc, "812/fd/4", NULL);

        g_assert_no_errno(g_unlink(fd3));
        g_assert_no_errno(g_unlink(fd4));
        test_write_file(testbed_sys_dir(f->tb), "class/vtconsole/vtcon1/bind", "0\n");
        g_assert_cmpint(safety_host_refresh(f->host), ==, 0);
        g_assert_cmpuint(device_update_host_use(gpu, f->host), ==,
                         DEVICE_CHANGE_BLOCKERS | DEVICE_CHANGE_ASSIGNABLE | DEVICE_CHANGE_HOLDERS);
        g_assert_false(list_mentions(gpu->holders, "gdm"));
        g_assert_false(list_mentions(gpu->holders, "fbcon"));
        g_assert_false(list_mentions(gpu->blockers, "gdm"));
        g_assert_false(list_mentions(gpu->blockers, "vtcon"));
        g_assert_true(list_mentions(gpu->holders, "firmware framebuffer"));
        g_assert_cmpuint(device_update_host_use(gpu, f->host), ==, 0);
}

/* A process's name without its newline; "" for a process that is gone, and for a buffer too
 * small to hold it (never a name cut short). */
static void test_read_comm(Fixture *f, gconstpointer data) {
        _cleanup_close_ int proc_fd = open(f->proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char comm[32];

        g_assert_cmpint(proc_fd, >=, 0);
        test_write_file(f->proc, "4242/comm", "qemu-system-x86\n");
        holder_read_comm(proc_fd, "4242", comm, sizeof(comm));
        g_assert_cmpstr(comm, ==, "qemu-system-x86");
        holder_read_comm(proc_fd, "4242", comm, 5);
        g_assert_cmpstr(comm, ==, "");
        holder_read_comm(proc_fd, "4243", comm, sizeof(comm));
        g_assert_cmpstr(comm, ==, "");
}

/* Without the host's view (no snapshot yet) there are no holders to name. */
static void test_no_host(Fixture *f, gconstpointer data) {
        DeviceSources src = { .sysfs = f->sysfs };
        _cleanup_(device_freep) Device *d = NULL;

        g_assert_cmpint(device_new_from_sysfs(&src, testbed_devpath(f->tb, GPU), &d), ==, 0);
        g_assert_cmpuint(strv_length(d->holders), ==, 0);
        g_assert_cmpstr(d->reset_verdict, ==, "bus reset available");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/holders/describe", test_describe);
        g_test_add_func("/holders/kernel-evicts-firmware-fb", test_kernel_evicts);
        g_test_add_func("/reset/verdict", test_reset_verdict);
        g_test_add_func("/reset/check", test_reset_check);
        g_test_add_func("/reset/normalize", test_reset_normalize);
        if (testbed_skip_all("/holders"))
                return g_test_run();
        g_test_add("/holders/gpu", Fixture, NULL, fixture_setup, test_gpu_holders, fixture_teardown);
        g_test_add("/holders/no-host", Fixture, NULL, fixture_setup, test_no_host, fixture_teardown);
        g_test_add("/holders/read-comm", Fixture, NULL, fixture_setup, test_read_comm, fixture_teardown);
        return g_test_run();
}
