/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the admin chose to keep on vfio-pci: /etc/passthru/devices.conf, one section per PCI
 * function with the identity of the card that was there (see passthru.conf(5)). This file
 * owns the format: the strict parser, line-preserving edits (the admin's comments and
 * spacing survive the daemon's changes), the atomic save, and the pure decisions "is this
 * still the same card" and "is this entry applied". No bus code, no sysfs writes.
 *
 * (Named devices-conf, not config, so it never shadows the build's config.h.)
 *
 * How the daemon uses it:
 *   start-up   config_load(NULL, &c, &err). On error there is no Config: log err, apply
 *              nothing, and refuse every edit until the admin fixes the file (a file that
 *              did not parse is never rewritten, so nothing the admin wrote is lost).
 *              Otherwise apply each entry: first sriov-numvfs of the PFs, then the bindings;
 *              config_entry_state() says what is left to do for each.
 *   Persist    load afresh, config_set_entry() / config_remove_entry(), config_save(). The
 *              save fails with -ESTALE when the file changed on disk since that load, so a
 *              concurrent hand edit is never overwritten: load again and retry. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "macros.h"
#include "pci-address.h"
#include "reset.h"

#define CONFIG_DIR "/etc/passthru"
#define CONFIG_FILE "devices.conf"
/* Caps that keep a hostile or corrupt file cheap to reject. */
#define CONFIG_SIZE_MAX (1024 * 1024)
#define CONFIG_LINE_MAX 4096
#define CONFIG_LINES_MAX 65536
#define CONFIG_ENTRIES_MAX 4096
#define CONFIG_SRIOV_NUMVFS_MAX 65535
#define CONFIG_RESET_METHOD_MAX RESET_METHODS_TEXT_MAX

/* Which card a remembered slot held. */
typedef struct ConfigIdentity {
        uint16_t vendor_id, device_id;
        uint16_t subsystem_vendor_id, subsystem_device_id;
        bool has_subsystem; /* false: the entry names none, any subsystem matches */
        uint32_t class_code;
        char *serial; /* "00-11-22-33-44-55-66-77" lower case; NULL when none */
} ConfigIdentity;

/* One section of the file. */
typedef struct ConfigEntry {
        PciAddress address;
        ConfigIdentity identity;
        bool vfio;            /* keep it on vfio-pci (default); false: only sriov_numvfs */
        int sriov_numvfs;     /* VFs to create at start-up; -1 when not set */
        bool allow_protected; /* start-up may take it though the safety checks protect it */
        char reset_method[CONFIG_RESET_METHOD_MAX]; /* "flr bus": set at start-up; "" when not set */
} ConfigEntry;

typedef enum ConfigState {
        CONFIG_STATE_APPLIED,  /* present, same card, as the entry asks */
        CONFIG_STATE_PENDING,  /* present, same card, not yet as the entry asks */
        CONFIG_STATE_MISSING,  /* no function at that address */
        CONFIG_STATE_MISMATCH, /* a different card is there: never touched */
        CONFIG_STATE_REFUSED,  /* the safety gate said no (decided by the caller, not here) */
        _CONFIG_STATE_MAX,
} ConfigState;

/* Why a file was refused: path, 1-based line (0: the file as a whole) and one sentence. */
typedef struct ConfigError {
        char *path;
        unsigned line;
        char *message;
} ConfigError;

typedef struct Config Config;

/* Parses a whole file. path only names it in errors (NULL: "devices.conf"). Strict: an
 * unknown key, a duplicate section or key, a bad value or a section without id or class
 * fails with -EINVAL and fills *ret_error, only then (ret_error may be NULL; free it with
 * config_error_done()); -EFBIG past the caps; -ENOMEM. Any bytes are safe input (it is a
 * fuzz target). The Config keeps the text byte for byte. */
int config_parse(const char *text, size_t len, const char *path, Config **ret, ConfigError *ret_error);
/* An empty file, as when none exists. */
int config_new(Config **ret);
Config *config_free(Config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Config *, config_free);

/* Reads DIR/devices.conf (dir NULL: CONFIG_DIR). A missing file or directory is an empty
 * config. Only a regular file (not a symlink) of at most CONFIG_SIZE_MAX is read. On error
 * (parse error, symlink, too large, I/O) *ret_error says why, for the log and for clients. */
int config_load(const char *dir, Config **ret, ConfigError *ret_error);

/* Replaces DIR/devices.conf atomically (write_file_atomic_at(): temporary file, fsync, rename,
 * fsync of DIR), creating DIR (mode 0755) if needed. A new file gets mode 0644; an existing one
 * keeps its mode, and its owner where the daemon may keep it (see write_file_atomic_at()). On failure
 * the old file is untouched and the temporary file removed. -ESTALE when the file on disk is
 * not the one c was loaded from (an admin edited it meanwhile), also when the edit is renamed
 * in just before the save's own rename: it is put back, never overwritten. A Config from
 * config_parse() or config_new() has no file to compare with and is written as it is. */
int config_save(Config *c, const char *dir);
/* Removes the temporary files of saves cut short (SIGKILL) from DIR (NULL: CONFIG_DIR): at
 * start-up, when no save can be running. Returns how many, or -errno (logged). */
int config_clean_temporaries(const char *dir);

/* The entries in file order; valid until the next edit or config_free(). */
size_t config_n_entries(const Config *c);
const ConfigEntry *config_entry(const Config *c, size_t i);
/* NULL when the address has no entry. */
const ConfigEntry *config_find(const Config *c, const PciAddress *a);
/* The file's bytes as they will be written. */
const char *config_text(const Config *c, size_t *ret_size);

/* Adds e (which may point into c), or updates the section of its address in place: a key whose value is
 * unchanged keeps its line byte for byte, a changed one keeps its trailing comment, other lines (comments,
 * blank lines, other sections) are not touched. A new section is appended. -EINVAL for an entry that could
 * not be written (bad serial, VF count out of range). */
int config_set_entry(Config *c, const ConfigEntry *e);
/* Drops the section's lines (and one blank line that only separated it); -ENOENT if none. */
int config_remove_entry(Config *c, const PciAddress *a);

/* The entry the daemon writes for a device: its identity, vfio yes, nothing else. */
int config_entry_from_device(const Device *d, ConfigEntry *ret);
void config_entry_done(ConfigEntry *e);

int config_identity_from_device(const Device *d, ConfigIdentity *ret);
void config_identity_done(ConfigIdentity *i);
/* Whether the card seen (device) is the one remembered (entry). */
bool config_identity_match(const ConfigIdentity *entry, const ConfigIdentity *device);

/* applied, pending, missing (d NULL) or mismatch; never refused (see ConfigState). */
ConfigState config_entry_state(const ConfigEntry *e, const Device *d);
const char *config_state_to_string(ConfigState s);

void config_error_done(ConfigError *e);
/* "PATH:LINE: MESSAGE" (or "PATH: MESSAGE" for line 0), for logs and D-Bus errors. */
int config_error_to_string(const ConfigError *e, char **ret);
