/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bootcfg-cmdline.h"
#include "bootcfg-detect.h"
#include "bootcfg-file.h"
#include "dir-list.h"
#include "macros.h"
#include "strv.h"

/* What shows each generator is there: its program, its configuration (relative to the root). */
static const struct {
        const char *programs[3];
        const char *configs[3];
} generator_evidence[_INITRAMFS_GENERATOR_MAX] = {
        [INITRAMFS_TOOLS] = { { "usr/sbin/update-initramfs", "sbin/update-initramfs" },
                              { "etc/initramfs-tools" } },
        [INITRAMFS_DRACUT] = { { "usr/bin/dracut", "usr/sbin/dracut" },
                               { "etc/dracut.conf.d", "etc/dracut.conf" } },
        [INITRAMFS_MKINITCPIO] = { { "usr/bin/mkinitcpio" }, { "etc/mkinitcpio.conf", "etc/mkinitcpio.d" } },
};

const char *initramfs_generator_to_string(InitramfsGenerator g) {
        static const char *const names[_INITRAMFS_GENERATOR_MAX] = {
                [INITRAMFS_NONE] = "none",
                [INITRAMFS_TOOLS] = "initramfs-tools",
                [INITRAMFS_DRACUT] = "dracut",
                [INITRAMFS_MKINITCPIO] = "mkinitcpio",
        };

        return g >= 0 && g < _INITRAMFS_GENERATOR_MAX ? names[g] : NULL;
}

static InitramfsGenerator only_one(unsigned mask) {
        for (InitramfsGenerator g = INITRAMFS_TOOLS; g < _INITRAMFS_GENERATOR_MAX; g++)
                if (mask == 1u << g)
                        return g;
        return INITRAMFS_NONE;
}

InitramfsGenerator initramfs_generator_pick(unsigned programs, unsigned configs) {
        programs &= ~1u;
        configs &= ~1u;
        if (programs & (1u << INITRAMFS_DRACUT))
                return INITRAMFS_DRACUT;
        if (programs)
                return only_one(programs);
        return only_one(configs);
}

static bool exists_at(int rootfd, const char *path) {
        struct stat st;

        return fstatat(rootfd, path, &st, 0) == 0;
}

static bool any_exists_at(int rootfd, const char *const *paths, size_t n) {
        for (size_t i = 0; i < n && paths[i]; i++)
                if (exists_at(rootfd, paths[i]))
                        return true;
        return false;
}

static int detect_kernels(int rootfd, char ***ret, char ***ret_images) {
        _cleanup_strv_free_ char **names = NULL, **kernels = NULL, **images = NULL;
        int r;

        kernels = calloc(1, sizeof(char *));
        images = calloc(1, sizeof(char *));
        if (!kernels || !images)
                return -ENOMEM;
        r = dir_list_at(rootfd, "lib/modules", NULL, NULL, &names);
        if (r == -ENOENT) {
                *ret = TAKE_PTR(kernels);
                *ret_images = TAKE_PTR(images);
                return 0;
        }
        if (r < 0)
                return r;
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *image = NULL, *modules_image = NULL;

                /* Debian keeps the image in /boot, Fedora and Arch next to the modules */
                if (asprintf(&image, "boot/vmlinuz-%s", *n) < 0 ||
                    asprintf(&modules_image, "lib/modules/%s/vmlinuz", *n) < 0)
                        return -ENOMEM;
                if (exists_at(rootfd, image))
                        r = strv_extendf(&images, "/%s", image);
                else if (exists_at(rootfd, modules_image))
                        r = strv_extendf(&images, "/%s", modules_image);
                else
                        continue;
                r = r >= 0 ? strv_extend(&kernels, *n) : r;
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(kernels);
        *ret_images = TAKE_PTR(images);
        return 0;
}

#define GRUB_FILE_MAX (1024 * 1024)

/* grub-mkconfig sources /etc/default/grub.d/\*.cfg in glob order after /etc/default/grub: the
 * last one that sets the variable is the one that counts. */
static int detect_grub_override(int rootfd, char **ret) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *found = NULL;
        int r;

        r = dir_list_at(rootfd, "etc/default/grub.d", NULL, ".cfg", &names);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *path = NULL, *text = NULL;

                if (asprintf(&path, "etc/default/grub.d/%s", *n) < 0)
                        return -ENOMEM;
                r = bootcfg_read_file_at(rootfd, path, GRUB_FILE_MAX, &text);
                if (r < 0)
                        return r;
                /* one passthru could not edit still wins over the ones before it */
                if (grub_default_assigns(text) != 0) {
                        free(found);
                        found = NULL;
                        if (asprintf(&found, "/%s", path) < 0)
                                return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(found);
        return 0;
}

int boot_setup_detect(int rootfd, BootSetup *ret) {
        _cleanup_(boot_setup_done) BootSetup s = {};
        int r;

        assert(ret);
        for (InitramfsGenerator g = INITRAMFS_TOOLS; g < _INITRAMFS_GENERATOR_MAX; g++) {
                if (any_exists_at(rootfd, generator_evidence[g].programs,
                                  ELEMENTSOF(generator_evidence[g].programs)))
                        s.initramfs_programs |= 1u << g;
                if (any_exists_at(rootfd, generator_evidence[g].configs,
                                  ELEMENTSOF(generator_evidence[g].configs)))
                        s.initramfs_configs |= 1u << g;
        }
        s.initramfs = initramfs_generator_pick(s.initramfs_programs, s.initramfs_configs);

        s.update_grub = exists_at(rootfd, "usr/sbin/update-grub");
        s.grub2 = exists_at(rootfd, "usr/sbin/grub2-mkconfig");
        if (exists_at(rootfd, "etc/default/grub") &&
            (s.update_grub || exists_at(rootfd, "usr/sbin/grub-mkconfig") ||
             exists_at(rootfd, "usr/sbin/grub2-mkconfig")))
                s.boot_loaders |= BOOT_LOADER_GRUB;
        if (exists_at(rootfd, "etc/kernel/cmdline"))
                s.boot_loaders |= BOOT_LOADER_KERNEL_CMDLINE;
        /* Every Proxmox VE host has the tool; it manages the boot only where it lists ESPs. */
        if (exists_at(rootfd, "usr/sbin/proxmox-boot-tool") &&
            exists_at(rootfd, "etc/kernel/proxmox-boot-uuids"))
                s.boot_loaders |= BOOT_LOADER_PROXMOX;

        if (s.boot_loaders & BOOT_LOADER_GRUB) {
                r = detect_grub_override(rootfd, &s.grub_override);
                if (r < 0)
                        return r;
        }
        r = detect_kernels(rootfd, &s.kernels, &s.kernel_images);
        if (r < 0)
                return r;
        *ret = s;
        s = (BootSetup){};
        return 0;
}

void boot_setup_done(BootSetup *s) {
        s->kernels = strv_free(s->kernels);
        s->kernel_images = strv_free(s->kernel_images);
        free(s->grub_override);
        s->grub_override = NULL;
}

static bool release_is_safe(const char *release) {
        return release[0] && release[0] != '-' &&
               strspn(release, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+~-") ==
                       strlen(release);
}

/* kernel-install reads /etc/kernel/cmdline when it adds a kernel's entry; systemd 252 has no
 * "add-all", so once per kernel, with its image. */
static int kernel_install_commands(const BootSetup *s, char ***ret) {
        _cleanup_strv_free_ char **commands = NULL;

        for (size_t i = 0; s->kernels && s->kernels[i]; i++) {
                if (!release_is_safe(s->kernels[i]))
                        return -EINVAL;
                if (strv_extendf(&commands, "kernel-install add %s %s", s->kernels[i], s->kernel_images[i]) <
                    0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(commands); /* NULL without kernels: nothing to add an entry for */
        return 0;
}

int boot_cmdline_plan(const BootSetup *s, char ***ret_files, char ***ret_commands) {
        _cleanup_strv_free_ char **files = NULL, **commands = NULL;
        const char *c = NULL;
        int r;

        assert(s);
        assert(ret_files);
        assert(ret_commands);
        if (s->boot_loaders & BOOT_LOADER_GRUB) {
                r = strv_extend(&files, s->grub_override ?: "/etc/default/grub");
                if (r < 0)
                        return r;
        }
        /* proxmox-boot-tool writes /etc/kernel/cmdline into the systemd-boot entries it manages */
        if (s->boot_loaders & (BOOT_LOADER_KERNEL_CMDLINE | BOOT_LOADER_PROXMOX)) {
                r = strv_extend(&files, "/etc/kernel/cmdline");
                if (r < 0)
                        return r;
        }
        if (!files)
                return -ENOENT;

        if (s->boot_loaders & BOOT_LOADER_PROXMOX)
                c = "proxmox-boot-tool refresh";
        else if (s->boot_loaders & BOOT_LOADER_GRUB)
                c = s->update_grub ? "update-grub"
                    : s->grub2     ? "grub2-mkconfig -o /boot/grub2/grub.cfg"
                                   : "grub-mkconfig -o /boot/grub/grub.cfg";
        r = c ? strv_extend(&commands, c) : kernel_install_commands(s, &commands);
        if (r < 0)
                return r;
        *ret_files = TAKE_PTR(files);
        *ret_commands = TAKE_PTR(commands);
        return 0;
}

int boot_initramfs_commands(const BootSetup *s, char ***ret) {
        _cleanup_strv_free_ char **commands = NULL;
        int r;

        assert(s);
        assert(ret);
        if (s->initramfs == INITRAMFS_NONE)
                return -ENOENT;
        commands = calloc(1, sizeof(char *));
        if (!commands)
                return -ENOMEM;
        /* mkinitcpio builds the images of all its presets in one run */
        if (s->initramfs == INITRAMFS_MKINITCPIO) {
                r = strv_extend(&commands, "mkinitcpio -P");
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(commands);
                return 0;
        }
        for (char **k = s->kernels; k && *k; k++) {
                char *c;

                if (!release_is_safe(*k))
                        return -EINVAL;
                if (asprintf(&c,
                             s->initramfs == INITRAMFS_TOOLS ? "update-initramfs -u -k %s"
                                                             : "dracut --force --kver %s",
                             *k) < 0)
                        return -ENOMEM;
                r = strv_push(&commands, c);
                if (r < 0) {
                        free(c);
                        return r;
                }
        }
        *ret = TAKE_PTR(commands);
        return 0;
}
