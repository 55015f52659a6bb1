/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel command line edits (daemon/boot/bootcfg-cmdline.c) on files of the shapes found on real
 * hosts, tests/data/bootcfg/grub and tests/data/bootcfg/kernel-cmdline: NAME.in is edited and
 * compared byte for byte with NAME.out; the edit applied again to the result changes nothing. */
#include <glib.h>

#include "bootcfg-cmdline.h"

typedef struct {
        const char *name;    /* NAME.in and NAME.out in the data directory */
        const char *add;     /* space-separated, may be NULL */
        const char *remove;  /* space-separated, may be NULL */
        int expected;        /* 1 changed, 0 unchanged, or -errno */
        const char *cmdline; /* kernel-cmdline only: /proc/cmdline when NAME.in is missing */
} EditCase;

typedef int (*EditFunc)(const EditCase *c, const char *text, const CmdlineEdit *edit, char **ret);

typedef struct {
        const char *dir;
        EditFunc edit;
        const EditCase *c;
} EditParam;

static int edit_grub(const EditCase *c, const char *text, const CmdlineEdit *edit, char **ret) {
        return grub_default_edit(text, edit, ret);
}

static int edit_kernel(const EditCase *c, const char *text, const CmdlineEdit *edit, char **ret) {
        g_autofree char *running = NULL;

        if (c->cmdline) {
                g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "bootcfg",
                                                              "kernel-cmdline", c->cmdline, NULL);

                g_assert_true(g_file_get_contents(path, &running, NULL, NULL));
        }
        return kernel_cmdline_edit(text, running, edit, ret);
}

static char *read_case_file(const EditParam *p, const char *suffix) {
        g_autofree char *name = g_strconcat(p->c->name, suffix, NULL);
        g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "bootcfg", p->dir, name, NULL);
        char *text = NULL;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return NULL;
        return text;
}

static void test_edit(gconstpointer data) {
        const EditParam *p = data;
        const EditCase *c = p->c;
        g_auto(GStrv) add = c->add ? g_strsplit(c->add, " ", -1) : NULL;
        g_auto(GStrv) remove = c->remove ? g_strsplit(c->remove, " ", -1) : NULL;
        CmdlineEdit edit = { .add = add, .remove = remove };
        g_autofree char *in = read_case_file(p, ".in"), *out = read_case_file(p, ".out");
        g_autofree char *result = NULL, *again = NULL;
        int r;

        r = p->edit(c, in, &edit, &result);
        g_assert_cmpint(r, ==, c->expected);
        if (r < 0)
                return;
        if (r == 0) {
                /* unchanged: the same text back (no file: nothing to write) */
                g_assert_cmpstr(result, ==, in);
                return;
        }
        g_assert_nonnull(out);
        g_assert_cmpstr(result, ==, out);

        /* idempotent: the result edited again stays as it is */
        g_assert_cmpint(p->edit(c, result, &edit, &again), ==, 0);
        g_assert_cmpstr(again, ==, result);
}

static const EditCase grub_cases[] = {
        { "debian12", "intel_iommu=on", NULL, 1 },
        { "ubuntu-splash", "intel_iommu=on iommu=pt", NULL, 1 },
        { "proxmox-single-quoted", "intel_iommu=on", NULL, 1 },
        { "unquoted", "intel_iommu=on", NULL, 1 },
        { "unquoted-empty", "intel_iommu=on", NULL, 1 },
        { "conflicting", "intel_iommu=on", NULL, 1 },
        { "igfx-off", "intel_iommu=on", NULL, 1 },
        /* the undo of the one before: the administrator's igfx_off stays */
        { "igfx-off-remove", NULL, "intel_iommu=on", 1 },
        { "commented-only", "intel_iommu=on", NULL, 1 },
        { "missing-no-newline", "intel_iommu=on", NULL, 1 },
        { "duplicates", "intel_iommu=on", NULL, 1 },
        { "export-comment", "intel_iommu=on", NULL, 1 },
        { "multiline", "intel_iommu=on", NULL, 1 },
        { "present", "intel_iommu=on iommu=pt", NULL, 0 },
        { "present-remove", NULL, "intel_iommu=on iommu=pt", 1 },
        /* undo takes only what passthru wrote, not the administrator's own value */
        { "remove-other-value", NULL, "intel_iommu=on", 0 },
        { "missing-no-newline", NULL, "intel_iommu=on", 0 },
        /* read as the shell reads it: an assignment inside another value is text */
        { "inside-other-value", "intel_iommu=on", NULL, 1 },
        /* the shell keeps the last of two on one line */
        { "two-on-one-line", "intel_iommu=on", NULL, 1 },
        /* after a finished if, and not a command's argument */
        { "after-if", "intel_iommu=on", NULL, 1 },
        /* an unterminated double quote in the value: the kernel would read the addition as quoted */
        { "kernel-quote", "intel_iommu=on", NULL, -EBADMSG },
        /* assigned only maybe */
        { "conditional", "intel_iommu=on", NULL, -EBADMSG },
        { "heredoc", "intel_iommu=on", NULL, -EBADMSG },
        /* an if never closed, a last line continued: an appended assignment would be inside */
        { "unclosed-if", "intel_iommu=on", NULL, -EBADMSG },
        { "continued", "intel_iommu=on", NULL, -EBADMSG },
        { "backtick", "intel_iommu=on", NULL, -EBADMSG },
        { "unterminated", "intel_iommu=on", NULL, -EBADMSG },
        { "debian12", "intel_iommu=on;reboot", NULL, -EINVAL },
        { "debian12", "quiet\"", NULL, -EINVAL },
};

static const EditCase kernel_cases[] = {
        { "proxmox-zfs", "intel_iommu=on", NULL, 1 },
        { "no-newline", "intel_iommu=on", NULL, 1 },
        { "two-lines", "intel_iommu=on", NULL, 1 },
        { "missing", "intel_iommu=on", NULL, 1, "proc-cmdline" },
        /* a host booted into rescue once: the new file keeps none of it */
        { "missing-rescue", "intel_iommu=on", NULL, 1, "proc-cmdline-rescue" },
        { "proxmox-zfs", NULL, "intel_iommu=on", 0 },
        { "proxmox-zfs", "root=ZFS=x", NULL, -EINVAL },
        { "unterminated", "intel_iommu=on", NULL, -EBADMSG },
};

static void test_args(void) {
        static const struct {
                const char *in, *add, *remove, *out;
                int expected;
        } cases[] = {
                { "", "a=1", NULL, "a=1", 1 },
                { "  ", "a=1", NULL, "a=1  ", 1 },
                { "x y", "x", NULL, "x y", 0 },
                { "x y", NULL, "x", "y", 1 },
                { "x y z", NULL, "y", "x z", 1 },
                { "\tx\t", NULL, "x", "\t\t", 1 },
                /* '-' and '_' are the same in a parameter's name */
                { "intel-iommu=off", "intel_iommu=on", NULL, "intel-iommu=on", 1 },
                { "vfio_pci.ids=8086:10d3", "vfio-pci.ids=8086:10d3", NULL, "vfio_pci.ids=8086:10d3", 0 },
                /* intel_iommu= takes a list of options, and each occurrence counts: merge */
                { "intel_iommu=igfx_off", "intel_iommu=on", NULL, "intel_iommu=on,igfx_off", 1 },
                { "intel_iommu=on,igfx_off", "intel_iommu=on", NULL, "intel_iommu=on,igfx_off", 0 },
                { "intel_iommu=igfx_off,on", "intel_iommu=on", NULL, "intel_iommu=igfx_off,on", 0 },
                { "intel_iommu=igfx_off,off,sm_on", "intel_iommu=on", NULL, "intel_iommu=on,igfx_off,sm_on",
                  1 },
                { "a intel_iommu=off b intel_iommu=igfx_off", "intel_iommu=on", NULL,
                  "a intel_iommu=on b intel_iommu=igfx_off", 1 },
                { "intel_iommu=on intel_iommu=off", "intel_iommu=on", NULL, "intel_iommu=on", 1 },
                { "intel_iommu", "intel_iommu=on", NULL, "intel_iommu=on", 1 },
                /* undo takes passthru's option out of the list, and nothing else */
                { "intel_iommu=on,igfx_off", NULL, "intel_iommu=on", "intel_iommu=igfx_off", 1 },
                { "q intel_iommu=on", NULL, "intel_iommu=on", "q", 1 },
                { "intel_iommu=igfx_off", NULL, "intel_iommu=on", "intel_iommu=igfx_off", 0 },
                { "intel_iommu=off", NULL, "intel_iommu=on", "intel_iommu=off", 0 },
                /* a quoted stretch belongs to its word */
                { "a=\"1 2\" b", "a=3", NULL, "a=3 b", 1 },
                { "iommu=pt iommu=pt", "iommu=pt", NULL, "iommu=pt iommu=pt", 0 },
                { "iommu=soft iommu=pt", "iommu=pt", NULL, "iommu=pt", 1 },
                { "vfio-pci.ids=10de:1b80", NULL, "vfio_pci.ids", "", 1 },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_auto(GStrv) add = cases[i].add ? g_strsplit(cases[i].add, " ", -1) : NULL;
                g_auto(GStrv) remove = cases[i].remove ? g_strsplit(cases[i].remove, " ", -1) : NULL;
                CmdlineEdit edit = { .add = add, .remove = remove };
                g_autofree char *out = NULL;

                g_test_message("case %zu: \"%s\"", i, cases[i].in);
                g_assert_cmpint(cmdline_edit_args(cases[i].in, &edit, &out), ==, cases[i].expected);
                g_assert_cmpstr(out, ==, cases[i].out);
        }
}

static void test_safe(void) {
        g_assert_true(cmdline_arg_is_safe("intel_iommu=on"));
        g_assert_true(cmdline_arg_is_safe("vfio-pci.ids=10de:1b80,10de:10f0"));
        g_assert_true(cmdline_arg_is_safe("quiet"));
        g_assert_false(cmdline_arg_is_safe(""));
        g_assert_false(cmdline_arg_is_safe("=on"));
        g_assert_false(cmdline_arg_is_safe("a=b=c"));
        g_assert_false(cmdline_arg_is_safe("a b"));
        g_assert_false(cmdline_arg_is_safe("$(reboot)"));
        g_assert_false(cmdline_arg_is_safe("a'"));
}

static void test_assigns(void) {
        g_assert_cmpint(grub_default_assigns("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"), ==, 1);
        g_assert_cmpint(grub_default_assigns("GRUB_TIMEOUT=0\n#GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"), ==,
                        0);
        g_assert_cmpint(grub_default_assigns("GRUB_CMDLINE_LINUX=\"quiet\"\n"), ==, 0);
        g_assert_cmpint(grub_default_assigns("if [ \"$GRUB_CMDLINE_LINUX_DEFAULT\" ]; then :; fi\n"), ==, 0);
        g_assert_cmpint(grub_default_assigns("GRUB_CMDLINE_LINUX_DEFAULT=\"$(cat /x)\"\n"), ==, -EBADMSG);
}

static void test_kernel_missing_no_base(void) {
        char *const add[] = { (char *) "intel_iommu=on", NULL };
        CmdlineEdit edit = { .add = add };
        char *out = (char *) "untouched";

        g_assert_cmpint(kernel_cmdline_edit(NULL, NULL, &edit, &out), ==, -ENODATA);
        g_assert_cmpint(kernel_cmdline_edit(NULL, " \n", &edit, &out), ==, -ENODATA);
        g_assert_cmpstr(out, ==, "untouched");
}

static void test_one_off(void) {
        g_auto(GStrv) found = NULL;

        g_assert_cmpint(cmdline_one_off_args("BOOT_IMAGE=/vmlinuz root=/dev/sda1 passthru.early=0 "
                                             "systemd.unit=rescue.target single init=/bin/sh emergency "
                                             "rescue rd.break quiet systemd.unit_x=1 singles",
                                             &found),
                        ==, 7);
        g_assert_cmpstr(found[0], ==, "passthru.early=0");
        g_assert_cmpstr(found[1], ==, "systemd.unit=rescue.target");
        g_assert_cmpstr(found[2], ==, "single");
        g_assert_cmpstr(found[3], ==, "init=/bin/sh");
        g_assert_cmpstr(found[6], ==, "rd.break");
        g_clear_pointer(&found, g_strfreev);
        g_assert_cmpint(cmdline_one_off_args("root=/dev/sda1 ro quiet\n", &found), ==, 0);
        g_assert_null(found);
}

static void add_cases(const char *dir, EditFunc edit, const EditCase *cases, size_t n) {
        for (size_t i = 0; i < n; i++) {
                EditParam *p = g_new(EditParam, 1);
                g_autofree char *path = NULL;

                *p = (EditParam){ .dir = dir, .edit = edit, .c = &cases[i] };
                path = g_strdup_printf("/cmdline/%s/%s-%zu", dir, cases[i].name, i);
                g_test_add_data_func_full(path, p, test_edit, g_free);
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/cmdline/args", test_args);
        g_test_add_func("/cmdline/safe", test_safe);
        g_test_add_func("/cmdline/one-off", test_one_off);
        g_test_add_func("/cmdline/grub-assigns", test_assigns);
        g_test_add_func("/cmdline/kernel-cmdline-missing-no-base", test_kernel_missing_no_base);
        add_cases("grub", edit_grub, grub_cases, G_N_ELEMENTS(grub_cases));
        add_cases("kernel-cmdline", edit_kernel, kernel_cases, G_N_ELEMENTS(kernel_cases));
        return g_test_run();
}
