/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VM claims (daemon/vm-claim.c) in a temporary runtime directory: a Bind for a VM claims the
 * devices it moved (written whole, no temporary file left), another move ends the claim, and a
 * claim file that is too long or not a name is refused. */
#include <glib.h>
#include <glib/gstdio.h>

#include "macros.h"
#include "plan.h"
#include "vm-claim.h"

typedef struct {
        char *dir;
        VmClaims *claims;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        f->dir = g_dir_make_tmp("passthru-vm-claim-XXXXXX", &error);
        g_assert_no_error(error);
        g_assert_cmpint(vm_claims_new(f->dir, &f->claims), ==, 0);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        g_autofree char *vms = g_build_filename(f->dir, "vms", NULL);
        g_autoptr(GDir) d = g_dir_open(vms, 0, NULL);
        const char *name;

        while (d && (name = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(vms, name, NULL);

                g_assert_cmpint(g_remove(path), ==, 0);
        }
        g_rmdir(vms);
        g_assert_cmpint(g_rmdir(f->dir), ==, 0);
        vm_claims_free(f->claims);
        g_free(f->dir);
}

static void claim_file(Fixture *f, const char *address, const char *text, gssize len) {
        g_autofree char *vms = g_build_filename(f->dir, "vms", NULL), *path = NULL;

        g_assert_cmpint(g_mkdir_with_parents(vms, 0755), ==, 0);
        path = g_build_filename(vms, address, NULL);
        g_assert_true(g_file_set_contents(path, text, len, NULL));
}

static void test_note_and_load(Fixture *f, gconstpointer data) {
        Move move = { .address_str = "0000:00:10.0",
                      .from_driver = (char *) "e1000e",
                      .to_driver = (char *) "vfio-pci" };
        Plan plan = { .moves = &move, .n_moves = 1 };
        g_autofree char *vms = g_build_filename(f->dir, "vms", NULL);
        _cleanup_free_ char *vm = NULL;
        g_autoptr(GDir) d = NULL;

        g_assert_cmpint(vm_claim_load(f->claims, "0000:00:10.0", &vm), ==, -ENOENT);
        vm_claims_note(f->claims, &plan, "guest one");
        g_assert_cmpint(vm_claim_load(f->claims, "0000:00:10.0", &vm), ==, 0);
        g_assert_cmpstr(vm, ==, "guest one");
        /* the claim and nothing else: no temporary file is left */
        d = g_dir_open(vms, 0, NULL);
        g_assert_nonnull(d);
        g_assert_cmpstr(g_dir_read_name(d), ==, "0000:00:10.0");
        g_assert_null(g_dir_read_name(d));
        /* any other move ends it */
        vm_claims_note(f->claims, &plan, NULL);
        g_assert_cmpint(vm_claim_load(f->claims, "0000:00:10.0", &vm), ==, -ENOENT);
}

static void test_load_refuses(Fixture *f, gconstpointer data) {
        g_autofree char *longest = g_strnfill(255, 'v'), *too_long = g_strnfill(256, 'v');
        _cleanup_free_ char *vm = NULL;

        claim_file(f, "0000:00:10.0", longest, -1);
        g_assert_cmpint(vm_claim_load(f->claims, "0000:00:10.0", &vm), ==, 0);
        g_assert_cmpstr(vm, ==, longest);
        claim_file(f, "0000:00:11.0", too_long, -1);
        g_assert_cmpint(vm_claim_load(f->claims, "0000:00:11.0", &vm), ==, -EBADMSG);
        claim_file(f, "0000:00:12.0", "a\0b", 3);
        g_assert_cmpint(vm_claim_load(f->claims, "0000:00:12.0", &vm), ==, -EBADMSG);
        claim_file(f, "0000:00:13.0", "line\nbreak", -1);
        g_assert_cmpint(vm_claim_load(f->claims, "0000:00:13.0", &vm), ==, -EBADMSG);
}

#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        ADD("/vm-claim/note-and-load", test_note_and_load);
        ADD("/vm-claim/load-refuses", test_load_refuses);
        return g_test_run();
}
