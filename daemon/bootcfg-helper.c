/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootcfg-helper.h"
#include "strv.h"

static uint64_t fnv1a(uint64_t h, const char *s) {
        /* the terminating NUL too, so "ab","c" and "a","bc" differ */
        do {
                h ^= (uint8_t) *s;
                h *= 0x100000001b3ULL;
        } while (*s++);
        return h;
}

uint64_t boot_plan_digest(const BootPlan *p) {
        uint64_t h = 0xcbf29ce484222325ULL;

        for (size_t i = 0; i < p->n_files; i++) {
                h = fnv1a(h, p->files[i].path);
                h = fnv1a(h, p->files[i].new_text ? "+" : "-");
                h = fnv1a(h, p->files[i].new_text ?: "");
        }
        for (char **c = p->commands; c && *c; c++)
                h = fnv1a(h, *c);
        return h;
}

/* The transient unit's own sandbox. It writes /etc and /boot and runs the distribution's
 * generators and boot-loader tools, which read block devices (cryptsetup and resume hooks,
 * grub-probe) and may mount the ESPs (proxmox-boot-tool): it needs what root has there, so
 * it gets what those tools need and nothing it does not (no network, no home, own /tmp). */
static const char *const unit_properties[] = {
        "Description=passthru: write the boot configuration (passthructl boot-config)",
        "PrivateTmp=yes",
        "PrivateNetwork=yes",
        "ProtectHome=read-only",
        "NoNewPrivileges=yes",
        "RestrictRealtime=yes",
        "LockPersonality=yes",
};

int boot_helper_argv(const char *helper, const BootPlanInput *in, uint64_t digest, bool via_systemd,
                     char ***ret) {
        _cleanup_strv_free_ char **argv = NULL;
        char buf[128];
        int r = 0;

        if (via_systemd) {
                r = strv_extend(&argv, "systemd-run");
                /* --pipe: the helper's output is the progress; --wait: its exit status is ours */
                r = r >= 0 ? strv_extend(&argv, "--quiet") : r;
                r = r >= 0 ? strv_extend(&argv, "--wait") : r;
                r = r >= 0 ? strv_extend(&argv, "--pipe") : r;
                r = r >= 0 ? strv_extend(&argv, "--collect") : r;
                r = r >= 0 ? strv_extend(&argv, "--service-type=exec") : r;
                r = r >= 0 ? strv_extend(&argv, "--unit=" BOOT_HELPER_UNIT) : r;
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(unit_properties); i++) {
                        r = strv_extend(&argv, "--property");
                        r = r >= 0 ? strv_extend(&argv, unit_properties[i]) : r;
                }
        }
        r = r >= 0 ? strv_extend(&argv, helper) : r;
        snprintf(buf, sizeof(buf), "--digest=%016" PRIx64, digest);
        r = r >= 0 ? strv_extend(&argv, buf) : r;
        if (r >= 0 && !in->initramfs)
                r = strv_extend(&argv, "--no-initramfs");
        if (r >= 0 && !in->cmdline)
                r = strv_extend(&argv, "--no-cmdline");
        if (r >= 0 && in->remove)
                r = strv_extend(&argv, "--remove");
        if (r >= 0 && in->want_iommu_pt)
                r = strv_extend(&argv, "--iommu-pt");
        if (r >= 0 && in->intel_dmar)
                r = strv_extend(&argv, "--intel-dmar");
        for (size_t i = 0; r >= 0 && i < in->n_entries; i++) {
                const EarlyBindEntry *e = &in->entries[i];
                char a[PCI_ADDRESS_STRING_MAX];

                snprintf(buf, sizeof(buf), "--entry=%s,%04x,%04x,%04x,%04x,%06x",
                         pci_address_format(&e->address, a), e->vendor, e->device, e->subsystem_vendor,
                         e->subsystem_device, e->class);
                r = strv_extend(&argv, buf);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

static int parse_entry(const char *s, EarlyBindEntry *ret) {
        char address[64];
        unsigned v, d, sv, sd, c;
        int n = -1;

        if (sscanf(s, "%63[^,],%x,%x,%x,%x,%x%n", address, &v, &d, &sv, &sd, &c, &n) != 6 || n < 0 || s[n] ||
            v > 0xffff || d > 0xffff || sv > 0xffff || sd > 0xffff || c > 0xffffff)
                return -EINVAL;
        if (pci_address_parse(address, &ret->address) < 0)
                return -EINVAL;
        ret->vendor = v;
        ret->device = d;
        ret->subsystem_vendor = sv;
        ret->subsystem_device = sd;
        ret->class = c;
        return 0;
}

int boot_helper_parse(int argc, char *const *argv, BootPlanInput *ret_in, EarlyBindEntry **ret_entries,
                      uint64_t *ret_digest) {
        _cleanup_free_ EarlyBindEntry *entries = calloc(argc + 1, sizeof(EarlyBindEntry));
        BootPlanInput in = { .initramfs = true, .cmdline = true };
        bool have_digest = false;
        uint64_t digest = 0;
        size_t n = 0;

        if (!entries)
                return -ENOMEM;
        for (int i = 0; i < argc; i++) {
                const char *a = argv[i];

                if (strncmp(a, "--digest=", 9) == 0) {
                        char *end;

                        errno = 0;
                        digest = strtoull(a + 9, &end, 16);
                        if (errno || end == a + 9 || *end)
                                return -EINVAL;
                        have_digest = true;
                } else if (streq(a, "--no-initramfs"))
                        in.initramfs = false;
                else if (streq(a, "--no-cmdline"))
                        in.cmdline = false;
                else if (streq(a, "--remove"))
                        in.remove = true;
                else if (streq(a, "--iommu-pt"))
                        in.want_iommu_pt = true;
                else if (streq(a, "--intel-dmar"))
                        in.intel_dmar = true;
                else if (strncmp(a, "--entry=", 8) == 0) {
                        if (parse_entry(a + 8, &entries[n]) < 0)
                                return -EINVAL;
                        n++;
                } else
                        return -EINVAL;
        }
        if (!have_digest)
                return -EINVAL;
        in.n_entries = n;
        in.entries = entries;
        *ret_entries = TAKE_PTR(entries);
        *ret_in = in;
        *ret_digest = digest;
        return 0;
}
