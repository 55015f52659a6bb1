/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What passthru-boot-config reads as root from its socket (bootcfg-helper.c): arbitrary
 * bytes through the request reader and the one argument parser. What they accept, made into
 * the daemon's own arguments again, parses back to the same. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bootcfg-helper.h"
#include "fuzz.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ EarlyBindEntry *entries = NULL, *entries2 = NULL;
        _cleanup_strv_free_ char **args = NULL, **again = NULL;
        BootPlanInput in, in2;
        uint64_t digest, digest2;
        int sv[2], r;

        fuzz_quiet();
        /* more than the reader takes is refused the same way: no need to block on a full socket */
        if (size > BOOT_HELPER_REQUEST_MAX + 1)
                size = BOOT_HELPER_REQUEST_MAX + 1;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        if (size > 0 && write(sv[0], data, size) != (ssize_t) size)
                abort();
        close(sv[0]);
        r = boot_helper_request_read(sv[1], &args);
        close(sv[1]);
        if (r < 0) {
                if (args)
                        abort();
                return 0;
        }
        if (boot_helper_parse(strv_length(args), args, &in, &entries, &digest) < 0)
                return 0;
        /* accepted: the daemon's own arguments for what was read parse back to the same */
        if (boot_helper_args(&in, digest, &again) < 0 ||
            boot_helper_parse(strv_length(again), again, &in2, &entries2, &digest2) < 0)
                abort();
        if (digest2 != digest || in2.initramfs != in.initramfs || in2.cmdline != in.cmdline ||
            in2.remove != in.remove || in2.want_iommu_pt != in.want_iommu_pt ||
            in2.intel_dmar != in.intel_dmar || in2.n_entries != in.n_entries)
                abort();
        for (size_t i = 0; i < in.n_entries; i++) {
                const EarlyBindEntry *a = &in.entries[i], *b = &in2.entries[i];

                if (!pci_address_equal(&a->address, &b->address) || a->vendor != b->vendor ||
                    a->device != b->device || a->subsystem_vendor != b->subsystem_vendor ||
                    a->subsystem_device != b->subsystem_device || a->class != b->class)
                        abort();
        }
        return 0;
}
