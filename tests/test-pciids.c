/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pci.ids reader (daemon/pciids-index.c, daemon/pciids.c) against libpci 3.9, the
 * reader it replaces and lspci's: for every vendor, device and class, and subsystems, of the
 * system's pci.ids, of tests/data/pci.ids and of crafted files, both must give the same
 * name, byte for byte. libpci gives up at a malformed line; there only what it read before
 * is compared, and what we read after is asserted on its own. */
#include <glib.h>
#include <glib/gstdio.h>
#include <pci/pci.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "macros.h"
#include "pciids-index.h"
#include "pciids.h"

#define FLAGS (PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB)
#define SYSTEM_IDS "/usr/share/misc/pci.ids"

/* libpci's error callback: it must not return. In a child, to see libpci refuse a file. */
_noreturn_ static void exit_on_error(char *fmt, ...) {
        _exit(3);
}

static void ignore_message(char *fmt, ...) {
}

typedef struct Reader {
        struct pci_access *pci;
        char *text;
        size_t size;
        PciIdsIndex *index;
} Reader;

static struct pci_access *libpci_new(const char *path) {
        struct pci_access *a = pci_alloc();

        a->error = exit_on_error;
        a->warning = ignore_message;
        a->debug = ignore_message;
        a->id_lookup_mode = 0; /* no ~/.pciids-cache */
        pci_set_name_list_path(a, (char *) path, 0);
        return a;
}

/* libpci on libpci_path (a file it reads without error), ours on path. */
static void reader_open2(Reader *r, const char *path, const char *libpci_path) {
        g_autoptr(GError) error = NULL;

        r->pci = libpci_new(libpci_path);
        g_assert_true(g_file_get_contents(path, &r->text, &r->size, &error));
        g_assert_no_error(error);
        g_assert_cmpint(pciids_index_new(r->text, r->size, &r->index), ==, 0);
}

static void reader_open(Reader *r, const char *path) {
        reader_open2(r, path, path);
}

/* Whether libpci gives up on the file (its error callback, which in passthrud was exit). */
static bool libpci_refuses(const char *path) {
        char buf[256];
        int status;
        pid_t pid = fork();

        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                struct pci_access *a = libpci_new(path);

                (void) pci_lookup_name(a, buf, sizeof(buf), FLAGS | PCI_LOOKUP_VENDOR, 0x8086);
                _exit(0);
        }
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFEXITED(status));
        return WEXITSTATUS(status) == 3;
}

static void reader_close(Reader *r) {
        pci_cleanup(r->pci);
        pciids_index_free(r->index);
        g_free(r->text);
}

static char *write_temp(const char *contents, size_t size) {
        g_autoptr(GError) error = NULL;
        char *path = NULL;
        int fd = g_file_open_tmp("passthru-pciids-XXXXXX", &path, &error);

        g_assert_no_error(error);
        close(fd);
        g_assert_true(g_file_set_contents(path, contents, size, &error));
        g_assert_no_error(error);
        return path;
}

/* Both answers for one question; strict: also where libpci knows nothing. */
static void compare(const char *what, const char *ours, const char *theirs, bool strict, unsigned *n) {
        if (!theirs && !strict)
                return;
        if (g_strcmp0(ours, theirs) != 0)
                g_error("%s: ours \"%s\", libpci \"%s\"", what, ours ?: "(null)", theirs ?: "(null)");
        (*n)++;
}

static void compare_vendor(Reader *r, unsigned v, bool strict, unsigned *n) {
        char ours[PCIIDS_NAME_SIZE], theirs[256], what[32];

        snprintf(what, sizeof(what), "vendor %04x", v);
        compare(what, pciids_index_vendor(r->index, v, ours),
                pci_lookup_name(r->pci, theirs, sizeof(theirs), FLAGS | PCI_LOOKUP_VENDOR, v), strict, n);
}

static void compare_device(Reader *r, unsigned v, unsigned d, bool strict, unsigned *n) {
        char ours[PCIIDS_NAME_SIZE], theirs[256], what[32];

        snprintf(what, sizeof(what), "device %04x:%04x", v, d);
        compare(what, pciids_index_device(r->index, v, d, ours),
                pci_lookup_name(r->pci, theirs, sizeof(theirs), FLAGS | PCI_LOOKUP_DEVICE, v, d), strict, n);
}

static void compare_subsystem(Reader *r, unsigned v, unsigned d, unsigned sv, unsigned sd, bool strict,
                              unsigned *n) {
        char ours[PCIIDS_NAME_SIZE], theirs[256], what[48];

        snprintf(what, sizeof(what), "subsystem %04x:%04x %04x:%04x", v, d, sv, sd);
        compare(what, pciids_index_subsystem(r->index, v, d, sv, sd, ours),
                pci_lookup_name(r->pci, theirs, sizeof(theirs),
                                FLAGS | PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE, v, d, sv, sd),
                strict, n);
}

static void compare_class(Reader *r, unsigned c, bool strict, unsigned *n) {
        char ours[PCIIDS_NAME_SIZE], theirs[256], what[32];

        snprintf(what, sizeof(what), "class %04x", c);
        compare(what, pciids_index_class(r->index, c, ours),
                pci_lookup_name(r->pci, theirs, sizeof(theirs), FLAGS | PCI_LOOKUP_CLASS, c), strict, n);
}

static bool hex_at(const char *p, unsigned width, unsigned *ret) {
        char digits[5] = {};

        for (unsigned i = 0; i < width; i++) {
                if (!g_ascii_isxdigit(p[i]))
                        return false;
                digits[i] = p[i];
        }
        *ret = g_ascii_strtoull(digits, NULL, 16);
        return true;
}

typedef struct Counts {
        unsigned vendors, devices, subsystems, classes;
} Counts;

/* The questions: every vendor and class number (strict) or those the file names; every device and subsystem
 * line of the file (every sample-th subsystem), each also with a device ID next to it that may be missing;
 * each device as its own subsystem (libpci's last resort) and under subvendor 0. */
static Counts compare_file(Reader *r, bool strict, unsigned sample) {
        g_auto(GStrv) lines = g_strsplit(r->text, "\n", -1);
        unsigned vendor = 0, device = 0, k = 0;
        Counts n = {};

        /* Where libpci stopped early it reads the file again at each question: sweep only
         * the IDs the file names then. */
        for (unsigned v = 0; strict && v <= 0xffff; v++)
                compare_vendor(r, v, strict, &n.vendors);
        for (unsigned c = 0; strict && c <= 0xffff; c++)
                compare_class(r, c, strict, &n.classes);
        for (char **l = lines; *l; l++) {
                const char *p = *l;
                unsigned sv, sd, c;

                if (hex_at(p, 4, &vendor)) {
                        compare_vendor(r, vendor, strict, &n.vendors);
                        continue;
                }
                if (p[0] == 'C' && p[1] == ' ' && hex_at(p + 2, 2, &c)) {
                        for (unsigned sub = 0; sub <= 0xff; sub++)
                                compare_class(r, c << 8 | sub, strict, &n.classes);
                        continue;
                }
                if (p[0] == 'S' && p[1] == ' ' && hex_at(p + 2, 4, &sv)) {
                        for (unsigned i = 0; i < 16; i++) /* generic entries under any device */
                                compare_subsystem(r, 0x8086, i, sv, i, strict, &n.subsystems);
                        continue;
                }
                if (p[0] == '\t' && p[1] != '\t' && hex_at(p + 1, 4, &device)) {
                        compare_device(r, vendor, device, strict, &n.devices);
                        compare_device(r, vendor, (device + 1) & 0xffff, strict, &n.devices);
                        compare_subsystem(r, vendor, device, vendor, device, strict, &n.subsystems);
                        compare_subsystem(r, 0, device, vendor, device, strict, &n.subsystems);
                        continue;
                }
                if (p[0] == '\t' && p[1] == '\t' && hex_at(p + 2, 4, &sv) && hex_at(p + 7, 4, &sd) &&
                    k++ % sample == 0) {
                        compare_subsystem(r, vendor, device, sv, sd, strict, &n.subsystems);
                        compare_subsystem(r, vendor, device, sv, (sd + 1) & 0xffff, strict, &n.subsystems);
                }
        }
        return n;
}

static void test_system_ids(void) {
        Reader r = {};
        Counts n;
        size_t first;

        if (!g_file_test(SYSTEM_IDS, G_FILE_TEST_EXISTS)) {
                g_test_skip(SYSTEM_IDS " is not installed (Debian: package pci.ids)");
                return;
        }
        g_assert_false(libpci_refuses(SYSTEM_IDS));
        reader_open(&r, SYSTEM_IDS);
        n = compare_file(&r, true, 1);
        g_assert_cmpuint(pciids_index_malformed(r.index, &first), ==, 0);
        g_test_message("%s: %u vendor, %u device, %u subsystem and %u class answers the same", SYSTEM_IDS,
                       n.vendors, n.devices, n.subsystems, n.classes);
        /* A real pci.ids has thousands of each: the comparison above asked. */
        g_assert_cmpuint(n.devices, >, 10000);
        g_assert_cmpuint(n.subsystems, >, 10000);
        reader_close(&r);
}

static void test_data_ids(void) {
        g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "pci.ids", NULL);
        Reader r = {};
        Counts n;

        g_assert_false(libpci_refuses(path));
        reader_open(&r, path);
        n = compare_file(&r, true, 1);
        g_assert_cmpuint(n.devices, >, 0);
        reader_close(&r);
}

/* A crafted file, compared with libpci. bad: where its malformed line starts, or SIZE_MAX
 * for none. With one, libpci must refuse the file, and what it reads of the text before the
 * bad line must be what we answer; we read on past it. */
static PciIdsIndex *crafted(Reader *r, const char *text, size_t size, size_t bad, char **ret_path) {
        bool strict = bad == SIZE_MAX;

        *ret_path = write_temp(text, size);
        g_assert_true(libpci_refuses(*ret_path) == !strict);
        if (strict)
                reader_open(r, *ret_path);
        else {
                g_autofree char *prefix = write_temp(text, bad);

                g_assert_false(libpci_refuses(prefix));
                reader_open2(r, *ret_path, prefix);
                (void) compare_file(r, false, 1);
                reader_close(r);
                g_assert_no_errno(g_unlink(prefix));
                *r = (Reader){};
                reader_open(r, *ret_path); /* for the caller, with libpci on the whole file unused */
                return r->index;
        }
        (void) compare_file(r, strict, 1);
        return r->index;
}

static void crafted_done(Reader *r, char *path) {
        reader_close(r);
        g_assert_no_errno(g_unlink(path));
        g_free(path);
}

static const char *vendor(PciIdsIndex *x, unsigned v, char *buf) {
        return pciids_index_vendor(x, v, buf);
}

static void test_format(void) {
        static const char text[] = "# comment\n"
                                   "  # indented comment\n"
                                   "\n"
                                   "\t\n"
                                   "1234  Trailing blank \n"         /* one blank cut */
                                   "\tabcd  Two trailing tabs\t\t\n" /* only one cut */
                                   "\t\t1234 AbCd  Sub\tsystem\n"
                                   "\tABCE\t \tMixed blanks and case\n"
                                   "1235  Carriage return\r\n"
                                   "\t0001  Cut at the CR\rnot this\n"
                                   "8086  Intel\n"
                                   "\t0002  Own subsystem only\n"
                                   "\t0003  Device\n"
                                   "\t\t8086 0004  Its subsystem\n"
                                   "X 12  A block libpci does not know\n"
                                   "\t1234  skipped\n"
                                   "\t\t1234 5678  skipped too\n"
                                   "S 1234\n"
                                   "\t0005  Generic subsystem\n"
                                   "\t0006  Another one\n"
                                   "C 0c  Serial bus controller\n"
                                   "\t03  USB controller\n"
                                   "\t\t30  XHCI\n"
                                   "C 12  Processing accelerators\n" /* no subclasses: "NAME [12ss]" */
                                   "C 13  Non-Essential Instrumentation\n"
                                   "\t\t00  progif without subclass\n"
                                   "\t00  Non-UTF-8 \xe9t\xe9\n"
                                   "ffff  Illegal Vendor ID"; /* no newline at the end */
        char buf[PCIIDS_NAME_SIZE], *path;
        Reader r = {};
        PciIdsIndex *x = crafted(&r, text, sizeof(text) - 1, SIZE_MAX, &path);

        g_assert_cmpstr(vendor(x, 0x1234, buf), ==, "Trailing blank");
        g_assert_cmpstr(pciids_index_device(x, 0x1234, 0xabcd, buf), ==, "Two trailing tabs\t");
        g_assert_cmpstr(pciids_index_subsystem(x, 0x1234, 0xabcd, 0x1234, 0xabcd, buf), ==, "Sub\tsystem");
        g_assert_cmpstr(pciids_index_device(x, 0x1234, 0xabce, buf), ==, "Mixed blanks and case");
        g_assert_cmpstr(pciids_index_device(x, 0x1235, 0x0001, buf), ==, "Cut at the CR");
        g_assert_cmpstr(pciids_index_subsystem(x, 0x8086, 0x0002, 0x8086, 0x0002, buf), ==,
                        "Own subsystem only");
        g_assert_cmpstr(pciids_index_subsystem(x, 0x8086, 0x0003, 0x1234, 0x0006, buf), ==, "Another one");
        g_assert_cmpstr(pciids_index_class(x, 0x0c03, buf), ==, "USB controller");
        g_assert_cmpstr(pciids_index_class(x, 0x1201, buf), ==, "Processing accelerators [1201]");
        g_assert_cmpstr(pciids_index_class(x, 0x1300, buf), ==, "Non-UTF-8 \xe9t\xe9");
        g_assert_cmpstr(vendor(x, 0xffff, buf), ==, "Illegal Vendor ID");
        g_assert_null(pciids_index_device(x, 0x8086, 0x1234, buf));
        crafted_done(&r, path);
}

/* libpci's 256-byte buffer: 255 bytes fit, a longer name is 252 bytes and "...". */
static void test_long_names(void) {
        g_autofree char *n255 = g_strnfill(255, 'a'), *n256 = g_strnfill(256, 'b'),
                        *n900 = g_strnfill(900, 'c'), *n248 = g_strnfill(248, 'd'),
                        *n249 = g_strnfill(249, 'e');
        g_autofree char *text = g_strdup_printf("1111  %s\n\t0001  %s\n\t\t1111 0002  %s\n"
                                                "C 11  %s\nC 12  %s\n",
                                                n255, n256, n900, n248, n249);
        char buf[PCIIDS_NAME_SIZE], *path;
        Reader r = {};
        PciIdsIndex *x = crafted(&r, text, strlen(text), SIZE_MAX, &path);

        g_assert_cmpuint(strlen(vendor(x, 0x1111, buf)), ==, 255);
        g_assert_true(g_str_has_suffix(pciids_index_device(x, 0x1111, 0x0001, buf), "bbb..."));
        g_assert_cmpuint(strlen(buf), ==, 255);
        /* "NAME [11ss]": 248 + 7 fit, 249 + 7 do not */
        g_assert_true(g_str_has_suffix(pciids_index_class(x, 0x1100, buf), "d [1100]"));
        g_assert_true(g_str_has_suffix(pciids_index_class(x, 0x1200, buf), "eeeeee [1..."));
        crafted_done(&r, path);
}

/* Each malformed line: libpci stops there (its error callback); we leave the line out,
 * count it, and read on. */
typedef enum Place {
        AFTER_CLASS,  /* line 5, after a vendor with a device and a subsystem, and a class */
        UNDER_DEVICE, /* line 3, between a device and its subsystem */
        FIRST,        /* line 1 */
} Place;

static const struct {
        const char *line;
        size_t len; /* 0: strlen */
        Place place;
        const char *why;
} bad_lines[] = {
        { "zzzz  Not hex\n", 0, AFTER_CLASS, "a vendor that is not hex" },
        { "12345 Five digits\n", 0, AFTER_CLASS, "no blank after the ID" },
        { "1234\n", 0, AFTER_CLASS, "a vendor without a name" },
        { "1234   \t\n", 0, AFTER_CLASS, "a name of blanks (one cut, the rest skipped)" },
        { "\tabcd  Orphan\n", 0, FIRST, "nested before any block" },
        { "\t\t\tabcd  Too deep\n", 0, AFTER_CLASS, "three tabs" },
        { " 1234  Leading space\n", 0, AFTER_CLASS, "a space is no nesting" },
        { "S 9999\n", 0, AFTER_CLASS, "an S block of an unknown vendor" },
        { "S 0001 name\n", 0, AFTER_CLASS, "an S line with more after it" },
        { "C 1  Short class\n", 0, AFTER_CLASS, "a class of one digit" },
        { "0001  Vendor one again\n", 0, AFTER_CLASS, "a vendor listed twice" },
        { "C 01  Class again\n", 0, AFTER_CLASS, "a class listed twice" },
        { "\tnope  not hex\n", 0, UNDER_DEVICE, "a device ID that is not hex" },
        { "\t\t0001 zzzz  bad\n", 0, UNDER_DEVICE, "a subsystem ID that is not hex" },
        { "\t0001  Device again\n", 0, UNDER_DEVICE, "a device listed twice" },
        { "\tab\0d  NUL\n", 11, AFTER_CLASS, "a NUL in a line" },
};

static void test_malformed(void) {
        static const unsigned first_line[] = { [AFTER_CLASS] = 5, [UNDER_DEVICE] = 3, [FIRST] = 1 };

        for (size_t i = 0; i < G_N_ELEMENTS(bad_lines); i++) {
                const char *bad = bad_lines[i].line;
                size_t bad_len = bad_lines[i].len ?: strlen(bad);
                g_autoptr(GString) text = g_string_new(NULL);
                char buf[PCIIDS_NAME_SIZE], *path;
                size_t first;
                Reader r = {};
                PciIdsIndex *x;

                size_t at = 0;

                g_test_message("%s", bad_lines[i].why);
                if (bad_lines[i].place == FIRST)
                        g_string_append_len(text, bad, bad_len);
                g_string_append(text, "0001  Vendor one\n\t0001  Device one\n");
                if (bad_lines[i].place == UNDER_DEVICE) {
                        at = text->len;
                        g_string_append_len(text, bad, bad_len);
                }
                g_string_append(text, "\t\t0001 0002  Sub\nC 01  Class\n");
                if (bad_lines[i].place == AFTER_CLASS) {
                        at = text->len;
                        g_string_append_len(text, bad, bad_len);
                }
                g_string_append(text, "0002  Vendor two\n\t0003  Device three\nC 02  Class two\n");

                x = crafted(&r, text->str, text->len, at, &path);
                g_assert_cmpuint(pciids_index_malformed(x, &first), ==, 1);
                g_assert_cmpuint(first, ==, first_line[bad_lines[i].place]);
                /* what libpci never read is there */
                g_assert_cmpstr(vendor(x, 0x0002, buf), ==, "Vendor two");
                g_assert_cmpstr(pciids_index_device(x, 0x0002, 0x0003, buf), ==, "Device three");
                g_assert_cmpstr(pciids_index_class(x, 0x0200, buf), ==, "Class two [0200]");
                /* and of what is listed twice, the first */
                g_assert_cmpstr(vendor(x, 0x0001, buf), ==, "Vendor one");
                g_assert_cmpstr(pciids_index_device(x, 0x0001, 0x0001, buf), ==, "Device one");
                g_assert_cmpstr(pciids_index_subsystem(x, 0x0001, 0x0001, 0x0001, 0x0002, buf), ==, "Sub");
                g_assert_cmpstr(pciids_index_class(x, 0x0100, buf), ==, "Class [0100]");
                crafted_done(&r, path);
        }
}

/* A line longer than libpci's 1,023 bytes is malformed; 1,022 and a newline are not. */
static void test_line_length(void) {
        g_autofree char *fits = g_strnfill(1022 - 6, 'f'), *too_long = g_strnfill(1023 - 6, 'g');
        g_autofree char *ok_text = g_strdup_printf("1111  %s\n", fits);
        g_autofree char *bad_text =
                g_strdup_printf("0001  one\n\t0001  dev\n1111  %s\n\t0009  below it\n\t\t0001 0002  sub\n"
                                "2222  after\n",
                                too_long);
        char buf[PCIIDS_NAME_SIZE], *path;
        size_t first;
        Reader r = {};
        PciIdsIndex *x;

        x = crafted(&r, ok_text, strlen(ok_text), SIZE_MAX, &path);
        g_assert_nonnull(vendor(x, 0x1111, buf));
        crafted_done(&r, path);

        x = crafted(&r, bad_text, strlen(bad_text), strlen("0001  one\n\t0001  dev\n"), &path);
        g_assert_cmpuint(pciids_index_malformed(x, &first), ==, 1);
        g_assert_cmpuint(first, ==, 3);
        g_assert_null(vendor(x, 0x1111, buf));
        g_assert_cmpstr(vendor(x, 0x2222, buf), ==, "after");
        /* what was nested below the refused line is not the vendor's above it */
        g_assert_null(pciids_index_device(x, 0x0001, 0x0009, buf));
        g_assert_null(pciids_index_subsystem(x, 0x0001, 0x0001, 0x0001, 0x0002, buf));
        crafted_done(&r, path);
}

/* The file layer: gzip read as plain, a missing file gives no names (and no exit), a
 * malformed line costs only itself, invalid UTF-8 escaped, release reads again. */
static void test_files(void) {
        g_autofree char *data = g_test_build_filename(G_TEST_DIST, "data", "pci.ids", NULL);
        g_autofree char *text = NULL, *gz_path = g_strdup_printf("%s/passthru-pciids-%d.ids.gz",
                                                                 g_get_tmp_dir(), (int) getpid());
        g_autofree char *plain_name = NULL, *gz_name = NULL, *escaped = NULL;
        g_autoptr(GError) error = NULL;
        _cleanup_(pciids_freep) PciIds *plain = NULL, *gz = NULL, *missing = NULL, *bad = NULL;
        size_t size;
        gzFile f;
        char *bad_path;

        g_assert_true(g_file_get_contents(data, &text, &size, &error));
        f = gzopen(gz_path, "wb");
        g_assert_nonnull(f);
        g_assert_cmpint(gzwrite(f, text, size), ==, (int) size);
        g_assert_cmpint(gzclose(f), ==, Z_OK);

        g_assert_cmpint(pciids_new(data, &plain), ==, 0);
        g_assert_cmpint(pciids_new(gz_path, &gz), ==, 0);
        plain_name = pciids_device_name(plain, 0x8086, 0x100e);
        g_assert_nonnull(plain_name);
        gz_name = pciids_device_name(gz, 0x8086, 0x100e);
        g_assert_cmpstr(gz_name, ==, plain_name);
        g_assert_no_errno(g_unlink(gz_path));
        /* the text is gone: a release reads the file again, and it is not there */
        pciids_release(gz);
        g_assert_null(pciids_device_name(gz, 0x8086, 0x100e));

        g_assert_cmpint(pciids_new("/nonexistent/pci.ids", &missing), ==, 0);
        g_assert_null(pciids_vendor_name(missing, 0x8086));
        g_assert_null(pciids_class_name(missing, 0x020000));

        bad_path = write_temp("8086  Intel\n\tzzzz  bad\n\t100e  Good \xe9\n", 37);
        g_assert_cmpint(pciids_new(bad_path, &bad), ==, 0);
        escaped = pciids_device_name(bad, 0x8086, 0x100e);
        g_assert_cmpstr(escaped, ==, "Good \\xe9");
        g_assert_no_errno(g_unlink(bad_path));
        g_free(bad_path);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/pciids/system", test_system_ids);
        g_test_add_func("/pciids/test-data", test_data_ids);
        g_test_add_func("/pciids/format", test_format);
        g_test_add_func("/pciids/long-names", test_long_names);
        g_test_add_func("/pciids/malformed", test_malformed);
        g_test_add_func("/pciids/line-length", test_line_length);
        g_test_add_func("/pciids/files", test_files);
        return g_test_run();
}
