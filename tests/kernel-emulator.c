/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's bind/unbind/drivers_probe semantics on a testbed (see kernel-emulator.h). */
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel-emulator.h"

struct KernelEmulator {
        Testbed *tb;
        int fd;
        guint source;
        GHashTable *watches; /* watch descriptor -> root-relative directory */
        GHashTable *refused; /* "driver address" */
        char *blocked;       /* the driver whose unbind is a FIFO */
        GHashTable *writes;  /* address -> writes naming it (bind, unbind, drivers_probe) */
};

static char *root_path(KernelEmulator *k, const char *rel) {
        return g_build_filename(testbed_root_dir(k->tb), rel, NULL);
}

static char *read_trimmed(const char *path) {
        g_autofree char *contents = NULL;

        if (!g_file_get_contents(path, &contents, NULL, NULL))
                return NULL;
        /* The kernel takes a value up to its first newline. */
        contents[strcspn(contents, "\n")] = '\0';
        return g_steal_pointer(&contents);
}

static void watch_dir(KernelEmulator *k, const char *rel) {
        g_autofree char *full = root_path(k, rel);
        int wd = inotify_add_watch(k->fd, full, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR);

        g_assert_cmpint(wd, >=, 0);
        g_hash_table_replace(k->watches, GINT_TO_POINTER(wd), g_strdup(rel));
}

static char *device_entry(KernelEmulator *k, const char *address, const char *entry) {
        return g_build_filename(testbed_root_dir(k->tb), "sys", testbed_devpath(k->tb, address), entry,
                                NULL);
}

char *kernel_emulator_driver(KernelEmulator *k, const char *address) {
        g_autofree char *link = device_entry(k, address, "driver");
        g_autofree char *target = g_file_read_link(link, NULL);

        return target ? g_path_get_basename(target) : NULL;
}

char *kernel_emulator_override(KernelEmulator *k, const char *address) {
        g_autofree char *path = device_entry(k, address, "driver_override");
        g_autofree char *value = read_trimmed(path);

        if (!value || !*value || g_str_equal(value, "(null)"))
                return NULL;
        return g_steal_pointer(&value);
}

void kernel_emulator_assert(KernelEmulator *k, const char *address, const char *driver,
                            const char *override) {
        g_autofree char *d = kernel_emulator_driver(k, address);
        g_autofree char *o = kernel_emulator_override(k, address);

        g_assert_cmpstr(d, ==, driver);
        g_assert_cmpstr(o, ==, override);
}

static bool driver_exists(KernelEmulator *k, const char *driver) {
        g_autofree char *dir = g_build_filename(testbed_sys_dir(k->tb), "bus/pci/drivers", driver, NULL);

        return g_file_test(dir, G_FILE_TEST_IS_DIR);
}

static bool refuses(KernelEmulator *k, const char *driver, const char *address) {
        g_autofree char *key = g_strconcat(driver, " ", address, NULL);

        return g_hash_table_contains(k->refused, key);
}

static bool known_device(const char *address) {
        return testbed_function_find(address) != NULL;
}

static const char *native_driver(const char *address) {
        const TestbedFunction *f = testbed_function_find(address);

        /* vfio-pci matches no IDs: it takes a device only through driver_override. */
        return f && f->driver && !g_str_equal(f->driver, "vfio-pci") ? f->driver : NULL;
}

static void do_bind(KernelEmulator *k, const char *address, const char *driver) {
        if (!driver || !driver_exists(k, driver) || refuses(k, driver, address))
                return;
        testbed_set_driver(k->tb, address, driver);
        testbed_uevent(k->tb, address, "bind");
}

static void on_unbind(KernelEmulator *k, const char *driver, const char *address) {
        g_autofree char *current = kernel_emulator_driver(k, address);

        if (!g_strcmp0(current, driver)) {
                testbed_set_driver(k->tb, address, NULL);
                testbed_uevent(k->tb, address, "unbind");
        }
}

/* A driver's bind file, or drivers_probe (driver NULL): the override decides, else the
 * native driver's ID table. */
static void on_probe(KernelEmulator *k, const char *driver, const char *address) {
        g_autofree char *current = kernel_emulator_driver(k, address);
        g_autofree char *override = kernel_emulator_override(k, address);

        if (current)
                return;
        if (override && driver && !g_str_equal(override, driver))
                return;
        do_bind(k, address, driver ?: override ?: native_driver(address));
}

static void on_write(KernelEmulator *k, const char *dir, const char *name) {
        g_autofree char *rel = g_build_filename(dir, name, NULL);
        g_autofree char *full = root_path(k, rel);
        g_autofree char *driver = g_path_get_basename(dir);
        g_autofree char *address = NULL;

        /* Reading the blocking FIFO would block the test: release() handles that write. */
        if (k->blocked && g_str_equal(driver, k->blocked) && g_str_equal(name, "unbind"))
                return;
        address = read_trimmed(full);
        if (address)
                g_hash_table_insert(k->writes, g_strdup(address),
                                    GUINT_TO_POINTER(kernel_emulator_writes(k, address) + 1));
        if (!address || !known_device(address))
                return;
        if (g_str_equal(name, "drivers_probe"))
                on_probe(k, NULL, address);
        else if (g_str_equal(name, "bind"))
                on_probe(k, driver, address);
        else if (g_str_equal(name, "unbind"))
                on_unbind(k, driver, address);
}

unsigned kernel_emulator_writes(KernelEmulator *k, const char *address) {
        return GPOINTER_TO_UINT(g_hash_table_lookup(k->writes, address));
}

static gboolean on_inotify(int fd, GIOCondition condition, gpointer data) {
        KernelEmulator *k = data;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n = read(fd, buf, sizeof(buf));

        for (char *p = buf; n > 0 && p < buf + n;) {
                const struct inotify_event *e = (const struct inotify_event *) p;
                const char *dir = g_hash_table_lookup(k->watches, GINT_TO_POINTER(e->wd));

                p += sizeof(struct inotify_event) + e->len;
                if (!dir || e->len == 0)
                        continue;
                if ((e->mask & IN_CREATE) && (e->mask & IN_ISDIR) &&
                    g_str_equal(dir, "sys/bus/pci/drivers")) {
                        g_autofree char *sub = g_build_filename(dir, e->name, NULL);

                        watch_dir(k, sub);
                } else if (e->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
                        on_write(k, dir, e->name);
        }
        return G_SOURCE_CONTINUE;
}

KernelEmulator *kernel_emulator_new(Testbed *tb) {
        KernelEmulator *k = g_new0(KernelEmulator, 1);
        g_autofree char *drivers = NULL;
        g_autoptr(GDir) d = NULL;
        const char *name;

        k->tb = tb;
        k->watches = g_hash_table_new_full(NULL, NULL, NULL, g_free);
        k->refused = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        k->writes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        k->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        g_assert_cmpint(k->fd, >=, 0);
        watch_dir(k, "sys/bus/pci");
        watch_dir(k, "sys/bus/pci/drivers");
        drivers = root_path(k, "sys/bus/pci/drivers");
        d = g_dir_open(drivers, 0, NULL);
        g_assert_nonnull(d);
        while ((name = g_dir_read_name(d))) {
                g_autofree char *sub = g_build_filename("sys/bus/pci/drivers", name, NULL);

                watch_dir(k, sub);
        }
        k->source = g_unix_fd_add(k->fd, G_IO_IN, on_inotify, k);
        return k;
}

static char *unbind_path(KernelEmulator *k, const char *driver) {
        return g_build_filename(testbed_sys_dir(k->tb), "bus/pci/drivers", driver, "unbind", NULL);
}

void kernel_emulator_block_unbind(KernelEmulator *k, const char *driver) {
        g_autofree char *path = unbind_path(k, driver);

        g_assert_null(k->blocked);
        g_assert_no_errno(g_unlink(path));
        g_assert_no_errno(mkfifo(path, 0600));
        k->blocked = g_strdup(driver);
}

void kernel_emulator_release(KernelEmulator *k) {
        g_autoptr(GString) written = g_string_new(NULL);
        g_autofree char *path = NULL;
        g_auto(GStrv) lines = NULL;
        char buf[256];
        ssize_t n;
        int fd;

        if (!k->blocked)
                return;
        path = unbind_path(k, k->blocked);
        /* Opening the read end lets every blocked open(O_WRONLY) return; then their writes
         * land, and the end of file comes when the last writer has closed. */
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };

                if (poll(&p, 1, 5000) <= 0)
                        break;
                n = read(fd, buf, sizeof(buf));
                if (n > 0)
                        g_string_append_len(written, buf, n);
                else if (n == 0 || errno != EAGAIN)
                        break;
        }
        close(fd);
        g_assert_no_errno(g_unlink(path));
        g_assert_true(g_file_set_contents(path, "", 0, NULL));
        lines = g_strsplit(written->str, "\n", -1);
        for (char **l = lines; *l; l++)
                if (known_device(*l))
                        on_unbind(k, k->blocked, *l);
        g_clear_pointer(&k->blocked, g_free);
}

void kernel_emulator_free(KernelEmulator *k) {
        if (!k)
                return;
        kernel_emulator_release(k);
        g_source_remove(k->source);
        close(k->fd);
        g_hash_table_unref(k->watches);
        g_hash_table_unref(k->refused);
        g_hash_table_unref(k->writes);
        g_free(k);
}

void kernel_emulator_add_driver(KernelEmulator *k, const char *driver) {
        g_autofree char *dir = g_build_filename(testbed_sys_dir(k->tb), "bus/pci/drivers", driver, NULL);
        g_autofree char *bind = g_build_filename(dir, "bind", NULL);
        g_autofree char *unbind = g_build_filename(dir, "unbind", NULL);

        g_assert_no_errno(g_mkdir_with_parents(dir, 0755));
        g_assert_true(g_file_set_contents(bind, "", 0, NULL));
        g_assert_true(g_file_set_contents(unbind, "", 0, NULL));
        kernel_emulator_settle(k);
}

void kernel_emulator_refuse(KernelEmulator *k, const char *driver, const char *address) {
        g_hash_table_add(k->refused, g_strconcat(driver, " ", address, NULL));
}

void kernel_emulator_settle(KernelEmulator *k) {
        while (g_main_context_iteration(NULL, FALSE))
                ;
}
