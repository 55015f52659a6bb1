/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

        assert(p);
        for (size_t i = 0; i < p->n_files; i++) {
                h = fnv1a(h, p->files[i].path);
                h = fnv1a(h, p->files[i].new_text ? "+" : "-");
                h = fnv1a(h, p->files[i].new_text ?: "");
        }
        for (char **c = p->commands; c && *c; c++)
                h = fnv1a(h, *c);
        return h;
}

int boot_helper_args(const BootPlanInput *in, uint64_t digest, char ***ret) {
        _cleanup_strv_free_ char **args = NULL;
        char buf[128];
        int r;

        assert(in);
        assert(ret);
        snprintf(buf, sizeof(buf), "--digest=%016" PRIx64, digest);
        r = strv_extend(&args, buf);
        if (r >= 0 && !in->initramfs)
                r = strv_extend(&args, "--no-initramfs");
        if (r >= 0 && !in->cmdline)
                r = strv_extend(&args, "--no-cmdline");
        if (r >= 0 && in->remove)
                r = strv_extend(&args, "--remove");
        if (r >= 0 && in->want_iommu_pt)
                r = strv_extend(&args, "--iommu-pt");
        if (r >= 0 && in->intel_dmar)
                r = strv_extend(&args, "--intel-dmar");
        for (size_t i = 0; r >= 0 && i < in->n_entries; i++) {
                const EarlyBindEntry *e = &in->entries[i];
                char a[PCI_ADDRESS_STRING_MAX];

                snprintf(buf, sizeof(buf), "--entry=%s,%04x,%04x,%04x,%04x,%06x",
                         pci_address_format(&e->address, a), e->vendor, e->device, e->subsystem_vendor,
                         e->subsystem_device, e->class);
                r = strv_extend(&args, buf);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(args);
        return 0;
}

int boot_helper_argv(const char *helper, const BootPlanInput *in, uint64_t digest, char ***ret) {
        _cleanup_strv_free_ char **args = NULL, **argv = NULL;
        int r;

        assert(helper);
        assert(in);
        assert(ret);
        r = boot_helper_args(in, digest, &args);
        if (r >= 0)
                r = strv_extend(&argv, helper);
        for (char **a = args; r >= 0 && *a; a++)
                r = strv_extend(&argv, *a);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

int boot_helper_request(const BootPlanInput *in, uint64_t digest, char **ret) {
        _cleanup_strv_free_ char **args = NULL;
        _cleanup_free_ char *joined = NULL;
        char *text;
        int r;

        assert(in);
        assert(ret);
        r = boot_helper_args(in, digest, &args);
        if (r < 0)
                return r;
        joined = strv_join(args, "\n");
        if (!joined || asprintf(&text, "%s\n\n", joined) < 0)
                return -ENOMEM;
        if (strlen(text) > BOOT_HELPER_REQUEST_MAX) {
                free(text);
                return -E2BIG;
        }
        *ret = text;
        return 0;
}

int boot_helper_request_read(int fd, char ***ret_args) {
        _cleanup_free_ char *buf = malloc(BOOT_HELPER_REQUEST_MAX + 1);
        _cleanup_strv_free_ char **args = NULL;
        size_t len = 0;
        char *end = NULL;
        int r;

        assert(ret_args);
        if (!buf)
                return -ENOMEM;
        /* nothing follows the empty line: whatever a read brings is the request's */
        while (!end) {
                ssize_t n;

                if (len >= BOOT_HELPER_REQUEST_MAX)
                        return -E2BIG;
                n = read(fd, buf + len, BOOT_HELPER_REQUEST_MAX - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EBADMSG;
                len += n;
                buf[len] = 0;
                if (memchr(buf, 0, len))
                        return -EBADMSG;
                if (buf[0] == '\n') /* no arguments at all */
                        return -EBADMSG;
                end = strstr(buf, "\n\n");
        }
        end[1] = 0;
        r = strv_split(buf, "\n", &args);
        if (r < 0)
                return r;
        *ret_args = TAKE_PTR(args);
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

        assert(argv);
        assert(ret_in);
        assert(ret_entries);
        assert(ret_digest);
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
