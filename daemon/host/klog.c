/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/stat.h>
#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>

#include "klog.h"
#include "log.h"
#include "strv.h"
#include "utf8.h"

/* A host that logs faster than we read must not keep us reading forever. */
#define KLOG_MAX_BYTES (16u * 1024u * 1024u)
#define KLOG_MAX_LINES 200000u
/* One /dev/kmsg record with its dictionary fits; a smaller buffer makes read(2) fail EINVAL. */
#define KMSG_RECORD_MAX 8192

Klog *klog_free(Klog *k) {
        if (!k)
                return NULL;
        strv_free(k->lines);
        free(k->source);
        free(k);
        return NULL;
}

static int klog_new(const char *source, Klog **ret) {
        _cleanup_(klog_freep) Klog *k = calloc(1, sizeof(Klog));

        if (!k)
                return -ENOMEM;
        k->lines = calloc(1, sizeof(char *));
        k->allocated = 1;
        k->source = strdup(source);
        if (!k->lines || !k->source)
                return -ENOMEM;
        *ret = TAKE_PTR(k);
        return 0;
}

/* Appends line (taking it on success). The array grows by doubling and the count is kept:
 * a log of 200000 lines must not cost a walk of the array per line. */
static int klog_push(Klog *k, char *line) {
        if (k->n_lines + 1 >= k->allocated) {
                size_t allocated = k->allocated > 0 ? k->allocated * 2 : 1024;
                char **grown = realloc(k->lines, sizeof(char *) * allocated);

                if (!grown)
                        return -ENOMEM;
                k->lines = grown;
                k->allocated = allocated;
        }
        k->lines[k->n_lines++] = line;
        k->lines[k->n_lines] = NULL;
        return 0;
}

const char *klog_find(const Klog *k, const char *needle) {
        for (size_t i = 0; k && k->lines && k->lines[i]; i++)
                if (strstr(k->lines[i], needle))
                        return k->lines[i];
        return NULL;
}

static bool is_first_boot_line(const char *message) {
        return strncmp(message, "Linux version ", strlen("Linux version ")) == 0;
}

/* The sequence number at p, in the header that ends at end. sscanf() on the record itself
 * would look for a NUL first: past the buffer's end (klog_parse() takes no NUL), and through
 * the whole rest of the log for every record. */
static int parse_seq(const char *p, const char *end, unsigned long long *ret) {
        char field[32];
        size_t n = (size_t) (end - p);

        if (n > sizeof(field) - 1)
                n = sizeof(field) - 1;
        memcpy(field, p, n);
        field[n] = '\0';
        return sscanf(field, "%llu", ret) == 1 ? 0 : -EINVAL;
}

/* One record line: "PRI,SEQ,TS,FLAGS;message". Continuation lines (" KEY=value") and lines
 * without a header are not messages. */
static int parse_record(Klog *k, const char *line, size_t len, bool *first) {
        const char *semicolon = memchr(line, ';', len), *comma;
        unsigned long long seq;
        char *message;
        int r;

        if (len == 0 || line[0] == ' ' || !semicolon)
                return 0;
        comma = memchr(line, ',', (size_t) (semicolon - line));
        if (!comma || parse_seq(comma + 1, semicolon, &seq) < 0)
                return 0;
        message = strndup(semicolon + 1, len - (size_t) (semicolon + 1 - line));
        /* Checks quote these lines on D-Bus, which takes nothing but UTF-8. */
        if (!message || utf8_make_valid(&message) < 0) {
                free(message);
                return -ENOMEM;
        }
        /* Sequence numbers start at 0 with "Linux version": anything else means lost records. */
        if (*first)
                k->complete = seq == 0 && is_first_boot_line(message);
        *first = false;
        r = klog_push(k, message);
        if (r < 0)
                free(message);
        return r;
}

static int parse_records(Klog *k, const char *buf, size_t size) {
        bool first = true;
        int r;

        for (const char *p = buf; p < buf + size;) {
                const char *nl = memchr(p, '\n', (size_t) (buf + size - p));
                size_t len = nl ? (size_t) (nl - p) : (size_t) (buf + size - p);

                r = parse_record(k, p, len, &first);
                if (r < 0)
                        return r;
                if (k->n_lines >= KLOG_MAX_LINES)
                        break;
                p += len + 1;
        }
        return 0;
}

int klog_parse(const char *source, const char *buf, size_t size, Klog **ret) {
        _cleanup_(klog_freep) Klog *k = NULL;
        int r;

        assert(source);
        assert(buf);
        assert(ret);
        r = klog_new(source, &k);
        if (r < 0)
                return r;
        r = parse_records(k, buf, size);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(k);
        return 0;
}

/* Reads until EAGAIN (kmsg) or end of file. EPIPE says records were overwritten while we
 * read: the next read returns the oldest record still there, so carry on. */
static int read_all(int fd, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;
        bool lost = false;

        for (;;) {
                ssize_t n;

                /* Room for a whole record and the NUL that ends the text. */
                if (allocated - size < KMSG_RECORD_MAX + 1) {
                        size_t grown_size = allocated ? allocated * 2 : 64 * 1024;
                        char *grown = realloc(buf, grown_size);

                        if (!grown)
                                return -ENOMEM;
                        buf = grown;
                        allocated = grown_size;
                }
                n = read(fd, buf + size, allocated - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EPIPE) {
                                lost = true;
                                continue;
                        }
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size >= KLOG_MAX_BYTES)
                        break;
        }
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return lost;
}

int klog_read_kmsg(const char *path, Klog **ret) {
        _cleanup_(klog_freep) Klog *k = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        int r, lost;

        assert(path);
        assert(ret);
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_debug_errno(errno, "Failed to open %s: %m", path);
        lost = read_all(fd, &buf, &size);
        if (lost < 0)
                return log_debug_errno(lost, "Failed to read %s: %m", path);
        r = klog_parse(path, buf, size, &k);
        if (r < 0)
                return r;
        if (lost)
                k->complete = false;
        *ret = TAKE_PTR(k);
        return 0;
}

static int journal_open_this_boot(sd_journal **ret) {
        char match[sizeof("_BOOT_ID=") + SD_ID128_STRING_MAX], id[SD_ID128_STRING_MAX];
        sd_journal *j;
        sd_id128_t boot;
        int r;

        r = sd_id128_get_boot(&boot);
        if (r < 0)
                return r;
        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (r < 0)
                return r;
        snprintf(match, sizeof(match), "_BOOT_ID=%s", sd_id128_to_string(boot, id));
        r = sd_journal_add_match(j, "_TRANSPORT=kernel", 0);
        if (r >= 0)
                r = sd_journal_add_match(j, match, 0);
        if (r < 0) {
                sd_journal_close(j);
                return r;
        }
        *ret = j;
        return 0;
}

/* The journal keeps the kernel's lines of this boot after the ring buffer has dropped them;
 * the boot's first lines are what the checks need, so reading stops after a bounded count. */
static int klog_read_journal(Klog **ret) {
        _cleanup_(klog_freep) Klog *k = NULL;
        sd_journal *j;
        int r;

        r = journal_open_this_boot(&j);
        if (r < 0)
                return log_debug_errno(r, "Failed to open the journal: %m");
        r = klog_new("the journal of this boot", &k);
        while (r >= 0 && k->n_lines < KLOG_MAX_LINES && (r = sd_journal_next(j)) > 0) {
                const size_t prefix = strlen("MESSAGE=");
                const void *data;
                size_t len;
                char *line;

                if (sd_journal_get_data(j, "MESSAGE", &data, &len) < 0 || len < prefix)
                        continue;
                line = strndup((const char *) data + prefix, len - prefix);
                if (!line || utf8_make_valid(&line) < 0) {
                        free(line);
                        r = -ENOMEM;
                } else if ((r = klog_push(k, line)) < 0)
                        free(line);
        }
        sd_journal_close(j);
        if (r < 0)
                return log_debug_errno(r, "Failed to read the journal: %m");
        k->complete = k->lines[0] && is_first_boot_line(k->lines[0]);
        k->journal = true;
        *ret = TAKE_PTR(k);
        return 0;
}

/* Picks the source that reaches back furthest: the kernel's own buffer when it is complete,
 * else the journal when it has more of this boot. */
static Klog *pick(Klog **kmsg, Klog **journal) {
        if (*kmsg && (*kmsg)->complete)
                return TAKE_PTR(*kmsg);
        if (*journal &&
            ((*journal)->complete || !*kmsg || strv_length((*journal)->lines) > strv_length((*kmsg)->lines)))
                return TAKE_PTR(*journal);
        return TAKE_PTR(*kmsg);
}

int klog_read(const char *kmsg_path, bool use_journal, Klog **ret) {
        _cleanup_(klog_freep) Klog *kmsg = NULL, *journal = NULL;
        Klog *k;

        assert(ret);
        kmsg_path = kmsg_path ?: "/dev/kmsg";
        (void) klog_read_kmsg(kmsg_path, &kmsg);
        if (use_journal && !(kmsg && kmsg->complete))
                (void) klog_read_journal(&journal);
        k = pick(&kmsg, &journal);
        if (k) {
                log_debug("Kernel log: %zu lines from %s%s.", strv_length(k->lines), k->source,
                          k->complete ? "" : " (the oldest lines of this boot are gone)");
                *ret = k;
                return 0;
        }
        /* Nothing readable: an empty, incomplete log, so the checks fall back to sysfs and /proc. */
        return klog_new(kmsg_path, ret);
}
