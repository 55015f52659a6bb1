/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The persistence store (daemon/model/devices-conf.c): the parser's verdicts with their line
 * numbers, edits that keep the admin's lines, the atomic save (with its failures), the
 * identity of a remembered card, entry states, and the DSN read from config space
 * (daemon/model/pci-dsn.c). Everything runs in a temporary directory, never on /etc. */
#include <endian.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "config.h"
#include "device-read.h"
#include "devices-conf.h"
#include "editor.h"
#include "pci-dsn.h"
#include "sysfs.h"
#include "testbed.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Config, config_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ConfigError, config_error_done)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ConfigEntry, config_entry_done)

#define EXAMPLE                                                                \
        "# Written by passthrud; hand edits are kept. See passthru.conf(5).\n" \
        "\n"                                                                   \
        "# The GPU for the Windows guest.\n"                                   \
        "[0000:01:00.0]\n"                                                     \
        "id = 10de:1b80\n"                                                     \
        "subsystem = 1462:3362\n"                                              \
        "class = 0x030000\n"                                                   \
        "serial = 00-11-22-33-44-55-66-77     # read from the card\n"          \
        "  # its audio function is in the same group\n"                        \
        "vfio = yes\n"                                                         \
        "\n"                                                                   \
        "[0000:01:00.1]\n"                                                     \
        "id = 10de:10f0\n"                                                     \
        "class = 0x040300\n"                                                   \
        "\n"                                                                   \
        "# The NIC's PF: VFs first.\n"                                         \
        "[0000:03:00.0]\n"                                                     \
        "id = 8086:1521\n"                                                     \
        "class = 0x020000\n"                                                   \
        "vfio = no\n"                                                          \
        "sriov-numvfs = 4\n"

static Config *parse_ok(const char *text) {
        g_auto(ConfigError) error = {};
        Config *c = NULL;
        int r;

        r = config_parse(text, strlen(text), "test.conf", &c, &error);
        if (r < 0)
                g_error("parse failed (%d) at line %u: %s\n%s", r, error.line, error.message, text);
        g_assert_nonnull(c);
        return c;
}

static PciAddress address(const char *s) {
        PciAddress a;

        g_assert_cmpint(pci_address_parse(s, &a), ==, 0);
        return a;
}

static void assert_text(const Config *c, const char *expected) {
        size_t size;
        const char *text = config_text(c, &size);

        g_assert_cmpstr(text, ==, expected);
        g_assert_cmpuint(size, ==, strlen(expected));
}

/* ---- parsing ---- */

typedef struct {
        const char *name, *text;
        size_t n_entries;
} GoodCase;

static const GoodCase good_cases[] = {
        { "empty", "", 0 },
        { "comments only", "# nothing kept\n\n   # indented\n", 0 },
        { "the documented example", EXAMPLE, 3 },
        { "short address, upper case, no spaces", "[01:00.0]\nid=10DE:1B80\nclass=0X030000\n", 1 },
        { "CRLF line ends", "[0000:01:00.0]\r\nid = 10de:1b80\r\nclass = 0x030000\r\n", 1 },
        { "no newline at the end", "[0000:01:00.0]\nid = 10de:1b80\nclass = 0x030000", 1 },
        { "tabs and inline comments", "\t[ 0000:01:00.0 ]  # gpu\nid\t=\t10de:1b80#x\nclass = 0x30000\n",
          1 },
        { "eight-digit domain", "[10000:01:00.0]\nid = 10de:1b80\nclass = 0x030000\n", 1 },
};

static void test_parse_good(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(good_cases); i++) {
                const GoodCase *t = &good_cases[i];
                g_autoptr(Config) c = NULL;

                g_test_message("case: %s", t->name);
                c = parse_ok(t->text);
                g_assert_cmpuint(config_n_entries(c), ==, t->n_entries);
                /* Parsing keeps every byte. */
                assert_text(c, t->text);
        }
}

static void test_parse_values(void) {
        g_autoptr(Config) c = parse_ok(EXAMPLE);
        const ConfigEntry *gpu, *audio, *pf;
        PciAddress a = address("0000:01:00.0");

        gpu = config_entry(c, 0);
        g_assert_true(config_find(c, &a) == gpu);
        g_assert_cmphex(gpu->identity.vendor_id, ==, 0x10de);
        g_assert_cmphex(gpu->identity.device_id, ==, 0x1b80);
        g_assert_true(gpu->identity.has_subsystem);
        g_assert_cmphex(gpu->identity.subsystem_vendor_id, ==, 0x1462);
        g_assert_cmphex(gpu->identity.subsystem_device_id, ==, 0x3362);
        g_assert_cmphex(gpu->identity.class_code, ==, 0x030000);
        g_assert_cmpstr(gpu->identity.serial, ==, "00-11-22-33-44-55-66-77");
        g_assert_true(gpu->vfio);
        g_assert_cmpint(gpu->sriov_numvfs, ==, -1);
        g_assert_false(gpu->allow_protected);

        audio = config_entry(c, 1);
        g_assert_false(audio->identity.has_subsystem);
        g_assert_null(audio->identity.serial);
        g_assert_true(audio->vfio);

        pf = config_entry(c, 2);
        g_assert_false(pf->vfio);
        g_assert_cmpint(pf->sriov_numvfs, ==, 4);
        g_assert_null(config_entry(c, 3));
        a = address("0000:02:00.0");
        g_assert_null(config_find(c, &a));
}

#define GPU "[0000:01:00.0]\nid = 10de:1b80\nclass = 0x030000\n"

typedef struct {
        const char *name, *text;
        int error;
        unsigned line;
        const char *message; /* a part of it */
} BadCase;

static const BadCase bad_cases[] = {
        { "unknown key", GPU "colour = green\n", -EINVAL, 4, "Unknown key \"colour\"" },
        { "duplicate section", GPU "\n[01:00.0]\nid = 10de:1b80\nclass = 0x030000\n", -EINVAL, 5,
          "Section [0000:01:00.0] appears twice; the first is on line 1" },
        { "duplicate key", GPU "id = 10de:1b81\n", -EINVAL, 4,
          "Key \"id\" appears twice in this section; the first is on line 2" },
        { "key outside a section", "# hello\nid = 10de:1b80\n", -EINVAL, 2, "outside of a device section" },
        { "missing class", "[0000:01:00.0]\nid = 10de:1b80\n\n" GPU, -EINVAL, 1, "no \"class\" key" },
        { "missing id, last section", GPU "[0000:02:00.0]\nclass = 0x030000\n", -EINVAL, 4,
          "no \"id\" key" },
        { "section without keys", "\n\n[0000:02:00.0]\n", -EINVAL, 3, "no \"id\" key" },
        { "no equals sign", GPU "vfio\n", -EINVAL, 4, "Expected \"key = value\"" },
        { "slot out of range", "[0000:01:20.0]\n", -EINVAL, 1, "not a PCI address" },
        { "empty address", "[ ]\n", -EINVAL, 1, "not a PCI address" },
        { "unclosed section", "[0000:01:00.0\n", -EINVAL, 1, "Expected \"]\"" },
        { "id with a dash", "[0000:01:00.0]\nid = 10de-1b80\n", -EINVAL, 2, "Invalid id \"10de-1b80\"" },
        { "id too short", "[0000:01:00.0]\nid = 10de:1b8\n", -EINVAL, 2, "Invalid id" },
        { "subsystem with spaces", GPU "subsystem = 1462 : 3362\n", -EINVAL, 4, "Invalid subsystem" },
        { "class without 0x", "[0000:01:00.0]\nid = 10de:1b80\nclass = 030000\n", -EINVAL, 3,
          "Invalid class" },
        { "class too wide", "[0000:01:00.0]\nid = 10de:1b80\nclass = 0x1000000\n", -EINVAL, 3,
          "Invalid class" },
        { "short serial", GPU "serial = 00-11-22\n", -EINVAL, 4, "Invalid serial" },
        { "serial with colons", GPU "serial = 00:11:22:33:44:55:66:77\n", -EINVAL, 4, "Invalid serial" },
        { "vfio true", GPU "vfio = true\n", -EINVAL, 4,
          "Invalid vfio \"true\": expected \"yes\" or \"no\"" },
        { "allow-protected empty", GPU "allow-protected =\n", -EINVAL, 4, "Invalid allow-protected" },
        { "too many VFs", GPU "sriov-numvfs = 65536\n", -EINVAL, 4, "Invalid sriov-numvfs" },
        { "negative VFs", GPU "sriov-numvfs = -1\n", -EINVAL, 4, "Invalid sriov-numvfs" },
        { "NUL byte", GPU "vfio = y\0s\n", -EINVAL, 4, "NUL byte" },
        { "control bytes are not echoed", GPU "\x1b[31m = 1\n", -EINVAL, 4, "Unknown key \"?[31m\"" },
};

static void test_parse_bad(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
                const BadCase *t = &bad_cases[i];
                /* The NUL case's length is not strlen(). */
                size_t len = streq(t->name, "NUL byte") ? strlen(GPU) + 11 : strlen(t->text);
                g_auto(ConfigError) error = {};
                Config *c = NULL;

                g_test_message("case: %s", t->name);
                g_assert_cmpint(config_parse(t->text, len, "/etc/passthru/devices.conf", &c, &error), ==,
                                t->error);
                g_assert_null(c);
                g_assert_cmpstr(error.path, ==, "/etc/passthru/devices.conf");
                g_assert_cmpuint(error.line, ==, t->line);
                g_assert_nonnull(strstr(error.message, t->message));
        }
}

static void test_parse_caps(void) {
        g_autoptr(GString) s = g_string_new(GPU);
        g_auto(ConfigError) error = {};
        g_autofree char *big = NULL;
        Config *c = NULL;

        g_string_append_printf(s, "# %*s\n", CONFIG_LINE_MAX, "x");
        g_assert_cmpint(config_parse(s->str, s->len, NULL, &c, &error), ==, -EFBIG);
        g_assert_cmpuint(error.line, ==, 4);
        g_assert_cmpstr(error.path, ==, "devices.conf");
        config_error_done(&error);

        g_string_assign(s, "");
        for (unsigned i = 0; i <= CONFIG_ENTRIES_MAX; i++)
                g_string_append_printf(s, "[0000:%02x:%02x.%x]\nid=10de:1b80\nclass=0x030000\n", i >> 8,
                                       (i >> 3) & 0x1f, i & 7);
        g_assert_cmpint(config_parse(s->str, s->len, NULL, &c, &error), ==, -EFBIG);
        g_assert_cmpuint(error.line, ==, 3 * CONFIG_ENTRIES_MAX + 1);
        g_assert_nonnull(strstr(error.message, "more than 4096 devices"));
        config_error_done(&error);

        big = g_malloc0(CONFIG_SIZE_MAX + 1);
        memset(big, '\n', CONFIG_SIZE_MAX + 1);
        g_assert_cmpint(config_parse(big, CONFIG_SIZE_MAX + 1, NULL, &c, &error), ==, -EFBIG);
        g_assert_cmpuint(error.line, ==, 0);
        config_error_done(&error);
        g_assert_cmpint(config_parse(big, CONFIG_LINES_MAX + 1, NULL, &c, &error), ==, -EFBIG);
        g_assert_cmpuint(error.line, ==, CONFIG_LINES_MAX + 1);
        g_assert_null(c);
}

/* The fuzz target's property, on a fixed seed: any bytes give a verdict, an accepted file
 * is kept byte for byte and takes an edit. Run under valgrind or ASan to see more. */
static void test_parse_any_bytes(void) {
        static const char alphabet[] = "[]=#:.-x0123456789abcdefyesno \t\r\n\x01\xff"
                                       "idclasssubsystemserialvfiosriov-numvfsallow-protected";
        GRand *rand = g_rand_new_with_seed(10);
        unsigned accepted = 0;

        for (unsigned i = 0; i < 20000; i++) {
                char buf[256];
                size_t len = (size_t) g_rand_int_range(rand, 0, sizeof(buf));
                g_auto(ConfigError) error = {};
                g_autoptr(Config) c = NULL;
                int r;

                /* Half are mutations of a valid file, half are soup. */
                if (i % 2 == 0) {
                        len = MIN(strlen(GPU), sizeof(buf));
                        memcpy(buf, GPU, len);
                        for (int k = g_rand_int_range(rand, 1, 4); k > 0; k--)
                                buf[g_rand_int_range(rand, 0, (gint32) len)] =
                                        alphabet[g_rand_int_range(rand, 0, sizeof(alphabet) - 1)];
                } else
                        for (size_t k = 0; k < len; k++)
                                buf[k] = alphabet[g_rand_int_range(rand, 0, sizeof(alphabet) - 1)];

                r = config_parse(buf, len, NULL, &c, &error);
                if (r < 0) {
                        g_assert_true(r == -EINVAL || r == -EFBIG);
                        g_assert_null(c);
                        continue;
                }
                accepted++;
                g_assert_cmpmem(config_text(c, NULL), len, buf, len);
                if (config_n_entries(c) > 0) {
                        PciAddress a = config_entry(c, 0)->address;

                        g_assert_cmpint(config_set_entry(c, config_entry(c, 0)), ==, 0);
                        g_assert_cmpint(config_remove_entry(c, &a), ==, 0);
                }
        }
        g_rand_free(rand);
        g_test_message("%u of 20000 inputs accepted", accepted);
        g_assert_cmpuint(accepted, >, 0);
}

static void test_error_to_string(void) {
        g_autofree char *s = NULL, *whole = NULL;
        ConfigError e = { .path = (char *) "/etc/passthru/devices.conf",
                          .line = 7,
                          .message = (char *) "Bad." };

        g_assert_cmpint(config_error_to_string(&e, &s), ==, 0);
        g_assert_cmpstr(s, ==, "/etc/passthru/devices.conf:7: Bad.");
        e.line = 0;
        g_assert_cmpint(config_error_to_string(&e, &whole), ==, 0);
        g_assert_cmpstr(whole, ==, "/etc/passthru/devices.conf: Bad.");
}

/* ---- editing ---- */

static ConfigEntry copy_entry(const ConfigEntry *e) {
        ConfigEntry copy = *e;

        copy.identity.serial = g_strdup(e->identity.serial);
        return copy;
}

static void test_edit_unchanged(void) {
        g_autoptr(Config) c = parse_ok(EXAMPLE);

        /* Setting what is there already changes no byte, whatever the spelling. */
        for (size_t i = 0; i < config_n_entries(c); i++) {
                g_auto(ConfigEntry) e = copy_entry(config_entry(c, i));

                g_assert_cmpint(config_set_entry(c, &e), ==, 0);
        }
        assert_text(c, EXAMPLE);
}

static void test_edit_unchanged_spelling(void) {
        static const char text[] =
                "[01:00.0]\nid=10DE:1B80\nclass=0x30000\nserial=AA-BB-CC-DD-EE-FF-00-11\n";
        g_autoptr(Config) c = parse_ok(text);
        g_auto(ConfigEntry) e = copy_entry(config_entry(c, 0));

        g_assert_cmpint(config_set_entry(c, &e), ==, 0);
        assert_text(c, text);
}

static void test_edit_update(void) {
        g_autoptr(Config) c = parse_ok(EXAMPLE);
        g_auto(ConfigEntry) e = copy_entry(config_entry(c, 0));

        g_free(e.identity.serial);
        e.identity.serial = g_strdup("AA-BB-CC-DD-EE-FF-00-11");
        e.identity.has_subsystem = false;
        e.sriov_numvfs = 2;
        e.allow_protected = true;
        g_assert_cmpint(config_set_entry(c, &e), ==, 0);
        assert_text(c, "# Written by passthrud; hand edits are kept. See passthru.conf(5).\n"
                       "\n"
                       "# The GPU for the Windows guest.\n"
                       "[0000:01:00.0]\n"
                       "id = 10de:1b80\n"
                       "class = 0x030000\n"
                       "serial = aa-bb-cc-dd-ee-ff-00-11     # read from the card\n"
                       "  # its audio function is in the same group\n"
                       "vfio = yes\n"
                       "sriov-numvfs = 2\n"
                       "allow-protected = yes\n"
                       "\n"
                       "[0000:01:00.1]\n"
                       "id = 10de:10f0\n"
                       "class = 0x040300\n"
                       "\n"
                       "# The NIC's PF: VFs first.\n"
                       "[0000:03:00.0]\n"
                       "id = 8086:1521\n"
                       "class = 0x020000\n"
                       "vfio = no\n"
                       "sriov-numvfs = 4\n");
        g_assert_cmpint(config_entry(c, 0)->sriov_numvfs, ==, 2);
        g_assert_true(config_entry(c, 0)->allow_protected);
}

static void test_edit_update_indented(void) {
        g_autoptr(Config) c = parse_ok("[0000:01:00.0]\n\tid=10de:1b80 # old card\r\n\tclass=0x030000");
        g_auto(ConfigEntry) e = copy_entry(config_entry(c, 0));

        e.identity.device_id = 0x1b81;
        e.vfio = false;
        g_assert_cmpint(config_set_entry(c, &e), ==, 0);
        assert_text(c, "[0000:01:00.0]\n\tid = 10de:1b81 # old card\r\n\tclass=0x030000\nvfio = no\n");
}

#define NEW_SECTION_BODY "[0000:02:00.0]\nid = 1af4:1041\nsubsystem = 1af4:1100\nclass = 0x020000\n"
#define NEW_SECTION "\n" NEW_SECTION_BODY

static ConfigEntry new_entry(void) {
        return (ConfigEntry){
                .address = address("0000:02:00.0"),
                .identity = { .vendor_id = 0x1af4,
                              .device_id = 0x1041,
                              .has_subsystem = true,
                              .subsystem_vendor_id = 0x1af4,
                              .subsystem_device_id = 0x1100,
                              .class_code = 0x020000 },
                .vfio = true,
                .sriov_numvfs = -1,
        };
}

typedef struct {
        const char *name, *before, *after;
        const char *removed; /* after removing it again */
} AppendCase;

static const AppendCase append_cases[] = {
        { "to the example", EXAMPLE, EXAMPLE NEW_SECTION, EXAMPLE },
        { "to an empty file", "", NEW_SECTION_BODY, "" },
        /* The blank line cannot be told from one the daemon added: it goes with the section. */
        { "after a trailing blank line", "# mine\n\n", "# mine\n\n" NEW_SECTION_BODY, "# mine\n" },
        { "after a last line without newline", "# mine", "# mine\n" NEW_SECTION, "# mine\n" },
};

static void test_edit_append(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(append_cases); i++) {
                const AppendCase *t = &append_cases[i];
                g_autoptr(Config) c = parse_ok(t->before);
                ConfigEntry e = new_entry();
                PciAddress a = e.address;

                g_test_message("case: %s", t->name);
                g_assert_cmpint(config_set_entry(c, &e), ==, 0);
                assert_text(c, t->after);
                g_assert_nonnull(config_find(c, &a));
                /* Removing it again gives back the admin's file. */
                g_assert_cmpint(config_remove_entry(c, &a), ==, 0);
                assert_text(c, t->removed);
        }
}

typedef struct {
        const char *name, *address, *after;
} RemoveCase;

static const RemoveCase remove_cases[] = {
        { "a section between two others, with its separating blank line", "0000:01:00.1",
          "# Written by passthrud; hand edits are kept. See passthru.conf(5).\n"
          "\n"
          "# The GPU for the Windows guest.\n"
          "[0000:01:00.0]\n"
          "id = 10de:1b80\n"
          "subsystem = 1462:3362\n"
          "class = 0x030000\n"
          "serial = 00-11-22-33-44-55-66-77     # read from the card\n"
          "  # its audio function is in the same group\n"
          "vfio = yes\n"
          "\n"
          "# The NIC's PF: VFs first.\n"
          "[0000:03:00.0]\n"
          "id = 8086:1521\n"
          "class = 0x020000\n"
          "vfio = no\n"
          "sriov-numvfs = 4\n" },
        { "the first section; the admin's comment above it stays", "0000:01:00.0",
          "# Written by passthrud; hand edits are kept. See passthru.conf(5).\n"
          "\n"
          "# The GPU for the Windows guest.\n"
          "\n"
          "[0000:01:00.1]\n"
          "id = 10de:10f0\n"
          "class = 0x040300\n"
          "\n"
          "# The NIC's PF: VFs first.\n"
          "[0000:03:00.0]\n"
          "id = 8086:1521\n"
          "class = 0x020000\n"
          "vfio = no\n"
          "sriov-numvfs = 4\n" },
        { "the last section", "0000:03:00.0",
          "# Written by passthrud; hand edits are kept. See passthru.conf(5).\n"
          "\n"
          "# The GPU for the Windows guest.\n"
          "[0000:01:00.0]\n"
          "id = 10de:1b80\n"
          "subsystem = 1462:3362\n"
          "class = 0x030000\n"
          "serial = 00-11-22-33-44-55-66-77     # read from the card\n"
          "  # its audio function is in the same group\n"
          "vfio = yes\n"
          "\n"
          "[0000:01:00.1]\n"
          "id = 10de:10f0\n"
          "class = 0x040300\n"
          "\n"
          "# The NIC's PF: VFs first.\n" },
};

static void test_edit_remove(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(remove_cases); i++) {
                const RemoveCase *t = &remove_cases[i];
                g_autoptr(Config) c = parse_ok(EXAMPLE);
                PciAddress a = address(t->address);

                g_test_message("case: %s", t->name);
                g_assert_cmpint(config_remove_entry(c, &a), ==, 0);
                assert_text(c, t->after);
                g_assert_null(config_find(c, &a));
                g_assert_cmpuint(config_n_entries(c), ==, 2);
                g_assert_cmpint(config_remove_entry(c, &a), ==, -ENOENT);
        }
}

static void test_edit_refuses_bad_entry(void) {
        g_autoptr(Config) c = parse_ok(EXAMPLE);
        ConfigEntry e = new_entry();

        e.sriov_numvfs = 70000;
        g_assert_cmpint(config_set_entry(c, &e), ==, -EINVAL);
        e.sriov_numvfs = -1;
        e.identity.serial = (char *) "00-11-22-33-44-55-66-7\n";
        g_assert_cmpint(config_set_entry(c, &e), ==, -EINVAL);
        e.identity.serial = NULL;
        e.identity.class_code = 0x1000000;
        g_assert_cmpint(config_set_entry(c, &e), ==, -EINVAL);
        assert_text(c, EXAMPLE);
}

/* ---- files ---- */

typedef struct {
        char *tmp, *dir, *file;
} FileFixture;

static void file_setup(FileFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        f->tmp = g_dir_make_tmp("test-config-XXXXXX", &error);
        g_assert_no_error(error);
        /* Not created: config_save() makes it, as it makes /etc/passthru. */
        f->dir = g_build_filename(f->tmp, "passthru", NULL);
        f->file = g_build_filename(f->dir, CONFIG_FILE, NULL);
}

static void file_teardown(FileFixture *f, gconstpointer data) {
        test_remove_tree(f->tmp);
        g_free(f->file);
        g_free(f->dir);
        g_free(f->tmp);
}

static void write_file(FileFixture *f, const char *text) {
        g_autoptr(GError) error = NULL;

        g_assert_cmpint(g_mkdir_with_parents(f->dir, 0755), ==, 0);
        g_assert_true(g_file_set_contents(f->file, text, -1, &error));
}

static void assert_file(FileFixture *f, const char *expected) {
        g_autoptr(GError) error = NULL;
        g_autofree char *text = NULL;

        g_assert_true(g_file_get_contents(f->file, &text, NULL, &error));
        g_assert_cmpstr(text, ==, expected);
}

/* Nothing but devices.conf: no temporary file left behind. */
static void assert_no_leftovers(FileFixture *f) {
        g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
        const char *name;

        g_assert_nonnull(d);
        while ((name = g_dir_read_name(d)))
                g_assert_cmpstr(name, ==, CONFIG_FILE);
}

static Config *load_ok(FileFixture *f) {
        g_auto(ConfigError) error = {};
        Config *c = NULL;

        g_assert_cmpint(config_load(f->dir, &c, &error), ==, 0);
        g_assert_null(error.message);
        return c;
}

static void test_load_missing(FileFixture *f, gconstpointer data) {
        g_autoptr(Config) c = load_ok(f);

        g_assert_cmpuint(config_n_entries(c), ==, 0);
        assert_text(c, "");
}

static void test_load_refused(FileFixture *f, gconstpointer data) {
        g_auto(ConfigError) error = {};
        g_autofree char *target = g_build_filename(f->tmp, "elsewhere.conf", NULL);
        Config *c = NULL;

        /* A symlink is not followed, however good its target. */
        write_file(f, EXAMPLE);
        g_assert_cmpint(rename(f->file, target), ==, 0);
        g_assert_cmpint(symlink(target, f->file), ==, 0);
        g_assert_cmpint(config_load(f->dir, &c, &error), ==, -ELOOP);
        g_assert_cmpstr(error.path, ==, f->file);
        g_assert_cmpuint(error.line, ==, 0);
        g_assert_nonnull(strstr(error.message, "symbolic link"));
        config_error_done(&error);
        g_assert_cmpint(unlink(f->file), ==, 0);

        g_assert_cmpint(mkdir(f->file, 0755), ==, 0);
        g_assert_cmpint(config_load(f->dir, &c, &error), ==, -EBADFD);
        g_assert_nonnull(strstr(error.message, "Not a regular file"));
        config_error_done(&error);
        g_assert_cmpint(rmdir(f->file), ==, 0);

        g_assert_cmpint(mkfifo(f->file, 0644), ==, 0);
        g_assert_cmpint(config_load(f->dir, &c, &error), ==, -EBADFD);
        config_error_done(&error);
        g_assert_cmpint(unlink(f->file), ==, 0);

        write_file(f, "");
        g_assert_cmpint(truncate(f->file, CONFIG_SIZE_MAX + 1), ==, 0);
        g_assert_cmpint(config_load(f->dir, &c, &error), ==, -EFBIG);
        config_error_done(&error);

        write_file(f, GPU "bogus = 1\n");
        g_assert_cmpint(config_load(f->dir, &c, &error), ==, -EINVAL);
        g_assert_cmpstr(error.path, ==, f->file);
        g_assert_cmpuint(error.line, ==, 4);
        g_assert_null(c);
}

static void test_save_round_trip(FileFixture *f, gconstpointer data) {
        g_autoptr(Config) c = parse_ok(EXAMPLE), again = NULL;
        ConfigEntry e = new_entry();
        struct stat st;

        g_assert_cmpint(config_save(c, f->dir), ==, 0);
        assert_file(f, EXAMPLE);
        g_assert_cmpint(stat(f->file, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0644);
        assert_no_leftovers(f);

        /* Loaded, edited, saved: the change and nothing else. */
        again = load_ok(f);
        assert_text(again, EXAMPLE);
        g_assert_cmpint(config_set_entry(again, &e), ==, 0);
        g_assert_cmpint(config_save(again, f->dir), ==, 0);
        assert_file(f, EXAMPLE NEW_SECTION);
        /* Saved twice from the same Config: it knows the file is its own. */
        g_assert_cmpint(config_remove_entry(again, &e.address), ==, 0);
        g_assert_cmpint(config_save(again, f->dir), ==, 0);
        assert_file(f, EXAMPLE);
        assert_no_leftovers(f);
}

static void test_save_stale(FileFixture *f, gconstpointer data) {
        g_autoptr(Config) c = NULL, absent = NULL;
        ConfigEntry e = new_entry();

        write_file(f, EXAMPLE);
        c = load_ok(f);
        g_assert_cmpint(config_set_entry(c, &e), ==, 0);
        /* The admin saves a hand edit meanwhile: the daemon must not overwrite it. */
        write_file(f, EXAMPLE "# mine\n");
        g_assert_cmpint(config_save(c, f->dir), ==, -ESTALE);
        assert_file(f, EXAMPLE "# mine\n");

        /* Read when there was no file; one appeared since. */
        g_assert_cmpint(unlink(f->file), ==, 0);
        absent = load_ok(f);
        write_file(f, "# mine\n");
        g_assert_cmpint(config_save(absent, f->dir), ==, -ESTALE);
        assert_file(f, "# mine\n");
        assert_no_leftovers(f);
}

static void test_save_fault(FileFixture *f, gconstpointer data) {
        static const char *const steps[] = { "write", "fsync", "rename" };

        if (!PASSTHRU_FAULT_POINTS) {
                g_test_skip("Built without -Dtest_fault_points=true: no fault points to fail a save.");
                return;
        }
        write_file(f, EXAMPLE);
        for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
                g_autoptr(Config) c = load_ok(f);
                ConfigEntry e = new_entry();

                g_test_message("step: %s", steps[i]);
                g_assert_cmpint(config_set_entry(c, &e), ==, 0);
                g_setenv("PASSTHRU_FAULT_CONFIG_SAVE", steps[i], TRUE);
                g_assert_cmpint(config_save(c, f->dir), ==, -EIO);
                g_unsetenv("PASSTHRU_FAULT_CONFIG_SAVE");
                assert_file(f, EXAMPLE);
                assert_no_leftovers(f);
                /* Nothing was lost: the same edit saves once the fault is gone. */
                if (i == G_N_ELEMENTS(steps) - 1) {
                        g_assert_cmpint(config_save(c, f->dir), ==, 0);
                        assert_file(f, EXAMPLE NEW_SECTION);
                }
        }
}

static void test_save_unwritable(FileFixture *f, gconstpointer data) {
        g_autoptr(Config) c = parse_ok(EXAMPLE);
        g_autofree char *blocker = g_build_filename(f->tmp, "file", NULL), *below = NULL;

        /* A directory that cannot be created (its parent is a file): nothing is written. */
        g_assert_true(g_file_set_contents(blocker, "", 0, NULL));
        below = g_build_filename(blocker, "passthru", NULL);
        g_assert_cmpint(config_save(c, below), ==, -ENOTDIR);

        if (geteuid() == 0) {
                g_test_message("Running as root: a read-only directory does not stop root, case skipped.");
                return;
        }
        write_file(f, "# old\n");
        g_assert_cmpint(chmod(f->dir, 0555), ==, 0);
        g_assert_cmpint(config_save(c, f->dir), ==, -EACCES);
        g_assert_cmpint(chmod(f->dir, 0755), ==, 0);
        assert_file(f, "# old\n");
        assert_no_leftovers(f);
}

/* Persist keeps the mode, owner and group the admin gave the file (issue 20, item 13). */
static void test_save_keeps_mode_owner(FileFixture *f, gconstpointer data) {
        ConfigEntry e = new_entry();
        struct stat st;

        write_file(f, EXAMPLE);
        g_assert_cmpint(chmod(f->file, 0600), ==, 0);
        if (geteuid() == 0)
                g_assert_cmpint(chown(f->file, 1000, 1001), ==, 0);
        else
                g_test_message("Not root: the owner is ours, only the mode is shown to be kept.");
        {
                g_autoptr(Config) c = load_ok(f);

                g_assert_cmpint(config_set_entry(c, &e), ==, 0);
                g_assert_cmpint(config_save(c, f->dir), ==, 0);
        }
        assert_file(f, EXAMPLE NEW_SECTION);
        g_assert_cmpint(stat(f->file, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);
        g_assert_cmpuint(st.st_uid, ==, geteuid() == 0 ? 1000 : geteuid());
        if (geteuid() == 0)
                g_assert_cmpuint(st.st_gid, ==, 1001);
        assert_no_leftovers(f);
}

/* A save killed between its temporary file and the rename leaves ".devices.conf.XXXXXX";
 * start-up removes those, and nothing else (issue 20, item 12). */
static void test_clean_temporaries(FileFixture *f, gconstpointer data) {
        g_autofree char *left1 = g_build_filename(f->dir, ".devices.conf.aB3xYz", NULL);
        g_autofree char *left2 = g_build_filename(f->dir, ".devices.conf.000000", NULL);

        g_assert_cmpint(config_clean_temporaries(f->dir), ==, 0); /* no directory yet */
        write_file(f, EXAMPLE);
        g_assert_true(g_file_set_contents(left1, "[0000:01:00.0]\n", -1, NULL));
        g_assert_true(g_file_set_contents(left2, "", -1, NULL));
        g_assert_cmpint(config_clean_temporaries(f->dir), ==, 2);
        assert_file(f, EXAMPLE);
        assert_no_leftovers(f);
}

/* An editor that saves by rename, over and over (tests/editor.h), while the daemon saves
 * edits of its own (load, edit, save, again on -ESTALE, as persist.c does): no hand edit may be
 * lost, not even one renamed in between the save's last check and its rename. */
static void test_save_races_editor(FileFixture *f, gconstpointer data) {
        gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
        guint saved = 0, edits = 0, lost;
        TestEditor *editor;

        write_file(f, "");
        editor = test_editor_start(f->file);
        for (guint i = 0; i < 600 && saved < 120 && g_get_monotonic_time() < end; i++) {
                ConfigEntry entry = new_entry();

                for (guint attempt = 0; attempt < 20; attempt++) {
                        g_autoptr(Config) c = NULL;
                        g_auto(ConfigError) error = {};
                        int r;

                        g_assert_cmpint(config_load(f->dir, &c, &error), ==, 0);
                        if (config_find(c, &entry.address))
                                g_assert_cmpint(config_remove_entry(c, &entry.address), ==, 0);
                        else
                                g_assert_cmpint(config_set_entry(c, &entry), ==, 0);
                        r = config_save(c, f->dir);
                        if (r == -ESTALE)
                                continue;
                        g_assert_cmpint(r, ==, 0);
                        saved++;
                        break;
                }
        }
        lost = test_editor_stop(editor, &edits);
        g_test_message("%u saves, %u hand edits, %u lost", saved, edits, lost);
        g_assert_cmpuint(saved, >, 0);
        g_assert_cmpuint(edits, >, 0);
        g_assert_cmpuint(lost, ==, 0);
}

/* The documented example (tests/data/config/devices.conf, also in passthru.conf(5)) parses. */
static void test_documented_example(void) {
        g_autofree char *dir = g_test_build_filename(G_TEST_DIST, "data", "config", NULL);
        g_autoptr(Config) c = NULL;
        g_auto(ConfigError) error = {};

        g_assert_cmpint(config_load(dir, &c, &error), ==, 0);
        g_assert_cmpuint(config_n_entries(c), ==, 3);
        g_assert_cmpstr(config_entry(c, 0)->identity.serial, ==, "00-11-22-33-44-55-66-77");
}

/* passthru.conf(5) shows that same file. */
static void test_man_page_example(void) {
        g_autofree char *page_path =
                g_test_build_filename(G_TEST_DIST, "..", "man", "passthru.conf.5", NULL);
        g_autofree char *file_path =
                g_test_build_filename(G_TEST_DIST, "data", "config", "devices.conf", NULL);
        g_autofree char *page = NULL, *file = NULL, *roff = NULL, *example = NULL;
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) parts = NULL;
        const char *start, *end;

        g_assert_true(g_file_get_contents(page_path, &page, NULL, &error));
        g_assert_true(g_file_get_contents(file_path, &file, NULL, &error));
        start = strstr(page, "\n.EX\n");
        g_assert_nonnull(start);
        start += strlen("\n.EX\n");
        end = strstr(start, ".EE\n");
        g_assert_nonnull(end);
        /* roff writes a minus as "\-". */
        roff = g_strndup(start, (gsize) (end - start));
        parts = g_strsplit(roff, "\\-", -1);
        example = g_strjoinv("-", parts);
        g_assert_cmpstr(example, ==, file);
}

/* ---- identity and state ---- */

#define ID(v, d, sv, sd, cls, ser)                                                                    \
        {                                                                                             \
                .vendor_id = v, .device_id = d, .subsystem_vendor_id = sv, .subsystem_device_id = sd, \
                .has_subsystem = true, .class_code = cls, .serial = (char *) (ser)                    \
        }

typedef struct {
        const char *name;
        ConfigIdentity entry, device;
        bool match;
} IdentityCase;

static const IdentityCase identity_cases[] = {
        { "same card", ID(0x10de, 0x1b80, 0x1462, 0x3362, 0x030000, "00-11-22-33-44-55-66-77"),
          ID(0x10de, 0x1b80, 0x1462, 0x3362, 0x030000, "00-11-22-33-44-55-66-77"), true },
        { "same slot, different card", ID(0x10de, 0x1b80, 0x1462, 0x3362, 0x030000, NULL),
          ID(0x8086, 0x1521, 0x8086, 0x0001, 0x020000, NULL), false },
        { "same model, other board maker", ID(0x10de, 0x1b80, 0x1462, 0x3362, 0x030000, NULL),
          ID(0x10de, 0x1b80, 0x1043, 0x85a4, 0x030000, NULL), false },
        { "same IDs, other class", ID(0x10de, 0x1b80, 0x1462, 0x3362, 0x030000, NULL),
          ID(0x10de, 0x1b80, 0x1462, 0x3362, 0x030200, NULL), false },
        { "twin with a different serial",
          ID(0x8086, 0x1521, 0x8086, 0x0001, 0x020000, "00-11-22-33-44-55-66-77"),
          ID(0x8086, 0x1521, 0x8086, 0x0001, 0x020000, "00-11-22-33-44-55-66-78"), false },
        { "serial in upper case", ID(0x8086, 0x1521, 0x8086, 0x0001, 0x020000, "AA-11-22-33-44-55-66-77"),
          ID(0x8086, 0x1521, 0x8086, 0x0001, 0x020000, "aa-11-22-33-44-55-66-77"), true },
        { "serial remembered, unreadable now",
          ID(0x8086, 0x1521, 0x8086, 0x0001, 0x020000, "00-11-22-33-44-55-66-77"),
          ID(0x8086, 0x1521, 0x8086, 0x0001, 0x020000, NULL), true },
        { "no serial remembered", ID(0x8086, 0x1521, 0x8086, 0x0001, 0x020000, NULL),
          ID(0x8086, 0x1521, 0x8086, 0x0001, 0x020000, "00-11-22-33-44-55-66-77"), true },
        { "no serial either side", ID(0x8086, 0x1521, 0x8086, 0x0001, 0x020000, NULL),
          ID(0x8086, 0x1521, 0x8086, 0x0001, 0x020000, NULL), true },
        { "entry without subsystem",
          { .vendor_id = 0x10de, .device_id = 0x1b80, .class_code = 0x030000 },
          ID(0x10de, 0x1b80, 0x1043, 0x85a4, 0x030000, NULL),
          true },
};

static void test_identity_match(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(identity_cases); i++) {
                const IdentityCase *t = &identity_cases[i];

                g_test_message("case: %s", t->name);
                g_assert_cmpint(config_identity_match(&t->entry, &t->device), ==, t->match);
        }
}

static void test_identity_from_device(void) {
        Device d = { .vendor_id = 0x10de,
                     .device_id = 0x1b80,
                     .subsystem_vendor_id = 0x1462,
                     .subsystem_device_id = 0x3362,
                     .class_code = 0x030000,
                     .serial = (char *) "00-11-22-33-44-55-66-77" };
        g_auto(ConfigEntry) e = {};

        d.address = address("0000:01:00.0");
        g_assert_cmpint(config_entry_from_device(&d, &e), ==, 0);
        g_assert_true(pci_address_equal(&e.address, &d.address));
        g_assert_true(e.identity.serial != d.serial);
        g_assert_cmpstr(e.identity.serial, ==, d.serial);
        g_assert_true(e.identity.has_subsystem);
        g_assert_true(e.vfio);
        g_assert_cmpint(e.sriov_numvfs, ==, -1);
        g_assert_false(e.allow_protected);
        g_assert_cmpint(config_entry_state(&e, &d), ==, CONFIG_STATE_PENDING);

        /* What the daemon writes for a device is what it reads back. */
        g_autoptr(Config) c = parse_ok("");
        g_assert_cmpint(config_set_entry(c, &e), ==, 0);
        assert_text(c, "[0000:01:00.0]\nid = 10de:1b80\nsubsystem = 1462:3362\nclass = 0x030000\n"
                       "serial = 00-11-22-33-44-55-66-77\n");
}

typedef struct {
        const char *name;
        const char *entry;  /* a section, parsed */
        bool present;       /* the device exists: 10de:1b80 1462:3362 0x030000 */
        const char *driver; /* its driver */
        const char *serial; /* its serial */
        unsigned numvfs;
        ConfigState state;
} StateCase;

#define SECTION "[0000:01:00.0]\nid = 10de:1b80\nsubsystem = 1462:3362\nclass = 0x030000\n"

static const StateCase state_cases[] = {
        { "on vfio-pci", SECTION, true, "vfio-pci", NULL, 0, CONFIG_STATE_APPLIED },
        { "on its host driver", SECTION, true, "nouveau", NULL, 0, CONFIG_STATE_PENDING },
        { "unbound", SECTION, true, NULL, NULL, 0, CONFIG_STATE_PENDING },
        { "gone", SECTION, false, NULL, NULL, 0, CONFIG_STATE_MISSING },
        { "another card, even on vfio-pci", "[0000:01:00.0]\nid = 10de:1b81\nclass = 0x030000\n", true,
          "vfio-pci", NULL, 0, CONFIG_STATE_MISMATCH },
        { "twin with another serial", SECTION "serial = 00-00-00-00-00-00-00-01\n", true, "nouveau",
          "00-00-00-00-00-00-00-02", 0, CONFIG_STATE_MISMATCH },
        { "serial unreadable", SECTION "serial = 00-00-00-00-00-00-00-01\n", true, "vfio-pci", NULL, 0,
          CONFIG_STATE_APPLIED },
        { "PF kept on its driver, VFs made", SECTION "vfio = no\nsriov-numvfs = 4\n", true, "ixgbe", NULL, 4,
          CONFIG_STATE_APPLIED },
        { "PF kept on its driver, VFs not yet made", SECTION "vfio = no\nsriov-numvfs = 4\n", true, "ixgbe",
          NULL, 0, CONFIG_STATE_PENDING },
        { "PF on vfio-pci, VFs not yet made", SECTION "sriov-numvfs = 2\n", true, "vfio-pci", NULL, 0,
          CONFIG_STATE_PENDING },
};

static void test_entry_state(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(state_cases); i++) {
                const StateCase *t = &state_cases[i];
                g_autoptr(Config) c = parse_ok(t->entry);
                Device d = { .vendor_id = 0x10de,
                             .device_id = 0x1b80,
                             .subsystem_vendor_id = 0x1462,
                             .subsystem_device_id = 0x3362,
                             .class_code = 0x030000,
                             .driver = (char *) t->driver,
                             .serial = (char *) t->serial,
                             .sriov_numvfs = t->numvfs };

                g_test_message("case: %s", t->name);
                g_assert_cmpstr(config_state_to_string(
                                        config_entry_state(config_entry(c, 0), t->present ? &d : NULL)),
                                ==, config_state_to_string(t->state));
        }
        g_assert_cmpstr(config_state_to_string(CONFIG_STATE_REFUSED), ==, "refused");
        g_assert_null(config_state_to_string(_CONFIG_STATE_MAX));
}

/* reset-method: the kernel's names in one form, kept through edits, part of the state. */
static void test_reset_method(void) {
        g_autoptr(Config) c = parse_ok(GPU "vfio = no\nreset-method =  flr   bus  # the kernel's order\n");
        g_autoptr(Config) plain = parse_ok(GPU);
        g_auto(ConfigError) error = {};
        g_auto(ConfigEntry) e = {};
        Config *bad = NULL;
        char *const both[] = { (char *) "flr", (char *) "bus", NULL }, *const bus[] = { (char *) "bus",
                                                                                        NULL };
        Device d = { .vendor_id = 0x10de,
                     .device_id = 0x1b80,
                     .class_code = 0x030000,
                     .reset_methods = (char **) bus };

        g_assert_cmpstr(config_entry(c, 0)->reset_method, ==, "flr bus");
        g_assert_cmpstr(config_entry(plain, 0)->reset_method, ==, "");
        g_assert_cmpint(config_parse(GPU "reset-method = reset\n", strlen(GPU) + 21, "t", &bad, &error), ==,
                        -EINVAL);
        g_assert_cmpuint(error.line, ==, 4);
        g_assert_null(bad);

        /* Not yet as the entry asks while the kernel's list differs. */
        g_assert_cmpint(config_entry_state(config_entry(c, 0), &d), ==, CONFIG_STATE_PENDING);
        d.reset_methods = (char **) both;
        g_assert_cmpint(config_entry_state(config_entry(c, 0), &d), ==, CONFIG_STATE_APPLIED);

        /* Written when set, its line replaced when changed. */
        e = copy_entry(config_entry(plain, 0));
        strcpy(e.reset_method, "bus");
        g_assert_cmpint(config_set_entry(plain, &e), ==, 0);
        assert_text(plain, GPU "reset-method = bus\n");
        strcpy(e.reset_method, "device_specific acpi flr af_flr pm bus cxl_bus");
        g_assert_cmpint(config_set_entry(plain, &e), ==, 0);
        assert_text(plain, GPU "reset-method = device_specific acpi flr af_flr pm bus cxl_bus\n");
}

/* ---- the Device Serial Number in config space ---- */

static void put32(uint8_t *config, unsigned offset, uint32_t v) {
        v = htole32(v);
        memcpy(config + offset, &v, 4);
}

#define CAP(id, next) ((uint32_t) (id) | (1u << 16) | ((uint32_t) (next) << 20))

typedef struct {
        const char *name;
        size_t size;          /* of config space seen */
        uint32_t caps[3][2];  /* offset, header; offset 0 ends */
        const char *expected; /* NULL: none */
} DsnCase;

static const DsnCase dsn_cases[] = {
        { "DSN first", 4096, { { 0x100, CAP(0x3, 0) } }, "01-23-45-67-89-ab-cd-ef" },
        { "DSN after AER",
          4096,
          { { 0x100, CAP(0x1, 0x140) }, { 0x140, CAP(0x3, 0) } },
          "01-23-45-67-89-ab-cd-ef" },
        { "no DSN", 4096, { { 0x100, CAP(0x1, 0x140) }, { 0x140, CAP(0xb, 0) } }, NULL },
        { "non-root reader: 64 bytes", 64, { { 0x100, CAP(0x3, 0) } }, NULL },
        { "conventional PCI: 256 bytes", 256, { { 0x100, CAP(0x3, 0) } }, NULL },
        { "DSN cut short", 0x108, { { 0x100, CAP(0x3, 0) } }, NULL },
        { "no extended capabilities", 4096, { { 0 } }, NULL },
        { "all ones", 4096, { { 0x100, UINT32_MAX } }, NULL },
        { "list that loops", 4096, { { 0x100, CAP(0x1, 0x140) }, { 0x140, CAP(0xb, 0x100) } }, NULL },
        { "next pointer into standard space", 4096, { { 0x100, CAP(0x1, 0x40) } }, NULL },
        { "misaligned next pointer", 4096, { { 0x100, CAP(0x1, 0x142) } }, NULL },
        { "next pointer at the very end",
          4096,
          { { 0x100, CAP(0x1, 0xffc) }, { 0xffc, CAP(0x3, 0) } },
          NULL },
};

static void test_dsn(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(dsn_cases); i++) {
                const DsnCase *t = &dsn_cases[i];
                g_autofree uint8_t *config = g_malloc0(4096);
                g_autofree char *serial = NULL;
                int r;

                g_test_message("case: %s", t->name);
                for (size_t k = 0; k < G_N_ELEMENTS(t->caps) && t->caps[k][0]; k++) {
                        put32(config, t->caps[k][0], t->caps[k][1]);
                        if ((t->caps[k][1] & 0xffff) == 0x3 && t->caps[k][0] + 12 <= 4096) {
                                put32(config, t->caps[k][0] + 4, 0x89abcdef);
                                put32(config, t->caps[k][0] + 8, 0x01234567);
                        }
                }
                r = pci_dsn_from_buffer(config, t->size, &serial);
                if (t->expected) {
                        g_assert_cmpint(r, ==, 0);
                        g_assert_cmpstr(serial, ==, t->expected);
                } else {
                        g_assert_cmpint(r, ==, -ENOENT);
                        g_assert_null(serial);
                }
        }
}

/* The sysfs path: a config file as root reads it, and the same cut to 64 bytes. */
static void test_dsn_from_fd(FileFixture *f, gconstpointer data) {
        g_autofree uint8_t *config = g_malloc0(4096);
        g_autofree char *serial = NULL, *none = NULL;
        g_autofree char *path = g_build_filename(f->tmp, "config", NULL);
        _cleanup_close_ int fd = -EBADF;

        put32(config, 0x100, CAP(0x3, 0));
        put32(config, 0x104, 0x44556677);
        put32(config, 0x108, 0x00112233);
        g_assert_true(g_file_set_contents(path, (char *) config, 4096, NULL));
        fd = open(path, O_RDONLY | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(pci_dsn_from_fd(fd, &serial), ==, 0);
        g_assert_cmpstr(serial, ==, "00-11-22-33-44-55-66-77");
        g_assert_cmpint(truncate(path, 64), ==, 0);
        g_assert_cmpint(pci_dsn_from_fd(fd, &none), ==, -ENOENT);
        g_assert_null(none);
}

/* A function in a fixture sysfs tree, with a config file when given one. */
static void add_function(FileFixture *f, const char *address, const uint8_t *config, size_t size,
                         const char *runtime_status) {
        g_autofree char *dir = g_build_filename(f->tmp, "sys", "devices", "pci0000:00", address, NULL);
        const struct {
                const char *name, *value;
        } attrs[] = { { "vendor", "0x8086\n" }, { "device", "0x1521\n" }, { "class", "0x020000\n" } };

        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(attrs); i++) {
                g_autofree char *path = g_build_filename(dir, attrs[i].name, NULL);

                g_assert_true(g_file_set_contents(path, attrs[i].value, -1, NULL));
        }
        if (config) {
                g_autofree char *path = g_build_filename(dir, "config", NULL);

                g_assert_true(g_file_set_contents(path, (const char *) config, (gssize) size, NULL));
        }
        if (runtime_status) {
                g_autofree char *power = g_build_filename(dir, "power", NULL);
                g_autofree char *path = g_build_filename(power, "runtime_status", NULL);

                g_assert_cmpint(g_mkdir_with_parents(power, 0755), ==, 0);
                g_assert_true(g_file_set_contents(path, runtime_status, -1, NULL));
        }
}

/* The device model reads the serial, and a new one is a change of identity. */
static void test_dsn_device(FileFixture *f, gconstpointer data) {
        g_autofree uint8_t *config = g_malloc0(4096);
        g_autofree char *sys = g_build_filename(f->tmp, "sys", NULL);
        _cleanup_(sysfs_freep) Sysfs *sysfs = NULL;
        _cleanup_(device_freep) Device *with = NULL, *without = NULL, *again = NULL, *asleep = NULL,
                                       *awake = NULL;
        DeviceSources src = {};

        put32(config, 0x100, CAP(0x3, 0));
        put32(config, 0x104, 0x44556677);
        put32(config, 0x108, 0x00112233);
        add_function(f, "0000:01:00.0", config, 4096, "active\n");
        add_function(f, "0000:02:00.0", config, 64, NULL);
        add_function(f, "0000:03:00.0", NULL, 0, NULL);
        add_function(f, "0000:04:00.0", config, 4096, "suspended\n");
        g_assert_cmpint(sysfs_open(sys, &sysfs), ==, 0);
        src.sysfs = sysfs;

        g_assert_cmpint(device_new_from_sysfs(&src, "/devices/pci0000:00/0000:01:00.0", &with), ==, 0);
        g_assert_cmpstr(with->serial, ==, "00-11-22-33-44-55-66-77");
        g_assert_cmpint(device_new_from_sysfs(&src, "/devices/pci0000:00/0000:02:00.0", &without), ==, 0);
        g_assert_null(without->serial);
        g_assert_cmpint(device_new_from_sysfs(&src, "/devices/pci0000:00/0000:03:00.0", &again), ==, 0);
        g_assert_null(again->serial);

        g_assert_cmpuint(device_update(again, with) & DEVICE_CHANGE_IDENTITY, !=, 0);
        g_assert_cmpstr(again->serial, ==, "00-11-22-33-44-55-66-77");

        /* A runtime-suspended device is not woken for its serial; the one read before stays. */
        g_assert_cmpint(device_new_from_sysfs(&src, "/devices/pci0000:00/0000:04:00.0", &asleep), ==, 0);
        g_assert_null(asleep->serial);
        g_assert_cmpint(device_new_from_sysfs(&src, "/devices/pci0000:00/0000:01:00.0", &awake), ==, 0);
        g_assert_cmpuint(device_update(awake, asleep) & DEVICE_CHANGE_IDENTITY, ==, 0);
        g_assert_cmpstr(awake->serial, ==, "00-11-22-33-44-55-66-77");
}

#define ADD_FILE(path, func) g_test_add(path, FileFixture, NULL, file_setup, func, file_teardown)

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/config/parse/good", test_parse_good);
        g_test_add_func("/config/parse/values", test_parse_values);
        g_test_add_func("/config/parse/bad", test_parse_bad);
        g_test_add_func("/config/parse/caps", test_parse_caps);
        g_test_add_func("/config/parse/any-bytes", test_parse_any_bytes);
        g_test_add_func("/config/parse/error-string", test_error_to_string);
        g_test_add_func("/config/parse/documented-example", test_documented_example);
        g_test_add_func("/config/parse/man-page-example", test_man_page_example);
        g_test_add_func("/config/edit/unchanged", test_edit_unchanged);
        g_test_add_func("/config/edit/unchanged-spelling", test_edit_unchanged_spelling);
        g_test_add_func("/config/edit/update", test_edit_update);
        g_test_add_func("/config/edit/update-indented", test_edit_update_indented);
        g_test_add_func("/config/edit/append", test_edit_append);
        g_test_add_func("/config/edit/remove", test_edit_remove);
        g_test_add_func("/config/edit/refuses-bad-entry", test_edit_refuses_bad_entry);
        ADD_FILE("/config/load/missing", test_load_missing);
        ADD_FILE("/config/load/refused", test_load_refused);
        ADD_FILE("/config/save/round-trip", test_save_round_trip);
        ADD_FILE("/config/save/stale", test_save_stale);
        ADD_FILE("/config/save/fault", test_save_fault);
        ADD_FILE("/config/save/unwritable", test_save_unwritable);
        ADD_FILE("/config/save/keeps-mode-owner", test_save_keeps_mode_owner);
        ADD_FILE("/config/save/races-editor", test_save_races_editor);
        ADD_FILE("/config/clean-temporaries", test_clean_temporaries);
        g_test_add_func("/config/identity/match", test_identity_match);
        g_test_add_func("/config/identity/from-device", test_identity_from_device);
        g_test_add_func("/config/state", test_entry_state);
        g_test_add_func("/config/reset-method", test_reset_method);
        g_test_add_func("/config/dsn/buffer", test_dsn);
        ADD_FILE("/config/dsn/fd", test_dsn_from_fd);
        ADD_FILE("/config/dsn/device", test_dsn_device);

        return g_test_run();
}
