/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The whole boot configuration plan (daemon/boot/bootcfg-plan.c) on copies of the fixture roots of
 * tests/data/bootcfg/roots: which files change and how, which commands run, which warnings
 * show; then the plan written to the copy, planned again (nothing left to do), and undone with
 * remove (every file back as it was, byte for byte). */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "bootcfg-plan.h"

typedef struct {
        char *root; /* a copy of the fixture root */
        int fd;
} PlanFixture;

static const EarlyBindEntry nic = {
        .address = { .domain = 0, .bus = 1, .slot = 0, .function = 0 },
        .vendor = 0x8086,
        .device = 0x10d3,
        .subsystem_vendor = 0x8086,
        .subsystem_device = 0xa01f,
        .class = 0x020000,
};

typedef struct {
        const char *root;
        bool intel, pt;
        const char *files;    /* the paths that change, space-separated */
        const char *commands; /* joined with "; " */
        const char *warning;  /* a piece of a warning expected, NULL: no warnings */
} PlanCase;

static const PlanCase plan_cases[] = {
        { "debian12-grub", true, false, "/etc/passthru/early-bind.list /etc/default/grub",
          "update-initramfs -u -k 5.10.0-28-amd64; update-initramfs -u -k 6.1.0-18-amd64; "
          "update-initramfs -u -k 6.12.9+bpo-amd64; update-grub" },
        /* the Proxmox kernel has the Intel IOMMU on by default: no command line change */
        { "proxmox-zfs", true, false, "/etc/passthru/early-bind.list",
          "update-initramfs -u -k 6.8.12-4-pve" },
        { "proxmox-zfs", false, true, "/etc/passthru/early-bind.list /etc/default/grub /etc/kernel/cmdline",
          "update-initramfs -u -k 6.8.12-4-pve; proxmox-boot-tool refresh" },
        { "ubuntu-cloud", false, true,
          "/etc/passthru/early-bind.list /etc/default/grub.d/50-cloudimg-settings.cfg",
          "update-initramfs -u -k 6.8.0-49-generic; update-grub",
          "/boot/config-6.8.0-49-generic is missing" },
        { "arch-mkinitcpio", false, true, "/etc/passthru/early-bind.list /etc/mkinitcpio.conf",
          "mkinitcpio -P", "add \"iommu=pt\" to the kernel command line by hand" },
        /* vfio-pci built in, no generator, no boot loader: all the plan can do is say so */
        { "builtin-vfio", false, false, "", "", "No initramfs generator" },
        { "builtin-vfio", false, false, "", "",
          "add \"vfio-pci.ids=8086:10d3\" to the kernel command line by hand" },
        { "builtin-vfio", false, false, "", "", "also takes every identical twin" },
};

static void copy_root(PlanFixture *f, const char *name) {
        g_autofree char *src = g_test_build_filename(G_TEST_DIST, "data", "bootcfg", "roots", name, NULL);
        g_autofree char *tmp = g_dir_make_tmp("passthru-plan-XXXXXX", NULL),
                        *dot = g_build_filename(src, ".", NULL);
        const char *argv[] = { "cp", "-R", dot, NULL, NULL };
        int status;

        f->root = g_build_filename(tmp, "root", NULL);
        argv[3] = f->root;
        g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                                   &status, NULL));
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        f->fd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        g_assert_cmpint(f->fd, >=, 0);
}

static void plan_teardown(PlanFixture *f, gconstpointer data) {
        g_autofree char *tmp = g_path_get_dirname(f->root);
        const char *argv[] = { "rm", "-rf", tmp, NULL };

        close(f->fd);
        g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                                   NULL, NULL));
        g_free(f->root);
}

static void plan_setup(PlanFixture *f, gconstpointer data) {
        const PlanCase *c = data;

        copy_root(f, c->root);
}

/* What the daemon will do with a plan, minus backups and commands. */
static void write_plan(PlanFixture *f, const BootPlan *p) {
        for (size_t i = 0; i < p->n_files; i++) {
                g_autofree char *path = g_build_filename(f->root, p->files[i].path, NULL);
                g_autofree char *dir = g_path_get_dirname(path);

                if (!p->files[i].new_text) {
                        g_assert_cmpint(g_unlink(path), ==, 0);
                        continue;
                }
                g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
                g_assert_true(g_file_set_contents(path, p->files[i].new_text, -1, NULL));
        }
}

static char *read_root_file(PlanFixture *f, const char *path) {
        g_autofree char *full = g_build_filename(f->root, path, NULL);
        char *text = NULL;

        if (!g_file_get_contents(full, &text, NULL, NULL))
                return NULL;
        return text;
}

static void test_plan(PlanFixture *f, gconstpointer data) {
        const PlanCase *c = data;
        BootPlanInput in = {
                .entries = &nic,
                .n_entries = 1,
                .intel_dmar = c->intel,
                .want_iommu_pt = c->pt,
                .running_cmdline = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n",
                .initramfs = true,
                .cmdline = true,
        };
        g_autoptr(GPtrArray) before = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GString) files = g_string_new(NULL);
        g_autofree char *commands = NULL;
        BootPlan p = {}, again = {}, undo = {}, undone = {};

        g_assert_cmpint(boot_plan_make(f->fd, &in, &p, NULL), ==, 0);
        for (size_t i = 0; i < p.n_files; i++) {
                g_test_message("%s", p.files[i].diff);
                g_string_append_printf(files, "%s%s", i ? " " : "", p.files[i].path);
                g_ptr_array_add(before, read_root_file(f, p.files[i].path));
                /* the preview is the change: its "---" side is what is there now */
                g_assert_cmpstr(p.files[i].old_text, ==, g_ptr_array_index(before, i));
        }
        g_assert_cmpstr(files->str, ==, c->files);
        commands = p.commands ? g_strjoinv("; ", p.commands) : g_strdup("");
        g_assert_cmpstr(commands, ==, c->commands);
        for (char **w = p.warnings; w && *w; w++)
                g_test_message("warning: %s", *w);
        if (c->warning) {
                bool found = false;

                for (char **w = p.warnings; w && *w; w++)
                        found = found || strstr(*w, c->warning);
                g_assert_true(found);
        } else
                g_assert_null(p.warnings);

        /* written, the same plan has nothing left to do */
        write_plan(f, &p);
        g_assert_cmpint(boot_plan_make(f->fd, &in, &again, NULL), ==, 0);
        g_assert_cmpuint(again.n_files, ==, 0);
        g_assert_null(again.commands);

        /* removed, every file is as it was */
        in.remove = true;
        g_assert_cmpint(boot_plan_make(f->fd, &in, &undo, NULL), ==, 0);
        g_assert_cmpuint(undo.n_files, ==, p.n_files);
        write_plan(f, &undo);
        for (size_t i = 0; i < p.n_files; i++) {
                g_autofree char *now = read_root_file(f, p.files[i].path);

                g_assert_cmpstr(now, ==, g_ptr_array_index(before, i));
        }
        g_assert_cmpint(boot_plan_make(f->fd, &in, &undone, NULL), ==, 0);
        g_assert_cmpuint(undone.n_files, ==, 0);

        boot_plan_done(&p);
        boot_plan_done(&again);
        boot_plan_done(&undo);
        boot_plan_done(&undone);
}

/* The dry run's preview of Debian's GRUB file, exactly. */
static void test_grub_diff(PlanFixture *f, gconstpointer data) {
        BootPlanInput in = { .entries = &nic, .n_entries = 1, .intel_dmar = true, .cmdline = true };
        BootPlan p = {};

        g_assert_cmpint(boot_plan_make(f->fd, &in, &p, NULL), ==, 0);
        g_assert_cmpuint(p.n_files, ==, 1);
        g_assert_cmpstr(p.files[0].diff, ==,
                        "--- /etc/default/grub\n"
                        "+++ /etc/default/grub\n"
                        "@@ -6,7 +6,7 @@\n"
                        " GRUB_DEFAULT=0\n"
                        " GRUB_TIMEOUT=5\n"
                        " GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\n"
                        "-GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"
                        "+GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on\"\n"
                        " GRUB_CMDLINE_LINUX=\"\"\n"
                        " \n"
                        " # If your computer has multiple processors, uncomment this line\n");
        g_assert_cmpstr(p.commands[0], ==, "update-grub");
        g_assert_null(p.commands[1]);
        boot_plan_done(&p);
}

/* A file of the same name that passthru did not write is never replaced or removed. */
static void test_foreign_file(PlanFixture *f, gconstpointer data) {
        g_autofree char *dir = g_build_filename(f->root, "etc", "passthru", NULL);
        g_autofree char *list = g_build_filename(dir, "early-bind.list", NULL);
        BootPlanInput in = { .entries = &nic, .n_entries = 1, .initramfs = true };
        BootPlan p = {};

        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_assert_true(g_file_set_contents(list, "my own notes\n", -1, NULL));
        g_assert_cmpint(boot_plan_make(f->fd, &in, &p, NULL), ==, 0);
        g_assert_cmpuint(p.n_files, ==, 0);
        g_assert_null(p.commands);
        g_assert_nonnull(strstr(p.warnings[0], "/etc/passthru/early-bind.list was not written by passthru"));
        boot_plan_done(&p);
}

/* A FIFO (or a link) at /etc/default/grub is refused at once, never opened for a writer to
 * come: it would freeze the daemon's event loop (issue 20, item 10). */
static void test_special_grub(PlanFixture *f, gconstpointer data) {
        g_autofree char *grub = g_build_filename(f->root, "etc", "default", "grub", NULL);
        g_autofree char *moved = g_strconcat(grub, ".real", NULL);
        BootPlanInput in = { .entries = &nic, .n_entries = 1, .intel_dmar = true, .cmdline = true };
        gint64 start = g_get_monotonic_time();
        BootPlan p = {};

        g_assert_cmpint(g_rename(grub, moved), ==, 0);
        g_assert_cmpint(mkfifo(grub, 0644), ==, 0);
        g_assert_cmpint(boot_plan_make(f->fd, &in, &p, NULL), ==, -EBADMSG);
        g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
        g_assert_cmpuint(p.n_files, ==, 0);
        boot_plan_done(&p);

        g_assert_cmpint(g_unlink(grub), ==, 0);
        g_assert_cmpint(symlink("grub.real", grub), ==, 0);
        g_assert_cmpint(boot_plan_make(f->fd, &in, &p, NULL), ==, -EBADMSG);
        boot_plan_done(&p);
}

/* Without a boot loader passthru knows, it asks for by hand only what the running kernel's
 * command line lacks: nothing at all when it has everything. */
static bool warns_by_hand(PlanFixture *f, const char *running, bool pt) {
        BootPlanInput in = { .entries = &nic,
                             .n_entries = 1,
                             .want_iommu_pt = pt,
                             .running_cmdline = running,
                             .cmdline = true };
        BootPlan p = {};
        bool found = false;

        g_assert_cmpint(boot_plan_make(f->fd, &in, &p, NULL), ==, 0);
        g_assert_cmpuint(p.n_files, ==, 0);
        for (char **w = p.warnings; w && *w; w++) {
                g_test_message("running \"%s\": %s", running, *w);
                found = found || strstr(*w, "by hand");
        }
        boot_plan_done(&p);
        return found;
}

static void test_by_hand_only_missing(PlanFixture *f, gconstpointer data) {
        const char *root = data;

        if (g_str_equal(root, "arch-mkinitcpio")) {
                g_assert_true(warns_by_hand(f, "root=/dev/sda1 rw quiet", true));
                g_assert_false(warns_by_hand(f, "root=/dev/sda1 rw quiet iommu=pt\n", true));
                g_assert_false(warns_by_hand(f, "root=/dev/sda1 rw", false));
        } else {
                g_assert_true(warns_by_hand(f, "root=/dev/sda1 ro", false));
                g_assert_true(warns_by_hand(f, "root=/dev/sda1 vfio-pci.ids=10de:1b80", false));
                g_assert_false(warns_by_hand(f, "root=/dev/sda1 vfio_pci.ids=8086:10d3 ro", false));
        }
}

/* A new /etc/kernel/cmdline copies the running command line without what shaped this boot
 * only, and the plan says which it left out. */
static void test_new_kernel_cmdline_one_off(PlanFixture *f, gconstpointer data) {
        g_autofree char *path = g_build_filename(f->root, "etc", "kernel", "cmdline", NULL);
        BootPlanInput in = { .want_iommu_pt = true,
                             .running_cmdline = "BOOT_IMAGE=/vmlinuz root=ZFS=rpool/ROOT/pve-1 boot=zfs "
                                                "passthru.early=0 systemd.unit=rescue.target ro quiet\n",
                             .cmdline = true };
        BootPlan p = {};
        bool warned = false;

        g_assert_cmpint(g_unlink(path), ==, 0);
        g_assert_cmpint(boot_plan_make(f->fd, &in, &p, NULL), ==, 0);
        for (size_t i = 0; i < p.n_files; i++)
                if (g_str_equal(p.files[i].path, "/etc/kernel/cmdline")) {
                        g_assert_null(p.files[i].old_text);
                        g_assert_cmpstr(p.files[i].new_text, ==,
                                        "root=ZFS=rpool/ROOT/pve-1 boot=zfs ro quiet iommu=pt\n");
                }
        for (char **w = p.warnings; w && *w; w++) {
                g_test_message("warning: %s", *w);
                warned = warned || strstr(*w, "without \"passthru.early=0 systemd.unit=rescue.target\"");
        }
        g_assert_true(warned);
        boot_plan_done(&p);
}

/* What cannot be edited safely fails the plan with a sentence that names the file and why. */
static void test_refused(PlanFixture *f, gconstpointer data) {
        g_autofree char *grub = g_build_filename(f->root, "etc", "default", "grub", NULL),
                        *real = g_build_filename(f->root, "etc", "default", "grub.real", NULL);
        BootPlanInput in = { .entries = &nic, .n_entries = 1, .want_iommu_pt = true, .cmdline = true };
        BootPlan p = {};
        char *error = NULL;

        /* a symbolic link: the atomic write would replace the link */
        g_assert_cmpint(g_rename(grub, real), ==, 0);
        g_assert_cmpint(symlink("grub.real", grub), ==, 0);
        g_assert_cmpint(boot_plan_make(f->fd, &in, &p, &error), ==, -EBADMSG);
        g_test_message("%s", error);
        g_assert_nonnull(strstr(error, "/etc/default/grub is a symbolic link"));
        g_clear_pointer(&error, free);

        /* assigned only maybe */
        g_assert_cmpint(g_unlink(grub), ==, 0);
        g_assert_true(g_file_set_contents(
                grub, "if [ -e /x ]; then\n\tGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nfi\n", -1, NULL));
        g_assert_cmpint(boot_plan_make(f->fd, &in, &p, &error), ==, -EBADMSG);
        g_test_message("%s", error);
        g_assert_nonnull(
                strstr(error, "GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub cannot be edited safely"));
        g_assert_nonnull(strstr(error, "Add \"iommu=pt\" by hand"));
        free(error);
}

static void proxmox_setup(PlanFixture *f, gconstpointer data) {
        copy_root(f, "proxmox-zfs");
}

static void by_hand_setup(PlanFixture *f, gconstpointer data) {
        copy_root(f, data);
}

static void debian_setup(PlanFixture *f, gconstpointer data) {
        copy_root(f, "debian12-grub");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(plan_cases); i++) {
                g_autofree char *path = g_strdup_printf("/plan/apply-remove/%s%s%s-%zu", plan_cases[i].root,
                                                        plan_cases[i].intel ? "-intel" : "-amd",
                                                        plan_cases[i].pt ? "-pt" : "", i);

                g_test_add(path, PlanFixture, &plan_cases[i], plan_setup, test_plan, plan_teardown);
        }
        g_test_add("/plan/grub-diff", PlanFixture, NULL, debian_setup, test_grub_diff, plan_teardown);
        g_test_add("/plan/refused", PlanFixture, NULL, debian_setup, test_refused, plan_teardown);
        g_test_add("/plan/new-kernel-cmdline-one-off", PlanFixture, NULL, proxmox_setup,
                   test_new_kernel_cmdline_one_off, plan_teardown);
        g_test_add("/plan/foreign-file", PlanFixture, NULL, debian_setup, test_foreign_file, plan_teardown);
        g_test_add("/plan/special-grub", PlanFixture, NULL, debian_setup, test_special_grub, plan_teardown);
        g_test_add("/plan/by-hand-only-missing/arch-mkinitcpio", PlanFixture, "arch-mkinitcpio",
                   by_hand_setup, test_by_hand_only_missing, plan_teardown);
        g_test_add("/plan/by-hand-only-missing/builtin-vfio", PlanFixture, "builtin-vfio", by_hand_setup,
                   test_by_hand_only_missing, plan_teardown);
        return g_test_run();
}
