/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Persistence: what the admin chose to keep on vfio-pci, re-applied. This file owns the
 * loaded devices.conf (devices-conf.h owns the format), each entry's state and the reason
 * of a refusal, the Persistent flag of devices, picking up hand edits, and re-application.
 *
 * Re-application is the use case of operations.c (operation_reapply(), through the applier
 * set here), with the same gate as a manual bind. It runs at start-up for every entry, on hotplug for an
 * entry whose device appears, and on reload for entries that are new or changed. An entry whose device is
 * already on vfio-pci is never planned: no sysfs write, no uevent, a guest using it never notices. A device
 * whose identity does not match is left alone (state mismatch).
 *
 * Hand edits are picked up on change (inotify on the config directory, when it exists at
 * start-up) and on SIGHUP (persist_reload(), systemd's ExecReload=). A file that does not
 * parse is logged with path:line; the last good configuration stays in force and every edit
 * is refused (PASSTHRU_ERROR_CONFIG_INVALID) until the file is fixed: the daemon never
 * writes over a file it could not read. No bus code here. */

#include <stdbool.h>
#include <stddef.h>

#include "devices-conf.h"
#include "macros.h"
#include "pci-address.h"

typedef struct Manager Manager;
typedef struct Refusal Refusal;
typedef struct Group Group;
typedef struct Persist Persist;

/* Told when the remembered configuration changed (an edit, a reload that read other text). */
typedef void (*persist_changed_t)(void *userdata);

int persist_new(Manager *m, const char *config_dir, Persist **ret);
Persist *persist_free(Persist *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Persist *, persist_free);

void persist_set_listener(Persist *p, persist_changed_t changed, void *userdata);

/* How a remembered entry is put into effect, each part returning 1 when it started a change,
 * 0 when there is nothing (more) to do, <0 with refusal set. Set once by the daemon's owner
 * (operations.c); without it nothing is re-applied. In order: the VF count of a PF (its
 * VFs' entries apply when they appear), the reset methods, the driver. */
typedef struct PersistApplier {
        int (*numvfs)(const ConfigEntry *e, Refusal *refusal, void *userdata);
        void (*reset_method)(const ConfigEntry *e, void *userdata);
        int (*driver)(const Config *c, const ConfigEntry *e, Refusal *refusal, void *userdata);
} PersistApplier;
void persist_set_applier(Persist *p, const PersistApplier *applier, void *userdata);
/* The outcome of re-applying the device at a: reason NULL on success, else the sentence that
 * GetConfig shows with state refused. */
void persist_note_outcome(Persist *p, const PciAddress *a, const char *reason);

/* Loads the file, starts listening to the Manager and watching the directory, and schedules
 * every entry for re-application. A bad file is not a failure: the daemon serves without. */
int persist_start(Persist *p);
/* Reads the file again; new or changed entries are applied. Keeps the last good config when
 * the file does not parse. */
int persist_reload(Persist *p);

/* Remembers the devices at these addresses (with the identity seen now) or forgets them.
 * Nothing changes on the devices themselves. Refusals: ConfigInvalid (the file on disk does
 * not parse), NoSuchDevice (remember), Failed (the file cannot be written). */
int persist_remember(Persist *p, const PciAddress *addresses, size_t n, Refusal *refusal);
int persist_forget(Persist *p, const PciAddress *addresses, size_t n, Refusal *refusal);
/* Remembers the device's reset-method list ("flr bus"; "" forgets it), in its entry or in a
 * new one that leaves it with the host (vfio = no). Refusals as above. */
int persist_remember_reset_method(Persist *p, const PciAddress *a, const char *methods, Refusal *refusal);
/* Whether an edit could be made now; ConfigInvalid otherwise. Asked before a Bind or Unbind
 * with persist changes a driver, so the call fails before anything moved. */
int persist_check_editable(Persist *p, Refusal *refusal);

/* The configuration in force; NULL when there was never a good one. */
const Config *persist_config(Persist *p);
/* The configuration directory (--config-dir, else /etc/passthru). */
const char *persist_dir(Persist *p);
/* "PATH:LINE: MESSAGE" when the file on disk could not be read last time; else NULL. */
const char *persist_load_error(Persist *p);
/* The state of an entry of persist_config(); *ret_reason is the refusal's sentence ("" when
 * none). */
ConfigState persist_entry_state(Persist *p, const ConfigEntry *e, const char **ret_reason);

/* ---- pure decisions, unit-tested ---- */

/* Whether two entries ask for the same thing (same card, same settings): a reload applies an
 * entry only when it is new or this says it changed. */
bool persist_entry_equal(const ConfigEntry *a, const ConfigEntry *b);
/* Whether the entry's device goes as part of one group transaction: every other endpoint of
 * its group (bridges do not count) has an entry of c matching the card there. */
bool persist_group_complete(const Config *c, const Group *g, const PciAddress *address);
