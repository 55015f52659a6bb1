/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bootcfg-file.h"
#include "bootcfg-needs.h"
#include "macros.h"
#include "memstream.h"
#include "strv.h"

#define KERNEL_CONFIG_MAX (4u * 1024 * 1024)

KconfigValue kconfig_value(const char *text, const char *symbol) {
        size_t len = strlen(symbol);

        assert(text);
        assert(symbol);
        for (const char *line = text; line && *line;) {
                const char *nl = strchr(line, '\n');

                if (strncmp(line, symbol, len) == 0 && line[len] == '=') {
                        if (line[len + 1] == 'y')
                                return KCONFIG_BUILTIN;
                        if (line[len + 1] == 'm')
                                return KCONFIG_MODULE;
                        return KCONFIG_NOT_SET;
                }
                line = nl ? nl + 1 : NULL;
        }
        return KCONFIG_NOT_SET;
}

void kernel_config_parse(const char *text, KernelConfig *ret) {
        assert(text);
        assert(ret);
        *ret = (KernelConfig){
                .intel_iommu = kconfig_value(text, "CONFIG_INTEL_IOMMU"),
                .intel_iommu_default_on =
                        kconfig_value(text, "CONFIG_INTEL_IOMMU_DEFAULT_ON") == KCONFIG_BUILTIN,
                .intel_iommu_default_on_intgpu_off =
                        kconfig_value(text, "CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF") == KCONFIG_BUILTIN,
                .vfio = kconfig_value(text, "CONFIG_VFIO"),
                .vfio_iommu_type1 = kconfig_value(text, "CONFIG_VFIO_IOMMU_TYPE1"),
                .vfio_pci = kconfig_value(text, "CONFIG_VFIO_PCI"),
                .vfio_virqfd = kconfig_value(text, "CONFIG_VFIO_VIRQFD"),
        };
}

int kernel_config_read(int rootfd, const char *release, KernelConfig *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        int r;

        assert(release);
        assert(ret);
        if (!release[0] || strchr(release, '/'))
                return -EINVAL;
        if (asprintf(&path, "boot/config-%s", release) < 0)
                return -ENOMEM;
        r = bootcfg_read_file_at(rootfd, path, KERNEL_CONFIG_MAX, &text);
        if (r < 0)
                return r;
        kernel_config_parse(text, ret);
        return 0;
}

int kernel_release_parse(const char *release, unsigned *ret_major, unsigned *ret_minor) {
        unsigned major, minor;
        int n = 0;

        assert(release);
        assert(ret_major);
        assert(ret_minor);
        if (sscanf(release, "%u.%u%n", &major, &minor, &n) != 2 || n == 0)
                return -EINVAL;
        if (release[n] && release[n] != '.' && release[n] != '-' && release[n] != '+')
                return -EINVAL;
        *ret_major = major;
        *ret_minor = minor;
        return 0;
}

void boot_needs_done(BootNeeds *n) {
        n->cmdline_add = strv_free(n->cmdline_add);
        n->warnings = strv_free(n->warnings);
}

static int ids_argument(char *const *ids, char **ret) {
        _cleanup_(memstream_done) MemStream m = {};
        FILE *f = memstream_init(&m);
        bool first = true;

        if (!f)
                return -ENOMEM;
        fputs("vfio-pci.ids=", f);
        for (char *const *id = ids; id && *id; id++) {
                bool seen = false;

                /* twins share one ID: list it once */
                for (char *const *prev = ids; prev < id; prev++)
                        if (streq(*prev, *id))
                                seen = true;
                if (seen)
                        continue;
                fprintf(f, "%s%s", first ? "" : ",", *id);
                first = false;
        }
        return memstream_finalize(&m, ret);
}

/* Whether the kernel turns on DMA remapping for what is to be passed through by itself. */
static bool intel_iommu_on_by_default(const KernelConfig *c, bool igpu) {
        return c->intel_iommu_default_on || (c->intel_iommu_default_on_intgpu_off && !igpu);
}

int boot_needs_decide(const BootNeedsInput *in, BootNeeds *ret) {
        _cleanup_(boot_needs_done) BootNeeds n = {};
        const KernelConfig *c = in->config;
        const char *release = strempty(in->release);
        int r;

        assert(in);
        assert(ret);
        if (in->intel_dmar) {
                if (c->intel_iommu == KCONFIG_NOT_SET)
                        r = strv_extendf(
                                &n.warnings,
                                "Kernel %s is built without Intel IOMMU support (CONFIG_INTEL_IOMMU): "
                                "boot a kernel that has it%s.",
                                release, "");
                else if (!intel_iommu_on_by_default(c, in->intel_igpu))
                        r = strv_extend(&n.cmdline_add, "intel_iommu=on");
                else
                        r = 0;
                if (r < 0)
                        return r;
        }
        if (in->want_iommu_pt) {
                r = strv_extend(&n.cmdline_add, "iommu=pt");
                if (r < 0)
                        return r;
        }

        if (c->vfio_pci == KCONFIG_NOT_SET) {
                r = strv_extendf(&n.warnings, "Kernel %s is built without vfio-pci (CONFIG_VFIO_PCI).",
                                 release);
                if (r < 0)
                        return r;
        } else if (c->vfio_pci == KCONFIG_BUILTIN) {
                n.vfio_pci_builtin = true;
                if (in->device_ids && in->device_ids[0]) {
                        _cleanup_free_ char *ids = NULL;

                        r = ids_argument(in->device_ids, &ids);
                        if (r < 0)
                                return r;
                        r = strv_extend(&n.cmdline_add, ids);
                        if (r < 0)
                                return r;
                        r = strv_extendf(
                                &n.warnings,
                                "vfio-pci is built into kernel %s, so it probes before the initramfs can "
                                "check a device's address; the fallback %s binds by vendor and device "
                                "ID and also takes every identical twin of these devices.",
                                release, ids);
                        if (r < 0)
                                return r;
                }
        }

        *ret = n;
        n = (BootNeeds){};
        return 0;
}

int boot_modules_for_kernel(const char *release, const KernelConfig *config, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        unsigned major, minor;
        bool old;
        int r;

        assert(release);
        assert(config);
        assert(ret);
        r = kernel_release_parse(release, &major, &minor);
        if (r < 0)
                return r;
        old = major < 6 || (major == 6 && minor < 2);

        const struct {
                const char *name;
                KconfigValue value;
                bool wanted;
        } modules[] = {
                { "vfio", config->vfio, true },
                { "vfio_iommu_type1", config->vfio_iommu_type1, true },
                { "vfio_pci", config->vfio_pci, true },
                { "vfio_virqfd", config->vfio_virqfd, old },
        };
        for (size_t i = 0; i < ELEMENTSOF(modules); i++) {
                if (!modules[i].wanted || modules[i].value != KCONFIG_MODULE)
                        continue;
                r = strv_extend(&l, modules[i].name);
                if (r < 0)
                        return r;
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int boot_modules_common(char **const *per_kernel, size_t n, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        assert(ret);
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (char **m = n > 0 ? per_kernel[0] : NULL; m && *m; m++) {
                bool everywhere = true;

                for (size_t k = 1; k < n; k++)
                        if (!strv_contains(per_kernel[k], *m))
                                everywhere = false;
                if (!everywhere)
                        continue;
                r = strv_extend(&l, *m);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int boot_modules_load_text(char *const *modules, char **ret) {
        _cleanup_(memstream_done) MemStream out = {};
        FILE *f;

        assert(modules);
        assert(ret);
        f = bootcfg_text_init(&out);
        if (!f)
                return -ENOMEM;
        for (char *const *m = modules; m && *m; m++)
                fprintf(f, "%s\n", *m);
        return memstream_finalize(&out, ret);
}
