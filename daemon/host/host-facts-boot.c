/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The boot part of the host facts (host-facts-boot.h): read only, the checks decide. */
#include <assert.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootcfg-detect.h"
#include "bootcfg-file.h"
#include "bootcfg-initramfs.h"
#include "devices-conf.h"
#include "dir-list.h"
#include "fileio.h"
#include "host-facts-boot.h"
#include "log.h"
#include "strv.h"
#include "sysfs.h"

#define BOOT_FILE_MAX (1024 * 1024)
#define SECURE_BOOT_VAR "firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

void boot_facts_done(BootFacts *b) {
        free(b->loaders);
        strv_free(b->persisted);
        strv_free(b->early);
        free(b->newest_input);
        free(b->cmdline_file);
        strv_free(b->cmdline_configured);
        free(b->lockdown);
        *b = (BootFacts){ .image_early_list = -ENODATA, .secure_boot = -ENODATA };
}

/* The arguments of a command line that passthru's checks care about. */
static bool arg_matters(const char *w) {
        static const char *const prefixes[] = {
                "intel_iommu=", "amd_iommu=", "iommu=", "iommu.", "vfio", "passthru.", "pcie_acs_override="
        };

        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (strncmp(w, prefixes[i], strlen(prefixes[i])) == 0)
                        return true;
        return false;
}

static int add_args(char ***l, const char *value) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        r = strv_split(value, " \t\n\"'", &words);
        if (r < 0)
                return r;
        for (char **w = words; w && *w; w++)
                if (arg_matters(*w) && !strv_contains(*l, *w)) {
                        r = strv_extend(l, *w);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT of a /etc/default/grub shaped text. */
static int grub_args(const char *text, char ***l) {
        _cleanup_strv_free_ char **lines = NULL;
        int r;

        r = strv_split(text, "\n", &lines);
        if (r < 0)
                return r;
        for (char **line = lines; line && *line; line++) {
                const char *p = *line + strspn(*line, " \t");

                if (strncmp(p, "export ", 7) == 0)
                        p += 7;
                if (strncmp(p, "GRUB_CMDLINE_LINUX=", 19) == 0)
                        p += 19;
                else if (strncmp(p, "GRUB_CMDLINE_LINUX_DEFAULT=", 27) == 0)
                        p += 27;
                else
                        continue;
                r = add_args(l, p);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void note_input(BootFacts *b, int dirfd, const char *path, const char *shown) {
        struct stat st;

        if (fstatat(dirfd, path, &st, 0) < 0 || !S_ISREG(st.st_mode))
                return;
        if (b->newest_input && (st.st_mtim.tv_sec < b->newest_input_mtime.tv_sec ||
                                (st.st_mtim.tv_sec == b->newest_input_mtime.tv_sec &&
                                 st.st_mtim.tv_nsec <= b->newest_input_mtime.tv_nsec)))
                return;
        free(b->newest_input);
        b->newest_input = strdup(shown);
        b->newest_input_mtime = st.st_mtim;
}

static void read_inputs(BootFacts *b, int etc_fd) {
        _cleanup_strv_free_ char **names = NULL;

        note_input(b, etc_fd, "passthru/early-bind.list", EARLY_BIND_LIST);
        note_input(b, etc_fd, "initramfs-tools/modules", "/etc/initramfs-tools/modules");
        if (dir_list_at(etc_fd, "modprobe.d", NULL, ".conf", &names) >= 0)
                for (char **n = names; *n; n++) {
                        _cleanup_free_ char *path = NULL, *shown = NULL;

                        if (asprintf(&path, "modprobe.d/%s", *n) >= 0 &&
                            asprintf(&shown, "/etc/%s", path) >= 0)
                                note_input(b, etc_fd, path, shown);
                }
}

static void read_early_list(BootFacts *b, int etc_fd) {
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **lines = NULL;

        if (bootcfg_read_file_at(etc_fd, "passthru/early-bind.list", BOOT_FILE_MAX, &text) < 0)
                return;
        b->early_list = true;
        if (strv_split(text, "\n", &lines) < 0)
                return;
        for (char **l = lines; l && *l; l++) {
                const char *p = *l + strspn(*l, " \t");
                size_t n = strcspn(p, " \t");
                _cleanup_free_ char *a = NULL;

                if (*p == '#' || n == 0)
                        continue;
                a = strndup(p, n);
                if (a)
                        (void) strv_push(&b->early, TAKE_PTR(a));
        }
}

static void read_persisted(BootFacts *b, const BootRoots *roots, const char *etc) {
        _cleanup_(config_error_done) ConfigError error = {};
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *dir = NULL;

        if (!roots->config_dir && asprintf(&dir, "%s/passthru", etc) < 0)
                return;
        if (config_load(roots->config_dir ?: dir, &c, &error) < 0) {
                b->config_broken = true;
                return;
        }
        for (size_t i = 0; i < config_n_entries(c); i++) {
                const ConfigEntry *e = config_entry(c, i);
                char a[PCI_ADDRESS_STRING_MAX];

                if (!e->vfio)
                        continue;
                pci_address_format(&e->address, a);
                (void) strv_extend(&b->persisted, a);
        }
}

static void read_cmdline_config(BootFacts *b, int rootfd) {
        _cleanup_(boot_setup_done) BootSetup s = {};
        _cleanup_strv_free_ char **files = NULL, **loaders = NULL, **commands = NULL;

        if (boot_setup_detect(rootfd, &s) < 0)
                return;
        b->generator = s.initramfs == INITRAMFS_NONE ? NULL : initramfs_generator_to_string(s.initramfs);
        if (s.boot_loaders & BOOT_LOADER_GRUB)
                (void) strv_extend(&loaders, "GRUB");
        if (s.boot_loaders & BOOT_LOADER_KERNEL_CMDLINE)
                (void) strv_extend(&loaders, "/etc/kernel/cmdline");
        if (s.boot_loaders & BOOT_LOADER_PROXMOX)
                (void) strv_extend(&loaders, "proxmox-boot-tool");
        if (loaders)
                b->loaders = strv_join(loaders, ", ");
        if (boot_cmdline_plan(&s, &files, &commands) < 0)
                return;
        for (char **f = files; *f; f++) {
                _cleanup_free_ char *text = NULL;

                if (bootcfg_read_file_at(rootfd, *f + 1, BOOT_FILE_MAX, &text) < 0)
                        continue;
                if (streq(*f, "/etc/kernel/cmdline") ? add_args(&b->cmdline_configured, text) < 0
                                                     : grub_args(text, &b->cmdline_configured) < 0)
                        continue;
                free(b->cmdline_file);
                b->cmdline_file = strdup(*f);
        }
}

static void read_security(BootFacts *b, int sysfs_fd) {
        _cleanup_free_ char *text = NULL, *var = NULL;
        const char *open_bracket, *close_bracket;
        size_t size = 0;
        int r;

        if (bootcfg_read_file_at(sysfs_fd, "kernel/security/lockdown", 4096, &text) >= 0 &&
            (open_bracket = strchr(text, '[')) && (close_bracket = strchr(open_bracket, ']')))
                b->lockdown = strndup(open_bracket + 1, close_bracket - open_bracket - 1);
        /* efivarfs: 4 bytes of attributes, then the value */
        r = read_file_at(sysfs_fd, SECURE_BOOT_VAR, 4096, 0, &var, &size, NULL);
        b->secure_boot = r < 0 ? r : size >= 5 ? var[4] == 1 : -EIO;
}

int boot_facts_read(BootFacts *b, const BootRoots *roots) {
        _cleanup_close_ int etc_fd = -EBADF, rootfd = -EBADF;
        const char *etc = roots->etc ?: "/etc";

        assert(b);
        assert(roots);
        boot_facts_done(b);
        b->read = true;
        etc_fd = open(etc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (etc_fd >= 0) {
                read_inputs(b, etc_fd);
                read_early_list(b, etc_fd);
        }
        read_persisted(b, roots, etc);
        if (roots->root) {
                rootfd = open(roots->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (rootfd >= 0)
                        read_cmdline_config(b, rootfd);
        }
        /* sysfs is read through the one door (sysfs.h): its root, borrowed */
        if (roots->sysfs)
                read_security(b, sysfs_root_fd(roots->sysfs));
        return 0;
}
