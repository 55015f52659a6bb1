/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The modprobe configuration through libkmod (daemon/model/kmod.c, kmod_config_for_each()): kmod's
 * search path laid out under a fixture root and given to kmod_new(), in kmod's order (etc, run,
 * usr/local/lib, lib). A file in an earlier directory hides the file of the same name in a
 * later one, as modprobe has it; a hand edit is seen on the next walk. */
#include <glib.h>
#include <glib/gstdio.h>

#include "kmod.h"
#include "testbed.h"

static const char *const search_path[] = { "etc", "run", "usr/local/lib", "lib" };

typedef struct {
        char *root;
        Kmod *kmod;
} KmodFixture;

static void put(KmodFixture *f, const char *dir, const char *name, const char *text) {
        g_autofree char *d = g_build_filename(f->root, dir, "modprobe.d", NULL);
        g_autofree char *path = g_build_filename(d, name, NULL);

        g_assert_cmpint(g_mkdir_with_parents(d, 0755), ==, 0);
        g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void fixture_setup(KmodFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *modules = NULL;
        const char *paths[G_N_ELEMENTS(search_path) + 1] = {};
        char *owned[G_N_ELEMENTS(search_path)] = {};

        f->root = g_dir_make_tmp("passthru-kmod-XXXXXX", &error);
        g_assert_no_error(error);
        put(f, "lib", "x.conf", "blacklist nouveau\n");
        put(f, "etc", "x.conf", "");
        put(f, "lib", "y.conf", "options vfio-pci ids=10de:1b80\n");
        put(f, "run", "z.conf", "softdep snd_hda_intel pre: vfio-pci\n");
        put(f, "usr/local/lib", "w.conf", "install nvidia /bin/false\n");
        modules = g_build_filename(f->root, "modules", NULL);
        g_assert_cmpint(g_mkdir(modules, 0755), ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(search_path); i++)
                paths[i] = owned[i] = g_build_filename(f->root, search_path[i], "modprobe.d", NULL);
        g_assert_cmpint(kmod_open(modules, paths, &f->kmod), ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(search_path); i++)
                g_free(owned[i]);
}

static void fixture_teardown(KmodFixture *f, gconstpointer data) {
        kmod_close(f->kmod);
        test_remove_tree(f->root);
        g_free(f->root);
}

static int collect(const char *keyword, const char *module, const char *value, void *userdata) {
        g_ptr_array_add(userdata,
                        g_strdup_printf("%s %s%s%s", keyword, module, value ? " " : "", value ?: ""));
        return 0;
}

static GPtrArray *walk(KmodFixture *f) {
        GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);

        g_assert_cmpint(kmod_config_for_each(f->kmod, collect, lines), ==, 0);
        for (guint i = 0; i < lines->len; i++)
                g_test_message("%s", (const char *) lines->pdata[i]);
        return lines;
}

static bool has_line(GPtrArray *lines, const char *line) {
        for (guint i = 0; i < lines->len; i++)
                if (g_str_equal(lines->pdata[i], line))
                        return true;
        return false;
}

static void test_precedence(KmodFixture *f, gconstpointer data) {
        g_autoptr(GPtrArray) lines = walk(f);
        guint n_before = lines->len;
        g_autofree char *hiding = g_build_filename(f->root, "etc", "modprobe.d", "x.conf", NULL);

        /* etc/modprobe.d/x.conf is empty and hides lib/modprobe.d/x.conf's blacklist. */
        g_assert_false(has_line(lines, "blacklist nouveau"));
        /* Files of other names are read from every directory. */
        g_assert_true(has_line(lines, "options vfio_pci ids=10de:1b80"));
        g_assert_true(has_line(lines, "softdep snd_hda_intel pre: vfio-pci"));
        g_assert_true(has_line(lines, "install nvidia /bin/false"));

        /* The admin removes the empty file: the blacklist counts from the next walk on. */
        g_assert_cmpint(g_unlink(hiding), ==, 0);
        g_ptr_array_unref(lines);
        lines = walk(f);
        g_assert_true(has_line(lines, "blacklist nouveau"));
        /* libkmod adds "options" from the running kernel's command line (MODULE.PARAM=): only
         * the blacklist is new. */
        g_assert_cmpuint(lines->len, ==, n_before + 1);
}

static int stop_at_second(const char *keyword, const char *module, const char *value, void *userdata) {
        int *n = userdata;

        return ++*n == 2 ? -ECANCELED : 0;
}

static void test_stop(KmodFixture *f, gconstpointer data) {
        int n = 0;

        g_assert_cmpint(kmod_config_for_each(f->kmod, stop_at_second, &n), ==, -ECANCELED);
        g_assert_cmpint(n, ==, 2);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add("/kmod-config/precedence", KmodFixture, NULL, fixture_setup, test_precedence,
                   fixture_teardown);
        g_test_add("/kmod-config/stop", KmodFixture, NULL, fixture_setup, test_stop, fixture_teardown);
        return g_test_run();
}
