/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The original-driver records (daemon/model/record.c) in a temporary runtime directory: what is
 * saved loads back, and whatever else is found there (a FIFO, a link, a huge file, bytes
 * that are not UTF-8) is refused or escaped without hanging or reading it whole. */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "record.h"

#define ADDRESS "0000:01:00.0"

typedef struct {
        char *dir;     /* the runtime directory */
        char *devices; /* dir/devices, where the records are */
        Records *records;
} RecordFixture;

static void fixture_setup(RecordFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        f->dir = g_dir_make_tmp("passthru-records-XXXXXX", &error);
        g_assert_no_error(error);
        f->devices = g_build_filename(f->dir, "devices", NULL);
        g_assert_cmpint(records_open(f->dir, true, &f->records), ==, 0);
        /* A record that blocks would hang the test: fail it quickly instead. */
        alarm(30);
}

static void fixture_teardown(RecordFixture *f, gconstpointer data) {
        g_autoptr(GDir) dir = g_dir_open(f->devices, 0, NULL);
        const char *name;

        alarm(0);
        records_free(f->records);
        while (dir && (name = g_dir_read_name(dir))) {
                g_autofree char *path = g_build_filename(f->devices, name, NULL);

                g_assert_no_errno(g_remove(path));
        }
        g_assert_no_errno(g_rmdir(f->devices));
        g_assert_no_errno(g_rmdir(f->dir));
        g_free(f->devices);
        g_free(f->dir);
}

static char *record_path(RecordFixture *f) {
        return g_build_filename(f->devices, ADDRESS, NULL);
}

static void write_record(RecordFixture *f, const char *text) {
        g_autofree char *path = record_path(f);
        g_autoptr(GError) error = NULL;

        g_file_set_contents(path, text, -1, &error);
        g_assert_no_error(error);
}

static void test_round_trip(RecordFixture *f, gconstpointer data) {
        _cleanup_free_ char *driver = NULL, *override = NULL;

        g_assert_cmpint(record_load(f->records, ADDRESS, &driver, &override), ==, -ENOENT);
        g_assert_cmpint(record_save(f->records, ADDRESS, "nvidia", NULL), ==, 0);
        g_assert_cmpint(record_load(f->records, ADDRESS, &driver, &override), ==, 0);
        g_assert_cmpstr(driver, ==, "nvidia");
        g_assert_null(override);
        g_assert_cmpint(record_remove(f->records, ADDRESS), ==, 0);
        g_assert_cmpint(record_load(f->records, ADDRESS, NULL, NULL), ==, -ENOENT);
}

/* Opening a FIFO for reading waits for a writer unless O_NONBLOCK: it must be refused at once. */
static void test_fifo(RecordFixture *f, gconstpointer data) {
        g_autofree char *path = record_path(f);
        _cleanup_free_ char *driver = NULL;

        g_assert_no_errno(mkfifo(path, 0600));
        g_assert_cmpint(record_load(f->records, ADDRESS, &driver, NULL), ==, -EBADMSG);
        g_assert_null(driver);
        /* Binding again replaces it with a real record. */
        g_assert_cmpint(record_save(f->records, ADDRESS, "e1000e", NULL), ==, 0);
        g_assert_cmpint(record_load(f->records, ADDRESS, &driver, NULL), ==, 0);
        g_assert_cmpstr(driver, ==, "e1000e");
}

static void test_directory(RecordFixture *f, gconstpointer data) {
        g_autofree char *path = record_path(f);

        g_assert_no_errno(g_mkdir(path, 0700));
        g_assert_cmpint(record_load(f->records, ADDRESS, NULL, NULL), ==, -EBADMSG);
}

/* A link, even to a well-formed record, is not followed. */
static void test_symlink(RecordFixture *f, gconstpointer data) {
        g_autofree char *path = record_path(f);
        g_autofree char *target = g_build_filename(f->devices, "elsewhere", NULL);
        g_autoptr(GError) error = NULL;
        _cleanup_free_ char *driver = NULL;

        g_file_set_contents(target, "driver=nvidia\noverride=\n", -1, &error);
        g_assert_no_error(error);
        g_assert_no_errno(symlink(target, path));
        g_assert_cmpint(record_load(f->records, ADDRESS, &driver, NULL), ==, -ELOOP);
        g_assert_null(driver);
}

/* 40 MB (sparse, so the test writes nothing): refused from its size, never read whole. */
static void test_oversized(RecordFixture *f, gconstpointer data) {
        g_autofree char *path = record_path(f);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

        g_assert_cmpint(fd, >=, 0);
        g_assert_no_errno(ftruncate(fd, 40 * 1024 * 1024));
        g_assert_cmpint(record_load(f->records, ADDRESS, NULL, NULL), ==, -EFBIG);

        /* The largest record that is still read. */
        g_assert_no_errno(ftruncate(fd, 0));
        g_assert_no_errno(ftruncate(fd, RECORD_SIZE_MAX));
        g_assert_cmpint(record_load(f->records, ADDRESS, NULL, NULL), ==, 0);
        g_assert_no_errno(ftruncate(fd, RECORD_SIZE_MAX + 1));
        g_assert_cmpint(record_load(f->records, ADDRESS, NULL, NULL), ==, -EFBIG);
}

/* A Latin-1 byte written by hand reaches D-Bus as OriginalDriver: it comes back escaped. */
static void test_not_utf8(RecordFixture *f, gconstpointer data) {
        _cleanup_free_ char *driver = NULL, *override = NULL;

        write_record(f, "driver=caf\xe9\noverride=\xff\n");
        g_assert_cmpint(record_load(f->records, ADDRESS, &driver, &override), ==, 0);
        g_assert_cmpstr(driver, ==, "caf\\xe9");
        g_assert_cmpstr(override, ==, "\\xff");
}

static const struct {
        const char *text;
        const char *driver, *override;
} parse_cases[] = {
        { "driver=nvidia\noverride=\n", "nvidia", NULL },
        { "driver=\noverride=vfio-pci\n", NULL, "vfio-pci" },
        { "driver=ahci", "ahci", NULL },                             /* no final newline */
        { "", NULL, NULL },                                          /* empty */
        { "drivers=x\n=y\noverride\n", NULL, NULL },                 /* no such keys */
        { "driver=a\ndriver=b\n", "b", NULL },                       /* the last wins */
        { "\n\n\ndriver=snd_hda_intel\n\n", "snd_hda_intel", NULL }, /* blank lines */
        { "driver=a b=c\n", "a b=c", NULL },                         /* the rest of the line */
};

static void test_parse(RecordFixture *f, gconstpointer data) {
        for (size_t i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
                _cleanup_free_ char *driver = NULL, *override = NULL;
                const char *text = parse_cases[i].text;

                g_assert_cmpint(record_parse(text, strlen(text), &driver, &override), ==, 0);
                g_assert_cmpstr(driver, ==, parse_cases[i].driver);
                g_assert_cmpstr(override, ==, parse_cases[i].override);
        }
}

/* The buffer is not NUL-terminated: the parser stops at its size. */
static void test_parse_unterminated(RecordFixture *f, gconstpointer data) {
        _cleanup_free_ char *driver = NULL;
        const char text[] = { 'd', 'r', 'i', 'v', 'e', 'r', '=', 'a', 'h', 'c', 'i', 'X' };

        g_assert_cmpint(record_parse(text, sizeof(text) - 1, &driver, NULL), ==, 0);
        g_assert_cmpstr(driver, ==, "ahci");
}

#define ADD(path, func) g_test_add(path, RecordFixture, NULL, fixture_setup, func, fixture_teardown)

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        ADD("/record/round-trip", test_round_trip);
        ADD("/record/fifo", test_fifo);
        ADD("/record/directory", test_directory);
        ADD("/record/symlink", test_symlink);
        ADD("/record/oversized", test_oversized);
        ADD("/record/not-utf8", test_not_utf8);
        ADD("/record/parse", test_parse);
        ADD("/record/parse-unterminated", test_parse_unterminated);
        return g_test_run();
}
