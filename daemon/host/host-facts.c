/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "device-table.h"
#include "dir-list.h"
#include "fileio.h"
#include "host-facts.h"
#include "klog.h"
#include "kmod.h"
#include "log.h"
#include "spawn-wait.h"
#include "strv.h"
#include "sysfs.h"
#include "utf8.h"

/* lsinitramfs decompresses the whole image: give it time while it lists, but not forever. */
#define INITRAMFS_LIST_TIMEOUT_MS (30 * 1000)
/* /proc/interrupts and /proc/cpuinfo of a host of a few hundred CPUs stay well below. */
#define TEXT_FILE_MAX (16 * 1024 * 1024)

static const char *const module_names[_HOST_MODULE_MAX] = {
        [HOST_MODULE_VFIO] = "vfio",
        [HOST_MODULE_VFIO_IOMMU_TYPE1] = "vfio_iommu_type1",
        [HOST_MODULE_VFIO_PCI] = "vfio_pci",
        [HOST_MODULE_VFIO_VIRQFD] = "vfio_virqfd",
};

const char *host_module_name(HostModule m) {
        return m >= 0 && m < _HOST_MODULE_MAX ? module_names[m] : NULL;
}

bool host_facts_kernel_at_least(const HostFacts *f, unsigned major, unsigned minor) {
        assert(f);
        return f->kernel_major > major || (f->kernel_major == major && f->kernel_minor >= minor);
}

static void config_lines_done(ConfigLines *c) {
        for (size_t i = 0; i < c->n; i++) {
                free(c->items[i].file);
                strv_free(c->items[i].words);
        }
        free(c->items);
        *c = (ConfigLines){};
}

void host_facts_done(HostFacts *f) {
        free(f->kernel_release);
        free(f->cpu_vendor);
        free(f->cmdline);
        klog_free(f->klog);
        config_lines_done(&f->boot_modules);
        config_lines_done(&f->modprobe);
        config_lines_done(&f->initramfs_modules);
        free(f->initramfs_image);
        free(f->initramfs_wanted);
        free(f->translated_group);
        free(f->translated_type);
        free(f->vfio_nodes);
        boot_facts_done(&f->boot);
        *f = (HostFacts){};
}

/* Roots are opened for one reading and closed again: no descriptor outlives a run. */
static int open_root(const char *path) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        return fd < 0 ? -errno : fd;
}

/* A file read whole (read_file_at(): regular, never blocking, capped; a link is followed, as
 * modprobe and systemd-modules-load follow it), as a stream for the parsers; the stream reads from text,
 * which lives until text_file_done(). */
typedef struct TextFile {
        char *text;
        FILE *f;
} TextFile;

static void text_file_done(TextFile *t) {
        if (t->f)
                fclose(t->f);
        free(t->text);
}

static int text_file_open_at(int dirfd, const char *path, TextFile *ret) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        r = read_file_at(dirfd, path, TEXT_FILE_MAX, READ_FILE_FOLLOW, &text, &size, NULL);
        if (r < 0)
                return r;
        f = fmemopen(text, size, "r");
        if (!f)
                return -errno;
        *ret = (TextFile){ TAKE_PTR(text), f };
        return 0;
}

/* The first line of a file, newline removed. */
static int read_line_at(int dirfd, const char *path, char **ret) {
        _cleanup_(text_file_done) TextFile t = {};
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        ssize_t n;
        int r;

        r = text_file_open_at(dirfd, path, &t);
        if (r < 0)
                return r;
        n = getline(&line, &size, t.f);
        if (n < 0)
                return feof(t.f) ? -ENODATA : -errno;
        line[strcspn(line, "\n")] = '\0';
        *ret = TAKE_PTR(line);
        return 0;
}

static size_t count_sysfs_dir(Sysfs *s, const char *path) {
        _cleanup_strv_free_ char **names = NULL;

        return sysfs_list_prefixed(s, path, NULL, &names) < 0 ? 0 : strv_length(names);
}

static void read_kernel_release(HostFacts *f, const HostRoots *roots) {
        struct utsname u;
        const char *release = roots->kernel_release;

        if (!release && uname(&u) >= 0)
                release = u.release;
        f->kernel_release = release ? strdup(release) : NULL;
        if (f->kernel_release && sscanf(f->kernel_release, "%u.%u", &f->kernel_major, &f->kernel_minor) != 2)
                f->kernel_major = f->kernel_minor = 0;
}

static bool has_word(const char *list, const char *word) {
        _cleanup_strv_free_ char **words = NULL;

        return strv_split(list, " \t", &words) >= 0 && strv_contains(words, word);
}

/* The first CPU's vendor and flags stand for all: the kernel keeps them alike. */
int host_facts_parse_cpuinfo(HostFacts *f, FILE *file) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0;

        assert(f);
        assert(file);
        while (getline(&line, &size, file) >= 0) {
                char *colon = strchr(line, ':'), *value;

                if (!colon)
                        continue;
                value = colon + 1 + strspn(colon + 1, " \t");
                value[strcspn(value, "\n")] = '\0';
                if (!f->cpu_vendor && strncmp(line, "vendor_id", strlen("vendor_id")) == 0) {
                        f->cpu_vendor = strdup(value);
                        if (!f->cpu_vendor || utf8_make_valid(&f->cpu_vendor) < 0)
                                return -ENOMEM;
                } else if (strncmp(line, "flags", strlen("flags")) == 0) {
                        f->cpu_vmx = has_word(value, "vmx");
                        f->cpu_svm = has_word(value, "svm");
                        break;
                }
        }
        return 0;
}

static int read_cpuinfo(HostFacts *f, int proc_fd) {
        _cleanup_(text_file_done) TextFile t = {};
        int r;

        r = text_file_open_at(proc_fd, "cpuinfo", &t);
        if (r < 0)
                return log_debug_errno(r, "Failed to read cpuinfo: %m");
        return host_facts_parse_cpuinfo(f, t.f);
}

static void read_interrupts(HostFacts *f, int proc_fd) {
        _cleanup_(text_file_done) TextFile t = {};
        _cleanup_free_ char *line = NULL;
        size_t size = 0;

        if (text_file_open_at(proc_fd, "interrupts", &t) < 0)
                return;
        f->interrupts_read = true;
        while (getline(&line, &size, t.f) >= 0)
                if (strstr(line, " IR-"))
                        f->n_ir_chips++;
}

int host_facts_read_boot(HostFacts *f, const HostRoots *roots) {
        _cleanup_close_ int proc_fd = -EBADF;
        int r;

        assert(f);
        assert(roots);
        proc_fd = open_root(roots->proc ?: "/proc");
        if (proc_fd < 0)
                return log_error_errno(proc_fd, "Failed to open %s: %m", roots->proc ?: "/proc");

        read_kernel_release(f, roots);
        r = read_cpuinfo(f, proc_fd);
        if (r == -ENOMEM)
                return r;
        r = read_line_at(proc_fd, "cmdline", &f->cmdline);
        if (r == -ENOMEM)
                return r;
        /* The checks quote its arguments on D-Bus. */
        if (utf8_make_valid(&f->cmdline) < 0)
                return -ENOMEM;
        f->acpi = sysfs_path_exists(roots->sysfs, "firmware/acpi/tables");
        f->dmar_table = sysfs_path_exists(roots->sysfs, "firmware/acpi/tables/DMAR");
        f->ivrs_table = sysfs_path_exists(roots->sysfs, "firmware/acpi/tables/IVRS");
        read_interrupts(f, proc_fd);
        return klog_read(roots->kmsg, !roots->no_journal, &f->klog);
}

static void read_iommu(HostFacts *f, Sysfs *s) {
        _cleanup_strv_free_ char **groups = NULL;

        f->n_iommus = count_sysfs_dir(s, "class/iommu");
        f->n_iommu_groups = 0;
        f->translated_group = mfree(f->translated_group);
        f->translated_type = mfree(f->translated_type);
        if (sysfs_list_prefixed(s, "kernel/iommu_groups", NULL, &groups) < 0)
                return;
        f->n_iommu_groups = strv_length(groups);
        /* Most hosts translate: the first group usually answers. */
        for (char **g = groups; *g; g++) {
                _cleanup_free_ char *path = NULL, *type = NULL;

                if (asprintf(&path, "kernel/iommu_groups/%s/type", *g) < 0)
                        return;
                if (sysfs_read_attr(s, NULL, path, &type) >= 0 && streq(type, "identity"))
                        continue;
                f->translated_group = strdup(*g);
                f->translated_type = TAKE_PTR(type);
                return;
        }
}

static void read_modules(HostFacts *f, Sysfs *s, Kmod *kmod) {
        _cleanup_free_ char *unsafe = NULL;

        for (HostModule m = 0; m < _HOST_MODULE_MAX; m++) {
                f->modules[m].availability =
                        kmod ? kmod_module_availability(kmod, module_names[m]) : -ENODATA;
                f->modules[m].loaded = sysfs_module_present(s, module_names[m], NULL);
        }
        f->unsafe_interrupts_allowed =
                sysfs_read_attr(s, NULL, "module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
                                &unsafe) >= 0 &&
                streq(unsafe, "Y");
}

static int config_lines_add(ConfigLines *c, const char *file, unsigned line, char **words) {
        ConfigLine *grown = realloc(c->items, sizeof(ConfigLine) * (c->n + 1));
        char *copy = file ? strdup(file) : NULL;

        if (grown)
                c->items = grown;
        if (!grown || (file && !copy)) {
                free(copy);
                return -ENOMEM;
        }
        c->items[c->n++] = (ConfigLine){ .file = copy, .line = line, .words = words };
        return 0;
}

int config_lines_parse(FILE *file, const char *shown, ConfigLines *c) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        unsigned number = 0;
        int r;

        assert(file);
        assert(shown);
        assert(c);
        while (getline(&line, &size, file) >= 0) {
                _cleanup_strv_free_ char **words = NULL;

                number++;
                line[strcspn(line, "#;\n")] = '\0';
                /* Remedies quote these words on D-Bus. A new buffer at least holds the text. */
                r = utf8_make_valid(&line);
                if (r < 0)
                        return r;
                if (r > 0)
                        size = strlen(line) + 1;
                r = strv_split(line, " \t", &words);
                if (r < 0)
                        return r;
                if (!words[0])
                        continue;
                r = config_lines_add(c, shown, number, words);
                if (r < 0)
                        return r;
                TAKE_PTR(words);
        }
        return 0;
}

static int read_config_file(int dirfd, const char *path, const char *shown, ConfigLines *c) {
        _cleanup_(text_file_done) TextFile t = {};
        int r;

        r = text_file_open_at(dirfd, path, &t);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                /* One unreadable file does not hide the others from the checks. */
                log_warning_errno(r, "Failed to read %s, ignoring: %m", shown);
                return 0;
        }
        return config_lines_parse(t.f, shown, c);
}

static int read_config_dir(int etc_fd, const char *dir, ConfigLines *c) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        if (dir_list_at(etc_fd, dir, NULL, ".conf", &names) < 0)
                return 0;
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *path = NULL, *shown = NULL;

                if (asprintf(&path, "%s/%s", dir, *n) < 0 || asprintf(&shown, "/etc/%s", path) < 0)
                        return -ENOMEM;
                r = read_config_file(etc_fd, path, shown, c);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* "KEYWORD MODULE VALUE..." as words, the way a line of modprobe.d reads. */
static int add_modprobe_line(const char *keyword, const char *module, const char *value, void *userdata) {
        _cleanup_strv_free_ char **words = NULL, **values = NULL;
        int r;

        r = strv_extend(&words, keyword);
        if (r >= 0)
                r = strv_extend(&words, module);
        if (r >= 0 && value)
                r = strv_split(value, " \t", &values);
        for (char **v = values; r >= 0 && v && *v; v++)
                r = strv_extend(&words, *v);
        /* Remedies quote these words on D-Bus. */
        for (char **w = words; r >= 0 && w && *w; w++)
                r = utf8_make_valid(w);
        if (r < 0)
                return r;
        r = config_lines_add(userdata, NULL, 0, words);
        if (r < 0)
                return r;
        TAKE_PTR(words);
        return 0;
}

int host_facts_read_modprobe(HostFacts *f, Kmod *kmod) {
        assert(f);
        config_lines_done(&f->modprobe);
        if (!kmod)
                return 0;
        return kmod_config_for_each(kmod, add_modprobe_line, &f->modprobe);
}

static int read_config(HostFacts *f, int etc_fd) {
        int r;

        config_lines_done(&f->boot_modules);
        config_lines_done(&f->initramfs_modules);
        r = read_config_file(etc_fd, "modules", "/etc/modules", &f->boot_modules);
        if (r >= 0)
                r = read_config_dir(etc_fd, "modules-load.d", &f->boot_modules);
        if (r >= 0)
                r = read_config_file(etc_fd, "initramfs-tools/modules", "/etc/initramfs-tools/modules",
                                     &f->initramfs_modules);
        return r;
}

static int vfio_node_read(int dirfd, const char *name, VfioNode *ret) {
        struct stat st;
        char *end;
        long group = -1;

        if (!streq(name, "vfio")) {
                errno = 0;
                group = strtol(name, &end, 10);
                if (errno != 0 || end == name || *end != '\0' || group < 0 || group > INT_MAX)
                        return -EINVAL;
        }
        /* Followed: devtmpfs and udev make the nodes, and a fixture can point at /dev/null. */
        if (fstatat(dirfd, name, &st, 0) < 0)
                return -errno;
        if (!S_ISCHR(st.st_mode))
                return -ENOTTY;
        *ret = (VfioNode){
                .group = (int) group, .uid = st.st_uid, .gid = st.st_gid, .mode = st.st_mode & 07777
        };
        return 0;
}

static int read_dev_vfio(HostFacts *f, int dev_fd) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_close_ int fd = -EBADF;

        free(f->vfio_nodes);
        f->vfio_nodes = NULL;
        f->n_vfio_nodes = 0;
        fd = openat(dev_fd, "vfio", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        f->dev_vfio_read = fd >= 0 || errno == ENOENT;
        if (fd < 0 || dir_list_at(fd, ".", NULL, NULL, &names) < 0)
                return 0;
        f->vfio_nodes = calloc(strv_length(names) + 1, sizeof(VfioNode));
        if (!f->vfio_nodes)
                return -ENOMEM;
        for (char **n = names; *n; n++)
                if (vfio_node_read(fd, *n, &f->vfio_nodes[f->n_vfio_nodes]) >= 0)
                        f->n_vfio_nodes++;
        return 0;
}

bool devices_any_persistent(Device *const *devices, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (devices[i]->persistent)
                        return true;
        return false;
}

/* One line of an initramfs listing: what it names, into the HOST_INITRAMFS_HAS_* bits. */
static void note_listed(const char *line, void *userdata) {
        int *found = userdata;

        /* vfio-pci.ko, .ko.xz, .ko.zst: the module file, however compressed. */
        if (strstr(line, "/vfio-pci.ko"))
                *found |= HOST_INITRAMFS_HAS_VFIO_PCI;
        if (strstr(line, "etc/passthru/early-bind.list"))
                *found |= HOST_INITRAMFS_HAS_EARLY_LIST;
}

int host_facts_list_initramfs(const char *lister, const char *image, int cancel_fd) {
        char *argv[] = { (char *) lister, (char *) image, NULL };
        int found = 0, r;

        assert(image);
        r = spawn_and_wait(&(SpawnParams){
                .argv = argv,
                .idle_timeout_ms = INITRAMFS_LIST_TIMEOUT_MS,
                .on_line = note_listed,
                .userdata = &found,
                .cancel_fd = cancel_fd,
        });
        if (r < 0)
                return r;
        return r == 0 ? found : -EIO;
}

void host_facts_set_initramfs_listing(HostFacts *f, const struct timespec *mtime, int result) {
        assert(f);
        assert(mtime);
        f->initramfs_list_bits = result;
        f->initramfs_mtime = *mtime;
        f->initramfs_listed = true;
}

/* What the kept listing says, for the checks. */
static void use_listing(HostFacts *f) {
        int bits = f->initramfs_list_bits;

        f->initramfs_vfio = bits < 0 ? bits : !!(bits & HOST_INITRAMFS_HAS_VFIO_PCI);
        f->boot.image_early_list = bits < 0 ? bits : !!(bits & HOST_INITRAMFS_HAS_EARLY_LIST);
}

/* Listing an initramfs takes seconds: only when a device is to stay on vfio-pci, and only
 * again when the image has changed (whatever the listing gave). */
static int read_initramfs(HostFacts *f, const HostRoots *roots) {
        const char *lister = roots->initramfs_lister ?: "/usr/bin/lsinitramfs";
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int r;

        f->initramfs_wanted = mfree(f->initramfs_wanted);
        if (!f->kernel_release || !(devices_any_persistent(f->table->devices, f->table->n_devices) ||
                                    f->boot.persisted || f->boot.early_list)) {
                f->initramfs_vfio = -ECANCELED;
                return 0;
        }
        free(f->initramfs_image);
        if (asprintf(&f->initramfs_image, "/boot/initrd.img-%s", f->kernel_release) < 0 ||
            asprintf(&path, "%s/initrd.img-%s", roots->boot ?: "/boot", f->kernel_release) < 0) {
                f->initramfs_image = NULL;
                return -ENOMEM;
        }
        if (stat(path, &st) < 0) {
                f->initramfs_vfio = -ENOENT;
                return 0;
        }
        f->boot.image = true;
        f->boot.image_mtime = st.st_mtim;
        if (f->initramfs_listed && st.st_mtim.tv_sec == f->initramfs_mtime.tv_sec &&
            st.st_mtim.tv_nsec == f->initramfs_mtime.tv_nsec) {
                use_listing(f);
                return 0;
        }
        if (access(lister, X_OK) < 0) {
                f->initramfs_vfio = -ENOPKG;
                return 0;
        }
        if (roots->list_later) {
                f->initramfs_vfio = f->boot.image_early_list = -EINPROGRESS;
                f->initramfs_wanted = TAKE_PTR(path);
                f->initramfs_wanted_mtime = st.st_mtim;
                return 0;
        }
        r = host_facts_list_initramfs(lister, path, -1);
        if (r < 0)
                log_warning_errno(r, "Failed to list %s with %s, ignoring: %m", path, lister);
        host_facts_set_initramfs_listing(f, &st.st_mtim, r);
        use_listing(f);
        return 0;
}

int host_facts_read_bootcfg(HostFacts *f, const HostRoots *roots) {
        /* The boot loader and generator are found on a whole root: not in tests that move
         * /etc alone. */
        BootRoots b = {
                .etc = roots->etc,
                .root = roots->root ?: (roots->etc ? NULL : "/"),
                .config_dir = roots->config_dir,
                .sysfs = roots->sysfs,
        };

        assert(f);
        assert(roots);
        return boot_facts_read(&f->boot, &b);
}

int host_facts_read_current(HostFacts *f, const HostRoots *roots, Kmod *kmod) {
        _cleanup_close_ int etc_fd = -EBADF, dev_fd = -EBADF;
        int r;

        assert(f);
        assert(roots);
        read_iommu(f, roots->sysfs);
        read_modules(f, roots->sysfs, kmod);

        etc_fd = open_root(roots->etc ?: "/etc");
        r = etc_fd < 0 ? 0 : read_config(f, etc_fd);
        if (r >= 0)
                r = host_facts_read_modprobe(f, kmod);
        if (r < 0)
                return log_error_errno(r, "Failed to read configuration: %m");
        dev_fd = open_root(roots->dev ?: "/dev");
        r = dev_fd < 0 ? 0 : read_dev_vfio(f, dev_fd);
        if (r < 0)
                return r;
        f->dev_vfio_read = f->dev_vfio_read && dev_fd >= 0;
        r = host_facts_read_bootcfg(f, roots);
        if (r < 0)
                return r;
        return read_initramfs(f, roots);
}
