/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <strings.h>

#include "device-table.h"
#include "group.h"
#include "host-check.h"
#include "host-facts.h"
#include "klog.h"
#include "kmod.h"
#include "strv.h"

#define GRUB_REMEDY "GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, run `update-grub` and reboot"
#define NO_PERSISTENT "no device is configured to stay on vfio-pci"
#define EARLY_LIST "/etc/passthru/early-bind.list"

static const char *const check_status_names[_HOST_CHECK_STATUS_MAX] = {
        [HOST_CHECK_PASS] = "pass",
        [HOST_CHECK_WARN] = "warn",
        [HOST_CHECK_FAIL] = "fail",
        [HOST_CHECK_SKIP] = "skip",
};

static const char *const host_status_names[_HOST_STATUS_MAX] = {
        [HOST_STATUS_READY] = "ready",
        [HOST_STATUS_DEGRADED] = "degraded",
        [HOST_STATUS_NOT_READY] = "not-ready",
};

const char *host_check_status_to_string(HostCheckStatus s) {
        return s >= 0 && s < _HOST_CHECK_STATUS_MAX ? check_status_names[s] : NULL;
}

const char *host_status_to_string(HostStatus s) {
        return s >= 0 && s < _HOST_STATUS_MAX ? host_status_names[s] : NULL;
}

void host_checks_done(HostChecks *c) {
        for (size_t i = 0; i < c->n; i++) {
                free(c->items[i].summary);
                free(c->items[i].remedy);
        }
        free(c->items);
        *c = (HostChecks){};
}

HostStatus host_status_from_checks(const HostChecks *c) {
        HostStatus status = HOST_STATUS_READY;

        assert(c);
        for (size_t i = 0; i < c->n; i++)
                if (c->items[i].status == HOST_CHECK_FAIL)
                        return HOST_STATUS_NOT_READY;
                else if (c->items[i].status == HOST_CHECK_WARN)
                        status = HOST_STATUS_DEGRADED;
        return status;
}

const HostCheck *host_checks_find(const HostChecks *c, const char *id) {
        assert(c);
        assert(id);
        for (size_t i = 0; i < c->n; i++)
                if (streq(c->items[i].id, id))
                        return &c->items[i];
        return NULL;
}

static char *text(const char *fmt, ...) _printf_(1, 2);
static char *text(const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

static char *no_remedy(void) {
        return strdup("");
}

/* Takes summary and remedy (from text()); NULL for either means allocation failed. */
static int add(HostChecks *c, const char *id, HostCheckStatus status, char *summary, char *remedy) {
        HostCheck *grown;

        if (!summary || !remedy) {
                free(summary);
                free(remedy);
                return -ENOMEM;
        }
        grown = realloc(c->items, sizeof(HostCheck) * (c->n + 1));
        if (!grown) {
                free(summary);
                free(remedy);
                return -ENOMEM;
        }
        c->items = grown;
        c->items[c->n++] = (HostCheck){ .id = id, .status = status, .summary = summary, .remedy = remedy };
        return 0;
}

/* Appends ", word" (or word) to a growing list in *s. */
static int append(char **s, const char *sep, const char *word) {
        char *joined = text("%s%s%s", strempty(*s), *s ? sep : "", word);

        if (!joined)
                return -ENOMEM;
        free(*s);
        *s = joined;
        return 0;
}

typedef enum Vendor { VENDOR_UNKNOWN, VENDOR_INTEL, VENDOR_AMD } Vendor;

/* The IOMMU's maker decides the remedies: the firmware table says it best, the CPU otherwise
 * (under emulation the two can differ). */
static Vendor iommu_vendor(const HostFacts *f) {
        if (f->dmar_table)
                return VENDOR_INTEL;
        if (f->ivrs_table)
                return VENDOR_AMD;
        if (streq_ptr(f->cpu_vendor, "GenuineIntel"))
                return VENDOR_INTEL;
        if (streq_ptr(f->cpu_vendor, "AuthenticAMD") || streq_ptr(f->cpu_vendor, "HygonGenuine"))
                return VENDOR_AMD;
        return VENDOR_UNKNOWN;
}

static bool iommu_on(const HostFacts *f) {
        return f->n_iommu_groups > 0 || f->n_iommus > 0;
}

static bool cmdline_has(const HostFacts *f, const char *arg) {
        _cleanup_strv_free_ char **words = NULL;

        return f->cmdline && strv_split(f->cmdline, " \t", &words) >= 0 && strv_contains(words, arg);
}

/* What a quoted kernel log line comes from, for the reader of the row. */
static const char *klog_name(const HostFacts *f) {
        return f->klog && f->klog->journal ? "kernel log (from the journal)" : "kernel log";
}

/* Where a verdict drawn from the kernel log comes from, for the reader of the row. */
static const char *klog_evidence(const HostFacts *f) {
        if (!f->klog || !f->klog->lines[0])
                return "the kernel log is not readable";
        if (!f->klog->complete)
                return "the kernel log no longer reaches back to boot";
        return NULL;
}

static int check_cpu(const HostFacts *f, HostChecks *c) {
        if (f->cpu_vmx || f->cpu_svm)
                return add(c, "cpu-virt", HOST_CHECK_PASS,
                           text("%s", f->cpu_vmx ? "Intel VT-x (vmx) is on" : "AMD-V (svm) is on"),
                           no_remedy());
        return add(c, "cpu-virt", HOST_CHECK_FAIL,
                   text("the CPU shows neither vmx nor svm in /proc/cpuinfo: KVM cannot run guests"),
                   text("Enable %s in the firmware setup and reboot (the kernel hides the flag while it is "
                        "off).",
                        streq_ptr(f->cpu_vendor, "AuthenticAMD")
                                ? "AMD-V (\"SVM Mode\")"
                                : "Intel VT-x (\"Intel Virtualization Technology\")"));
}

static const char *firmware_remedy(Vendor v) {
        switch (v) {
        case VENDOR_INTEL:
                return "Enable VT-d (\"Intel Virtualization Technology for Directed I/O\") in the "
                       "firmware setup and reboot.";
        case VENDOR_AMD:
                return "Enable the IOMMU (\"IOMMU\" or \"AMD-Vi\", often under AMD CBS / NBIO) in the "
                       "firmware setup and reboot.";
        default:
                return "Enable VT-d (Intel) or AMD-Vi / IOMMU (AMD) in the firmware setup and reboot.";
        }
}

static int check_firmware(const HostFacts *f, HostChecks *c) {
        const char *id = "iommu-firmware";

        if (f->dmar_table || f->ivrs_table)
                return add(c, id, HOST_CHECK_PASS,
                           text("the firmware describes %s (ACPI %s table)",
                                f->dmar_table ? "an Intel VT-d IOMMU" : "an AMD-Vi IOMMU",
                                f->dmar_table ? "DMAR" : "IVRS"),
                           no_remedy());
        if (iommu_on(f))
                return add(
                        c, id, HOST_CHECK_PASS,
                        f->n_iommus > 0
                                ? text("no ACPI DMAR or IVRS table, but the kernel has an IOMMU (%zu %s)",
                                       f->n_iommus, f->n_iommus == 1 ? "unit" : "units")
                                : text("no ACPI DMAR or IVRS table, but the kernel has IOMMU groups (%zu)",
                                       f->n_iommu_groups),
                        no_remedy());
        if (!f->acpi)
                return add(c, id, HOST_CHECK_SKIP,
                           text("no ACPI tables under /sys/firmware/acpi: cannot tell what the firmware "
                                "offers"),
                           text("%s", firmware_remedy(iommu_vendor(f))));
        return add(c, id, HOST_CHECK_FAIL,
                   text("the firmware describes no IOMMU: no ACPI DMAR or IVRS table in "
                        "/sys/firmware/acpi/tables"),
                   text("%s", firmware_remedy(iommu_vendor(f))));
}

/* The kernel log lines that say the IOMMU is on, for either vendor. */
static const char *const iommu_on_lines[] = {
        "DMAR: IOMMU enabled",
        "DMAR: Intel(R) Virtualization Technology for Directed I/O",
        "AMD-Vi: Found IOMMU",
        "AMD-Vi: AMD IOMMUv2",
        "perf/amd_iommu: Detected AMD IOMMU",
        "AMD-Vi: Interrupt remapping enabled",
};

static const char *klog_find_any(const HostFacts *f, const char *const *needles, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const char *line = klog_find(f->klog, needles[i]);

                if (line)
                        return line;
        }
        return NULL;
}

/* The command-line arguments that bear on the IOMMU, for the reader: the rest is noise. */
static char *iommu_arguments(const HostFacts *f) {
        static const char *const prefixes[] = { "intel_iommu=", "amd_iommu=", "iommu=", "intremap=" };
        _cleanup_strv_free_ char **words = NULL;
        _cleanup_free_ char *found = NULL;

        if (f->cmdline && strv_split(f->cmdline, " \t", &words) < 0)
                return NULL;
        for (char **w = words; w && *w; w++)
                for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                        if (strncmp(*w, prefixes[i], strlen(prefixes[i])) == 0 &&
                            append(&found, " ", *w) < 0)
                                return NULL;
        return found ? text("kernel command line: %s", found)
                     : text("no IOMMU argument on the kernel command line");
}

static char *iommu_off_remedy(const HostFacts *f) {
        static const char *const off_args[] = { "intel_iommu=off", "amd_iommu=off", "iommu=off" };
        Vendor v = iommu_vendor(f);

        for (size_t i = 0; i < ELEMENTSOF(off_args); i++)
                if (cmdline_has(f, off_args[i]))
                        return text("Remove %s from the kernel command line: edit " GRUB_REMEDY ".",
                                    off_args[i]);
        /* Intel needs both: VT-d in the firmware, and the argument where the kernel's default is off. */
        if (v == VENDOR_INTEL && !cmdline_has(f, "intel_iommu=on"))
                return f->dmar_table
                               ? text("Add intel_iommu=on to " GRUB_REMEDY ".")
                               : text("%s Then add intel_iommu=on to " GRUB_REMEDY ".", firmware_remedy(v));
        if (!f->dmar_table && !f->ivrs_table)
                return text("%s", firmware_remedy(v));
        /* AMD-Vi is on by default: no kernel argument turns it on, so none is advised. */
        if (v == VENDOR_AMD)
                return text(
                        "AMD-Vi needs no kernel argument; look in the kernel log (`dmesg | grep AMD-Vi`) "
                        "for why the IOMMU was not set up, and update the firmware if the IVRS table is "
                        "reported broken.");
        return text("Look in the kernel log (`dmesg | grep -e DMAR -e IOMMU`) for why the IOMMU was not set "
                    "up.");
}

static int check_iommu_kernel(const HostFacts *f, HostChecks *c) {
        const char *line = klog_find_any(f, iommu_on_lines, ELEMENTSOF(iommu_on_lines));
        const char *evidence = klog_evidence(f);

        if (!iommu_on(f)) {
                _cleanup_free_ char *arguments = iommu_arguments(f);

                if (!arguments)
                        return -ENOMEM;
                return add(
                        c, "iommu-kernel", HOST_CHECK_FAIL,
                        text("the kernel has not enabled an IOMMU: /sys/kernel/iommu_groups is empty (%s)",
                             arguments),
                        iommu_off_remedy(f));
        }
        if (line)
                return add(c, "iommu-kernel", HOST_CHECK_PASS,
                           text("%zu IOMMU groups; %s: \"%s\"", f->n_iommu_groups, klog_name(f), line),
                           no_remedy());
        return add(c, "iommu-kernel", HOST_CHECK_PASS,
                   text("%zu IOMMU groups in /sys/kernel/iommu_groups (%s)", f->n_iommu_groups,
                        evidence ?: "the kernel log names no IOMMU"),
                   no_remedy());
}

static int check_iommu_pt(const HostFacts *f, HostChecks *c) {
        if (f->n_iommu_groups == 0)
                return add(c, "iommu-pt", HOST_CHECK_SKIP, text("no IOMMU groups"), no_remedy());
        if (!f->translated_group)
                return add(
                        c, "iommu-pt", HOST_CHECK_PASS,
                        text("host devices bypass translation (iommu=pt: every group is of type identity)"),
                        no_remedy());
        /* Advice, not a fault: translation costs host DMA speed but protects against devices.
         * A pass carries no remedy, so the summary says it. */
        return add(c, "iommu-pt", HOST_CHECK_PASS,
                   text("host devices use translated DMA (group %s is of type %s); iommu=pt on the kernel "
                        "command line would let them skip it, and devices given to VMs stay isolated "
                        "(optional; not where host devices must be fenced: Thunderbolt, untrusted hardware)",
                        f->translated_group, f->translated_type ?: "unknown"),
                   no_remedy());
}

/* What a line's arguments must say, beyond naming the module; NULL: anything. */
typedef bool (*ArgsMatch)(char **args, const void *data);

/* The first line "KEYWORD MODULE ARGS..." (or "MODULE ARGS..." without a keyword) whose
 * arguments match: the one scan behind every look at modules-load.d and modprobe.d. */
static const ConfigLine *find_line(const ConfigLines *lines, const char *keyword, const char *module,
                                   ArgsMatch match, const void *data) {
        for (size_t i = 0; i < lines->n; i++) {
                char **w = lines->items[i].words;
                char **name = keyword ? w + 1 : w;

                if (keyword && !streq(w[0], keyword))
                        continue;
                if (*name && kmod_name_equal(*name, module) && (!match || match(name + 1, data)))
                        return &lines->items[i];
        }
        return NULL;
}

static const ConfigLine *find_config(const ConfigLines *lines, const char *keyword, const char *module) {
        return find_line(lines, keyword, module, NULL, NULL);
}

static bool allows_unsafe_interrupts(char **args, const void *data) {
        return strv_contains(args, "allow_unsafe_interrupts=1") ||
               strv_contains(args, "allow_unsafe_interrupts=Y");
}

static const ConfigLine *find_unsafe_interrupts(const HostFacts *f) {
        return find_line(&f->modprobe, "options", "vfio_iommu_type1", allows_unsafe_interrupts, NULL);
}

#define UNSAFE_INTERRUPTS_NOTE                                                                         \
        "`options vfio_iommu_type1 allow_unsafe_interrupts=1` in /etc/modprobe.d/vfio.conf lets vfio " \
        "run without it, but is insecure: a guest's device can then inject interrupts into the host"

static int check_interrupt_remapping(const HostFacts *f, HostChecks *c) {
        static const char *const ir_lines[] = {
                "DMAR-IR: Enabled IRQ remapping",
                "AMD-Vi: Interrupt remapping enabled",
        };
        const char *line = klog_find_any(f, ir_lines, ELEMENTSOF(ir_lines));
        const ConfigLine *unsafe = find_unsafe_interrupts(f);
        const char *evidence = klog_evidence(f);
        _cleanup_free_ char *unsafe_text = NULL;

        if (!iommu_on(f))
                return add(c, "interrupt-remapping", HOST_CHECK_SKIP,
                           text("no IOMMU enabled (see iommu-kernel)"), no_remedy());
        if (f->n_ir_chips > 0)
                return add(c, "interrupt-remapping", HOST_CHECK_PASS,
                           line ? text("on: %zu interrupts on IR- chips in /proc/interrupts; %s: \"%s\"",
                                       f->n_ir_chips, klog_name(f), line)
                                : text("on: %zu interrupts on IR- chips in /proc/interrupts", f->n_ir_chips),
                           no_remedy());
        if (line)
                return add(c, "interrupt-remapping", HOST_CHECK_PASS,
                           text("on: %s: \"%s\"", klog_name(f), line), no_remedy());
        if (unsafe && unsafe->file)
                unsafe_text = text("; %s:%u sets allow_unsafe_interrupts=1, which is insecure", unsafe->file,
                                   unsafe->line);
        else if (unsafe)
                unsafe_text =
                        text("; the modprobe configuration (`modprobe -c`) sets allow_unsafe_interrupts=1, "
                             "which is insecure");
        else
                unsafe_text =
                        text("%s", f->unsafe_interrupts_allowed
                                           ? "; vfio_iommu_type1 runs with allow_unsafe_interrupts=1, which "
                                             "is insecure"
                                           : "");
        if (!unsafe_text)
                return -ENOMEM;
        return add(
                c, "interrupt-remapping", HOST_CHECK_WARN,
                text("off: no IR- chips in /proc/interrupts and no remapping line in the kernel log%s%s%s%s",
                     evidence ? " (" : "", strempty(evidence), evidence ? ")" : "", unsafe_text),
                text("%sEnable interrupt remapping in the firmware setup (it comes with VT-d / the IOMMU, "
                     "on some boards with x2APIC). Without it vfio refuses devices; " UNSAFE_INTERRUPTS_NOTE
                     ".",
                     cmdline_has(f, "intremap=off") ? "Remove intremap=off from " GRUB_REMEDY ". " : ""));
}

static void wanted_modules(const HostFacts *f, HostModule ret[static _HOST_MODULE_MAX], size_t *ret_n) {
        size_t n = 0;

        ret[n++] = HOST_MODULE_VFIO;
        ret[n++] = HOST_MODULE_VFIO_IOMMU_TYPE1;
        ret[n++] = HOST_MODULE_VFIO_PCI;
        /* Folded into vfio in 6.2; an unknown release keeps the old list, which loads on both. */
        if (!host_facts_kernel_at_least(f, 6, 2))
                ret[n++] = HOST_MODULE_VFIO_VIRQFD;
        *ret_n = n;
}

static int check_modules(const HostFacts *f, HostChecks *c) {
        _cleanup_free_ char *missing = NULL, *unloaded = NULL, *unknown = NULL, *loaded = NULL, *load = NULL;
        HostModule wanted[_HOST_MODULE_MAX];
        size_t n;
        int r = 0;

        wanted_modules(f, wanted, &n);
        for (size_t i = 0; i < n && r >= 0; i++) {
                const ModuleFacts *m = &f->modules[wanted[i]];
                const char *name = host_module_name(wanted[i]);

                if (m->loaded || m->availability == KMOD_BUILTIN)
                        r = append(&loaded, ", ", name);
                else if (m->availability == KMOD_MISSING)
                        r = append(&missing, ", ", name);
                else if (m->availability < 0)
                        r = append(&unknown, ", ", name);
                else if ((r = append(&unloaded, ", ", name)) >= 0)
                        r = append(&load, " ", name);
        }
        if (r < 0)
                return r;
        if (missing)
                return add(c, "vfio-modules", HOST_CHECK_FAIL,
                           text("not in /lib/modules/%s: %s", strna(f->kernel_release), missing),
                           text("Install the modules of the running kernel (`apt install linux-image-%s`); "
                                "vfio is part of every Debian kernel image.",
                                strna(f->kernel_release)));
        if (unknown)
                return add(c, "vfio-modules", HOST_CHECK_WARN,
                           text("not loaded, and no module index for %s to look them up: %s",
                                strna(f->kernel_release), unknown),
                           text("Run `depmod -a`, then `modprobe -a vfio vfio_iommu_type1 vfio_pci`."));
        if (unloaded)
                return add(c, "vfio-modules", HOST_CHECK_WARN,
                           text("available but not loaded: %s", unloaded),
                           text("Run `modprobe -a %s` (passthrud also loads them when it binds a device); "
                                "to have them at every boot see modules-boot.",
                                load));
        return add(c, "vfio-modules", HOST_CHECK_PASS, text("loaded: %s", strempty(loaded)), no_remedy());
}

static bool any_persistent(const HostFacts *f) {
        return devices_any_persistent(f->table->devices, f->table->n_devices);
}

/* Every device kept on vfio-pci is bound early by passthru, in an initramfs that carries the
 * list (or one that could not be listed): its script loads vfio-pci there, with vfio and
 * vfio_iommu_type1 as its dependencies. */
static bool all_bound_early(const HostFacts *f) {
        if (f->boot.image_early_list == 0)
                return false;
        for (size_t i = 0; i < f->table->n_devices; i++) {
                const Device *d = f->table->devices[i];

                if (d->persistent && !d->is_bridge && !strv_contains(f->boot.early, d->address_str))
                        return false;
        }
        return true;
}

/* Adds the file to a list of files unless it is there already. */
static int append_file(char **s, const char *file) {
        _cleanup_strv_free_ char **files = NULL;

        if (*s && strv_split(*s, ", ", &files) < 0)
                return -ENOMEM;
        return strv_contains(files, file) ? 0 : append(s, ", ", file);
}

static int check_modules_boot(const HostFacts *f, HostChecks *c) {
        _cleanup_free_ char *missing = NULL, *found = NULL, *files = NULL;
        const ConfigLine *virqfd = find_config(&f->boot_modules, NULL, "vfio_virqfd");
        HostModule wanted[_HOST_MODULE_MAX];
        size_t n;
        int r = 0;

        /* systemd-modules-load fails on a name the kernel no longer has. */
        if (virqfd && host_facts_kernel_at_least(f, 6, 2))
                return add(c, "modules-boot", HOST_CHECK_WARN,
                           text("%s:%u lists vfio_virqfd, which is part of vfio since Linux 6.2: "
                                "systemd-modules-load fails on it",
                                virqfd->file, virqfd->line),
                           text("Delete line %u of %s.", virqfd->line, virqfd->file));
        wanted_modules(f, wanted, &n);
        for (size_t i = 0; i < n && r >= 0; i++) {
                const ConfigLine *l = find_config(&f->boot_modules, NULL, host_module_name(wanted[i]));

                if (!l)
                        r = append(&missing, " ", host_module_name(wanted[i]));
                else if ((r = append(&found, ", ", host_module_name(wanted[i]))) >= 0)
                        r = append_file(&files, l->file);
        }
        if (r < 0)
                return r;
        if (!missing)
                return add(c, "modules-boot", HOST_CHECK_PASS, text("loaded at boot: %s (%s)", found, files),
                           no_remedy());
        if (!any_persistent(f))
                return add(c, "modules-boot", HOST_CHECK_PASS,
                           text("not loaded at boot (not needed: %s; passthrud loads vfio when it binds a "
                                "device)",
                                NO_PERSISTENT),
                           no_remedy());
        if (all_bound_early(f))
                return add(c, "modules-boot", HOST_CHECK_PASS,
                           text("loaded in the initramfs by passthru's early binding (%s), for every "
                                "device kept on vfio-pci",
                                EARLY_LIST),
                           no_remedy());
        return add(c, "modules-boot", HOST_CHECK_WARN, text("not loaded at boot: %s", missing),
                   text("Put %s in /etc/modules-load.d/vfio.conf, one name per line.", missing));
}

/* Functions of one device (same domain, bus and slot) belong together in a group. */
static bool same_slot(const Device *a, const Device *b) {
        return a->address.domain == b->address.domain && a->address.bus == b->address.bus &&
               a->address.slot == b->address.slot;
}

static bool group_mixes_devices(const Group *g) {
        const Device *first = NULL;

        for (size_t i = 0; i < g->n_devices; i++) {
                if (g->devices[i]->is_bridge)
                        continue;
                if (first && !same_slot(first, g->devices[i]))
                        return true;
                first = first ?: g->devices[i];
        }
        return false;
}

static int describe_group(char **s, const Group *g) {
        _cleanup_free_ char *members = NULL, *entry = NULL;
        int r = 0;

        for (size_t i = 0; i < g->n_devices && r >= 0; i++)
                if (!g->devices[i]->is_bridge)
                        r = append(&members, " ", g->devices[i]->address_str);
        if (r < 0)
                return r;
        entry = text("group %d (%s)", g->number, strempty(members));
        return entry ? append(s, "; ", entry) : -ENOMEM;
}

static int check_groups(const HostFacts *f, HostChecks *c) {
        _cleanup_free_ char *mixed = NULL;
        bool only_persistent = any_persistent(f);
        int r = 0;

        if (f->table->n_groups == 0)
                return add(c, "iommu-groups", HOST_CHECK_SKIP, text("no IOMMU groups"), no_remedy());
        for (size_t i = 0; i < f->table->n_groups && r >= 0; i++)
                if (group_mixes_devices(f->table->groups[i]) &&
                    (!only_persistent ||
                     devices_any_persistent(f->table->groups[i]->devices, f->table->groups[i]->n_devices)))
                        r = describe_group(&mixed, f->table->groups[i]);
        if (r < 0)
                return r;
        if (!mixed)
                return add(c, "iommu-groups", HOST_CHECK_PASS,
                           text("%s has its group to itself or with its own functions (%zu groups)",
                                only_persistent ? "every device kept on vfio-pci" : "every device",
                                f->table->n_groups),
                           no_remedy());
        return add(c, "iommu-groups", HOST_CHECK_WARN,
                   text("devices share a group with unrelated devices (no ACS isolation between them): %s",
                        mixed),
                   text("Devices in one group go to a VM together. Put the card in a slot with a group "
                        "of its own (one wired to the CPU), or look for an ACS option in the firmware "
                        "setup; Debian kernels have no ACS override."));
}

static int check_bound(const HostFacts *f, HostChecks *c) {
        _cleanup_free_ char *bound = NULL, *elsewhere = NULL, *commands = NULL;
        int r = 0;

        if (!any_persistent(f))
                return add(c, "vfio-bound", HOST_CHECK_SKIP, text(NO_PERSISTENT), no_remedy());
        for (size_t i = 0; i < f->table->n_devices && r >= 0; i++) {
                const Device *d = f->table->devices[i];
                _cleanup_free_ char *entry = NULL;

                /* A bridge stays as it is: bind refuses it, so no command names it. */
                if (!d->persistent || d->is_bridge)
                        continue;
                if (streq_ptr(d->driver, "vfio-pci")) {
                        r = append(&bound, ", ", d->address_str);
                        continue;
                }
                entry = text("%s (%s)", d->address_str, d->driver ? d->driver : "no driver");
                r = entry ? append(&elsewhere, ", ", entry) : -ENOMEM;
                free(entry);
                /* bind takes one address: one command each */
                entry = r >= 0 ? text("`passthructl bind %s`", d->address_str) : NULL;
                if (r >= 0)
                        r = entry ? append(&commands, ", ", entry) : -ENOMEM;
        }
        if (r < 0)
                return r;
        if (!elsewhere)
                return add(c, "vfio-bound", bound ? HOST_CHECK_PASS : HOST_CHECK_SKIP,
                           text("on vfio-pci: %s", bound ?: "nothing (only bridges are kept)"), no_remedy());
        return add(c, "vfio-bound", HOST_CHECK_WARN, text("not on vfio-pci now: %s", elsewhere),
                   text("Run %s.", commands));
}

static bool ids_contain(char **words, const void *data) {
        const Device *d = data;
        char id[sizeof("ffff:ffff")];

        snprintf(id, sizeof(id), "%04x:%04x", d->vendor_id, d->device_id);
        for (char **w = words; *w; w++) {
                _cleanup_strv_free_ char **ids = NULL;

                if (strncmp(*w, "ids=", strlen("ids=")) != 0 ||
                    strv_split(*w + strlen("ids="), ",", &ids) < 0)
                        continue;
                for (char **i = ids; *i; i++)
                        if (strncasecmp(*i, id, strlen(id)) == 0)
                                return true;
        }
        return false;
}

static const ConfigLine *find_vfio_ids(const HostFacts *f, const Device *d) {
        return find_line(&f->modprobe, "options", "vfio_pci", ids_contain, d);
}

/* "softdep MODULE pre: ... vfio-pci ...": vfio-pci loads first. */
static bool pre_loads_vfio(char **args, const void *data) {
        bool pre = false;

        for (char **a = args; *a; a++) {
                if (streq(*a, "pre:") || streq(*a, "post:"))
                        pre = streq(*a, "pre:");
                else if (pre && kmod_name_equal(*a, "vfio_pci"))
                        return true;
        }
        return false;
}

static const ConfigLine *find_softdep(const HostFacts *f, const char *module) {
        return find_line(&f->modprobe, "softdep", module, pre_loads_vfio, NULL);
}

/* The module that would take the device at boot: the first modalias match that is not vfio. */
static const char *host_module(const Device *d) {
        for (char **m = d->kernel_modules; m && *m; m++)
                if (!kmod_name_equal(*m, "vfio_pci"))
                        return *m;
        return NULL;
}

/* How the device's host driver is kept off at boot, or NULL (with *ret_ids_only when
 * vfio-pci has the ID but nothing makes it load before the host driver). */
static const ConfigLine *kept_off(const HostFacts *f, const Device *d, const char *module,
                                  bool *ret_ids_only) {
        const ConfigLine *l = find_config(&f->modprobe, "blacklist", module);
        const ConfigLine *ids = find_vfio_ids(f, d);

        *ret_ids_only = false;
        if (l)
                return l;
        l = find_config(&f->modprobe, "install", module);
        if (l)
                return l;
        if (ids && find_softdep(f, module))
                return ids;
        *ret_ids_only = ids != NULL;
        return NULL;
}

#define BOOT_CONFIG_REMEDY "Run `passthructl boot-config` (preview it with --dry-run)."

/* passthru's own early binding: the device is in the early-bind list, which the initramfs
 * script reads before udev loads any host driver. */
static bool bound_early(const HostFacts *f, const Device *d) {
        return strv_contains(f->boot.early, d->address_str);
}

static int check_boot_binding(const HostFacts *f, HostChecks *c) {
        _cleanup_free_ char *ok = NULL, *bad = NULL;
        bool stale_image = f->boot.image_early_list == 0;
        int r = 0;

        if (!any_persistent(f))
                return add(c, "vfio-boot", HOST_CHECK_SKIP, text(NO_PERSISTENT), no_remedy());
        for (size_t i = 0; i < f->table->n_devices && r >= 0; i++) {
                const Device *d = f->table->devices[i];
                const char *module = d->persistent && !d->is_bridge ? host_module(d) : NULL;
                _cleanup_free_ char *entry = NULL;
                const ConfigLine *l;
                bool ids_only;

                if (!module)
                        continue;
                if (bound_early(f, d) && !stale_image)
                        entry = text("%s (bound early by address, %s)", d->address_str, EARLY_LIST);
                else if ((l = kept_off(f, d, module, &ids_only)))
                        entry = l->file ? text("%s (\"%s %s\" at %s:%u)", d->address_str, l->words[0],
                                               l->words[1], l->file, l->line)
                                        : text("%s (\"%s %s\" in modprobe.d)", d->address_str, l->words[0],
                                               l->words[1]);
                if (entry) {
                        r = append(&ok, ", ", entry);
                        continue;
                }
                entry = bound_early(f, d)
                                ? text("%s: %s takes it first (it is in %s, but the initramfs does not "
                                       "carry the list yet)",
                                       d->address_str, module, EARLY_LIST)
                                : text("%s: %s takes it first%s", d->address_str, module,
                                       ids_only
                                               ? " (vfio-pci has its ID, but nothing loads vfio-pci before it)"
                                               : "");
                r = entry ? append(&bad, "; ", entry) : -ENOMEM;
        }
        if (r < 0)
                return r;
        if (!bad)
                return add(
                        c, "vfio-boot", HOST_CHECK_PASS,
                        text("host drivers kept off at boot: %s", ok ?: "the devices have no host driver"),
                        no_remedy());
        return add(
                c, "vfio-boot", HOST_CHECK_WARN,
                text("at boot, %s%s%s", bad, ok ? "; kept off: " : "", strempty(ok)),
                text("Run `passthructl boot-config` (preview it with --dry-run): it binds the devices kept "
                     "on vfio-pci by address in the initramfs, before any host driver."));
}

#define INITRAMFS_REMEDY                                                                               \
        "Add vfio, vfio_iommu_type1 and vfio_pci to /etc/initramfs-tools/modules (one per line), run " \
        "`update-initramfs -u`, and check with `lsinitramfs /boot/initrd.img-$(uname -r) | grep vfio`."

static int check_initramfs(const HostFacts *f, HostChecks *c) {
        const ConfigLine *l = find_config(&f->initramfs_modules, NULL, "vfio_pci");

        if (!any_persistent(f))
                return add(c, "initramfs", HOST_CHECK_SKIP, text(NO_PERSISTENT), no_remedy());
        if (f->modules[HOST_MODULE_VFIO_PCI].availability == KMOD_BUILTIN)
                return add(c, "initramfs", HOST_CHECK_PASS, text("vfio-pci is built into the kernel"),
                           no_remedy());
        switch (f->initramfs_vfio) {
        case 1:
                return add(c, "initramfs", HOST_CHECK_PASS,
                           text("%s carries vfio-pci (lsinitramfs)", f->initramfs_image), no_remedy());
        case 0:
                return add(c, "initramfs", HOST_CHECK_WARN,
                           text("%s does not carry vfio-pci: a host driver in it loads first",
                                f->initramfs_image),
                           text(INITRAMFS_REMEDY));
        case -ENOENT:
                return add(c, "initramfs", HOST_CHECK_SKIP,
                           text("no %s: the host boots without an initramfs", strna(f->initramfs_image)),
                           no_remedy());
        case -EINPROGRESS:
                return add(c, "initramfs", HOST_CHECK_SKIP,
                           text("%s is being listed; the checks run again when that is done",
                                strna(f->initramfs_image)),
                           no_remedy());
        default:
                /* No listing tool (or it failed): the configuration is the best evidence left. */
                if (l)
                        return add(c, "initramfs", HOST_CHECK_PASS,
                                   text("%s:%u adds vfio_pci (the image itself could not be listed)",
                                        l->file, l->line),
                                   no_remedy());
                return add(
                        c, "initramfs", HOST_CHECK_WARN,
                        text("%s could not be listed and /etc/initramfs-tools/modules does not add vfio_pci",
                             strna(f->initramfs_image)),
                        text(INITRAMFS_REMEDY));
        }
}

/* The boot-time configuration rows (ApplyBootConfig writes what they look at). */

/* Where the kernel command line is configured, as a clause of a summary. */
static const char *loaders_clause(const BootFacts *b) {
        return b->loaders ? "command line kept in: " : "no command line configuration passthru knows";
}

static int check_boot_setup(const HostFacts *f, HostChecks *c) {
        const BootFacts *b = &f->boot;

        if (!b->read)
                return add(c, "boot-setup", HOST_CHECK_SKIP, text("the boot configuration was not read"),
                           no_remedy());
        if (!b->generator && (b->persisted || b->early_list))
                return add(
                        c, "boot-setup", HOST_CHECK_WARN,
                        text("no initramfs generator passthru knows (initramfs-tools, dracut, mkinitcpio); "
                             "%s%s",
                             loaders_clause(b), strempty(b->loaders)),
                        text("The devices are bound when passthrud starts, and a host driver may take "
                             "them first; bind them by hand at boot or use a supported generator."));
        if (!b->generator && !b->loaders)
                return add(c, "boot-setup", HOST_CHECK_SKIP,
                           text("no initramfs generator and no command line configuration passthru knows"),
                           no_remedy());
        return add(c, "boot-setup", HOST_CHECK_PASS,
                   text("initramfs generator: %s; %s%s", b->generator ?: "none found", loaders_clause(b),
                        strempty(b->loaders)),
                   no_remedy());
}

static int check_boot_early(const HostFacts *f, HostChecks *c) {
        const BootFacts *b = &f->boot;
        _cleanup_free_ char *missing = NULL, *extra = NULL, *ok = NULL;
        int r = 0;

        if (b->config_broken)
                return add(c, "boot-early", HOST_CHECK_WARN,
                           text("/etc/passthru/devices.conf does not parse: nothing can be bound early"),
                           text("Fix the file (passthrud's log names the line), then " BOOT_CONFIG_REMEDY));
        if (!b->persisted && !b->early_list)
                return add(c, "boot-early", HOST_CHECK_SKIP, text("no device is kept on vfio-pci"),
                           no_remedy());
        for (char **a = b->persisted; a && *a && r >= 0; a++)
                r = append(strv_contains(b->early, *a) ? &ok : &missing, ", ", *a);
        for (char **a = b->early; a && *a && r >= 0; a++)
                if (!strv_contains(b->persisted, *a))
                        r = append(&extra, ", ", *a);
        if (r < 0)
                return r;
        if (missing || extra)
                return add(c, "boot-early", HOST_CHECK_WARN,
                           text("%s%s%s%s%s", missing ? "kept on vfio-pci but not bound early: " : "",
                                strempty(missing), missing && extra ? "; " : "",
                                extra ? "bound early but no longer kept: " : "", strempty(extra)),
                           text(BOOT_CONFIG_REMEDY));
        return add(c, "boot-early", HOST_CHECK_PASS, text("bound early by address (%s): %s", EARLY_LIST, ok),
                   no_remedy());
}

static bool timespec_newer(const struct timespec *a, const struct timespec *b) {
        return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

static int check_initramfs_stale(const HostFacts *f, HostChecks *c) {
        const BootFacts *b = &f->boot;
        _cleanup_free_ char *image_path = text("/boot/initrd.img-%s", strna(f->kernel_release));
        const char *image = f->initramfs_image ?: strna(image_path);

        /* after --remove the image may still carry a list: that is worth a row */
        if (!b->persisted && !b->early_list && b->image_early_list != 1)
                return add(c, "initramfs-stale", HOST_CHECK_SKIP, text("no device is kept on vfio-pci"),
                           no_remedy());
        if (!b->generator)
                return add(c, "initramfs-stale", HOST_CHECK_SKIP,
                           text("no initramfs generator passthru knows"), no_remedy());
        if (!b->image)
                return add(c, "initramfs-stale", HOST_CHECK_SKIP, text("no %s", image), no_remedy());
        if (b->early_list && b->image_early_list == 0)
                return add(c, "initramfs-stale", HOST_CHECK_WARN,
                           text("%s does not carry %s: the devices are not bound early at the next boot",
                                image, EARLY_LIST),
                           text(BOOT_CONFIG_REMEDY));
        if (!b->early_list && b->image_early_list == 1)
                return add(c, "initramfs-stale", HOST_CHECK_WARN,
                           text("%s still carries an early-bind list that is gone from /etc", image),
                           text("Rebuild the initramfs: `update-initramfs -u`."));
        if (b->newest_input && timespec_newer(&b->newest_input_mtime, &b->image_mtime))
                return add(c, "initramfs-stale", HOST_CHECK_WARN,
                           text("%s changed after %s was built", b->newest_input, image),
                           text(BOOT_CONFIG_REMEDY));
        return add(c, "initramfs-stale", HOST_CHECK_PASS,
                   text("%s is newer than its inputs%s", image,
                        b->image_early_list == 1              ? " and carries the early-bind list"
                        : b->image_early_list == -EINPROGRESS ? " (it is being listed)"
                        : b->image_early_list < 0             ? " (it could not be listed)"
                                                              : ""),
                   no_remedy());
}

static int check_cmdline_pending(const HostFacts *f, HostChecks *c) {
        const BootFacts *b = &f->boot;
        _cleanup_free_ char *pending = NULL;
        int r = 0;

        if (!b->cmdline_file)
                return add(c, "cmdline-pending", HOST_CHECK_SKIP,
                           text("no kernel command line configuration passthru knows"), no_remedy());
        for (char **a = b->cmdline_configured; a && *a && r >= 0; a++)
                if (!cmdline_has(f, *a))
                        r = append(&pending, " ", *a);
        if (r < 0)
                return r;
        if (pending)
                return add(c, "cmdline-pending", HOST_CHECK_WARN,
                           text("%s configured in %s but not in the running command line", pending,
                                b->cmdline_file),
                           text("Reboot to apply it (after the boot loader's configuration was updated: "
                                "`passthructl boot-config` runs the command)."));
        return add(c, "cmdline-pending", HOST_CHECK_PASS,
                   text("the running command line has what %s configures", b->cmdline_file), no_remedy());
}

static int check_lockdown(const HostFacts *f, HostChecks *c) {
        const BootFacts *b = &f->boot;
        const ModuleFacts *m = &f->modules[HOST_MODULE_VFIO_PCI];
        const char *sb = b->secure_boot == 1 ? "on" : b->secure_boot == 0 ? "off" : "unknown";

        if (!b->lockdown && b->secure_boot < 0)
                return add(c, "lockdown", HOST_CHECK_SKIP, text("kernel lockdown and Secure Boot unknown"),
                           no_remedy());
        if (!b->lockdown || streq(b->lockdown, "none"))
                return add(c, "lockdown", HOST_CHECK_PASS,
                           text("kernel lockdown: %s; Secure Boot: %s", b->lockdown ?: "unknown", sb),
                           no_remedy());
        if (!m->loaded && m->availability != KMOD_BUILTIN)
                return add(
                        c, "lockdown", HOST_CHECK_WARN,
                        text("kernel lockdown: %s (Secure Boot: %s): only signed modules load, and vfio-pci "
                             "is not loaded yet",
                             b->lockdown, sb),
                        text("Load it once (`modprobe vfio-pci`): the distribution's module is signed. A "
                             "module built on this host (DKMS) must be signed with a key enrolled with "
                             "`mokutil --import`."));
        return add(c, "lockdown", HOST_CHECK_PASS,
                   text("kernel lockdown: %s (Secure Boot: %s): only signed modules load; vfio-pci is %s",
                        b->lockdown, sb, m->loaded ? "loaded" : "built in"),
                   no_remedy());
}

static const VfioNode *find_vfio_node(const HostFacts *f, int group) {
        for (size_t i = 0; i < f->n_vfio_nodes; i++)
                if (f->vfio_nodes[i].group == group)
                        return &f->vfio_nodes[i];
        return NULL;
}

static bool group_on_vfio(const Group *g) {
        for (size_t i = 0; i < g->n_devices; i++)
                if (streq_ptr(g->devices[i]->driver, "vfio-pci"))
                        return true;
        return false;
}

static int check_dev_vfio(const HostFacts *f, HostChecks *c) {
        _cleanup_free_ char *absent = NULL, *open_to_all = NULL, *present = NULL;
        const ModuleFacts *vfio = &f->modules[HOST_MODULE_VFIO];
        int r = 0;

        if (!vfio->loaded && vfio->availability != KMOD_BUILTIN)
                return add(c, "dev-vfio", HOST_CHECK_SKIP,
                           text("vfio is not loaded: /dev/vfio comes with it"), no_remedy());
        if (!f->dev_vfio_read)
                return add(c, "dev-vfio", HOST_CHECK_SKIP, text("/dev/vfio could not be read"), no_remedy());
        if (!find_vfio_node(f, -1))
                return add(c, "dev-vfio", HOST_CHECK_WARN,
                           text("vfio is loaded but /dev/vfio/vfio is missing"),
                           text("Check that udev runs (`systemctl status systemd-udevd`), then `udevadm "
                                "trigger`."));
        for (size_t i = 0; i < f->table->n_groups && r >= 0; i++) {
                const Group *g = f->table->groups[i];
                const VfioNode *node = group_on_vfio(g) ? find_vfio_node(f, g->number) : NULL;
                char number[12];

                if (!group_on_vfio(g))
                        continue;
                snprintf(number, sizeof(number), "%d", g->number);
                if (!node)
                        r = append(&absent, " ", number);
                else if (node->mode & 0006)
                        r = append(&open_to_all, " ", number);
                else
                        r = append(&present, " ", number);
        }
        if (r < 0)
                return r;
        if (absent)
                return add(c, "dev-vfio", HOST_CHECK_WARN,
                           text("groups on vfio-pci without a node in /dev/vfio: %s", absent),
                           text("Check that udev runs (`systemctl status systemd-udevd`), then `udevadm "
                                "trigger`."));
        if (open_to_all)
                return add(c, "dev-vfio", HOST_CHECK_WARN,
                           text("group nodes any user can open: /dev/vfio/{%s}", open_to_all),
                           text("Find the udev rule that sets their mode (`grep -r vfio /etc/udev/rules.d`) "
                                "and give them to root or the VM user's group only."));
        return add(c, "dev-vfio", HOST_CHECK_PASS,
                   text("/dev/vfio/vfio present%s%s", present ? "; group nodes: " : "", strempty(present)),
                   no_remedy());
}

int host_checks_run(const HostFacts *f, HostChecks *ret) {
        assert(f);
        assert(ret);
        static int (*const checks[])(const HostFacts *f, HostChecks *c) = {
                check_cpu,
                check_firmware,
                check_iommu_kernel,
                check_iommu_pt,
                check_interrupt_remapping,
                check_modules,
                check_modules_boot,
                check_groups,
                check_bound,
                check_boot_binding,
                check_initramfs,
                check_dev_vfio,
                check_boot_setup,
                check_boot_early,
                check_initramfs_stale,
                check_cmdline_pending,
                check_lockdown,
        };
        HostChecks c = {};
        int r;

        for (size_t i = 0; i < ELEMENTSOF(checks); i++) {
                r = checks[i](f, &c);
                if (r < 0) {
                        host_checks_done(&c);
                        return r;
                }
        }
        *ret = c;
        return 0;
}
