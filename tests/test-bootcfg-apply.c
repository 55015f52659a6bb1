/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Applying a boot plan on a fixture root (daemon/boot/bootcfg-apply.c): backups, atomic writes,
 * removal, a failing command restoring every file, the child with its progress lines, and
 * the helper behind its socket (a listening socket here, played by the test): the request
 * it gets, its lines, its exit line, and no exit line at all. */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "bootcfg-apply.h"
#include "bootcfg-file.h"
#include "bootcfg-helper.h"
#include "strv.h"

typedef struct {
        char *root;
        int rootfd;
        BootPlan plan;
} Fixture;

static char *root_path(Fixture *f, const char *path) {
        return g_build_filename(f->root, path, NULL);
}

static void put(Fixture *f, const char *path, const char *text) {
        g_autofree char *p = root_path(f, path);
        g_autofree char *dir = g_path_get_dirname(p);

        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_assert_true(g_file_set_contents(p, text, -1, NULL));
}

static char *get(Fixture *f, const char *path) {
        g_autofree char *p = root_path(f, path);
        char *text = NULL;

        if (!g_file_get_contents(p, &text, NULL, NULL))
                return NULL;
        return text;
}

static void add_change(Fixture *f, const char *path, const char *old_text, const char *new_text) {
        BootFileChange *c;

        f->plan.files = g_renew(BootFileChange, f->plan.files, f->plan.n_files + 1);
        c = &f->plan.files[f->plan.n_files++];
        *c = (BootFileChange){ .path = g_strdup(path),
                               .old_text = g_strdup(old_text),
                               .new_text = g_strdup(new_text),
                               .diff = g_strdup("") };
}

static void fixture_setup(Fixture *f, gconstpointer data) {
        f->root = g_dir_make_tmp("bootcfg-apply-XXXXXX", NULL);
        g_assert_nonnull(f->root);
        f->rootfd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        g_assert_cmpint(f->rootfd, >=, 0);
        /* a GRUB file to change, a list to create, a stale modules-load.d file to remove */
        put(f, "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");
        put(f, "etc/modules-load.d/passthru.conf", "# " BOOTCFG_MARKER "\nvfio-pci\n");
        add_change(f, "/etc/passthru/early-bind.list", NULL,
                   "0000:01:00.0 0x10de 0x1b80 0x10de 0x119e 0x030000\n");
        add_change(f, "/etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n",
                   "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on\"\n");
        add_change(f, "/etc/modules-load.d/passthru.conf", "# " BOOTCFG_MARKER "\nvfio-pci\n", NULL);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->root);

        for (size_t i = 0; i < f->plan.n_files; i++) {
                g_free(f->plan.files[i].path);
                g_free(f->plan.files[i].old_text);
                g_free(f->plan.files[i].new_text);
                g_free(f->plan.files[i].diff);
        }
        g_free(f->plan.files);
        strv_free(f->plan.commands);
        close(f->rootfd);
        g_assert_cmpint(system(cmd), ==, 0);
        g_free(f->root);
}

/* 2026-11-29 05:07:09 UTC */
#define NOW 1795928829

static void test_write(Fixture *f, gconstpointer data) {
        g_autofree char *list = NULL, *grub = NULL, *backup = NULL, *log_text = NULL;
        size_t n = 0, size = 0;
        FILE *log = open_memstream(&log_text, &size);
        g_autofree char *message = NULL;

        g_assert_cmpint(boot_plan_apply(f->rootfd, &f->plan, false, NOW, log, &message), ==, 0);
        fclose(log);
        g_test_message("%s", log_text);
        list = get(f, "etc/passthru/early-bind.list");
        g_assert_cmpstr(list, ==, "0000:01:00.0 0x10de 0x1b80 0x10de 0x119e 0x030000\n");
        grub = get(f, "etc/default/grub");
        g_assert_cmpstr(grub, ==, "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on\"\n");
        backup = get(f, "etc/default/grub.passthru-20261129-050709");
        g_assert_cmpstr(backup, ==, "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");
        g_assert_null(get(f, "etc/modules-load.d/passthru.conf"));
        g_assert_nonnull(strstr(log_text, "files\tbackup of /etc/default/grub: "
                                          "/etc/default/grub.passthru-20261129-050709\n"));
        g_assert_nonnull(strstr(log_text, "files\tcreated /etc/passthru/early-bind.list\n"));
        g_assert_nonnull(strstr(log_text, "files\tremoved /etc/modules-load.d/passthru.conf\n"));
        g_assert_cmpstr(message, ==, "3 file(s) written, 0 command(s) run.");

        /* a second backup within the same second gets its own name */
        g_assert_cmpint(boot_plan_write_files(f->rootfd, &f->plan, NOW, NULL, &n), ==, 0);
        g_free(backup);
        backup = get(f, "etc/default/grub.passthru-20261129-050709-1");
        g_assert_nonnull(backup);
}

static void test_failing_command_restores(Fixture *f, gconstpointer data) {
        g_autofree char *grub = NULL, *log_text = NULL, *message = NULL, *conf = NULL;
        size_t size = 0;
        FILE *log = open_memstream(&log_text, &size);

        g_assert_cmpint(strv_extend(&f->plan.commands, "true"), >=, 0);
        g_autofree char *script = root_path(f, "fail.sh");

        /* the commands are words split on blanks, no shell: a script stands for a failing generator */
        put(f, "fail.sh", "#!/bin/sh\necho generating\nexit 3\n");
        g_assert_cmpint(chmod(script, 0755), ==, 0);
        g_assert_cmpint(strv_extend(&f->plan.commands, script), >=, 0);
        g_assert_cmpint(strv_extend(&f->plan.commands, "false"), >=, 0);
        g_assert_cmpint(boot_plan_apply(f->rootfd, &f->plan, true, NOW, log, &message), ==, -EPROTO);
        fclose(log);
        g_test_message("%s", log_text);
        /* every file as before: created removed, changed restored, removed back */
        g_assert_null(get(f, "etc/passthru/early-bind.list"));
        grub = get(f, "etc/default/grub");
        g_assert_cmpstr(grub, ==, "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");
        conf = get(f, "etc/modules-load.d/passthru.conf");
        g_assert_cmpstr(conf, ==, "# " BOOTCFG_MARKER "\nvfio-pci\n");
        g_assert_nonnull(strstr(log_text, "command\ttrue\n"));
        g_assert_nonnull(strstr(log_text, "failed with exit status 3\n"));
        g_assert_null(strstr(log_text, "command\tfalse\n"));
        g_assert_nonnull(strstr(log_text, "restore\trestored /etc/default/grub\n"));
        g_assert_nonnull(strstr(message, "every file written was restored"));
        /* what ran before the failure ran again on the restored files */
        g_assert_nonnull(strstr(log_text, "restore\trunning true again on the restored files\n"));
        g_assert_nonnull(strstr(message, "and `true` ran again on them."));
}

/* An image generator stand-in: the image says whether the list was there when it ran. With
 * fail_again, it fails when run a second time. */
static char *put_generator(Fixture *f, bool fail_again) {
        g_autofree char *script = g_strdup_printf(
                "#!/bin/sh\n"
                "cd '%s' || exit 9\n"
                "%s"
                "if [ -e etc/passthru/early-bind.list ]; then echo list > image; else echo none > image; fi\n"
                "touch ran-once\n",
                f->root, fail_again ? "[ -e ran-once ] && exit 4\n" : "");

        g_autofree char *fail = root_path(f, "fail.sh");
        char *generator = root_path(f, "generator.sh");

        put(f, "generator.sh", script);
        g_assert_cmpint(chmod(generator, 0755), ==, 0);
        put(f, "fail.sh", "#!/bin/sh\nexit 3\n");
        g_assert_cmpint(chmod(fail, 0755), ==, 0);
        return generator;
}

/* A generator ran, the next command failed: after the restore the image holds image_after,
 * and the message says before `GENERATOR` after. */
static void assert_restore(Fixture *f, bool fail_again, const char *image_after, const char *before,
                           const char *after) {
        g_autofree char *generator = put_generator(f, fail_again), *fail = root_path(f, "fail.sh");
        g_autofree char *log_text = NULL, *message = NULL, *image = NULL, *expected = NULL;
        size_t size = 0;
        FILE *log = open_memstream(&log_text, &size);

        g_assert_cmpint(strv_extend(&f->plan.commands, generator), >=, 0);
        g_assert_cmpint(strv_extend(&f->plan.commands, fail), >=, 0);
        g_assert_cmpint(boot_plan_apply(f->rootfd, &f->plan, true, NOW, log, &message), ==, -EPROTO);
        fclose(log);
        g_test_message("%s", log_text);
        image = get(f, "image");
        g_assert_cmpstr(image, ==, image_after);
        expected = g_strconcat(before, "`", generator, "`", after, NULL);
        g_assert_nonnull(strstr(message, expected));
}

/* update-initramfs ran, update-grub failed: the image rebuilt with the list is rebuilt
 * without it, and the message says so. */
static void test_restore_rebuilds(Fixture *f, gconstpointer data) {
        assert_restore(f, false, "none\n", "every file written was restored as it was, and ",
                       " ran again on them.");
}

/* The rebuild fails when run again: the message names what still carries the change. */
static void test_restore_rebuild_fails(Fixture *f, gconstpointer data) {
        assert_restore(f, true, "list\n", "but ",
                       " failed when run again: what it built still carries the change");
}

static void test_command_output(Fixture *f, gconstpointer data) {
        g_autofree char *log_text = NULL;
        size_t size = 0;
        FILE *log = open_memstream(&log_text, &size);

        g_assert_cmpint(boot_command_run("printf one\\ntwo", log), ==, 0);
        /* Not started at all: the errno, as the header says, and a line saying so. */
        g_assert_cmpint(boot_command_run("/nonexistent/update-initramfs -u", log), ==, -ENOENT);
        fclose(log);
        g_assert_nonnull(strstr(log_text, "output\tone\noutput\ttwo\n"));
        g_assert_nonnull(strstr(log_text, "command\tcannot run /nonexistent/update-initramfs"));
}

typedef struct {
        GPtrArray *lines;
        int error;
        char *message;
        sd_event *event;
} Watch;

static void on_progress(const char *stage, const char *line, void *userdata) {
        Watch *w = userdata;

        g_ptr_array_add(w->lines, g_strdup_printf("%s: %s", stage, line));
}

static void on_done(int error, const char *message, void *userdata) {
        Watch *w = userdata;

        w->error = error;
        w->message = g_strdup(message);
        sd_event_exit(w->event, 0);
}

static void test_child(Fixture *f, gconstpointer data) {
        g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *grub = NULL;
        Watch w = { .lines = lines, .error = 1 };
        BootApply *a = NULL;

        g_assert_cmpint(sd_event_default(&w.event), >=, 0);
        g_assert_cmpint(strv_extend(&f->plan.commands, "echo rebuilding"), >=, 0);
        g_assert_cmpint(boot_apply_start(&(BootApplyParams){ .event = w.event,
                                                             .rootfd = f->rootfd,
                                                             .run_commands = true,
                                                             .on_progress = on_progress,
                                                             .on_done = on_done,
                                                             .userdata = &w },
                                         &f->plan, &a),
                        ==, 0);
        g_assert_cmpint(sd_event_loop(w.event), ==, 0);
        for (size_t i = 0; i < lines->len; i++)
                g_test_message("%s", (char *) lines->pdata[i]);
        g_assert_cmpint(w.error, ==, 0);
        g_assert_cmpstr(w.message, ==, "3 file(s) written, 1 command(s) run.");
        g_assert_cmpstr(lines->pdata[lines->len - 2], ==, "output: rebuilding");
        grub = get(f, "etc/default/grub");
        g_assert_cmpstr(grub, ==, "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on\"\n");
        boot_apply_free(a);
        g_free(w.message);
        sd_event_unref(w.event);
}

/* A listening socket under the fixture root, standing for passthru-boot-config.socket. */
static int listen_at(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
        strcpy(sa.sun_path, path);
        g_assert_cmpint(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), ==, 0);
        g_assert_cmpint(listen(fd, 1), ==, 0);
        return fd;
}

/* The daemon's side against a helper that answers with reply (whole lines) and hangs up. */
static void run_socket(Fixture *f, const char *reply, Watch *w) {
        g_autofree char *path = root_path(f, "helper.sock");
        _cleanup_strv_free_ char **args = NULL;
        BootApply *a = NULL;
        int lfd = listen_at(path), conn;

        g_assert_cmpint(sd_event_default(&w->event), >=, 0);
        g_assert_cmpint(boot_apply_start(&(BootApplyParams){ .event = w->event,
                                                             .socket_path = path,
                                                             .request = "--digest=1\n--no-cmdline\n\n",
                                                             .on_progress = on_progress,
                                                             .on_done = on_done,
                                                             .userdata = w },
                                         &f->plan, &a),
                        ==, 0);
        /* the connection waits in the backlog with the whole request sent */
        conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        g_assert_cmpint(conn, >=, 0);
        g_assert_cmpint(boot_helper_request_read(conn, &args), ==, 0);
        g_assert_cmpstr(args[0], ==, "--digest=1");
        g_assert_cmpstr(args[1], ==, "--no-cmdline");
        g_assert_null(args[2]);
        g_assert_cmpint(write(conn, reply, strlen(reply)), ==, (ssize_t) strlen(reply));
        close(conn);
        close(lfd);
        g_assert_cmpint(sd_event_loop(w->event), ==, 0);
        for (size_t i = 0; i < w->lines->len; i++)
                g_test_message("%s", (char *) w->lines->pdata[i]);
        boot_apply_free(a);
        sd_event_unref(w->event);
        /* nothing was written here: the helper writes, not the daemon */
        g_assert_null(get(f, "etc/passthru/early-bind.list"));
}

static void test_socket_exit_line(Fixture *f, gconstpointer data) {
        g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
        Watch w = { .lines = lines, .error = 1 };

        run_socket(
                f,
                "files\tcreated /etc/passthru/early-bind.list\ndone\t1 file(s) written, 0 command(s) run.\n"
                "exit\t0\n",
                &w);
        g_assert_cmpint(w.error, ==, 0);
        g_assert_cmpstr(w.message, ==, "1 file(s) written, 0 command(s) run.");
        /* the exit line is the status, not progress */
        g_assert_cmpuint(lines->len, ==, 2);
        g_assert_cmpstr(lines->pdata[0], ==, "files: created /etc/passthru/early-bind.list");
        g_free(w.message);
}

static void test_socket_failed(Fixture *f, gconstpointer data) {
        g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
        Watch w = { .lines = lines, .error = 1 };

        /* the plan changed: the helper's own sentence reaches the caller; no newline at the end */
        run_socket(f, "done\tThe boot configuration changed since it was shown.\nexit\t3", &w);
        g_assert_cmpint(w.error, ==, -EPROTO);
        g_assert_cmpstr(w.message, ==, "The boot configuration changed since it was shown.");
        g_free(w.message);
}

static void test_socket_no_exit_line(Fixture *f, gconstpointer data) {
        g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
        Watch w = { .lines = lines, .error = 1 };

        /* a "done" line that says all went well, then the helper dies: not a success */
        run_socket(f, "files\tcreated /etc/passthru/early-bind.list\ndone\t1 file(s) written.\n", &w);
        g_assert_cmpint(w.error, ==, -EPROTO);
        g_assert_nonnull(strstr(w.message, "no exit line"));
        g_assert_nonnull(strstr(w.message, "journalctl -u 'passthru-boot-config@*'"));
        g_free(w.message);
}

static void test_socket_absent(Fixture *f, gconstpointer data) {
        g_autofree char *path = root_path(f, "no-helper.sock");
        Watch w = {};
        BootApply *a = NULL;

        g_assert_cmpint(sd_event_default(&w.event), >=, 0);
        g_assert_cmpint(boot_apply_start(&(BootApplyParams){ .event = w.event,
                                                             .socket_path = path,
                                                             .request = "--digest=1\n\n",
                                                             .on_done = on_done,
                                                             .userdata = &w },
                                         &f->plan, &a),
                        ==, -ENOENT);
        g_assert_null(a);
        sd_event_unref(w.event);
}

#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        ADD("/bootcfg-apply/write", test_write);
        ADD("/bootcfg-apply/failing-command-restores", test_failing_command_restores);
        ADD("/bootcfg-apply/restore-rebuilds", test_restore_rebuilds);
        ADD("/bootcfg-apply/restore-rebuild-fails", test_restore_rebuild_fails);
        ADD("/bootcfg-apply/command-output", test_command_output);
        ADD("/bootcfg-apply/child", test_child);
        ADD("/bootcfg-apply/socket-exit-line", test_socket_exit_line);
        ADD("/bootcfg-apply/socket-failed", test_socket_failed);
        ADD("/bootcfg-apply/socket-no-exit-line", test_socket_no_exit_line);
        ADD("/bootcfg-apply/socket-absent", test_socket_absent);
        return g_test_run();
}
