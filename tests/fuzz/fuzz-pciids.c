/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pci.ids reader: any text indexes without reading past its end, and every look-up of
 * an ID the text names answers with a name of at most 255 bytes, one line's worth. */
#include <string.h>

#include "fuzz.h"
#include "pciids-index.h"

static int hex4(const uint8_t *p, const uint8_t *end) {
        int id = 0;

        if (end - p < 4)
                return -1;
        for (int i = 0; i < 4; i++) {
                int c = p[i], d = c >= '0' && c <= '9'                     ? c - '0'
                                  : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                                           : -1;

                if (d < 0)
                        return -1;
                id = id << 4 | d;
        }
        return id;
}

static void check(const char *name, const char *buf) {
        size_t len;

        if (!name)
                return;
        if (name != buf)
                abort();
        len = strlen(name);
        if (len >= PCIIDS_NAME_SIZE || memchr(name, '\n', len))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *p = data, *end = data + size;
        _cleanup_(pciids_index_freep) PciIdsIndex *x = NULL;
        char buf[PCIIDS_NAME_SIZE];
        size_t first, lines = 1;
        int vendor = 0, device = 0;

        fuzz_quiet();
        if (pciids_index_new((const char *) data, size, &x) < 0)
                return 0;
        for (const uint8_t *q = data; (q = memchr(q, '\n', end - q)); q++)
                lines++;
        if (pciids_index_malformed(x, &first) > 0 && (first < 1 || first > lines))
                abort();
        /* The IDs at the start of each line, after its tabs: as vendor, device or subsystem. */
        for (unsigned n = 0; p < end && n < 256; n++) {
                const uint8_t *nl = memchr(p, '\n', end - p), *q = p;
                unsigned tabs = 0;
                int id;

                while (q < end && *q == '\t')
                        q++, tabs++;
                id = hex4(q, end);
                if (id >= 0 && tabs == 0) {
                        vendor = id;
                        check(pciids_index_vendor(x, vendor, buf), buf);
                } else if (id >= 0 && tabs == 1) {
                        device = id;
                        check(pciids_index_device(x, vendor, device, buf), buf);
                        check(pciids_index_subsystem(x, vendor, device, vendor, device, buf), buf);
                } else if (id >= 0 && tabs == 2) {
                        int sd = hex4(q + 5, end);

                        check(pciids_index_subsystem(x, vendor, device, id, sd < 0 ? 0 : sd, buf), buf);
                }
                if (!nl)
                        break;
                p = nl + 1;
        }
        /* every base class, each with a different subclass */
        for (unsigned c = 0; c < 0x10000; c += 0x101)
                check(pciids_index_class(x, c, buf), buf);
        return 0;
}
