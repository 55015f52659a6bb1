/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The request passthrud hands to passthru-boot-config (daemon/boot/bootcfg-helper.c): the
 * arguments as a command line and as lines on the helper's socket, read back and parsed by
 * the one parser, and the bounds the helper keeps while reading it. */
#include <errno.h>
#include <glib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bootcfg-helper.h"
#include "strv.h"

static const EarlyBindEntry entries[] = {
        { .address = { 0, 0x01, 0x00, 0 },
          .vendor = 0x10de,
          .device = 0x1b80,
          .subsystem_vendor = 0x10de,
          .subsystem_device = 0x119e,
          .class = 0x030000 },
        { .address = { 0x0001, 0xe1, 0x1f, 7 },
          .vendor = 0x8086,
          .device = 0x10d3,
          .subsystem_vendor = 0x8086,
          .subsystem_device = 0,
          .class = 0x020000 },
};

#define DIGEST UINT64_C(0x0123456789abcdef)

static void assert_same_input(const BootPlanInput *a, const BootPlanInput *b) {
        g_assert_cmpint(a->initramfs, ==, b->initramfs);
        g_assert_cmpint(a->cmdline, ==, b->cmdline);
        g_assert_cmpint(a->remove, ==, b->remove);
        g_assert_cmpint(a->want_iommu_pt, ==, b->want_iommu_pt);
        g_assert_cmpint(a->intel_dmar, ==, b->intel_dmar);
        g_assert_cmpuint(a->n_entries, ==, b->n_entries);
        for (size_t i = 0; i < a->n_entries; i++) {
                const EarlyBindEntry *x = &a->entries[i], *y = &b->entries[i];

                g_assert_true(pci_address_equal(&x->address, &y->address));
                g_assert_cmphex(x->vendor, ==, y->vendor);
                g_assert_cmphex(x->device, ==, y->device);
                g_assert_cmphex(x->subsystem_vendor, ==, y->subsystem_vendor);
                g_assert_cmphex(x->subsystem_device, ==, y->subsystem_device);
                g_assert_cmphex(x->class, ==, y->class);
        }
        g_assert_null(b->running_cmdline);
}

/* Writes text into one end of a socket pair, shuts it (the daemon does) and reads the other. */
static int read_back(const char *text, size_t len, char ***ret) {
        int sv[2], r;

        g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
        g_assert_cmpint(write(sv[0], text, len), ==, (ssize_t) len);
        g_assert_cmpint(shutdown(sv[0], SHUT_WR), ==, 0);
        r = boot_helper_request_read(sv[1], ret);
        close(sv[0]);
        close(sv[1]);
        return r;
}

static int read_text(const char *text, char ***ret) {
        return read_back(text, strlen(text), ret);
}

static void test_round_trip(void) {
        static const BootPlanInput inputs[] = {
                { .entries = entries,
                  .n_entries = 2,
                  .initramfs = true,
                  .cmdline = true,
                  .intel_dmar = true },
                { .entries = entries,
                  .n_entries = 1,
                  .initramfs = false,
                  .cmdline = true,
                  .want_iommu_pt = true },
                { .initramfs = true, .cmdline = false, .remove = true },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++) {
                _cleanup_strv_free_ char **args = NULL, **argv = NULL;
                _cleanup_free_ char *request = NULL;
                g_autofree EarlyBindEntry *parsed_entries = NULL, *socket_entries = NULL;
                BootPlanInput parsed, from_socket;
                uint64_t digest = 0;

                /* the command line of the child */
                g_assert_cmpint(
                        boot_helper_argv("/usr/libexec/passthru-boot-config", &inputs[i], DIGEST, &argv), ==,
                        0);
                g_assert_cmpstr(argv[0], ==, "/usr/libexec/passthru-boot-config");
                g_assert_cmpint(boot_helper_parse(strv_length(argv) - 1, argv + 1, &parsed, &parsed_entries,
                                                  &digest),
                                ==, 0);
                g_assert_cmphex(digest, ==, DIGEST);
                assert_same_input(&inputs[i], &parsed);

                /* the same arguments as the request on the socket */
                g_assert_cmpint(boot_helper_request(&inputs[i], DIGEST, &request), ==, 0);
                g_test_message("request %zu:\n%s", i, request);
                g_assert_true(g_str_has_suffix(request, "\n\n"));
                g_assert_cmpint(read_back(request, strlen(request), &args), ==, 0);
                g_assert_true(strv_equal(args, argv + 1));
                digest = 0;
                g_assert_cmpint(
                        boot_helper_parse(strv_length(args), args, &from_socket, &socket_entries, &digest),
                        ==, 0);
                g_assert_cmphex(digest, ==, DIGEST);
                assert_same_input(&inputs[i], &from_socket);
        }
}

static void test_request_bounds(void) {
        _cleanup_strv_free_ char **args = NULL;
        g_autoptr(GString) big = g_string_new(NULL);
        g_autofree EarlyBindEntry *e = NULL;
        BootPlanInput in;
        uint64_t digest;

        /* the sender stopped before the empty line */
        g_assert_cmpint(read_text("--digest=1\n", &args), ==, -EBADMSG);
        g_assert_cmpint(read_text("", &args), ==, -EBADMSG);
        /* an empty request, a NUL inside one */
        g_assert_cmpint(read_text("\n\n", &args), ==, -EBADMSG);
        g_assert_cmpint(read_back("--digest=1\0\n\n", 13, &args), ==, -EBADMSG);
        /* no end in sight within the bound */
        while (big->len <= BOOT_HELPER_REQUEST_MAX)
                g_string_append(big, "--entry=0000:01:00.0,10de,1b80,10de,119e,030000\n");
        g_assert_cmpint(read_back(big->str, big->len, &args), ==, -E2BIG);
        g_assert_null(args);

        /* what is read is only what the one parser takes */
        g_assert_cmpint(read_text("--digest=1\n--run=/bin/sh\n\n", &args), ==, 0);
        g_assert_cmpint(boot_helper_parse(strv_length(args), args, &in, &e, &digest), ==, -EINVAL);
        args = strv_free(args);
        g_assert_cmpint(read_text("--no-cmdline\n\n", &args), ==, 0);
        g_assert_cmpint(boot_helper_parse(strv_length(args), args, &in, &e, &digest), ==, -EINVAL);
        args = strv_free(args);
        g_assert_cmpint(
                read_text("--digest=ff\n--entry=0000:01:00.0,10de,1b80,10de,119e,1030000\n\n", &args), ==,
                0);
        g_assert_cmpint(boot_helper_parse(strv_length(args), args, &in, &e, &digest), ==, -EINVAL);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/bootcfg-helper/round-trip", test_round_trip);
        g_test_add_func("/bootcfg-helper/request-bounds", test_request_bounds);
        return g_test_run();
}
