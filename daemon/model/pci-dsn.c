/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <endian.h>
#include <stdio.h>

#include "macros.h"
#include "pci-dsn.h"

#define PCI_EXT_CAP_START 0x100
#define PCI_EXT_CAP_END 0x1000
#define PCI_EXT_CAP_ID_DSN 0x0003

int pci_dsn_find(PciConfigRead32 read32, void *userdata, char **ret) {
        unsigned offset = PCI_EXT_CAP_START;
        uint32_t lo, hi;
        char *s;

        assert(ret);
        /* Each capability takes at least one dword, so this bounds a list that loops. */
        for (unsigned n = 0; n < (PCI_EXT_CAP_END - PCI_EXT_CAP_START) / 4; n++) {
                uint32_t header;

                if (read32(userdata, offset, &header) < 0)
                        return -ENOENT;
                /* 0: no extended capabilities; all ones: the device is gone or not PCIe. */
                if (header == 0 || header == UINT32_MAX)
                        return -ENOENT;
                if ((header & 0xffff) == PCI_EXT_CAP_ID_DSN)
                        goto found;
                offset = header >> 20;
                if (offset < PCI_EXT_CAP_START || offset % 4 != 0)
                        return -ENOENT;
        }
        return -ENOENT;

found:
        if (read32(userdata, offset + 4, &lo) < 0 || read32(userdata, offset + 8, &hi) < 0)
                return -ENOENT;
        s = malloc(PCI_DSN_STRING_MAX);
        if (!s)
                return -ENOMEM;
        snprintf(s, PCI_DSN_STRING_MAX, "%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x", hi >> 24,
                 (hi >> 16) & 0xff, (hi >> 8) & 0xff, hi & 0xff, lo >> 24, (lo >> 16) & 0xff,
                 (lo >> 8) & 0xff, lo & 0xff);
        *ret = s;
        return 0;
}

typedef struct Buffer {
        const uint8_t *data;
        size_t size;
} Buffer;

static int buffer_read32(void *userdata, unsigned offset, uint32_t *ret) {
        const Buffer *b = userdata;
        uint32_t v;

        if (offset > b->size || b->size - offset < 4)
                return -ENXIO;
        memcpy(&v, b->data + offset, 4);
        *ret = le32toh(v);
        return 0;
}

int pci_dsn_from_buffer(const uint8_t *config, size_t size, char **ret) {
        Buffer b = { config, size };

        assert(config);
        assert(ret);
        return pci_dsn_find(buffer_read32, &b, ret);
}

static int fd_read32(void *userdata, unsigned offset, uint32_t *ret) {
        int fd = *(int *) userdata;
        uint32_t v;
        ssize_t n;

        /* sysfs ends the file early for a non-root reader or a conventional PCI function. */
        n = pread(fd, &v, sizeof(v), offset);
        if (n < 0)
                return -errno;
        if (n != sizeof(v))
                return -ENXIO;
        *ret = le32toh(v);
        return 0;
}

int pci_dsn_from_fd(int config_fd, char **ret) {
        assert(ret);
        return pci_dsn_find(fd_read32, &config_fd, ret);
}
