/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whole files, read and written the one way every part of passthru does it: relative to a
 * directory fd (a root, /etc, a test fixture), regular files only, a size cap on reading, and
 * writes that leave the old file or the new one after a crash, never a part of either. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

typedef enum ReadFileFlags {
        /* Follow a symbolic link in the last component: for files the daemon only reads and
         * that distributions ship as links (/etc/modules-load.d/modules.conf -> ../modules). */
        READ_FILE_FOLLOW = 1 << 0,
} ReadFileFlags;

/* Reads the regular file dirfd/path (AT_FDCWD for a path of the process's own) of at most max
 * bytes into a NUL-terminated buffer; *ret_size (may be NULL) is its length, which counts any
 * NUL bytes inside. Opened with O_NONBLOCK, so a FIFO never blocks and, like any file that is
 * not regular, is -EBADFD (a directory -EISDIR); and with O_NOFOLLOW unless READ_FILE_FOLLOW:
 * a symbolic link is -ELOOP. -EFBIG past max, also for a file that grows while it is read.
 * ret_st (may be NULL) gets the file's stat, as it was read. */
int read_file_at(int dirfd, const char *path, size_t max, ReadFileFlags flags, char **ret, size_t *ret_size,
                 struct stat *ret_st);
/* The same into buf of size bytes (the file and its NUL), for small files read often
 * (/proc/PID/comm) without an allocation: -EFBIG when the file does not fit. buf may be
 * written also on failure. */
int read_file_into_at(int dirfd, const char *path, ReadFileFlags flags, char *buf, size_t size,
                      size_t *ret_size);

/* Only replace a file that is still the one that was read. */
typedef enum WriteExpect {
        WRITE_ANY,      /* replace whatever is there */
        WRITE_ABSENT,   /* only when no file of that name exists: -ESTALE otherwise */
        WRITE_SAME,     /* only when the file is still expected_st (device, inode, size, mtime) */
        WRITE_NOREPLACE /* create only: -EEXIST when the name exists (backups under a new name) */
} WriteExpect;

typedef struct WriteFileParams {
        mode_t mode; /* of a new file; an existing file keeps its own mode and owner */
        WriteExpect expect;
        const struct stat *expected_st; /* for WRITE_SAME */
        /* Called before each step ("write", "fsync", "rename"); <0 stops the write there and is
         * returned (test builds fail steps with it). NULL: none. */
        int (*before_step)(const char *step, void *userdata);
        void *userdata;
} WriteFileParams;

/* Replaces dirfd/name (a name, no '/') with size bytes of data: a temporary file
 * ".NAME.XXXXXX" next to it, fsync, rename, fsync of the directory. An existing file's mode and
 * owner are kept; a writer that may not give files away (not root, no CAP_CHOWN) keeps the mode
 * only and logs a warning naming the owner it could not keep. With
 * WRITE_SAME or WRITE_ABSENT an edit that lands before the rename is never lost: the new file
 * takes the name with an atomic exchange, and when what it replaced is not the file expected,
 * the two are exchanged back and -ESTALE returned (read again and retry). On any failure the
 * old file is what it was and the temporary file is gone. ret_st (may be NULL): the stat of the
 * file written. */
int write_file_atomic_at(int dirfd, const char *name, const void *data, size_t size,
                         const WriteFileParams *params, struct stat *ret_st);

/* Removes the temporary files write_file_atomic_at() leaves when killed mid-write
 * (".NAME.XXXXXX", regular files only) from dirfd; returns how many, or -errno. Call it when
 * no write of that name can be in progress (at start-up). */
int write_file_clean_temporaries_at(int dirfd, const char *name);

/* Whether two stats are the same file with the same contents as far as the inode tells
 * (device, inode, size, modification time). */
bool stat_same_file(const struct stat *a, const struct stat *b);
