/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bootcfg-cmdline.h"
#include "bootcfg-detect.h"
#include "bootcfg-diff.h"
#include "bootcfg-file.h"
#include "bootcfg-needs.h"
#include "bootcfg-plan.h"
#include "macros.h"
#include "strv.h"

#define CONFIG_FILE_MAX (1024 * 1024)

void boot_plan_done(BootPlan *p) {
        for (size_t i = 0; i < p->n_files; i++) {
                free(p->files[i].path);
                free(p->files[i].old_text);
                free(p->files[i].new_text);
                free(p->files[i].diff);
        }
        free(p->files);
        strv_free(p->commands);
        strv_free(p->warnings);
        free(p->refusal);
        *p = (BootPlan){};
}

/* Fails the plan with -EBADMSG, saying why. */
_printf_(2, 3) static int refuse(BootPlan *p, const char *fmt, ...) {
        va_list ap;
        int r;

        free(p->refusal);
        va_start(ap, fmt);
        r = vasprintf(&p->refusal, fmt, ap);
        va_end(ap);
        if (r < 0) {
                p->refusal = NULL;
                return -ENOMEM;
        }
        return -EBADMSG;
}

/* Reads the file at the absolute path under rootfd; a missing file gives NULL. A symbolic
 * link is refused: the atomic write would replace the link, not the file it points to. */
static int read_optional(BootPlan *p, int rootfd, const char *path, char **ret) {
        struct stat st;
        int r;

        if (fstatat(rootfd, path + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                return refuse(p,
                              "%s is a symbolic link; passthru edits only regular files: make the change by "
                              "hand in the file it points to, or replace the link with that file.",
                              path);
        r = bootcfg_read_file_at(rootfd, path + 1, CONFIG_FILE_MAX, ret);

        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        return r;
}

/* Adds a change to the plan, taking old_text and new_text; nothing when they are equal.
 * Returns 1 when the file changes. */
static int plan_file(BootPlan *p, const char *path, char *old_text, char *new_text) {
        _cleanup_free_ char *old = old_text, *new = new_text, *diff = NULL, *copy = NULL;
        BootFileChange *files;
        int r;

        r = unified_diff(path, old, path, new, &diff);
        if (r <= 0)
                return r;
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        files = realloc(p->files, (p->n_files + 1) * sizeof(BootFileChange));
        if (!files)
                return -ENOMEM;
        p->files = files;
        p->files[p->n_files++] = (BootFileChange){
                .path = TAKE_PTR(copy),
                .old_text = TAKE_PTR(old),
                .new_text = TAKE_PTR(new),
                .diff = TAKE_PTR(diff),
        };
        return 1;
}

/* A file passthru generates whole: never one that someone else wrote. */
static int plan_generated(BootPlan *p, int rootfd, const char *path, char *new_text) {
        _cleanup_free_ char *new = new_text, *old = NULL;
        int r;

        r = read_optional(p, rootfd, path, &old);
        if (r < 0)
                return r;
        if (old && !bootcfg_text_is_ours(old))
                return strv_extendf(&p->warnings, "%s was not written by passthru; it is left as it is.",
                                    path);
        return plan_file(p, path, TAKE_PTR(old), TAKE_PTR(new));
}

typedef struct Needs {
        char **args;
        char **modules;
} Needs;

static void needs_done(Needs *n) {
        n->args = strv_free(n->args);
        n->modules = strv_free(n->modules);
}

static int extend_unique(char ***l, char *const *add) {
        for (char *const *a = add; a && *a; a++)
                if (!strv_contains(*l, *a)) {
                        int r = strv_extend(l, *a);

                        if (r < 0)
                                return r;
                }
        return 0;
}

/* Intel's integrated graphics: a display controller of Intel's at 00:02.0. */
static bool is_intel_igpu(const EarlyBindEntry *e) {
        return e->vendor == 0x8086 && (e->class >> 16) == 0x03 && e->address.domain == 0 &&
               e->address.bus == 0 && e->address.slot == 2 && e->address.function == 0;
}

/* What every installed kernel needs, together: one command line and one modules-load.d file
 * serve them all. */
static int plan_needs(BootPlan *p, int rootfd, const BootSetup *s, const BootPlanInput *in, Needs *ret) {
        _cleanup_strv_free_ char **ids = NULL;
        _cleanup_(needs_done) Needs n = {};
        bool intel_igpu = false;
        char ***per_kernel = NULL;
        size_t n_kernels = 0;
        int r = 0;

        for (size_t i = 0; i < in->n_entries; i++) {
                char id[sizeof("ffff:ffff")];

                intel_igpu = intel_igpu || is_intel_igpu(&in->entries[i]);

                snprintf(id, sizeof(id), "%04x:%04x", in->entries[i].vendor, in->entries[i].device);
                r = strv_extend(&ids, id);
                if (r < 0)
                        return r;
        }
        /* asked for, so it holds whatever the kernels' configurations say or whether they can be read */
        if (in->want_iommu_pt) {
                r = strv_extend(&n.args, "iommu=pt");
                if (r < 0)
                        return r;
        }
        per_kernel = calloc(strv_length(s->kernels) + 1, sizeof(char **));
        if (!per_kernel)
                return -ENOMEM;

        for (char **k = s->kernels; k && *k; k++) {
                _cleanup_(boot_needs_done) BootNeeds needs = {};
                KernelConfig config;

                r = kernel_config_read(rootfd, *k, &config);
                if (r == -ENOENT) {
                        r = strv_extendf(&p->warnings,
                                         "/boot/config-%s is missing: what kernel %s needs is not known.",
                                         *k, *k);
                        if (r < 0)
                                goto finish;
                        continue;
                }
                if (r < 0)
                        goto finish;
                BootNeedsInput ni = {
                        .release = *k,
                        .config = &config,
                        .intel_dmar = in->intel_dmar,
                        .intel_igpu = intel_igpu,
                        .want_iommu_pt = in->want_iommu_pt,
                        .device_ids = ids,
                };
                r = boot_needs_decide(&ni, &needs);
                if (r < 0)
                        goto finish;
                r = extend_unique(&n.args, needs.cmdline_add);
                if (r < 0)
                        goto finish;
                r = extend_unique(&p->warnings, needs.warnings);
                if (r < 0)
                        goto finish;
                r = boot_modules_for_kernel(*k, &config, &per_kernel[n_kernels]);
                if (r == -EINVAL) /* a release without MAJOR.MINOR: its modules are unknown */
                        continue;
                if (r < 0)
                        goto finish;
                n_kernels++;
        }
        r = boot_modules_common(per_kernel, n_kernels, &n.modules);
        if (r < 0)
                goto finish;
        *ret = n;
        n = (Needs){};
finish:
        for (size_t i = 0; i < n_kernels; i++)
                strv_free(per_kernel[i]);
        free(per_kernel);
        return r;
}

static int plan_initramfs(BootPlan *p, int rootfd, const BootSetup *s, const BootPlanInput *in,
                          const Needs *needs) {
        /* without a generator passthru knows, nothing would read the list */
        bool keep = !in->remove && in->n_entries > 0 && s->initramfs != INITRAMFS_NONE, changed = false;
        bool wanted = !in->remove && in->n_entries > 0;
        char *list = NULL, *modules = NULL;
        int r;

        if (keep) {
                r = early_bind_list_format(in->entries, in->n_entries, &list);
                if (r < 0)
                        return r;
        }
        r = plan_generated(p, rootfd, EARLY_BIND_LIST, list);
        if (r < 0)
                return r;
        changed = r > 0;

        if (s->initramfs == INITRAMFS_MKINITCPIO) {
                _cleanup_free_ char *old = NULL;
                char *new = NULL;

                r = read_optional(p, rootfd, "/etc/mkinitcpio.conf", &old);
                if (r < 0)
                        return r;
                r = old ? mkinitcpio_hooks_edit(old, keep, &new) : -EBADMSG;
                if (r == -EOPNOTSUPP || r == -EBADMSG) {
                        if (keep) {
                                r = strv_extendf(
                                        &p->warnings,
                                        "HOOKS in /etc/mkinitcpio.conf has no \"udev\" (a systemd initramfs, "
                                        "or none at all): passthru's early hook cannot run there; the devices "
                                        "are bound when passthrud starts.");
                                if (r < 0)
                                        return r;
                        }
                } else if (r < 0)
                        return r;
                else {
                        r = plan_file(p, "/etc/mkinitcpio.conf", TAKE_PTR(old), new);
                        if (r < 0)
                                return r;
                        changed = changed || r > 0;
                }
        }

        /* Without a generator passthru knows, vfio-pci at least loads before udev's coldplug. */
        if (s->initramfs == INITRAMFS_NONE) {
                if (wanted) {
                        r = strv_extendf(
                                &p->warnings,
                                "No initramfs generator passthru knows (initramfs-tools, dracut, mkinitcpio) "
                                "was found: the devices are bound when passthrud starts, and a host driver "
                                "may take them first.");
                        if (r < 0)
                                return r;
                }
                if (wanted && needs->modules && needs->modules[0]) {
                        r = boot_modules_load_text(needs->modules, &modules);
                        if (r < 0)
                                return r;
                }
        }
        r = plan_generated(p, rootfd, MODULES_LOAD_FILE, modules);
        if (r < 0)
                return r;

        if (changed && s->initramfs != INITRAMFS_NONE) {
                _cleanup_strv_free_ char **commands = NULL;

                r = boot_initramfs_commands(s, &commands);
                if (r < 0)
                        return r;
                r = extend_unique(&p->commands, commands);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int join_blank(char *const *l, char **ret) {
        char *joined = strv_join(l, " ");

        if (!joined)
                return -ENOMEM;
        *ret = joined;
        return 0;
}

/* The arguments of args that the running kernel's command line does not have already (as
 * the edit would set them: intel_iommu=on,igfx_off has intel_iommu=on). Returns how many. */
static int args_not_running(char *const *args, const char *running, char ***ret) {
        _cleanup_strv_free_ char **missing = NULL;
        int r;

        for (char *const *a = args; a && *a; a++) {
                _cleanup_free_ char *edited = NULL;
                char *const one[] = { *a, NULL };

                r = cmdline_edit_args(strempty(running), &(CmdlineEdit){ .add = one }, &edited);
                if (r < 0)
                        return r;
                if (r > 0) {
                        r = strv_extend(&missing, *a);
                        if (r < 0)
                                return r;
                }
        }
        r = (int) strv_length(missing);
        *ret = TAKE_PTR(missing);
        return r;
}

/* A new /etc/kernel/cmdline starts from the running command line without its one-off
 * arguments: the plan names those it left out. */
static int warn_one_off(BootPlan *p, const char *running) {
        _cleanup_strv_free_ char **dropped = NULL;
        _cleanup_free_ char *joined = NULL;
        int r;

        r = cmdline_one_off_args(running, &dropped);
        if (r <= 0)
                return r;
        r = join_blank(dropped, &joined);
        if (r < 0)
                return r;
        return strv_extendf(
                &p->warnings,
                "/etc/kernel/cmdline is new and starts from the running command line without "
                "\"%s\": they shape this boot only; add them back by hand if every boot needs them.",
                joined);
}

/* A command line in path that the edit cannot change safely. */
static int refuse_edit(BootPlan *p, const char *path, const CmdlineEdit *edit) {
        _cleanup_free_ char *joined = NULL;
        int r;

        r = join_blank(edit->add ?: edit->remove, &joined);
        if (r < 0)
                return r;
        if (streq(path, "/etc/kernel/cmdline"))
                return refuse(
                        p,
                        "The first line of /etc/kernel/cmdline has an unterminated double quote: an "
                        "argument added after it would be read as quoted. Fix the line, or %s \"%s\" by "
                        "hand.",
                        edit->add ? "add" : "remove", joined);
        return refuse(p,
                      "GRUB_CMDLINE_LINUX_DEFAULT in %s cannot be edited safely: the shell would read it "
                      "differently (an assignment inside an if, a loop or a function, a here-document, a "
                      "command substitution, a value glued to more text, or an unterminated quote, shell's "
                      "or kernel's). %s \"%s\" by hand, then run update-grub.",
                      path, edit->add ? "Add" : "Remove", joined);
}

static int plan_cmdline(BootPlan *p, int rootfd, const BootSetup *s, const BootPlanInput *in,
                        const Needs *needs) {
        _cleanup_strv_free_ char **files = NULL, **commands = NULL;
        CmdlineEdit edit = {};
        bool changed = false;
        int r;

        if (!needs->args || !needs->args[0])
                return 0;
        if (in->remove)
                edit.remove = needs->args;
        else
                edit.add = needs->args;

        r = boot_cmdline_plan(s, &files, &commands);
        if (r == -ENOENT) {
                _cleanup_strv_free_ char **missing = NULL;
                _cleanup_free_ char *joined = NULL;

                if (in->remove)
                        return 0;
                r = args_not_running(needs->args, in->running_cmdline, &missing);
                if (r <= 0)
                        return r;
                r = join_blank(missing, &joined);
                if (r < 0)
                        return r;
                return strv_extendf(
                        &p->warnings,
                        "No boot loader configuration passthru knows was found: add \"%s\" to the kernel "
                        "command line by hand.",
                        joined);
        }
        if (r < 0)
                return r;

        for (char **f = files; *f; f++) {
                _cleanup_free_ char *old = NULL;
                char *new = NULL;

                r = read_optional(p, rootfd, *f, &old);
                if (r < 0)
                        return r;
                if (streq(*f, "/etc/kernel/cmdline")) {
                        r = kernel_cmdline_edit(old, in->running_cmdline, &edit, &new);
                        if (r > 0 && !old) {
                                int q = warn_one_off(p, in->running_cmdline);

                                if (q < 0) {
                                        free(new);
                                        return q;
                                }
                        }
                } else if (old)
                        r = grub_default_edit(old, &edit, &new);
                else
                        continue;
                if (r == -EBADMSG)
                        return refuse_edit(p, *f, &edit);
                if (r < 0)
                        return r;
                if (r == 0) {
                        free(new);
                        continue;
                }
                r = plan_file(p, *f, TAKE_PTR(old), new);
                if (r < 0)
                        return r;
                changed = changed || r > 0;
        }
        for (char **c = commands; changed && c && *c; c++) {
                r = strv_extend(&p->commands, *c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int plan_all(int rootfd, const BootPlanInput *in, BootPlan *p) {
        _cleanup_(boot_setup_done) BootSetup s = {};
        _cleanup_(needs_done) Needs needs = {};
        int r;

        r = boot_setup_detect(rootfd, &s);
        if (r < 0)
                return r;
        for (char *const *w = in->left_out; w && *w; w++) {
                r = strv_extend(&p->warnings, *w);
                if (r < 0)
                        return r;
        }
        r = plan_needs(p, rootfd, &s, in, &needs);
        if (r < 0)
                return r;
        /* the initramfs first: proxmox-boot-tool refresh then copies the new images */
        if (in->initramfs) {
                r = plan_initramfs(p, rootfd, &s, in, &needs);
                if (r < 0)
                        return r;
        }
        if (in->cmdline)
                return plan_cmdline(p, rootfd, &s, in, &needs);
        return 0;
}

int boot_plan_make(int rootfd, const BootPlanInput *in, BootPlan *ret, char **ret_error) {
        _cleanup_(boot_plan_done) BootPlan p = {};
        int r;

        assert(in);
        assert(ret);
        r = plan_all(rootfd, in, &p);
        if (r == -EBADMSG && ret_error)
                *ret_error = TAKE_PTR(p.refusal);
        if (r < 0)
                return r;
        *ret = p;
        p = (BootPlan){};
        return 0;
}
