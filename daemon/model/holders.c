/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>

#include "device.h"
#include "dir-list.h"
#include "fileio.h"
#include "holders.h"
#include "strv.h"
#include "sysfs.h"

/* /proc/PID/cgroup: a line per hierarchy, each a cgroup path (PATH_MAX at most). */
#define PROC_CGROUP_MAX (64 * 1024)

typedef enum HolderKind {
        HOLDER_CONSOLE,     /* fbcon on a framebuffer of the device: unsafe */
        HOLDER_FIRMWARE_FB, /* efifb, vesafb, simpledrm: on the boot VGA device */
        HOLDER_DRM,         /* a process with a DRM node open: unsafe */
        HOLDER_SOUND,
        HOLDER_NVIDIA,
} HolderKind;

typedef struct Holder {
        HolderKind kind;
        char *devpath; /* the node's device, below the PCI function; NULL: by address or boot VGA */
        char *address; /* nvidia: the GPU's address, from /proc/driver/nvidia/gpus */
        int pid;       /* 0: no process */
        char *what, *remedy;
} Holder;

struct Holders {
        Holder *items;
        size_t n;
};

/* Unit names in a remedy are pasted into a shell command: only systemd's own characters. */
#define UNIT_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.@-\\"
#define USER_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

int holders_new(Holders **ret) {
        Holders *h = calloc(1, sizeof(Holders));

        assert(ret);
        if (!h)
                return -ENOMEM;
        *ret = h;
        return 0;
}

void holders_clear(Holders *h) {
        for (size_t i = 0; i < h->n; i++) {
                free(h->items[i].devpath);
                free(h->items[i].address);
                free(h->items[i].what);
                free(h->items[i].remedy);
        }
        free(h->items);
        h->items = NULL;
        h->n = 0;
}

Holders *holders_free(Holders *h) {
        if (!h)
                return NULL;
        holders_clear(h);
        free(h);
        return NULL;
}

/* Takes devpath, address, what and remedy (any may be NULL but what and remedy). */
static int add(Holders *h, HolderKind kind, char *devpath, char *address, int pid, char *what,
               char *remedy) {
        Holder *grown = what && remedy ? realloc(h->items, sizeof(Holder) * (h->n + 1)) : NULL;

        if (!grown) {
                free(devpath);
                free(address);
                free(what);
                free(remedy);
                return -ENOMEM;
        }
        h->items = grown;
        h->items[h->n++] = (Holder){ .kind = kind,
                                     .devpath = devpath,
                                     .address = address,
                                     .pid = pid,
                                     .what = what,
                                     .remedy = remedy };
        return 0;
}

static bool known(const Holders *h, HolderKind kind, const char *devpath, const char *address, int pid) {
        for (size_t i = 0; i < h->n; i++)
                if (h->items[i].kind == kind && h->items[i].pid == pid &&
                    streq_ptr(h->items[i].devpath, devpath) && streq_ptr(h->items[i].address, address))
                        return true;
        return false;
}

/* ---- naming a process (pure) ---- */

/* The cgroup path of the unified hierarchy ("0::/system.slice/gdm.service"), else systemd's
 * own v1 hierarchy; copied into buf. */
static bool cgroup_path(const char *cgroup, char *buf, size_t size) {
        const char *keys[] = { "0::", "name=systemd:" };

        for (size_t k = 0; k < ELEMENTSOF(keys); k++)
                for (const char *line = cgroup; line && *line;
                     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                        const char *at = strstr(line, keys[k]);
                        const char *end = strchrnul(line, '\n');

                        if (!at || at > end || (k == 0 && at != line))
                                continue;
                        at += strlen(keys[k]);
                        snprintf(buf, size, "%.*s", (int) (end - at), at);
                        return true;
                }
        return false;
}

static bool ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && streq(s + n - m, suffix);
}

/* The unit a process runs in: the last component of its cgroup that names a service or a
 * scope ("gdm.service", "session-3.scope"); user is set when it is in user@UID.service. */
static const char *unit_of(char *path, bool *ret_user_manager) {
        char *unit = NULL, *state = NULL;

        *ret_user_manager = false;
        for (char *c = strtok_r(path, "/", &state); c; c = strtok_r(NULL, "/", &state)) {
                if (strncmp(c, "user@", 5) == 0 && ends_with(c, ".service")) {
                        *ret_user_manager = true;
                        unit = NULL;
                        continue;
                }
                if (ends_with(c, ".service") || ends_with(c, ".scope"))
                        unit = c;
        }
        return unit;
}

int holder_describe_process(const char *cgroup, const char *program, const char *user, int pid,
                            char **ret_who, char **ret_remedy) {
        char path[PATH_MAX] = "";
        _cleanup_free_ char *who = NULL, *remedy = NULL;
        const char *unit = NULL;
        bool user_manager = false, user_ok;
        unsigned session;
        int r;

        assert(ret_who);
        assert(ret_remedy);
        if (cgroup && cgroup_path(cgroup, path, sizeof(path)))
                unit = unit_of(path, &user_manager);
        if (unit && unit[strspn(unit, UNIT_CHARS)] != '\0')
                unit = NULL;
        user_ok = user && *user && user[strspn(user, USER_CHARS)] == '\0';

        if (unit && user_manager && ends_with(unit, ".service") && user_ok) {
                r = asprintf(&who, "%.*s of user %s (pid %d)", (int) (strlen(unit) - strlen(".service")),
                             unit, user, pid);
                if (r >= 0)
                        r = asprintf(&remedy, "systemctl --user -M %s@ stop %s", user, unit);
        } else if (unit && !user_manager && ends_with(unit, ".service")) {
                r = asprintf(&who, "%s (pid %d, %s)", unit, pid, program);
                if (r >= 0)
                        r = asprintf(&remedy, "systemctl stop %s", unit);
        } else {
                if (unit && sscanf(unit, "session-%u.scope", &session) == 1 && user_ok)
                        r = asprintf(&who, "%s in session %u of user %s (pid %d)", program, session, user,
                                     pid);
                else if (user_ok && !streq(user, "root"))
                        r = asprintf(&who, "%s of user %s (pid %d)", program, user, pid);
                else
                        r = asprintf(&who, "%s (pid %d)", program, pid);
                /* No unit to stop: the process itself is what a person can end. */
                if (r >= 0)
                        r = asprintf(&remedy, "kill %d", pid);
        }
        if (r < 0)
                return -ENOMEM;
        *ret_who = TAKE_PTR(who);
        *ret_remedy = TAKE_PTR(remedy);
        return 0;
}

bool holder_kernel_evicts_firmware_fb(const char *release) {
        unsigned major = 0;

        return release && sscanf(release, "%u", &major) == 1 && major >= 6;
}

/* ---- reading a process ---- */

/* A small /proc file into buf, NUL-terminated; "" when it cannot be read or does not fit. */
static void read_small_at(int dirfd, const char *path, char *buf, size_t size) {
        if (read_file_into_at(dirfd, path, 0, buf, size, NULL) < 0)
                buf[0] = '\0';
}

void holder_read_comm(int proc_fd, const char *pid, char *buf, size_t size) {
        char path[64];

        assert(pid);
        assert(buf);
        assert(size > 0);
        snprintf(path, sizeof(path), "%s/comm", pid);
        read_small_at(proc_fd, path, buf, size);
        buf[strcspn(buf, "\n")] = '\0';
}

static int describe_pid(int proc_fd, const char *pid, char **ret_who, char **ret_remedy) {
        char path[64], program[PATH_MAX] = "", user_buf[1024];
        _cleanup_free_ char *cgroup = NULL;
        struct passwd pw, *found = NULL;
        struct stat st;
        ssize_t n;

        /* One line per v1 hierarchy: whole, however long its paths (NULL: unreadable). */
        snprintf(path, sizeof(path), "%s/cgroup", pid);
        (void) read_file_at(proc_fd, path, PROC_CGROUP_MAX, 0, &cgroup, NULL, NULL);
        snprintf(path, sizeof(path), "%s/exe", pid);
        n = readlinkat(proc_fd, path, program, sizeof(program) - 1);
        if (n > 0)
                program[n] = '\0';
        else
                holder_read_comm(proc_fd, pid, program, 64);
        if (!*program)
                strcpy(program, "a process");
        /* The owner of /proc/PID is the process's user; the name from NSS, as ps(1) does. */
        if (fstatat(proc_fd, pid, &st, 0) >= 0)
                (void) getpwuid_r(st.st_uid, &pw, user_buf, sizeof(user_buf), &found);
        return holder_describe_process(cgroup, program, found ? found->pw_name : NULL, atoi(pid), ret_who,
                                       ret_remedy);
}

/* /dev/nvidiaN has no sysfs device: /proc/driver/nvidia/gpus/ADDRESS/information says
 * "Device Minor: N". */
static int nvidia_address(int proc_fd, unsigned minor, char **ret) {
        _cleanup_strv_free_ char **gpus = NULL;
        int r;

        r = dir_list_at(proc_fd, "driver/nvidia/gpus", NULL, NULL, &gpus);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (char **g = gpus; *g; g++) {
                char path[PATH_MAX], info[4096];
                const char *at;
                unsigned m;

                snprintf(path, sizeof(path), "driver/nvidia/gpus/%s/information", *g);
                read_small_at(proc_fd, path, info, sizeof(info));
                at = strstr(info, "Device Minor:");
                if (at && sscanf(at, "Device Minor: %u", &m) == 1 && m == minor) {
                        *ret = strdup(*g);
                        return *ret ? 1 : -ENOMEM;
                }
        }
        return 0;
}

static const char *node_kind_name(HolderKind kind) {
        switch (kind) {
        case HOLDER_DRM:
                return "the DRM node";
        case HOLDER_SOUND:
                return "the sound node";
        default:
                return "the node";
        }
}

int holders_add_open_node(Holders *h, Sysfs *sysfs, int proc_fd, const char *pid, const char *node) {
        _cleanup_free_ char *devpath = NULL, *address = NULL, *link = NULL, *who = NULL, *remedy = NULL;
        char *what = NULL;
        HolderKind kind;
        unsigned minor;
        int r;

        assert(h);
        assert(sysfs);
        assert(pid);
        assert(node);
        if (strncmp(node, "/dev/dri/", 9) == 0 && !strchr(node + 9, '/')) {
                kind = HOLDER_DRM;
                r = asprintf(&link, "class/drm/%s", node + 9);
        } else if (strncmp(node, "/dev/snd/", 9) == 0 && !strchr(node + 9, '/')) {
                kind = HOLDER_SOUND;
                r = asprintf(&link, "class/sound/%s", node + 9);
        } else if (sscanf(node, "/dev/nvidia%u", &minor) == 1 &&
                   node[11 + strspn(node + 11, "0123456789")] == '\0') {
                kind = HOLDER_NVIDIA;
                r = nvidia_address(proc_fd, minor, &address);
                if (r <= 0)
                        return r;
        } else
                return 0;
        if (r < 0)
                return -ENOMEM;
        if (link && sysfs_link_devpath(sysfs, link, &devpath) < 0)
                return 0;
        if (known(h, kind, devpath, address, atoi(pid)))
                return 0;
        r = describe_pid(proc_fd, pid, &who, &remedy);
        if (r < 0)
                return r;
        if (asprintf(&what, "%s has %s %s open", who, node_kind_name(kind), node) < 0)
                return -ENOMEM;
        return add(h, kind, TAKE_PTR(devpath), TAKE_PTR(address), atoi(pid), what, TAKE_PTR(remedy));
}

/* ---- consoles and framebuffers ---- */

/* The first bound vtconsole drawn by fbcon ("(M) frame buffer device"); -1 when none. */
static int fbcon_vtconsole(Sysfs *sysfs) {
        for (unsigned i = 0; i < 16; i++) {
                _cleanup_free_ char *name = NULL;
                unsigned long bound = 0;
                char dir[64];

                snprintf(dir, sizeof(dir), "/class/vtconsole/vtcon%u", i);
                if (sysfs_read_uint(sysfs, dir, "bind", &bound) < 0)
                        break;
                if (bound == 1 && sysfs_read_attr(sysfs, dir, "name", &name) >= 0 &&
                    strstr(name, "frame buffer device"))
                        return (int) i;
        }
        return -1;
}

/* fbcon draws on the framebuffers there are: each fbN below a PCI function (a firmware
 * framebuffer's is below /devices/platform). */
static int add_fb_consoles(Holders *h, Sysfs *sysfs, int vtcon) {
        _cleanup_strv_free_ char **fbs = NULL;
        int r;

        r = dir_list_at(sysfs_root_fd(sysfs), "class/graphics", "fb", NULL, &fbs);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (char **fb = fbs; *fb; fb++) {
                _cleanup_free_ char *link = NULL, *devpath = NULL;
                char *what = NULL, *remedy = NULL;

                if (asprintf(&link, "class/graphics/%s", *fb) < 0)
                        return -ENOMEM;
                if (sysfs_link_devpath(sysfs, link, &devpath) < 0 || !strstr(devpath, "/pci"))
                        continue;
                if (asprintf(&what, "the text console (fbcon, vtcon%d) is drawn on its framebuffer %s",
                             vtcon, *fb) < 0 ||
                    asprintf(&remedy, "echo 0 > /sys/class/vtconsole/vtcon%d/bind", vtcon) < 0) {
                        free(what);
                        return -ENOMEM;
                }
                r = add(h, HOLDER_CONSOLE, TAKE_PTR(devpath), NULL, 0, what, remedy);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The framebuffer the firmware set up is on the boot VGA device. Its address range (in
 * /proc/iomem, root only) would say so exactly; the boot VGA device is where it is. */
static int add_firmware_fb(Holders *h, Sysfs *sysfs, const char *release) {
        static const char *const devices[] = { "efi-framebuffer.0", "vesa-framebuffer.0",
                                               "simple-framebuffer.0" };
        char *what = NULL, *remedy = NULL;

        for (size_t i = 0; i < ELEMENTSOF(devices); i++) {
                _cleanup_free_ char *driver = NULL;
                char dir[64];

                snprintf(dir, sizeof(dir), "/bus/platform/devices/%s", devices[i]);
                if (sysfs_read_link_name(sysfs, dir, "driver", &driver) < 0)
                        continue;
                if (asprintf(&what, "the firmware framebuffer (%s, driver %s)", devices[i], driver) < 0)
                        return -ENOMEM;
                /* The arguments would cost the host its early console (a disk-unlock prompt):
                 * never advised where the kernel does without. */
                remedy = strdup(
                        holder_kernel_evicts_firmware_fb(release)
                                ? "nothing to do: vfio-pci evicts it itself when it takes this VGA "
                                  "device (Linux 6.0 and later)"
                                : "add video=efifb:off (efifb, vesafb) or initcall_blacklist=sysfb_init "
                                  "(simpledrm) to the kernel command line and reboot");
                return add(h, HOLDER_FIRMWARE_FB, NULL, NULL, 0, what, remedy);
        }
        return 0;
}

int holders_read_consoles(Holders *h, Sysfs *sysfs, const char *release) {
        int vtcon = fbcon_vtconsole(sysfs), r = 0;

        assert(h);
        assert(sysfs);
        if (vtcon >= 0)
                r = add_fb_consoles(h, sysfs, vtcon);
        if (r >= 0)
                r = add_firmware_fb(h, sysfs, release);
        return r;
}

/* ---- per device ---- */

static bool holds(const Holder *x, const Device *d) {
        size_t n;

        if (x->address)
                return streq(x->address, d->address_str);
        if (!x->devpath)
                return d->boot_vga;
        n = strlen(d->devpath);
        return strncmp(d->devpath, x->devpath, n) == 0 && (x->devpath[n] == '\0' || x->devpath[n] == '/');
}

static bool unsafe(const Holder *x) {
        return x->kind == HOLDER_CONSOLE || x->kind == HOLDER_DRM;
}

int holders_of_device(const Holders *h, const Device *d, char ***ret_pairs) {
        _cleanup_strv_free_ char **pairs = calloc(1, sizeof(char *));
        int r = pairs ? 0 : -ENOMEM;

        assert(d);
        assert(ret_pairs);
        for (size_t i = 0; h && i < h->n && r >= 0; i++)
                if (holds(&h->items[i], d)) {
                        r = strv_extend(&pairs, h->items[i].what);
                        if (r >= 0)
                                r = strv_extend(&pairs, h->items[i].remedy);
                }
        if (r < 0)
                return r;
        *ret_pairs = TAKE_PTR(pairs);
        return 0;
}

int holders_unsafe(const Holders *h, const Device *d, char ***ret) {
        _cleanup_strv_free_ char **texts = calloc(1, sizeof(char *));
        int r = texts ? 0 : -ENOMEM;

        assert(d);
        assert(ret);
        for (size_t i = 0; h && i < h->n && r >= 0; i++)
                if (unsafe(&h->items[i]) && holds(&h->items[i], d))
                        r = strv_extendf(&texts, "%s; to end it: %s.", h->items[i].what, h->items[i].remedy);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(texts);
        return 0;
}

bool holders_has_drm_client(const Holders *h, const Device *d) {
        assert(d);
        for (size_t i = 0; h && i < h->n; i++)
                if (h->items[i].kind == HOLDER_DRM && holds(&h->items[i], d))
                        return true;
        return false;
}
