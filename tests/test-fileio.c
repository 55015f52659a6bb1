/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The file layer (common/fileio.c): whole-file reads, also into a caller's buffer, that refuse
 * links, FIFOs and big files; atomic writes that keep mode and owner, never lose an edit renamed
 * in before them, and leave no temporary file behind. Everything runs in a temporary directory. */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "macros.h"

typedef struct {
        char *dir;
        int dirfd;
} FileFixture;

static void fixture_setup(FileFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        f->dir = g_dir_make_tmp("passthru-fileio-XXXXXX", &error);
        g_assert_no_error(error);
        f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        g_assert_cmpint(f->dirfd, >=, 0);
}

static void fixture_teardown(FileFixture *f, gconstpointer data) {
        g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
        const char *name;

        while (d && (name = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(f->dir, name, NULL);

                g_assert_cmpint(g_remove(path), ==, 0);
        }
        close(f->dirfd);
        g_assert_cmpint(g_rmdir(f->dir), ==, 0);
        g_free(f->dir);
}

static char *path_of(FileFixture *f, const char *name) {
        return g_build_filename(f->dir, name, NULL);
}

static void put(FileFixture *f, const char *name, const char *text) {
        g_autofree char *path = path_of(f, name);

        g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void assert_contents(FileFixture *f, const char *name, const char *expected) {
        g_autofree char *path = path_of(f, name), *text = NULL;

        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        g_assert_cmpstr(text, ==, expected);
}

/* Only the names given are in the directory: no temporary file is left. */
static void assert_only(FileFixture *f, const char *const *names) {
        g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
        const char *name;
        guint n = 0;

        while ((name = g_dir_read_name(d))) {
                g_assert_true(g_strv_contains(names, name));
                n++;
        }
        g_assert_cmpuint(n, ==, g_strv_length((char **) names));
}

static void test_read(FileFixture *f, gconstpointer data) {
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t size;

        put(f, "a", "hello\n");
        g_assert_cmpint(read_file_at(f->dirfd, "a", 100, 0, &text, &size, &st), ==, 0);
        g_assert_cmpstr(text, ==, "hello\n");
        g_assert_cmpuint(size, ==, 6);
        g_assert_cmpint(st.st_size, ==, 6);
        text = mfree(text);
        /* Exactly the cap is fine; one byte more is not. */
        g_assert_cmpint(read_file_at(f->dirfd, "a", 6, 0, &text, NULL, NULL), ==, 0);
        text = mfree(text);
        g_assert_cmpint(read_file_at(f->dirfd, "a", 5, 0, &text, NULL, NULL), ==, -EFBIG);
        g_assert_null(text);
        g_assert_cmpint(read_file_at(f->dirfd, "missing", 100, 0, &text, NULL, NULL), ==, -ENOENT);
}

/* Into a caller's buffer: the file and its NUL must fit. A /proc file (size 0 by stat) is read
 * to its end. */
static void test_read_into(FileFixture *f, gconstpointer data) {
        char buf[7], comm[64];
        size_t size;

        put(f, "a", "hello\n");
        g_assert_cmpint(read_file_into_at(f->dirfd, "a", 0, buf, sizeof(buf), &size), ==, 0);
        g_assert_cmpstr(buf, ==, "hello\n");
        g_assert_cmpuint(size, ==, 6);
        g_assert_cmpint(read_file_into_at(f->dirfd, "a", 0, buf, 6, NULL), ==, -EFBIG);
        g_assert_cmpint(read_file_into_at(f->dirfd, "missing", 0, buf, sizeof(buf), NULL), ==, -ENOENT);
        g_assert_cmpint(read_file_into_at(AT_FDCWD, "/proc/self/comm", 0, comm, sizeof(comm), &size), ==, 0);
        g_assert_cmpuint(size, >, 1);
        g_assert_cmpint(comm[size - 1], ==, '\n');
        g_assert_cmpint(read_file_into_at(AT_FDCWD, "/proc/self/comm", 0, comm, 2, NULL), ==, -EFBIG);
}

/* The buffer follows the file, not the cap: a file of known size is read into a buffer of its
 * size; a /proc file (size 0 by stat) larger than the first page grows its buffer, up to the cap
 * and not past it. */
static void test_read_grows(FileFixture *f, gconstpointer data) {
        g_autofree char *big = g_strnfill(100000, 'x');
        _cleanup_free_ char *text = NULL;
        size_t size;

        put(f, "big", big);
        g_assert_cmpint(read_file_at(f->dirfd, "big", 16 << 20, 0, &text, &size, NULL), ==, 0);
        g_assert_cmpuint(size, ==, 100000);
        g_assert_cmpstr(text, ==, big);
        text = mfree(text);
        g_assert_cmpint(read_file_at(AT_FDCWD, "/proc/self/smaps", 16 << 20, 0, &text, &size, NULL), ==, 0);
        g_assert_cmpuint(size, >, 3 * 4096);
        g_assert_cmpuint(strlen(text), ==, size);
        g_assert_cmpint(text[size - 1], ==, '\n');
        text = mfree(text);
        g_assert_cmpint(read_file_at(AT_FDCWD, "/proc/self/smaps", 10000, 0, &text, NULL, NULL), ==, -EFBIG);
        g_assert_null(text);
}

static void test_read_refuses(FileFixture *f, gconstpointer data) {
        g_autofree char *fifo = path_of(f, "fifo"), *link = path_of(f, "link"), *sub = path_of(f, "sub");
        _cleanup_free_ char *text = NULL;
        gint64 start = g_get_monotonic_time();

        put(f, "a", "x");
        g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
        g_assert_cmpint(symlink("a", link), ==, 0);
        g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
        /* No writer on the FIFO: a blocking open would hang here for ever. */
        g_assert_cmpint(read_file_at(f->dirfd, "fifo", 100, 0, &text, NULL, NULL), ==, -EBADFD);
        g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
        g_assert_cmpint(read_file_at(f->dirfd, "link", 100, 0, &text, NULL, NULL), ==, -ELOOP);
        /* Asked to follow: the link's target, but still only a regular file. */
        g_assert_cmpint(read_file_at(f->dirfd, "link", 100, READ_FILE_FOLLOW, &text, NULL, NULL), ==, 0);
        g_assert_cmpstr(text, ==, "x");
        text = mfree(text);
        g_assert_cmpint(read_file_at(f->dirfd, "fifo", 100, READ_FILE_FOLLOW, &text, NULL, NULL), ==,
                        -EBADFD);
        g_assert_cmpint(read_file_at(f->dirfd, "sub", 100, 0, &text, NULL, NULL), ==, -EISDIR);
        g_assert_null(text);
        g_assert_cmpint(g_rmdir(sub), ==, 0);
}

static void test_write_new_and_replace(FileFixture *f, gconstpointer data) {
        g_autofree char *path = path_of(f, "conf");
        WriteFileParams p = { .mode = 0640 };
        struct stat st, written;

        g_assert_cmpint(write_file_atomic_at(f->dirfd, "conf", "one\n", 4, &p, &written), ==, 0);
        assert_contents(f, "conf", "one\n");
        g_assert_cmpint(stat(path, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0640);
        g_assert_true(stat_same_file(&st, &written));
        /* An existing file keeps its own mode, not the one for new files. */
        g_assert_cmpint(chmod(path, 0600), ==, 0);
        p.mode = 0644;
        g_assert_cmpint(write_file_atomic_at(f->dirfd, "conf", "two\n", 4, &p, NULL), ==, 0);
        assert_contents(f, "conf", "two\n");
        g_assert_cmpint(stat(path, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);
        assert_only(f, (const char *const[]){ "conf", NULL });
        g_assert_cmpint(write_file_atomic_at(f->dirfd, "a/b", "x", 1, &p, NULL), ==, -EINVAL);
}

/* Another user's file, 0640 and group different from owner, rewritten: ret_st after the write. */
static void rewrite_admin_file(FileFixture *f, void (*before_write)(void), struct stat *ret_st) {
        g_autofree char *path = path_of(f, "conf");

        put(f, "conf", "old\n");
        g_assert_no_errno(chown(path, 1000, 1001));
        g_assert_no_errno(chmod(path, 0640));
        if (before_write)
                before_write();
        g_assert_cmpint(write_file_atomic_at(f->dirfd, "conf", "new\n", 4, NULL, NULL), ==, 0);
        assert_contents(f, "conf", "new\n");
        assert_only(f, (const char *const[]){ "conf", NULL });
        g_assert_no_errno(stat(path, ret_st));
}

/* Drops cap from this process's effective set: call it in a test's subprocess only. */
static void drop_capability(int cap) {
        struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

        g_assert_no_errno(syscall(SYS_capget, &header, data));
        data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
        g_assert_no_errno(syscall(SYS_capset, &header, data));
}

static void drop_fowner(void) {
        drop_capability(CAP_FOWNER);
}

static void drop_chown(void) {
        drop_capability(CAP_CHOWN);
}

static bool skip_unless_root(void) {
        if (geteuid() == 0)
                return false;
        g_test_skip("Not root: cannot give the file another owner to keep.");
        return true;
}

static void assert_kept(const struct stat *st) {
        g_assert_cmpuint(st->st_uid, ==, 1000);
        g_assert_cmpuint(st->st_gid, ==, 1001);
        g_assert_cmpint(st->st_mode & 07777, ==, 0640);
}

static void test_write_keeps_owner(FileFixture *f, gconstpointer data) {
        struct stat st;

        if (skip_unless_root())
                return;
        rewrite_admin_file(f, NULL, &st);
        assert_kept(&st);
}

/* As passthrud's unit runs it: CAP_CHOWN, not CAP_FOWNER. The mode is set while the file is
 * still the writer's; once given away, it could not be. */
static void test_write_keeps_owner_chown_only(FileFixture *f, gconstpointer data) {
        struct stat st;

        if (skip_unless_root())
                return;
        if (g_test_subprocess()) {
                rewrite_admin_file(f, drop_fowner, &st);
                assert_kept(&st);
                return;
        }
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
}

/* Without CAP_CHOWN (a daemon started by hand as another user) the write still happens: the
 * file becomes the writer's, keeps its mode, and a warning names file, old and new owner. */
static void test_write_without_chown(FileFixture *f, gconstpointer data) {
        g_autofree char *warning = NULL;
        struct stat st;

        if (skip_unless_root())
                return;
        if (g_test_subprocess()) {
                rewrite_admin_file(f, drop_chown, &st);
                g_assert_cmpuint(st.st_uid, ==, geteuid());
                g_assert_cmpuint(st.st_gid, ==, getegid());
                g_assert_cmpint(st.st_mode & 07777, ==, 0640);
                return;
        }
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        warning = g_strdup_printf(
                "*Cannot keep the owner 1000:1001 of conf (*); the file is now owned by %u:%u,*",
                (unsigned) geteuid(), (unsigned) getegid());
        g_test_trap_assert_stderr(warning);
}

static void test_write_refuses_link(FileFixture *f, gconstpointer data) {
        g_autofree char *link = path_of(f, "conf");

        put(f, "target", "mine\n");
        g_assert_cmpint(symlink("target", link), ==, 0);
        g_assert_cmpint(write_file_atomic_at(f->dirfd, "conf", "x", 1, NULL, NULL), ==, -ELOOP);
        assert_contents(f, "target", "mine\n");
        assert_only(f, (const char *const[]){ "conf", "target", NULL });
}

static void test_write_expect(FileFixture *f, gconstpointer data) {
        WriteFileParams p = { .mode = 0644, .expect = WRITE_ABSENT };
        _cleanup_free_ char *text = NULL;
        struct stat st;

        g_assert_cmpint(write_file_atomic_at(f->dirfd, "conf", "1\n", 2, &p, NULL), ==, 0);
        /* Absent expected, but there is a file now. */
        g_assert_cmpint(write_file_atomic_at(f->dirfd, "conf", "2\n", 2, &p, NULL), ==, -ESTALE);
        assert_contents(f, "conf", "1\n");

        g_assert_cmpint(read_file_at(f->dirfd, "conf", 100, 0, &text, NULL, &st), ==, 0);
        p = (WriteFileParams){ .mode = 0644, .expect = WRITE_SAME, .expected_st = &st };
        g_assert_cmpint(write_file_atomic_at(f->dirfd, "conf", "2\n", 2, &p, &st), ==, 0);
        assert_contents(f, "conf", "2\n");
        /* Replaced by someone else since: not overwritten. */
        put(f, "conf", "hand edit\n");
        g_assert_cmpint(write_file_atomic_at(f->dirfd, "conf", "3\n", 2, &p, NULL), ==, -ESTALE);
        assert_contents(f, "conf", "hand edit\n");

        p = (WriteFileParams){ .mode = 0600, .expect = WRITE_NOREPLACE };
        g_assert_cmpint(write_file_atomic_at(f->dirfd, "conf", "4\n", 2, &p, NULL), ==, -EEXIST);
        g_assert_cmpint(write_file_atomic_at(f->dirfd, "backup", "4\n", 2, &p, NULL), ==, 0);
        assert_contents(f, "conf", "hand edit\n");
        assert_contents(f, "backup", "4\n");
        assert_only(f, (const char *const[]){ "conf", "backup", NULL });
}

typedef struct {
        FileFixture *f;
        const char *step;
} Failing;

static int fail_at(const char *step, void *userdata) {
        const Failing *failing = userdata;

        return streq(step, failing->step) ? -EIO : 0;
}

static void test_write_fails_cleanly(FileFixture *f, gconstpointer data) {
        static const char *const steps[] = { "write", "fsync", "rename" };

        put(f, "conf", "old\n");
        for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
                Failing failing = { f, steps[i] };
                WriteFileParams p = { .mode = 0644, .before_step = fail_at, .userdata = &failing };

                g_assert_cmpint(write_file_atomic_at(f->dirfd, "conf", "new\n", 4, &p, NULL), ==, -EIO);
                assert_contents(f, "conf", "old\n");
                assert_only(f, (const char *const[]){ "conf", NULL });
        }
}

/* An edit renamed in between the check and the rename: the step hook runs just before the
 * rename, where the editor's rename lands. The edit survives and the write says -ESTALE. */
static int editor_renames_in(const char *step, void *userdata) {
        FileFixture *f = userdata;
        g_autofree char *tmp = path_of(f, "editor.tmp"), *conf = path_of(f, "conf");

        if (!streq(step, "rename"))
                return 0;
        g_assert_true(g_file_set_contents(tmp, "hand edit\n", -1, NULL));
        g_assert_cmpint(rename(tmp, conf), ==, 0);
        return 0;
}

static void test_write_edit_before_rename(FileFixture *f, gconstpointer data) {
        _cleanup_free_ char *text = NULL;
        WriteFileParams p = {
                .mode = 0644, .expect = WRITE_SAME, .before_step = editor_renames_in, .userdata = f
        };
        struct stat st;

        put(f, "conf", "old\n");
        g_assert_cmpint(read_file_at(f->dirfd, "conf", 100, 0, &text, NULL, &st), ==, 0);
        p.expected_st = &st;
        g_assert_cmpint(write_file_atomic_at(f->dirfd, "conf", "daemon\n", 7, &p, NULL), ==, -ESTALE);
        assert_contents(f, "conf", "hand edit\n");
        assert_only(f, (const char *const[]){ "conf", NULL });
}

static void test_clean_temporaries(FileFixture *f, gconstpointer data) {
        g_autofree char *dir = path_of(f, ".conf.abcdef");

        put(f, "conf", "x");
        put(f, ".conf.Ab12Z9", "left by a SIGKILL");
        put(f, ".conf.zzzzzz", "and another");
        put(f, ".conf.toolong1", "not ours");
        put(f, ".other.abcdef", "not ours");
        g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
        g_assert_cmpint(write_file_clean_temporaries_at(f->dirfd, "conf"), ==, 2);
        assert_only(
                f, (const char *const[]){ "conf", ".conf.toolong1", ".other.abcdef", ".conf.abcdef", NULL });
        g_assert_cmpint(g_rmdir(dir), ==, 0);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, FileFixture, NULL, fixture_setup, func, fixture_teardown)
        ADD("/fileio/read", test_read);
        ADD("/fileio/read/into", test_read_into);
        ADD("/fileio/read/grows", test_read_grows);
        ADD("/fileio/read/refuses", test_read_refuses);
        ADD("/fileio/write/new-and-replace", test_write_new_and_replace);
        ADD("/fileio/write/keeps-owner", test_write_keeps_owner);
        ADD("/fileio/write/keeps-owner-chown-only", test_write_keeps_owner_chown_only);
        ADD("/fileio/write/without-chown", test_write_without_chown);
        ADD("/fileio/write/refuses-link", test_write_refuses_link);
        ADD("/fileio/write/expect", test_write_expect);
        ADD("/fileio/write/fails-cleanly", test_write_fails_cleanly);
        ADD("/fileio/write/edit-before-rename", test_write_edit_before_rename);
        ADD("/fileio/clean-temporaries", test_clean_temporaries);
        return g_test_run();
}
