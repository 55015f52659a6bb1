/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>

#include "device.h"
#include "dir-list.h"
#include "holders.h"
#include "log.h"
#include "passthru-dbus.h"
#include "refusal.h"
#include "safety.h"
#include "strv.h"
#include "sysfs.h"

/* A sysfs device path that the host depends on, and why; every PCI ancestor inherits it. */
typedef struct HostUse {
        char *devpath; /* "/devices/pci0000:00/0000:00:17.0/ata1/.../sda" */
        const char *what;
        const char *error; /* ProtectedDevice for a host role, DeviceInUse for an open handle */
        bool forceable;    /* taking the disk under / away crashes the host: never */
} HostUse;

/* A process that has an IOMMU group's /dev/vfio/N open (the first one seen). */
typedef struct VfioHolder {
        int group;
        long pid;
        char comm[32]; /* /proc/PID/comm, "" when it could not be read */
} VfioHolder;

struct SafetyHost {
        int proc_fd;
        Sysfs *sysfs;
        HostUse *uses;
        size_t n_uses;
        VfioHolder *vfio_groups; /* IOMMU groups whose /dev/vfio/N is open, and by whom */
        size_t n_vfio_groups;
        bool console;     /* a text or framebuffer console is bound */
        Holders *holders; /* who holds which device, with the remedy (holders.c) */
};

typedef struct Reason {
        const char *error;
        bool forceable;
        char *text;
} Reason;

int safety_host_new(const char *proc_root, Sysfs *sysfs, SafetyHost **ret) {
        SafetyHost *h = calloc(1, sizeof(SafetyHost));

        assert(sysfs);
        assert(ret);
        if (!h)
                return -ENOMEM;
        h->sysfs = sysfs;
        if (holders_new(&h->holders) < 0) {
                free(h);
                return -ENOMEM;
        }
        h->proc_fd = open(proc_root ?: "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (h->proc_fd < 0) {
                int r = -errno;

                holders_free(h->holders);
                free(h);
                return log_error_errno(r, "Failed to open %s: %m", proc_root ?: "/proc");
        }
        *ret = h;
        return 0;
}

static void clear_uses(SafetyHost *h) {
        for (size_t i = 0; i < h->n_uses; i++)
                free(h->uses[i].devpath);
        free(h->uses);
        h->uses = NULL;
        h->n_uses = 0;
        free(h->vfio_groups);
        h->vfio_groups = NULL;
        h->n_vfio_groups = 0;
        h->console = false;
        holders_clear(h->holders);
}

SafetyHost *safety_host_free(SafetyHost *h) {
        if (!h)
                return NULL;
        clear_uses(h);
        holders_free(h->holders);
        close(h->proc_fd);
        free(h);
        return NULL;
}

static int add_use(SafetyHost *h, char *devpath, const char *what, const char *error, bool forceable) {
        HostUse *grown = realloc(h->uses, sizeof(HostUse) * (h->n_uses + 1));

        if (!grown) {
                free(devpath);
                return -ENOMEM;
        }
        h->uses = grown;
        h->uses[h->n_uses++] =
                (HostUse){ .devpath = devpath, .what = what, .error = error, .forceable = forceable };
        return 0;
}

typedef struct EntryCall {
        SafetyHost *host;
        int (*f)(SafetyHost *h, int dfd, const char *name, void *data);
        void *data;
} EntryCall;

static int call_entry(int dfd, const char *name, void *data) {
        const EntryCall *c = data;

        return c->f(c->host, dfd, name, c->data);
}

/* Calls f for each entry of dirfd/path but "." and ".."; a directory that is gone (a process
 * that ended meanwhile) or not ours to read has none. f fails only for want of memory. */
static int for_each_entry(SafetyHost *h, int at_fd, const char *path,
                          int (*f)(SafetyHost *h, int dfd, const char *name, void *data), void *data) {
        int r = dir_for_each_at(at_fd, path, call_entry, &(EntryCall){ .host = h, .f = f, .data = data });

        return r == -ENOMEM ? r : 0;
}

/* Calls f for each line of a file under /proc; a missing file has none. */
static int for_each_line(SafetyHost *h, const char *path, int (*f)(SafetyHost *h, const char *line)) {
        _cleanup_free_ char *line = NULL;
        _cleanup_fclose_ FILE *file = NULL;
        size_t size = 0;
        int fd, r = 0;

        fd = openat(h->proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        file = fdopen(fd, "r");
        if (!file) {
                close(fd);
                return -ENOMEM;
        }
        while (r >= 0 && getline(&line, &size, file) > 0)
                r = f(h, line);
        return r;
}

static int add_block_device(SafetyHost *h, const char *link, const char *what, unsigned depth);

typedef struct BlockUse {
        const char *what;
        unsigned depth;
} BlockUse;

static int add_slave(SafetyHost *h, int dfd, const char *name, void *data) {
        const BlockUse *u = data;
        _cleanup_free_ char *slave = NULL;

        if (asprintf(&slave, "class/block/%s", name) < 0)
                return -ENOMEM;
        return add_block_device(h, slave, u->what, u->depth + 1);
}

/* A block device and, for device-mapper and md, the devices beneath it. */
static int add_block_device(SafetyHost *h, const char *link, const char *what, unsigned depth) {
        _cleanup_free_ char *devpath = NULL, *slaves = NULL;
        BlockUse u = { .what = what, .depth = depth };
        int r;

        if (depth > 8 || sysfs_link_devpath(h->sysfs, link, &devpath) < 0)
                return 0;
        if (asprintf(&slaves, "%s/slaves", devpath + 1) < 0)
                return -ENOMEM;
        r = for_each_entry(h, sysfs_root_fd(h->sysfs), slaves, add_slave, &u);
        if (r < 0)
                return r;
        return add_use(h, TAKE_PTR(devpath), what, PASSTHRU_ERROR_PROTECTED_DEVICE, false);
}

static const char *mount_role(const char *mountpoint) {
        if (streq(mountpoint, "/"))
                return "the root filesystem";
        if (streq(mountpoint, "/usr"))
                return "/usr";
        if (streq(mountpoint, "/boot"))
                return "/boot";
        return NULL;
}

/* mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..." */
static int mount_line(SafetyHost *h, const char *line) {
        char devno[32], root[PATH_MAX], mountpoint[PATH_MAX], link[64];
        const char *role;

        if (sscanf(line, "%*s %*s %31s %4095s %4095s", devno, root, mountpoint) != 3)
                return 0;
        role = mount_role(mountpoint);
        if (!role)
                return 0;
        snprintf(link, sizeof(link), "dev/block/%s", devno);
        return add_block_device(h, link, role, 0);
}

/* /proc/swaps: "Filename Type Size Used Priority" */
static int swap_line(SafetyHost *h, const char *line) {
        char name[PATH_MAX], link[PATH_MAX + 16];
        struct stat st;

        if (sscanf(line, "%4095s", name) != 1 || name[0] != '/')
                return 0;
        if (strncmp(name, "/dev/", 5) == 0 && !strchr(name + 5, '/'))
                snprintf(link, sizeof(link), "class/block/%s", name + 5);
        else if (stat(name, &st) >= 0) /* a swap file: the filesystem holding it */
                snprintf(link, sizeof(link), "dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
        else
                return 0;
        return add_block_device(h, link, "swap", 0);
}

/* /proc/net/route: the interface of the line whose destination and mask are 0. */
static int route_line(SafetyHost *h, const char *line) {
        char iface[64], dest[16], mask[16], link[128];
        char *devpath = NULL;

        if (sscanf(line, "%63s %15s %*s %*s %*s %*s %*s %15s", iface, dest, mask) != 3 ||
            !streq(dest, "00000000") || !streq(mask, "00000000") || strchr(iface, '/'))
                return 0;
        snprintf(link, sizeof(link), "class/net/%s", iface);
        if (sysfs_link_devpath(h->sysfs, link, &devpath) < 0)
                return 0;
        return add_use(h, devpath, "the default route's network interface", PASSTHRU_ERROR_PROTECTED_DEVICE,
                       true);
}

static int add_vfio_group(SafetyHost *h, int group, const char *pid) {
        VfioHolder *grown, *holder;

        for (size_t i = 0; i < h->n_vfio_groups; i++)
                if (h->vfio_groups[i].group == group)
                        return 0;
        grown = realloc(h->vfio_groups, sizeof(VfioHolder) * (h->n_vfio_groups + 1));
        if (!grown)
                return -ENOMEM;
        h->vfio_groups = grown;
        holder = &h->vfio_groups[h->n_vfio_groups++];
        *holder = (VfioHolder){ .group = group, .pid = strtol(pid, NULL, 10) };
        /* The process's name, so that a refusal says which VM to stop. */
        holder_read_comm(h->proc_fd, pid, holder->comm, sizeof(holder->comm));
        return 0;
}

/* One open file of process pid (data): /dev/vfio/N names an IOMMU group; DRM, sound and
 * nvidia nodes name who holds a device (holders.c). */
static int add_handle(SafetyHost *h, int dfd, const char *name, void *data) {
        const char *pid = data;
        char target[PATH_MAX], *end;
        ssize_t n;
        long group;

        n = readlinkat(dfd, name, target, sizeof(target) - 1);
        if (n <= 0)
                return 0;
        target[n] = '\0';
        if (strncmp(target, "/dev/vfio/", 10) == 0) {
                group = strtol(target + 10, &end, 10);
                if (end != target + 10 && *end == '\0' && group >= 0 && group <= INT32_MAX)
                        return add_vfio_group(h, (int) group, pid);
                return 0;
        }
        return holders_add_open_node(h->holders, h->sysfs, h->proc_fd, pid, target);
}

static int add_process_handles(SafetyHost *h, int dfd, const char *pid, void *data) {
        char path[64];

        if (pid[0] < '1' || pid[0] > '9' || strspn(pid, "0123456789") != strlen(pid))
                return 0;
        snprintf(path, sizeof(path), "%s/fd", pid);
        return for_each_entry(h, dfd, path, add_handle, (void *) pid);
}

/* A bound vtconsole other than the dummy one means a console is drawn on the boot VGA. */
static void read_console(SafetyHost *h) {
        for (unsigned i = 0; i < 16 && !h->console; i++) {
                _cleanup_free_ char *name = NULL;
                unsigned long bound = 0;
                char dir[64];

                snprintf(dir, sizeof(dir), "/class/vtconsole/vtcon%u", i);
                if (sysfs_read_uint(h->sysfs, dir, "bind", &bound) < 0)
                        break;
                if (bound == 1 && sysfs_read_attr(h->sysfs, dir, "name", &name) >= 0 &&
                    !strstr(name, "dummy device"))
                        h->console = true;
        }
}

int safety_host_refresh(SafetyHost *h) {
        struct utsname u;
        int r;

        assert(h);
        clear_uses(h);
        r = for_each_line(h, "self/mountinfo", mount_line);
        if (r >= 0)
                r = for_each_line(h, "swaps", swap_line);
        if (r >= 0)
                r = for_each_line(h, "net/route", route_line);
        if (r >= 0)
                r = for_each_entry(h, h->proc_fd, ".", add_process_handles, NULL);
        if (r >= 0)
                r = holders_read_consoles(h->holders, h->sysfs, uname(&u) >= 0 ? u.release : NULL);
        if (r < 0)
                return log_warning_errno(r, "Failed to read what the host uses: %m");
        read_console(h);
        return 0;
}

/* Whether the device at ancestor is path itself or one of its parents. */
static bool is_ancestor(const char *ancestor, const char *path) {
        size_t n = strlen(ancestor);

        return strncmp(ancestor, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int add_reason(Reason **reasons, size_t *n, const char *error, bool forceable, const char *fmt, ...)
        _printf_(5, 6);

static int add_reason(Reason **reasons, size_t *n, const char *error, bool forceable, const char *fmt, ...) {
        Reason *grown = realloc(*reasons, sizeof(Reason) * (*n + 1));
        va_list ap;
        char *text;
        int r;

        if (!grown)
                return -ENOMEM;
        *reasons = grown;
        va_start(ap, fmt);
        r = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        grown[(*n)++] = (Reason){ .error = error, .forceable = forceable, .text = text };
        return 0;
}

static void reasons_free(Reason *reasons, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(reasons[i].text);
        free(reasons);
}

/* A console or DRM client holding the device: the holder and its remedy, in one sentence. */
static int holder_reasons(SafetyHost *h, const Device *d, Reason **reasons, size_t *n) {
        _cleanup_strv_free_ char **texts = NULL;
        int r;

        r = holders_unsafe(h->holders, d, &texts);
        for (char **t = texts; r >= 0 && t && *t; t++)
                r = add_reason(reasons, n, PASSTHRU_ERROR_DEVICE_IN_USE, true, "%s", *t);
        return r;
}

static const char *holder_name(const VfioHolder *v) {
        return v->comm[0] ? v->comm : "A VM or program";
}

static int host_reasons(SafetyHost *h, const Device *d, Reason **reasons, size_t *n) {
        int r = 0;

        for (size_t i = 0; i < h->n_uses && r >= 0; i++) {
                const HostUse *u = &h->uses[i];

                if (is_ancestor(d->devpath, u->devpath))
                        r = add_reason(reasons, n, u->error, u->forceable, "The host uses it: %s is on it.",
                                       u->what);
        }
        for (size_t i = 0; i < h->n_vfio_groups && r >= 0; i++)
                if (h->vfio_groups[i].group == d->iommu_group)
                        r = add_reason(reasons, n, PASSTHRU_ERROR_DEVICE_IN_USE, false,
                                       "%s (pid %ld) has its IOMMU group (/dev/vfio/%d) open.",
                                       holder_name(&h->vfio_groups[i]), h->vfio_groups[i].pid,
                                       d->iommu_group);
        if (r >= 0)
                r = holder_reasons(h, d, reasons, n);
        return r;
}

static int device_reasons(SafetyHost *h, const Device *d, Reason **ret, size_t *ret_n) {
        Reason *reasons = NULL;
        size_t n = 0;
        int r = 0;

        if (d->is_bridge)
                r = add_reason(&reasons, &n, PASSTHRU_ERROR_PROTECTED_DEVICE, false,
                               "It is a PCI bridge; bridges stay with the host.");
        if (r >= 0 && d->iommu_group < 0)
                r = add_reason(&reasons, &n, PASSTHRU_ERROR_NO_IOMMU, false,
                               "It has no IOMMU group: enable the IOMMU (VT-d or AMD-Vi) "
                               "in the firmware and on the kernel command line.");
        if (r >= 0 && d->sriov_numvfs > 0)
                r = add_reason(&reasons, &n, PASSTHRU_ERROR_PROTECTED_DEVICE, false,
                               "It is an SR-IOV physical function with virtual functions "
                               "enabled; assign the virtual functions instead.");
        /* Not knowing what the host does with it (no host view), assume the console is there. */
        if (r >= 0 && d->boot_vga && (!h || h->console || holders_has_drm_client(h->holders, d)))
                r = add_reason(&reasons, &n, PASSTHRU_ERROR_PROTECTED_DEVICE, true,
                               "It is the boot VGA device and the host %s on it; binding it ends that.",
                               !h || h->console ? "console runs" : "display is");
        if (r >= 0 && h)
                r = host_reasons(h, d, &reasons, &n);
        if (r < 0) {
                reasons_free(reasons, n);
                return r;
        }
        *ret = reasons;
        *ret_n = n;
        return 0;
}

int safety_device_blockers(SafetyHost *h, const Device *d, char ***ret) {
        _cleanup_strv_free_ char **texts = calloc(1, sizeof(char *));
        Reason *reasons;
        size_t n;
        int r;

        assert(d);
        assert(ret);
        if (!texts)
                return -ENOMEM;
        r = device_reasons(h, d, &reasons, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r >= 0; i++)
                r = strv_extend(&texts, reasons[i].text);
        reasons_free(reasons, n);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(texts);
        return 0;
}

/* in_use: whether reasons of use (an open handle, a VM) count. */
static int refuse(SafetyHost *h, const Device *d, bool force, bool in_use, Refusal *refusal) {
        const Reason *pick = NULL;
        Reason *reasons;
        size_t n;
        int r;

        r = device_reasons(h, d, &reasons, &n);
        if (r < 0)
                return r;
        /* A reason force cannot override wins over one it can. */
        for (size_t i = 0; i < n; i++)
                if (!reasons[i].forceable && !pick &&
                    (in_use || !streq(reasons[i].error, PASSTHRU_ERROR_DEVICE_IN_USE)))
                        pick = &reasons[i];
        for (size_t i = 0; i < n && !force; i++)
                if (!pick && (in_use || !streq(reasons[i].error, PASSTHRU_ERROR_DEVICE_IN_USE)))
                        pick = &reasons[i];
        if (pick)
                r = refusal_set(refusal, pick->error, "%s cannot leave the host. %s%s", d->address_str,
                                pick->text,
                                pick->forceable ? " Pass the force option to do it anyway." : "");
        reasons_free(reasons, n);
        return r;
}

int safety_refuse_bind(SafetyHost *h, const Device *d, bool force, Refusal *refusal) {
        assert(d);
        return refuse(h, d, force, true, refusal);
}

int safety_refuse_keep(SafetyHost *h, const Device *d, bool force, Refusal *refusal) {
        return refuse(h, d, force, !streq_ptr(d->driver, "vfio-pci"), refusal);
}

const Holders *safety_host_holders(const SafetyHost *h) {
        return h ? h->holders : NULL;
}

int safety_refuse_unbind(SafetyHost *h, const Device *d, Refusal *refusal) {
        assert(d);
        for (size_t i = 0; h && i < h->n_vfio_groups; i++)
                if (h->vfio_groups[i].group == d->iommu_group)
                        return refusal_set(
                                refusal, PASSTHRU_ERROR_DEVICE_IN_USE,
                                "%s is in use: %s (pid %ld) has /dev/vfio/%d open. Stop it first.",
                                d->address_str, holder_name(&h->vfio_groups[i]), h->vfio_groups[i].pid,
                                d->iommu_group);
        return 0;
}
