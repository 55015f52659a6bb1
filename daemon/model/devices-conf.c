/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "devices-conf.h"
#include "fileio.h"
#include "log.h"
#include "memstream.h"
#include "pci-dsn.h"
#include "reset.h"

typedef enum ConfigKey {
        KEY_ID,
        KEY_SUBSYSTEM,
        KEY_CLASS,
        KEY_SERIAL,
        KEY_VFIO,
        KEY_SRIOV_NUMVFS,
        KEY_ALLOW_PROTECTED,
        KEY_RESET_METHOD,
        _KEY_MAX,
        KEY_NONE = -1,
} ConfigKey;

/* Also the order in which a new section lists its keys. */
static const char *const key_names[_KEY_MAX] = {
        [KEY_ID] = "id",
        [KEY_SUBSYSTEM] = "subsystem",
        [KEY_CLASS] = "class",
        [KEY_SERIAL] = "serial",
        [KEY_VFIO] = "vfio",
        [KEY_SRIOV_NUMVFS] = "sriov-numvfs",
        [KEY_ALLOW_PROTECTED] = "allow-protected",
        [KEY_RESET_METHOD] = "reset-method",
};

/* The longest value written: a reset-method list. */
#define VALUE_MAX CONFIG_RESET_METHOD_MAX

#define NO_LINE SIZE_MAX

/* One line of the file: its bytes are text[offset, offset + length), '\n' included if any. */
typedef struct Line {
        size_t offset, length;
} Line;

typedef struct Section {
        ConfigEntry entry;
        size_t header_line, last_line; /* 0-based; last_line is its last key */
        size_t key_line[_KEY_MAX];     /* NO_LINE when the key is not set */
} Section;

/* What the file on disk was when c was read, so a save never overwrites a newer hand edit. */
typedef enum ConfigOrigin {
        ORIGIN_TEXT,   /* parsed from memory: no file to compare with */
        ORIGIN_ABSENT, /* there was no file */
        ORIGIN_FILE,
} ConfigOrigin;

struct Config {
        char *text;
        size_t size;
        Line *lines;
        size_t n_lines;
        Section *sections;
        size_t n_sections;
        ConfigOrigin origin;
        struct stat st; /* ORIGIN_FILE: the file read */
};

static const char *const state_names[_CONFIG_STATE_MAX] = {
        [CONFIG_STATE_APPLIED] = "applied", [CONFIG_STATE_PENDING] = "pending",
        [CONFIG_STATE_MISSING] = "missing", [CONFIG_STATE_MISMATCH] = "mismatch",
        [CONFIG_STATE_REFUSED] = "refused",
};

const char *config_state_to_string(ConfigState s) {
        return s >= 0 && s < _CONFIG_STATE_MAX ? state_names[s] : NULL;
}

/* ---- errors ---- */

void config_error_done(ConfigError *e) {
        if (!e)
                return;
        free(e->path);
        free(e->message);
        *e = (ConfigError){};
}

int config_error_to_string(const ConfigError *e, char **ret) {
        char *s;
        int n;

        assert(e);
        assert(ret);
        if (e->line > 0)
                n = asprintf(&s, "%s:%u: %s", strna(e->path), e->line, strna(e->message));
        else
                n = asprintf(&s, "%s: %s", strna(e->path), strna(e->message));
        if (n < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* Fills *ret_error (if given) and returns error: the one way a parse or load fails. */
_printf_(5, 6) static int fail(int error, ConfigError *ret_error, const char *path, size_t line,
                               const char *fmt, ...) {
        va_list ap;
        char *message = NULL;

        if (!ret_error)
                return error;
        va_start(ap, fmt);
        if (vasprintf(&message, fmt, ap) < 0)
                message = NULL;
        va_end(ap);
        /* Out of memory, the caller still gets the error and the line. */
        *ret_error = (ConfigError){
                .path = strdup(path ?: CONFIG_FILE),
                .line = line > UINT_MAX ? 0 : (unsigned) line,
                .message = message,
        };
        return error;
}

/* ---- slices of the text ---- */

typedef struct Slice {
        const char *p;
        size_t n;
} Slice;

static bool is_blank_char(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

static Slice trim(Slice s) {
        while (s.n > 0 && is_blank_char(s.p[0])) {
                s.p++;
                s.n--;
        }
        while (s.n > 0 && is_blank_char(s.p[s.n - 1]))
                s.n--;
        return s;
}

/* The line without its newline and without a comment ('#' never occurs in a value). */
static Slice line_content(const Config *c, size_t i) {
        Slice s = { c->text + c->lines[i].offset, c->lines[i].length };
        const char *hash;

        if (s.n > 0 && s.p[s.n - 1] == '\n')
                s.n--;
        hash = memchr(s.p, '#', s.n);
        if (hash)
                s.n = (size_t) (hash - s.p);
        return trim(s);
}

static bool slice_eq(Slice s, const char *word) {
        return s.n == strlen(word) && memcmp(s.p, word, s.n) == 0;
}

/* A printable excerpt of file bytes for a message: never a control character, never long. */
static const char *excerpt(Slice s, char buf[static 44]) {
        size_t n = 0;

        for (size_t i = 0; i < s.n && n < 40; i++)
                buf[n++] = s.p[i] >= 0x20 && s.p[i] < 0x7f ? s.p[i] : '?';
        if (s.n > 40)
                n = (size_t) (stpcpy(buf + n, "...") - buf);
        buf[n] = '\0';
        return buf;
}

/* ---- values ---- */

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Exactly s.n hex digits (1..8). */
static int parse_hex(Slice s, uint32_t *ret) {
        uint32_t v = 0;

        if (s.n < 1 || s.n > 8)
                return -EINVAL;
        for (size_t i = 0; i < s.n; i++) {
                int d = hex_digit(s.p[i]);

                if (d < 0)
                        return -EINVAL;
                v = (v << 4) | (uint32_t) d;
        }
        *ret = v;
        return 0;
}

/* "VVVV:DDDD", as id and subsystem are written. */
static int parse_id_pair(Slice s, uint16_t *ret_vendor, uint16_t *ret_device) {
        uint32_t v, d;

        if (s.n != 9 || s.p[4] != ':' || parse_hex((Slice){ s.p, 4 }, &v) < 0 ||
            parse_hex((Slice){ s.p + 5, 4 }, &d) < 0)
                return -EINVAL;
        *ret_vendor = (uint16_t) v;
        *ret_device = (uint16_t) d;
        return 0;
}

/* "0x030000", as sysfs shows the class: base class, subclass, programming interface. */
static int parse_class(Slice s, uint32_t *ret) {
        if (s.n < 3 || s.n > 8 || s.p[0] != '0' || (s.p[1] != 'x' && s.p[1] != 'X'))
                return -EINVAL;
        return parse_hex((Slice){ s.p + 2, s.n - 2 }, ret);
}

/* "00-11-22-33-44-55-66-77"; the copy is lower case, as the device's serial is read. */
static int parse_serial(Slice s, char **ret) {
        char *copy;

        if (s.n != PCI_DSN_STRING_MAX - 1)
                return -EINVAL;
        for (size_t i = 0; i < s.n; i++)
                if (i % 3 == 2 ? s.p[i] != '-' : hex_digit(s.p[i]) < 0)
                        return -EINVAL;
        copy = strndup(s.p, s.n);
        if (!copy)
                return -ENOMEM;
        for (char *p = copy; *p; p++)
                if (*p >= 'A' && *p <= 'F')
                        *p = (char) (*p - 'A' + 'a');
        *ret = copy;
        return 0;
}

static int parse_bool(Slice s, bool *ret) {
        if (slice_eq(s, "yes"))
                *ret = true;
        else if (slice_eq(s, "no"))
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

static int parse_numvfs(Slice s, int *ret) {
        unsigned v = 0;

        if (s.n < 1 || s.n > 5)
                return -EINVAL;
        for (size_t i = 0; i < s.n; i++) {
                if (s.p[i] < '0' || s.p[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (s.p[i] - '0');
        }
        if (v > CONFIG_SRIOV_NUMVFS_MAX)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

static const char *const value_hints[_KEY_MAX] = {
        [KEY_ID] = "vendor and device in hexadecimal, such as \"10de:1b80\"",
        [KEY_SUBSYSTEM] = "subsystem vendor and device in hexadecimal, such as \"1462:3362\"",
        [KEY_CLASS] = "a hexadecimal class code, such as \"0x030000\"",
        [KEY_SERIAL] = "eight hexadecimal bytes, such as \"00-11-22-33-44-55-66-77\"",
        [KEY_VFIO] = "\"yes\" or \"no\"",
        [KEY_SRIOV_NUMVFS] = "a number of VFs from 0 to 65535",
        [KEY_ALLOW_PROTECTED] = "\"yes\" or \"no\"",
        [KEY_RESET_METHOD] = "the kernel's reset methods separated by spaces, such as \"flr bus\"",
};

static int parse_value(ConfigKey k, Slice v, ConfigEntry *e) {
        ConfigIdentity *id = &e->identity;
        uint32_t class_code;
        int r;

        switch (k) {
        case KEY_ID:
                return parse_id_pair(v, &id->vendor_id, &id->device_id);
        case KEY_SUBSYSTEM:
                r = parse_id_pair(v, &id->subsystem_vendor_id, &id->subsystem_device_id);
                if (r >= 0)
                        id->has_subsystem = true;
                return r;
        case KEY_CLASS:
                r = parse_class(v, &class_code);
                if (r < 0 || class_code > 0xffffff)
                        return -EINVAL;
                id->class_code = class_code;
                return 0;
        case KEY_SERIAL:
                return parse_serial(v, &id->serial);
        case KEY_VFIO:
                return parse_bool(v, &e->vfio);
        case KEY_SRIOV_NUMVFS:
                return parse_numvfs(v, &e->sriov_numvfs);
        case KEY_ALLOW_PROTECTED:
                return parse_bool(v, &e->allow_protected);
        case KEY_RESET_METHOD:
                return reset_methods_normalize(v.p, v.n, e->reset_method);
        default:
                return -EINVAL;
        }
}

static ConfigKey key_from_slice(Slice s) {
        for (ConfigKey k = 0; k < _KEY_MAX; k++)
                if (slice_eq(s, key_names[k]))
                        return k;
        return KEY_NONE;
}

/* ---- the parser ---- */

void config_identity_done(ConfigIdentity *i) {
        if (!i)
                return;
        free(i->serial);
        i->serial = NULL;
}

void config_entry_done(ConfigEntry *e) {
        if (e)
                config_identity_done(&e->identity);
}

static void config_clear(Config *c) {
        for (size_t i = 0; i < c->n_sections; i++)
                config_entry_done(&c->sections[i].entry);
        free(c->sections);
        free(c->lines);
        free(c->text);
}

Config *config_free(Config *c) {
        if (!c)
                return NULL;
        config_clear(c);
        free(c);
        return NULL;
}

static int split_lines(Config *c, const char *path, ConfigError *ret_error) {
        size_t cap = 0;

        for (size_t offset = 0; offset < c->size;) {
                const char *start = c->text + offset;
                const char *nl = memchr(start, '\n', c->size - offset);
                size_t length = nl ? (size_t) (nl - start) + 1 : c->size - offset;

                if (c->n_lines >= CONFIG_LINES_MAX)
                        return fail(-EFBIG, ret_error, path, c->n_lines + 1,
                                    "The file has more than %d lines.", CONFIG_LINES_MAX);
                if (length - (nl ? 1 : 0) > CONFIG_LINE_MAX)
                        return fail(-EFBIG, ret_error, path, c->n_lines + 1,
                                    "The line is longer than %d bytes.", CONFIG_LINE_MAX);
                if (memchr(start, '\0', length))
                        return fail(-EINVAL, ret_error, path, c->n_lines + 1,
                                    "The line contains a NUL byte; the file is not text.");
                if (c->n_lines == cap) {
                        Line *l;

                        cap = cap ? cap * 2 : 64;
                        l = reallocarray(c->lines, cap, sizeof(Line));
                        if (!l)
                                return -ENOMEM;
                        c->lines = l;
                }
                c->lines[c->n_lines++] = (Line){ offset, length };
                offset += length;
        }
        return 0;
}

static const char *address_string(const PciAddress *a, char buf[static PCI_ADDRESS_STRING_MAX]) {
        return pci_address_format(a, buf);
}

/* A section is complete when it says which card it is. */
static int finish_section(const Section *s, const char *path, ConfigError *ret_error) {
        static const ConfigKey required[] = { KEY_ID, KEY_CLASS };
        char buf[PCI_ADDRESS_STRING_MAX];

        for (size_t i = 0; i < ELEMENTSOF(required); i++)
                if (s->key_line[required[i]] == NO_LINE)
                        return fail(-EINVAL, ret_error, path, s->header_line + 1,
                                    "Section [%s] has no \"%s\" key; each device needs its id and class.",
                                    address_string(&s->entry.address, buf), key_names[required[i]]);
        return 0;
}

static int open_section(Config *c, size_t line, Slice content, const char *path, ConfigError *ret_error) {
        char buf[PCI_ADDRESS_STRING_MAX], ex[44];
        Section *sections, *s;
        PciAddress a;
        Slice name;

        if (content.p[content.n - 1] != ']')
                return fail(-EINVAL, ret_error, path, line + 1, "Expected \"]\" at the end of \"%s\".",
                            excerpt(content, ex));
        name = trim((Slice){ content.p + 1, content.n - 2 });
        if (name.n >= sizeof(buf))
                return fail(-EINVAL, ret_error, path, line + 1,
                            "\"%s\" is not a PCI address such as 0000:01:00.0.", excerpt(name, ex));
        memcpy(buf, name.p, name.n);
        buf[name.n] = '\0';
        if (pci_address_parse(buf, &a) < 0)
                return fail(-EINVAL, ret_error, path, line + 1,
                            "\"%s\" is not a PCI address such as 0000:01:00.0.", excerpt(name, ex));

        for (size_t i = 0; i < c->n_sections; i++)
                if (pci_address_equal(&c->sections[i].entry.address, &a))
                        return fail(-EINVAL, ret_error, path, line + 1,
                                    "Section [%s] appears twice; the first is on line %zu.",
                                    address_string(&a, buf), c->sections[i].header_line + 1);
        if (c->n_sections >= CONFIG_ENTRIES_MAX)
                return fail(-EFBIG, ret_error, path, line + 1, "The file has more than %d devices.",
                            CONFIG_ENTRIES_MAX);

        sections = reallocarray(c->sections, c->n_sections + 1, sizeof(Section));
        if (!sections)
                return -ENOMEM;
        c->sections = sections;
        s = &c->sections[c->n_sections++];
        *s = (Section){
                .entry = { .address = a, .vfio = true, .sriov_numvfs = -1 },
                .header_line = line,
                .last_line = line,
        };
        for (ConfigKey k = 0; k < _KEY_MAX; k++)
                s->key_line[k] = NO_LINE;
        return 0;
}

static int parse_key_line(Section *s, size_t line, Slice content, const char *path, ConfigError *ret_error) {
        const char *eq = memchr(content.p, '=', content.n);
        char ex[44];
        Slice key, value;
        ConfigKey k;
        int r;

        if (!eq)
                return fail(-EINVAL, ret_error, path, line + 1,
                            "Expected \"key = value\", a [section] or a # comment, not \"%s\".",
                            excerpt(content, ex));
        key = trim((Slice){ content.p, (size_t) (eq - content.p) });
        value = trim((Slice){ eq + 1, content.n - (size_t) (eq - content.p) - 1 });
        if (!s)
                return fail(-EINVAL, ret_error, path, line + 1,
                            "\"%s\" is outside of a device section; start one with [0000:01:00.0].",
                            excerpt(key, ex));
        k = key_from_slice(key);
        if (k == KEY_NONE)
                return fail(-EINVAL, ret_error, path, line + 1,
                            "Unknown key \"%s\"; see passthru.conf(5) for the keys.", excerpt(key, ex));
        if (s->key_line[k] != NO_LINE)
                return fail(-EINVAL, ret_error, path, line + 1,
                            "Key \"%s\" appears twice in this section; the first is on line %zu.",
                            key_names[k], s->key_line[k] + 1);
        r = parse_value(k, value, &s->entry);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(-EINVAL, ret_error, path, line + 1, "Invalid %s \"%s\": expected %s.",
                            key_names[k], excerpt(value, ex), value_hints[k]);
        s->key_line[k] = line;
        s->last_line = line;
        return 0;
}

static int parse_lines(Config *c, const char *path, ConfigError *ret_error) {
        Section *s = NULL;
        int r;

        for (size_t i = 0; i < c->n_lines; i++) {
                Slice content = line_content(c, i);

                if (content.n == 0)
                        continue;
                if (content.p[0] == '[') {
                        if (s) {
                                r = finish_section(s, path, ret_error);
                                if (r < 0)
                                        return r;
                        }
                        r = open_section(c, i, content, path, ret_error);
                        if (r < 0)
                                return r;
                        s = &c->sections[c->n_sections - 1];
                        continue;
                }
                r = parse_key_line(s, i, content, path, ret_error);
                if (r < 0)
                        return r;
        }
        return s ? finish_section(s, path, ret_error) : 0;
}

int config_parse(const char *text, size_t len, const char *path, Config **ret, ConfigError *ret_error) {
        _cleanup_(config_freep) Config *c = NULL;
        int r;

        assert(ret);
        if (len > CONFIG_SIZE_MAX)
                return fail(-EFBIG, ret_error, path, 0, "The file is larger than %d bytes.",
                            CONFIG_SIZE_MAX);
        c = calloc(1, sizeof(Config));
        if (!c)
                return -ENOMEM;
        /* NUL-terminated too, so a caller may print it. */
        c->text = malloc(len + 1);
        if (!c->text)
                return -ENOMEM;
        if (len > 0)
                memcpy(c->text, text, len);
        c->text[len] = '\0';
        c->size = len;

        r = split_lines(c, path, ret_error);
        if (r >= 0)
                r = parse_lines(c, path, ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int config_new(Config **ret) {
        assert(ret);
        return config_parse("", 0, NULL, ret, NULL);
}

/* ---- reading ---- */

size_t config_n_entries(const Config *c) {
        assert(c);
        return c->n_sections;
}

const ConfigEntry *config_entry(const Config *c, size_t i) {
        assert(c);
        return i < c->n_sections ? &c->sections[i].entry : NULL;
}

static Section *find_section(const Config *c, const PciAddress *a) {
        for (size_t i = 0; i < c->n_sections; i++)
                if (pci_address_equal(&c->sections[i].entry.address, a))
                        return &c->sections[i];
        return NULL;
}

const ConfigEntry *config_find(const Config *c, const PciAddress *a) {
        Section *s = find_section(c, a);

        assert(c);
        assert(a);
        return s ? &s->entry : NULL;
}

const char *config_text(const Config *c, size_t *ret_size) {
        assert(c);
        if (ret_size)
                *ret_size = c->size;
        return c->text;
}

static int load_absent(Config **ret) {
        Config *c;
        int r;

        r = config_new(&c);
        if (r < 0)
                return r;
        c->origin = ORIGIN_ABSENT;
        *ret = c;
        return 0;
}

/* Why the file could not be read, for the admin. */
static int fail_read(int r, ConfigError *ret_error, const char *path) {
        switch (r) {
        case -ELOOP:
                return fail(r, ret_error, path, 0,
                            "A symbolic link; only a regular file is read, replace the link by the file.");
        case -EISDIR:
        case -EBADFD:
                return fail(-EBADFD, ret_error, path, 0, "Not a regular file; only a regular file is read.");
        case -EFBIG:
                return fail(r, ret_error, path, 0, "The file is larger than %d bytes.", CONFIG_SIZE_MAX);
        default:
                return fail(r, ret_error, path, 0, "Cannot be read: %s.", strerror(-r));
        }
}

int config_load(const char *dir, Config **ret, ConfigError *ret_error) {
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        _cleanup_free_ char *path = NULL, *text = NULL;
        struct stat st;
        size_t size = 0;
        int r;

        assert(ret);
        dir = dir ?: CONFIG_DIR;
        if (asprintf(&path, "%s/%s", dir, CONFIG_FILE) < 0)
                return -ENOMEM;
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0 && errno == ENOENT)
                return load_absent(ret);
        if (dir_fd < 0)
                return fail(-errno, ret_error, dir, 0, "Cannot open the directory: %s.", strerror(errno));
        r = read_file_at(dir_fd, CONFIG_FILE, CONFIG_SIZE_MAX, 0, &text, &size, &st);
        if (r == -ENOENT)
                return load_absent(ret);
        if (r < 0)
                return fail_read(r, ret_error, path);
        r = config_parse(text, size, path, &c, ret_error);
        if (r < 0)
                return r;
        c->origin = ORIGIN_FILE;
        c->st = st;
        *ret = TAKE_PTR(c);
        return 0;
}

int config_clean_temporaries(const char *dir) {
        _cleanup_close_ int dir_fd = -EBADF;
        int r;

        dir = dir ?: CONFIG_DIR;
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return errno == ENOENT ? 0
                                       : log_warning_errno(errno, "Failed to open %s, ignoring: %m", dir);
        r = write_file_clean_temporaries_at(dir_fd, CONFIG_FILE);
        if (r < 0)
                return log_warning_errno(r, "Failed to remove temporary files from %s, ignoring: %m", dir);
        if (r > 0)
                log_notice("Removed %d temporary file(s) of %s left in %s by a save that was cut short.", r,
                           CONFIG_FILE, dir);
        return r;
}

/* ---- editing: build the new text, then parse it as if read from disk ---- */

static bool line_is_blank(const Config *c, size_t i) {
        Slice s = { c->text + c->lines[i].offset, c->lines[i].length };

        for (size_t k = 0; k < s.n; k++)
                if (!is_blank_char(s.p[k]) && s.p[k] != '\n')
                        return false;
        return true;
}

static void emit(FILE *f, const char *p, size_t n) {
        if (n > 0)
                fwrite(p, 1, n, f);
}

static void emit_line(FILE *f, const Config *c, size_t i) {
        emit(f, c->text + c->lines[i].offset, c->lines[i].length);
}

/* Before new text: the last line of a file may lack its newline. */
/* Ends the text written so far with a newline, unless it is empty or ends with one. */
static void emit_newline_if_needed(MemStream *m) {
        fflush(m->f);
        if (m->size > 0 && m->buf[m->size - 1] != '\n')
                fputc('\n', m->f);
}

/* The value the daemon writes for k, or false when the entry leaves k out. */
static bool format_value(ConfigKey k, const ConfigEntry *e, char buf[static VALUE_MAX]) {
        const ConfigIdentity *id = &e->identity;

        switch (k) {
        case KEY_ID:
                snprintf(buf, 32, "%04x:%04x", id->vendor_id, id->device_id);
                return true;
        case KEY_SUBSYSTEM:
                snprintf(buf, 32, "%04x:%04x", id->subsystem_vendor_id, id->subsystem_device_id);
                return id->has_subsystem;
        case KEY_CLASS:
                snprintf(buf, 32, "0x%06x", id->class_code);
                return true;
        case KEY_SERIAL:
                /* Lower case, as the device's own serial is formatted. */
                snprintf(buf, 32, "%s", strempty(id->serial));
                for (char *p = buf; *p; p++)
                        if (*p >= 'A' && *p <= 'F')
                                *p = (char) (*p - 'A' + 'a');
                return id->serial;
        case KEY_VFIO:
                snprintf(buf, 32, "%s", e->vfio ? "yes" : "no");
                return true;
        case KEY_SRIOV_NUMVFS:
                snprintf(buf, 32, "%d", e->sriov_numvfs);
                return e->sriov_numvfs >= 0;
        case KEY_ALLOW_PROTECTED:
                snprintf(buf, 32, "%s", e->allow_protected ? "yes" : "no");
                return true;
        case KEY_RESET_METHOD:
                snprintf(buf, VALUE_MAX, "%s", e->reset_method);
                return e->reset_method[0];
        default:
                return false;
        }
}

/* A new key line is written only when it says more than the default. */
static bool value_is_default(ConfigKey k, const ConfigEntry *e) {
        return (k == KEY_VFIO && e->vfio) || (k == KEY_ALLOW_PROTECTED && !e->allow_protected);
}

static bool value_equal(ConfigKey k, const ConfigEntry *a, const ConfigEntry *b) {
        const ConfigIdentity *x = &a->identity, *y = &b->identity;

        switch (k) {
        case KEY_ID:
                return x->vendor_id == y->vendor_id && x->device_id == y->device_id;
        case KEY_SUBSYSTEM:
                return x->has_subsystem == y->has_subsystem &&
                       x->subsystem_vendor_id == y->subsystem_vendor_id &&
                       x->subsystem_device_id == y->subsystem_device_id;
        case KEY_CLASS:
                return x->class_code == y->class_code;
        case KEY_SERIAL:
                return x->serial && y->serial && strcasecmp(x->serial, y->serial) == 0;
        case KEY_VFIO:
                return a->vfio == b->vfio;
        case KEY_SRIOV_NUMVFS:
                return a->sriov_numvfs == b->sriov_numvfs;
        case KEY_ALLOW_PROTECTED:
                return a->allow_protected == b->allow_protected;
        case KEY_RESET_METHOD:
                return streq(a->reset_method, b->reset_method);
        default:
                return false;
        }
}

/* "key = value" in place of line i: its indentation and its trailing comment stay. */
static void emit_rewritten(FILE *f, const Config *c, size_t i, ConfigKey k, const char *value) {
        const char *p = c->text + c->lines[i].offset, *end = p + c->lines[i].length;
        Slice content = line_content(c, i);
        const char *tail = content.p + content.n;

        emit(f, p, (size_t) (content.p - p));
        fprintf(f, "%s = %s", key_names[k], value);
        emit(f, tail, (size_t) (end - tail));
}

static ConfigKey key_of_line(const Section *s, size_t line) {
        for (ConfigKey k = 0; k < _KEY_MAX; k++)
                if (s->key_line[k] == line)
                        return k;
        return KEY_NONE;
}

static void emit_updated_section(MemStream *m, const Config *c, const Section *s, const ConfigEntry *e) {
        FILE *f = m->f;
        char value[VALUE_MAX];

        for (size_t i = s->header_line; i <= s->last_line; i++) {
                ConfigKey k = key_of_line(s, i);

                if (k == KEY_NONE || value_equal(k, &s->entry, e))
                        emit_line(f, c, i);
                else if (format_value(k, e, value))
                        emit_rewritten(f, c, i, k, value);
        }
        for (ConfigKey k = 0; k < _KEY_MAX; k++)
                if (s->key_line[k] == NO_LINE && format_value(k, e, value) && !value_is_default(k, e)) {
                        emit_newline_if_needed(m);
                        fprintf(f, "%s = %s\n", key_names[k], value);
                }
}

static void emit_new_section(MemStream *m, const Config *c, const ConfigEntry *e) {
        char addr[PCI_ADDRESS_STRING_MAX], value[VALUE_MAX];
        FILE *f = m->f;

        emit_newline_if_needed(m);
        /* A blank line between sections, as a person would write them. */
        if (c->n_lines > 0 && !line_is_blank(c, c->n_lines - 1))
                fputc('\n', f);
        fprintf(f, "[%s]\n", pci_address_format(&e->address, addr));
        for (ConfigKey k = 0; k < _KEY_MAX; k++)
                if (format_value(k, e, value) && !value_is_default(k, e))
                        fprintf(f, "%s = %s\n", key_names[k], value);
}

/* Makes text the content of c; the origin stays, so the save still compares with the disk. */
static int replace_text(Config *c, char *text, size_t size) {
        _cleanup_(config_freep) Config *fresh = NULL;
        _cleanup_(config_error_done) ConfigError error = {};
        Config old;
        int r;

        r = config_parse(text, size, NULL, &fresh, &error);
        if (r == -ENOMEM)
                return r;
        /* Only an entry the parser would refuse gets here; the file stays as it was. */
        if (r < 0)
                return log_debug_errno(r, "Edited file would not parse (line %u: %s), refusing.", error.line,
                                       strna(error.message));
        fresh->origin = c->origin;
        fresh->st = c->st;
        old = *c;
        *c = *fresh;
        *fresh = old;
        return 0;
}

static int check_entry(const ConfigEntry *e) {
        _cleanup_free_ char *serial = NULL;

        if (e->sriov_numvfs < -1 || e->sriov_numvfs > CONFIG_SRIOV_NUMVFS_MAX)
                return -EINVAL;
        if (e->identity.class_code > 0xffffff)
                return -EINVAL;
        if (e->identity.serial &&
            parse_serial((Slice){ e->identity.serial, strlen(e->identity.serial) }, &serial) < 0)
                return -EINVAL;
        return 0;
}

int config_set_entry(Config *c, const ConfigEntry *e) {
        _cleanup_(memstream_done) MemStream out = {};
        _cleanup_free_ char *buf = NULL;
        const Section *s;
        FILE *f;
        int r;

        assert(e);
        r = check_entry(e);
        if (r < 0)
                return r;
        f = memstream_init(&out);
        if (!f)
                return -ENOMEM;
        s = find_section(c, &e->address);
        if (s) {
                for (size_t i = 0; i < s->header_line; i++)
                        emit_line(f, c, i);
                emit_updated_section(&out, c, s, e);
                for (size_t i = s->last_line + 1; i < c->n_lines; i++)
                        emit_line(f, c, i);
        } else {
                for (size_t i = 0; i < c->n_lines; i++)
                        emit_line(f, c, i);
                emit_new_section(&out, c, e);
        }
        if (memstream_finalize(&out, &buf) < 0)
                return -ENOMEM;
        return replace_text(c, buf, out.size);
}

int config_remove_entry(Config *c, const PciAddress *a) {
        _cleanup_(memstream_done) MemStream out = {};
        _cleanup_free_ char *buf = NULL;
        const Section *s;
        size_t first, last;
        FILE *f;

        assert(a);
        s = find_section(c, a);
        if (!s)
                return -ENOENT;
        first = s->header_line;
        last = s->last_line;
        /* The blank line that set it apart goes with it, so adding and removing an entry
         * gives back the same file; one the admin put between two other sections stays. */
        if (first > 0 && line_is_blank(c, first - 1) &&
            (last + 1 == c->n_lines || line_is_blank(c, last + 1)))
                first--;

        f = memstream_init(&out);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_lines; i++)
                if (i < first || i > last)
                        emit_line(f, c, i);
        if (memstream_finalize(&out, &buf) < 0)
                return -ENOMEM;
        return replace_text(c, buf, out.size);
}

/* ---- saving ---- */

#if PASSTHRU_FAULT_POINTS
/* Test builds only: PASSTHRU_FAULT_CONFIG_SAVE=write|fsync|rename fails that step with EIO. */
static int fault_point(const char *step, _unused_ void *userdata) {
        const char *e = getenv("PASSTHRU_FAULT_CONFIG_SAVE");

        if (!e || !streq(e, step))
                return 0;
        log_notice("Fault point: saving the config fails at %s (PASSTHRU_FAULT_CONFIG_SAVE).", step);
        return -EIO;
}
#else
static int fault_point(_unused_ const char *step, _unused_ void *userdata) {
        return 0;
}
#endif

/* What the file on disk must still be for a save to replace it. */
static WriteExpect expectation(const Config *c) {
        switch (c->origin) {
        case ORIGIN_FILE:
                return WRITE_SAME;
        case ORIGIN_ABSENT:
                return WRITE_ABSENT;
        case ORIGIN_TEXT:
        default:
                return WRITE_ANY;
        }
}

int config_save(Config *c, const char *dir) {
        _cleanup_close_ int dir_fd = -EBADF;
        /* 0644 for a new file: it says nothing secret and admins read it (UMask= would say 0600). */
        WriteFileParams params = {
                .mode = 0644,
                .expect = expectation(c),
                .expected_st = &c->st,
                .before_step = fault_point,
        };
        struct stat st;
        int r;

        dir = dir ?: CONFIG_DIR;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", dir);
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", dir);
        r = write_file_atomic_at(dir_fd, CONFIG_FILE, c->text, c->size, &params, &st);
        if (r == -ESTALE)
                return log_warning_errno(r, "%s/%s changed on disk since it was read, not overwriting it.",
                                         dir, CONFIG_FILE);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s/%s: %m", dir, CONFIG_FILE);
        c->origin = ORIGIN_FILE;
        c->st = st;
        return 0;
}

/* ---- identity and state ---- */

/* The device's identity, borrowing its serial: for comparisons that must not allocate. */
static ConfigIdentity identity_view(const Device *d) {
        return (ConfigIdentity){
                .vendor_id = d->vendor_id,
                .device_id = d->device_id,
                .subsystem_vendor_id = d->subsystem_vendor_id,
                .subsystem_device_id = d->subsystem_device_id,
                .has_subsystem = true,
                .class_code = d->class_code,
                .serial = d->serial,
        };
}

int config_identity_from_device(const Device *d, ConfigIdentity *ret) {
        ConfigIdentity id = identity_view(d);

        assert(d);
        assert(ret);
        id.serial = NULL;
        if (d->serial) {
                id.serial = strdup(d->serial);
                if (!id.serial)
                        return -ENOMEM;
        }
        *ret = id;
        return 0;
}

int config_entry_from_device(const Device *d, ConfigEntry *ret) {
        ConfigIdentity id;
        int r;

        assert(d);
        assert(ret);
        r = config_identity_from_device(d, &id);
        if (r < 0)
                return r;
        *ret = (ConfigEntry){
                .address = d->address,
                .identity = id,
                .vfio = true,
                .sriov_numvfs = -1,
        };
        return 0;
}

bool config_identity_match(const ConfigIdentity *entry, const ConfigIdentity *device) {
        assert(entry);
        assert(device);
        if (entry->vendor_id != device->vendor_id || entry->device_id != device->device_id ||
            entry->class_code != device->class_code)
                return false;
        if (entry->has_subsystem && device->has_subsystem &&
            (entry->subsystem_vendor_id != device->subsystem_vendor_id ||
             entry->subsystem_device_id != device->subsystem_device_id))
                return false;
        /* Only two serials that differ prove another card. A serial that cannot be read now
         * (no root, no extended config space, a kernel or bridge hiding it) proves nothing,
         * and refusing then would drop a binding the admin asked for; the IDs still decide.
         * An entry without serial (written by hand, or for a card without one) matches too. */
        if (entry->serial && device->serial && strcasecmp(entry->serial, device->serial) != 0)
                return false;
        return true;
}

ConfigState config_entry_state(const ConfigEntry *e, const Device *d) {
        ConfigIdentity seen;
        bool bound, vfs;

        assert(e);
        if (!d)
                return CONFIG_STATE_MISSING;
        seen = identity_view(d);
        if (!config_identity_match(&e->identity, &seen))
                return CONFIG_STATE_MISMATCH;
        bound = !e->vfio || streq_ptr(d->driver, "vfio-pci");
        vfs = e->sriov_numvfs < 0 || (unsigned) e->sriov_numvfs == d->sriov_numvfs;
        return bound && vfs && reset_methods_match(e->reset_method, d->reset_methods) ? CONFIG_STATE_APPLIED
                                                                                      : CONFIG_STATE_PENDING;
}
