/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pciids-index.h"

/* libpci reads a line with fgets() into 1,024 bytes: one that does not end within 1,023 is
 * "too long". */
#define LINE_MAX_CONTENT 1023

/* For the few helpers every line goes through: inlined, their widths become constants. */
#define _hot_ inline __attribute__((always_inline))

/* A top-level block: its name on the header line and its nested lines [body, end). */
typedef struct Block {
        uint32_t id;
        uint32_t name, name_len; /* name_len 0: no such block */
        uint32_t body, end;
} Block;

/* A device line of a vendor block: its subsystems are the nest-2 lines below it. */
typedef struct DeviceLine {
        uint32_t key; /* vendor << 16 | device */
        uint32_t line;
} DeviceLine;

typedef struct List {
        void *items;
        size_t n;
        bool unsorted;
} List;

struct PciIdsIndex {
        const char *data;
        size_t size;
        bool plain;   /* no '\r' and no NUL anywhere: lines end at '\n' alone */
        List vendors; /* Block, by ID */
        List devices; /* DeviceLine, by key, the first of each */
        List generic; /* Block of the S blocks, in file order */
        Block classes[256];
        uint64_t vendor_seen[65536 / 64];
        size_t n_malformed;
        size_t first_malformed; /* offset of the first malformed line */
};

/* One line as libpci sees it after fgets(): content up to '\r' or '\n', one trailing blank
 * cut; nest is the count of leading tabs. */
typedef struct Line {
        const char *start, *end; /* the content after the tabs */
        const char *next;
        unsigned nest;
        bool empty; /* blank or a comment */
        bool bad;   /* too long, or a NUL in it; nest is then 0 or 1 (nested) */
} Line;

typedef enum Context {
        CONTEXT_NONE,    /* before the first block: nested lines are malformed */
        CONTEXT_VENDOR,  /* a vendor, no device yet */
        CONTEXT_DEVICE,  /* a vendor after one of its devices */
        CONTEXT_GENERIC, /* an S block */
        CONTEXT_CLASS,
        CONTEXT_SKIP, /* an unknown (RFU) block, or one whose header was refused */
} Context;

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

/* One more than the value of a hex digit, either case; 0 for any other byte. A table: every
 * line of the file goes through here. */
static const uint8_t hex_value[256] = {
        ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
        ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
        ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* width (2 or 4) hex digits at p (the caller knows they are there); the number, or -1. */
static _hot_ int read_hex(const char *p, unsigned width) {
        const unsigned char *u = (const unsigned char *) p;
        int a = hex_value[u[0]], b = hex_value[u[1]], c, d;

        if (width == 2)
                return a && b ? (a - 1) << 4 | (b - 1) : -1;
        c = hex_value[u[2]];
        d = hex_value[u[3]];
        return a && b && c && d ? (a - 1) << 12 | (b - 1) << 8 | (c - 1) << 4 | (d - 1) : -1;
}

/* width hex digits at p, then a blank, before end; the ID, or -1. */
static _hot_ int read_id(const char *p, const char *end, unsigned width) {
        if (end - p <= (ptrdiff_t) width || !is_blank(p[width]))
                return -1;
        return read_hex(p, width);
}

/* Where the content of a line ends: '\r', '\n' or the end of the text. A NUL: NULL, for
 * libpci's reading calls that line too long. */
static const char *content_end(const PciIdsIndex *x, const char *p, const char *nl) {
        if (x->plain)
                return nl;
        while (p < nl && *p != '\r' && *p != '\0')
                p++;
        return p < nl && *p == '\0' ? NULL : p;
}

static void read_line(const PciIdsIndex *x, const char *p, Line *ret) {
        const char *text_end = x->data + x->size, *nl = memchr(p, '\n', text_end - p), *e, *q;

        *ret = (Line){ .next = nl ? nl + 1 : text_end };
        e = content_end(x, p, nl ?: text_end);
        if (!e || e - p >= LINE_MAX_CONTENT) {
                ret->bad = true;
                ret->nest = *p == '\t'; /* 0: a top-level line, whatever it was */
                return;
        }
        if (e > p && is_blank(e[-1]))
                e--;
        for (q = p; q < e && *q == '\t'; q++)
                ;
        ret->nest = q - p;
        ret->start = q;
        ret->end = e;
        if (q < e && *q == ' ') /* rare: blanks other than the nesting tabs */
                while (q < e && is_blank(*q))
                        q++;
        ret->empty = q == e || *q == '#';
}

/* The name after the ID fields: blanks skipped, never empty. */
static bool read_name(const PciIdsIndex *x, const Line *l, const char *after, uint32_t *ret_name,
                      uint32_t *ret_len) {
        while (after < l->end && is_blank(*after))
                after++;
        if (after == l->end)
                return false;
        *ret_name = after - x->data;
        *ret_len = l->end - after;
        return true;
}

/* A nested entry: n_ids IDs (two for a subsystem) of width digits each, then a name. */
static _hot_ bool read_entry(const PciIdsIndex *x, const Line *l, unsigned width, unsigned n_ids,
                             int ids[static 2], uint32_t *ret_name, uint32_t *ret_len) {
        const char *p = l->start;

        for (unsigned i = 0; i < n_ids; i++) {
                ids[i] = read_id(p, l->end, width);
                if (ids[i] < 0)
                        return false;
                p += width + 1;
        }
        return read_name(x, l, p, ret_name, ret_len);
}

static _hot_ int list_add(List *list, const void *item, size_t size) {
        if ((list->n & (list->n - 1)) == 0) { /* grows at each power of two */
                void *grown = realloc(list->items, (list->n ? list->n * 2 : 64) * size);

                if (!grown)
                        return -ENOMEM;
                list->items = grown;
        }
        memcpy((char *) list->items + list->n++ * size, item, size);
        return 0;
}

static void note_malformed(PciIdsIndex *x, const char *line) {
        size_t offset = line - x->data;

        if (x->n_malformed++ == 0 || offset < x->first_malformed)
                x->first_malformed = offset;
}

static bool vendor_seen(const PciIdsIndex *x, unsigned id) {
        return x->vendor_seen[id / 64] & (UINT64_C(1) << (id % 64));
}

/* A nested line at p: 1 when libpci would take it in this context, 0 when not, or a
 * negative errno. A device line is noted for the look-ups. */
static int index_nested(PciIdsIndex *x, const Line *l, const char *p, unsigned vendor, Context *context) {
        uint32_t name, len;
        int ids[2];

        switch (*context) {
        case CONTEXT_SKIP:
                return 1;
        case CONTEXT_VENDOR:
        case CONTEXT_DEVICE:
                if (l->nest == 1 && read_entry(x, l, 4, 1, ids, &name, &len)) {
                        DeviceLine d = { .key = vendor << 16 | ids[0], .line = p - x->data };
                        const DeviceLine *items = x->devices.items;

                        if (x->devices.n > 0 && items[x->devices.n - 1].key >= d.key)
                                x->devices.unsorted = true;
                        *context = CONTEXT_DEVICE;
                        return list_add(&x->devices, &d, sizeof(d)) < 0 ? -ENOMEM : 1;
                }
                return l->nest == 2 && *context == CONTEXT_DEVICE &&
                       read_entry(x, l, 4, 2, ids, &name, &len);
        case CONTEXT_GENERIC:
                return l->nest == 1 && read_entry(x, l, 4, 1, ids, &name, &len);
        case CONTEXT_CLASS:
                return l->nest <= 2 && read_entry(x, l, 2, 1, ids, &name, &len);
        default:
                return 0;
        }
}

/* A top-level line: opens a block (returned in *ret, NULL for none) and sets the context.
 * 1 when taken, 0 when libpci would refuse it, or a negative errno. */
static int open_block(PciIdsIndex *x, const Line *l, Block **ret, Context *context) {
        const char *p = l->start;
        bool letter = p[0] >= 'A' && p[0] <= 'Z' && l->end - p > 1 && p[1] == ' ';
        Block b = { .body = l->next - x->data };
        int id;

        *ret = NULL;
        *context = CONTEXT_SKIP;
        if (letter && p[0] == 'C') {
                id = read_id(p + 2, l->end, 2);
                if (id < 0 || !read_name(x, l, p + 5, &b.name, &b.name_len) || x->classes[id].name_len > 0)
                        return 0; /* malformed, or the class again */
                b.id = id;
                x->classes[id] = b;
                *ret = &x->classes[id];
                *context = CONTEXT_CLASS;
                return 1;
        }
        if (letter && p[0] == 'S') {
                /* "S hhhh" and nothing else, of a vendor listed above it */
                id = l->end - p == 6 ? read_hex(p + 2, 4) : -1;
                if (id < 0 || !vendor_seen(x, id))
                        return 0;
                b.id = id;
                if (list_add(&x->generic, &b, sizeof(b)) < 0)
                        return -ENOMEM;
                *ret = (Block *) x->generic.items + x->generic.n - 1;
                *context = CONTEXT_GENERIC;
                return 1;
        }
        if (letter)
                return 1; /* a block libpci does not know, skipped whole */
        id = read_id(p, l->end, 4);
        if (id < 0 || !read_name(x, l, p + 5, &b.name, &b.name_len) || vendor_seen(x, id))
                return 0; /* malformed, or the vendor again (libpci stops there) */
        b.id = id;
        x->vendor_seen[id / 64] |= UINT64_C(1) << (id % 64);
        if (x->vendors.n > 0 && ((const Block *) x->vendors.items)[x->vendors.n - 1].id > b.id)
                x->vendors.unsorted = true;
        if (list_add(&x->vendors, &b, sizeof(b)) < 0)
                return -ENOMEM;
        *ret = (Block *) x->vendors.items + x->vendors.n - 1;
        *context = CONTEXT_VENDOR;
        return 1;
}

static int compare_blocks(const void *a, const void *b) {
        const Block *x = a, *y = b;

        return x->id < y->id ? -1 : x->id > y->id;
}

static int compare_device_lines(const void *a, const void *b) {
        const DeviceLine *x = a, *y = b;

        if (x->key != y->key)
                return x->key < y->key ? -1 : 1;
        return x->line < y->line ? -1 : x->line > y->line;
}

/* pci.ids is sorted, so this sorts nothing there. Of a device listed twice in its vendor's
 * block the first line counts (libpci stops at the second). */
static void sort_lists(PciIdsIndex *x) {
        DeviceLine *d = x->devices.items;
        size_t kept = 0;

        if (x->vendors.unsorted)
                qsort(x->vendors.items, x->vendors.n, sizeof(Block), compare_blocks);
        if (!x->devices.unsorted)
                return;
        qsort(d, x->devices.n, sizeof(DeviceLine), compare_device_lines);
        for (size_t i = 0; i < x->devices.n; i++) {
                if (kept > 0 && d[kept - 1].key == d[i].key)
                        note_malformed(x, x->data + d[i].line);
                else
                        d[kept++] = d[i];
        }
        x->devices.n = kept;
}

/* The one pass: every line is checked as libpci checks it; kept are the blocks and, of the
 * vendors' blocks, where each device's line is. */
static int index_text(PciIdsIndex *x) {
        const char *p = x->data, *text_end = x->data + x->size;
        Context context = CONTEXT_NONE;
        Block *open = NULL; /* valid until the next block is added */
        int r;

        while (p < text_end) {
                Line l;

                read_line(x, p, &l);
                if (l.bad && l.nest == 0) {
                        /* a refused header: what is nested below it belongs to no block */
                        if (open)
                                open->end = p - x->data;
                        open = NULL;
                        context = CONTEXT_SKIP;
                        r = 0;
                } else if (l.bad)
                        r = 0;
                else if (l.empty)
                        r = 1;
                else if (l.nest > 0)
                        r = index_nested(x, &l, p, open ? open->id : 0, &context);
                else {
                        if (open)
                                open->end = p - x->data;
                        r = open_block(x, &l, &open, &context);
                }
                if (r < 0)
                        return r;
                if (r == 0)
                        note_malformed(x, p);
                p = l.next;
        }
        if (open)
                open->end = x->size;
        sort_lists(x);
        return 0;
}

int pciids_index_new(const char *data, size_t size, PciIdsIndex **ret) {
        PciIdsIndex *x;
        int r;

        if (size >= UINT32_MAX)
                return -EFBIG;
        x = calloc(1, sizeof(PciIdsIndex));
        if (!x)
                return -ENOMEM;
        x->data = data;
        x->size = size;
        x->plain = !memchr(data, '\r', size) && !memchr(data, '\0', size);
        r = index_text(x);
        if (r < 0) {
                pciids_index_free(x);
                return r;
        }
        *ret = x;
        return 0;
}

PciIdsIndex *pciids_index_free(PciIdsIndex *x) {
        if (!x)
                return NULL;
        free(x->vendors.items);
        free(x->devices.items);
        free(x->generic.items);
        free(x);
        return NULL;
}

size_t pciids_index_malformed(const PciIdsIndex *x, size_t *ret_first_line) {
        size_t line = 0;

        if (x->n_malformed > 0) {
                const char *p = x->data, *end = x->data + x->first_malformed;

                for (line = 1; p < end && (p = memchr(p, '\n', end - p)); p++)
                        line++;
        }
        *ret_first_line = line;
        return x->n_malformed;
}

/* As pci_lookup_name()'s snprintf into 256 bytes: a longer answer is cut to 252 bytes and
 * "...". suffix is for a class known only by its base (" [ccss]"). */
static const char *format_name(const PciIdsIndex *x, uint32_t name, uint32_t len, const char *suffix,
                               char buf[static PCIIDS_NAME_SIZE]) {
        size_t s = strlen(suffix), n = len < PCIIDS_NAME_SIZE - 1 ? len : PCIIDS_NAME_SIZE - 1;

        memcpy(buf, x->data + name, n);
        if (s > PCIIDS_NAME_SIZE - 1 - n)
                s = PCIIDS_NAME_SIZE - 1 - n;
        memcpy(buf + n, suffix, s);
        buf[n + s] = '\0';
        if (len + strlen(suffix) > PCIIDS_NAME_SIZE - 1)
                memcpy(buf + PCIIDS_NAME_SIZE - 4, "...", 3);
        return buf;
}

static const Block *find_vendor(const PciIdsIndex *x, uint16_t vendor) {
        const Block *v = x->vendors.items;
        size_t lo = 0, hi = x->vendors.n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (v[mid].id == vendor)
                        return &v[mid];
                if (v[mid].id < vendor)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

/* The line of the device in its vendor's block, or NULL. */
static const char *find_device(const PciIdsIndex *x, uint16_t vendor, uint16_t device) {
        const DeviceLine *d = x->devices.items;
        uint32_t key = (uint32_t) vendor << 16 | device;
        size_t lo = 0, hi = x->devices.n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (d[mid].key == key)
                        return x->data + d[mid].line;
                if (d[mid].key < key)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

/* In a block, the name of the first nest-1 entry of width digits with this ID. */
static bool find_entry(const PciIdsIndex *x, const Block *b, unsigned width, int id, uint32_t *ret_name,
                       uint32_t *ret_len) {
        const char *p = x->data + b->body, *end = x->data + b->end;
        int ids[2];

        for (Line l; p < end; p = l.next) {
                read_line(x, p, &l);
                if (!l.bad && !l.empty && l.nest == 1 &&
                    read_entry(x, &l, width, 1, ids, ret_name, ret_len) && ids[0] == id)
                        return true;
        }
        return false;
}

/* Below the device's line, up to the next device (or block), the entry for the subsystem. */
static bool find_subsystem(const PciIdsIndex *x, const char *device_line, int device, int subvendor,
                           int subdevice, uint32_t *ret_name, uint32_t *ret_len) {
        const char *end = x->data + x->size;
        int ids[2];
        Line l;

        read_line(x, device_line, &l);
        for (const char *p = l.next; p < end; p = l.next) {
                read_line(x, p, &l);
                if (l.empty || (l.bad && l.nest > 0))
                        continue;
                /* the next device or block ends the list; the same device again is a line libpci
                 * refuses */
                if (l.nest == 0 ||
                    (l.nest == 1 && read_entry(x, &l, 4, 1, ids, ret_name, ret_len) && ids[0] != device))
                        return false;
                if (l.nest == 2 && read_entry(x, &l, 4, 2, ids, ret_name, ret_len) && ids[0] == subvendor &&
                    ids[1] == subdevice)
                        return true;
        }
        return false;
}

const char *pciids_index_vendor(const PciIdsIndex *x, uint16_t vendor, char buf[static PCIIDS_NAME_SIZE]) {
        const Block *b = find_vendor(x, vendor);

        return b ? format_name(x, b->name, b->name_len, "", buf) : NULL;
}

const char *pciids_index_device(const PciIdsIndex *x, uint16_t vendor, uint16_t device,
                                char buf[static PCIIDS_NAME_SIZE]) {
        const char *line = find_device(x, vendor, device);
        uint32_t name, len;
        int ids[2];
        Line l;

        if (!line)
                return NULL;
        read_line(x, line, &l);
        if (!read_entry(x, &l, 4, 1, ids, &name, &len))
                return NULL; /* not reached: the index took the line */
        return format_name(x, name, len, "", buf);
}

const char *pciids_index_subsystem(const PciIdsIndex *x, uint16_t vendor, uint16_t device,
                                   uint16_t subvendor, uint16_t subdevice,
                                   char buf[static PCIIDS_NAME_SIZE]) {
        const Block *generic = x->generic.items;
        const char *line = find_device(x, vendor, device);
        uint32_t name, len;

        /* libpci asks the device's own list only for non-zero vendor and device IDs. */
        if (line && vendor > 0 && device > 0 &&
            find_subsystem(x, line, device, subvendor, subdevice, &name, &len))
                return format_name(x, name, len, "", buf);
        for (size_t i = 0; i < x->generic.n; i++)
                if (generic[i].id == subvendor && find_entry(x, &generic[i], 4, subdevice, &name, &len))
                        return format_name(x, name, len, "", buf);
        if (vendor == subvendor && device == subdevice)
                return pciids_index_device(x, vendor, device, buf);
        return NULL;
}

const char *pciids_index_class(const PciIdsIndex *x, uint16_t class_id, char buf[static PCIIDS_NAME_SIZE]) {
        const Block *b = &x->classes[class_id >> 8];
        uint32_t name, len;
        char suffix[sizeof(" [ffff]")];

        if (b->name_len == 0)
                return NULL;
        if (find_entry(x, b, 2, class_id & 0xff, &name, &len))
                return format_name(x, name, len, "", buf);
        /* libpci shows the number with a base class alone (PCI_LOOKUP_MIXED). */
        snprintf(suffix, sizeof(suffix), " [%04x]", class_id);
        return format_name(x, b->name, b->name_len, suffix, buf);
}
