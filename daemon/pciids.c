/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "config.h"
#include "log.h"
#include "pciids-index.h"
#include "pciids.h"
#include "utf8.h"

typedef enum NameKind {
        NAME_VENDOR,
        NAME_DEVICE,
        NAME_SUBSYSTEM,
        NAME_CLASS,
        _NAME_KIND_MAX,
} NameKind;

/* The last answer of each kind: functions are looked up in address order, and the VFs of a
 * card (hundreds) follow each other with the same IDs. */
typedef struct LastName {
        bool valid;
        uint64_t key;
        char *name; /* NULL: unknown ID */
} LastName;

struct PciIds {
        char *path;         /* NULL: PCI_IDS_PATH */
        bool tried;         /* read (or failed to) since the last release */
        bool warned;        /* a problem with the file was logged: once a lifetime */
        char *text;         /* the whole file, decompressed */
        PciIdsIndex *index; /* NULL: no names */
        LastName last[_NAME_KIND_MAX];
};

static void forget_last_names(PciIds *p) {
        for (NameKind k = 0; k < _NAME_KIND_MAX; k++) {
                free(p->last[k].name);
                p->last[k] = (LastName){};
        }
}

int pciids_new(const char *ids_file, PciIds **ret) {
        _cleanup_free_ PciIds *p = calloc(1, sizeof(PciIds));

        if (!p)
                return -ENOMEM;
        if (ids_file) {
                p->path = strdup(ids_file);
                if (!p->path)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

void pciids_release(PciIds *p) {
        forget_last_names(p);
        p->index = pciids_index_free(p->index);
        p->text = mfree(p->text);
        p->tried = false;
}

PciIds *pciids_free(PciIds *p) {
        if (!p)
                return NULL;
        pciids_release(p);
        free(p->path);
        free(p);
        return NULL;
}

/* The whole of a gzip file (zlib reads a plain one as it is, too). gzdopen() takes fd. */
static int read_gzip(int fd, char **ret, size_t *ret_size) {
        gzFile f = gzdopen(fd, "rb");
        _cleanup_free_ char *text = NULL;
        size_t size = 0, allocated = 0;
        int n;

        if (!f) {
                close(fd);
                return -ENOMEM;
        }
        do {
                if (allocated - size < 65536) {
                        char *grown = realloc(text, allocated = allocated * 2 + 65536);

                        if (!grown) {
                                gzclose(f);
                                return -ENOMEM;
                        }
                        text = grown;
                }
                n = gzread(f, text + size, allocated - size);
                if (n > 0)
                        size += n;
        } while (n > 0);
        if (gzclose(f) != Z_OK || n < 0)
                return -EIO;
        *ret = TAKE_PTR(text);
        *ret_size = size;
        return 0;
}

static int read_plain(int fd, size_t size, char **ret, size_t *ret_size) {
        _cleanup_free_ char *text = malloc(size ?: 1);
        size_t done = 0;

        if (!text)
                return -ENOMEM;
        while (done < size) {
                ssize_t n = read(fd, text + done, size - done);

                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                done += n;
        }
        *ret = TAKE_PTR(text);
        *ret_size = done;
        return 0;
}

/* libpci's rule: a file named .gz that is not there may be there uncompressed. */
static int open_ids(const char *path) {
        size_t len = strlen(path);
        _cleanup_free_ char *plain = NULL;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0 || len < 3 || !streq(path + len - 3, ".gz"))
                return fd < 0 ? -errno : fd;
        plain = strndup(path, len - 3);
        if (!plain)
                return -ENOMEM;
        fd = open(plain, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? -errno : fd;
}

static int read_ids(const char *path, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        unsigned char magic[2];
        struct stat st;

        fd = open_ids(path);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (pread(fd, magic, sizeof(magic), 0) == sizeof(magic) && magic[0] == 0x1f && magic[1] == 0x8b)
                return read_gzip(TAKE_FD(fd), ret, ret_size);
        return read_plain(fd, st.st_size, ret, ret_size);
}

/* Read and indexed once, on the first look-up after start or after a release. A file that
 * cannot be read means no names, as a malformed line means no entry: never an exit. */
static const PciIdsIndex *get_index(PciIds *p) {
        const char *path = p->path ?: PCI_IDS_PATH;
        size_t size = 0, first_line, n;
        int r;

        if (p->tried)
                return p->index;
        p->tried = true;
        r = read_ids(path, &p->text, &size);
        if (r >= 0)
                r = pciids_index_new(p->text, size, &p->index);
        if (r < 0) {
                p->text = mfree(p->text);
                if (!p->warned)
                        log_warning_errno(r, "Failed to read %s, devices have no names: %m", path);
                p->warned = true;
                return NULL;
        }
        n = pciids_index_malformed(p->index, &first_line);
        if (n > 0 && !p->warned)
                log_warning("%s:%zu: malformed line, ignoring it (%zu such lines in all, each ignored).",
                            path, first_line, n);
        p->warned = p->warned || n > 0;
        return p->index;
}

/* pci.ids is not checked for encoding (a Latin-1 name is a byte D-Bus refuses): invalid
 * bytes are escaped. */
static char *dup_name(const char *name) {
        char *copy;

        if (!name)
                return NULL;
        return utf8_escape_invalid(name, &copy) < 0 ? NULL : copy;
}

/* A copy of the remembered name; NULL when the ID is unknown (or out of memory: a missing
 * name is not worth failing a device for). */
static char *copy_of(const LastName *l) {
        return l->name ? strdup(l->name) : NULL;
}

/* The last answer of kind, when it was for key. */
static const LastName *last_for(const PciIds *p, NameKind kind, uint64_t key) {
        const LastName *l = &p->last[kind];

        return l->valid && l->key == key ? l : NULL;
}

/* Keeps the answer for key (escaped) and returns a copy of it. */
static char *remember(PciIds *p, NameKind kind, uint64_t key, const char *looked_up) {
        LastName *l = &p->last[kind];

        free(l->name);
        *l = (LastName){ .key = key, .name = dup_name(looked_up) };
        l->valid = !looked_up || l->name;
        return copy_of(l);
}

char *pciids_vendor_name(PciIds *p, uint16_t vendor) {
        const PciIdsIndex *x;
        const LastName *l;
        char buf[PCIIDS_NAME_SIZE];

        l = last_for(p, NAME_VENDOR, vendor);
        if (l)
                return copy_of(l);
        x = get_index(p);
        return remember(p, NAME_VENDOR, vendor, x ? pciids_index_vendor(x, vendor, buf) : NULL);
}

char *pciids_device_name(PciIds *p, uint16_t vendor, uint16_t device) {
        const PciIdsIndex *x;
        const LastName *l;
        uint64_t key = (uint64_t) vendor << 16 | device;
        char buf[PCIIDS_NAME_SIZE];

        l = last_for(p, NAME_DEVICE, key);
        if (l)
                return copy_of(l);
        x = get_index(p);
        return remember(p, NAME_DEVICE, key, x ? pciids_index_device(x, vendor, device, buf) : NULL);
}

char *pciids_subsystem_name(PciIds *p, uint16_t vendor, uint16_t device, uint16_t subvendor,
                            uint16_t subdevice) {
        const PciIdsIndex *x;
        const LastName *l;
        uint64_t key =
                (uint64_t) vendor << 48 | (uint64_t) device << 32 | (uint64_t) subvendor << 16 | subdevice;
        char buf[PCIIDS_NAME_SIZE];

        l = last_for(p, NAME_SUBSYSTEM, key);
        if (l)
                return copy_of(l);
        x = get_index(p);
        return remember(p, NAME_SUBSYSTEM, key,
                        x ? pciids_index_subsystem(x, vendor, device, subvendor, subdevice, buf) : NULL);
}

char *pciids_class_name(PciIds *p, uint32_t class_code) {
        const PciIdsIndex *x;
        const LastName *l;
        uint64_t key = class_code >> 8;
        char buf[PCIIDS_NAME_SIZE];

        l = last_for(p, NAME_CLASS, key);
        if (l)
                return copy_of(l);
        x = get_index(p);
        /* Base class and subclass, as lspci shows it ("VGA compatible controller"). */
        return remember(p, NAME_CLASS, key, x ? pciids_index_class(x, class_code >> 8, buf) : NULL);
}
